"""Privacy treatments applied at ingestion, as declared per column in the partner catalog.

Pseudonyms are keyed HMAC-SHA256: stable for one key (so analysts can count distinct agents or
repeat persons), different under another key, and not reversible without the key, which is kept
outside the lake (see :mod:`orchestration.core.settings`). A scope (``agent``, ``personne``...) is mixed
into the message so the same string in two roles never yields the same pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import pandas as pd

from orchestration.core.catalog import FeedSpec

PSEUDONYM_HEX_CHARS = 20  # 80 bits: collision-free at any volume a city produces

_SPACES = re.compile(r"\s+")


def normalise_identifier(value: str) -> str:
    """Canonical form of an identifier before hashing: case, accents and spacing do not matter."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip().casefold()


def pseudonymise(value: str, key: bytes, scope: str) -> str:
    """Keyed pseudonym of ``value`` within ``scope``; empty input stays empty (no identifier)."""
    canonical = normalise_identifier(value)
    if not canonical:
        return ""
    digest = hmac.new(key, f"{scope}\x1f{canonical}".encode(), hashlib.sha256).hexdigest()
    return f"{scope[:3]}_{digest[:PSEUDONYM_HEX_CHARS]}"


def pseudonymise_series(values: pd.Series, key: bytes, scope: str) -> pd.Series:
    """:func:`pseudonymise` over a column, hashing each distinct value once; blanks become null."""
    mapping = {raw: pseudonymise(str(raw), key, scope) or None for raw in values.dropna().unique()}
    return values.map(mapping).astype("str").where(values.map(mapping).notna(), None)


# Redaction patterns for free text a declaration marks ``redact`` (none today: narratives are
# dropped). Kept conservative: a redacted text loses a little meaning rather than leak a person.
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[courriel]"),
    (re.compile(r"(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}"), "[téléphone]"),
    (re.compile(r"\b[A-Z]{2}[- ]?\d{3}[- ]?[A-Z]{2}\b"), "[plaque]"),
    # "M. Jean DUPONT", "Mme Sophie MARTIN", or any capitalised word followed by an upper-case surname
    (re.compile(r"\b(?:M\.|Mme|Mlle|Monsieur|Madame)?\s*[A-ZÀ-Ý][a-zà-ÿ-]+\s+[A-ZÀ-Ý]{2,}(?:[- ][A-ZÀ-Ý]{2,})*\b"), "[personne]"),
    (re.compile(r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|bd|boulevard|avenue|av\.|cours|place|chemin|traverse|impasse|allée|quai)\b[^,.;]*", re.I), "[adresse]"),
)


def redact(text: str) -> str:
    """Remove e-mails, phone numbers, plates, person names and street addresses from free text."""
    for pattern, token in _REDACTIONS:
        text = pattern.sub(token, text)
    return text


def redact_series(values: pd.Series) -> pd.Series:
    """:func:`redact` over a column; texts repeat (templates, copies), so each distinct one is redacted once."""
    done: dict[str, str] = {}

    def once(value: object) -> object:
        if not isinstance(value, str):
            return value
        if value not in done:
            done[value] = redact(value)
        return done[value]

    return values.map(once)


def apply_treatments(frame: pd.DataFrame, spec: FeedSpec, key: bytes) -> pd.DataFrame:
    """Return ``frame`` with every column treated as its declaration says; dropped columns vanish.

    ``frame`` uses our column names (``ColumnSpec.name``). ``generalise`` is applied downstream
    (positions become quartiers in staging), so here it keeps the value, which is restricted.
    """
    out = frame.copy()
    for col in spec.columns:
        if col.name not in out.columns:
            continue
        if col.privacy == "drop":
            out = out.drop(columns=col.name)
        elif col.privacy == "pseudonymise":
            out[col.name] = pseudonymise_series(out[col.name], key, col.pseudonym_scope or col.name)
        elif col.privacy == "redact":
            out[col.name] = redact_series(out[col.name])
    return out
