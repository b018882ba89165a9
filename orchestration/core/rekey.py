"""Rotation of the pseudonymisation key: re-key bronze and quarantine, then retire the old key.

Pseudonyms are one-way (keyed HMAC), so a new pseudonym is recomputed from the raw value where
the raw value still exists (landing files within their retention): such a person gets exactly the
pseudonym future deliveries will give them, and every join stays valid. A pseudonym whose raw
files have all expired cannot be recomputed; it is re-keyed by a keyed one-way function of the old
pseudonym under the new key (``<prefix>_`` + HMAC(new key, "rekey" + old)), which keeps it stable
across every table (joins inside the lake stay valid) but, deliberately, unlinkable to future
deliveries: that person's history has outlived its raw data. Neither step needs the old key
afterwards, so it can be destroyed. Steps (see README, "Key rotation"): stop the sensors, run
:func:`rekey_lake` (``observatoire rekey --new-key-file``), point ``OBSERVATOIRE_KEY_FILE`` at the
new key, rebuild (``observatoire run``), destroy the old key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

import pyarrow as pa

from orchestration.core import lake
from orchestration.core.catalog import FeedSpec, feeds
from orchestration.core.evidence import reencrypt_evidence
from orchestration.core.ingestion import bronze_path, quarantine_rows_path, regular_landing_files
from orchestration.core.parsing import DeliveryRejected, normalise_text, read_delivery
from orchestration.core.privacy import PSEUDONYM_HEX_CHARS, pseudonymise
from orchestration.core.settings import Settings

Translation = dict[str, str]  # old pseudonym -> new pseudonym


@dataclass
class RekeyReport:
    """What a rotation changed."""

    recomputed: int = 0  # distinct pseudonyms recomputed from raw values still in landing
    derived: int = 0  # distinct pseudonyms whose raw values have expired (re-keyed one-way)
    tables: list[str] = field(default_factory=list)
    evidence_files: int = 0


def _pseudonymised(spec: FeedSpec) -> list[str]:
    return [c.name for c in spec.kept_columns if c.privacy == "pseudonymise"]


def translation_from_landing(settings: Settings, new_key: bytes) -> Translation:
    """Old -> new pseudonym of every raw value still present in landing (all feeds)."""
    found: Translation = {}
    for spec in feeds().values():
        columns = [spec.column(n) for n in _pseudonymised(spec)]
        if not columns:
            continue
        for path in regular_landing_files(settings, spec):
            try:
                delivery = read_delivery(path, spec)
            except DeliveryRejected:
                continue
            for col in columns:
                scope = col.pseudonym_scope or col.name
                for value in normalise_text(delivery.frame[col.name], col, spec.format).dropna().unique():
                    old = pseudonymise(str(value), settings.key, scope)
                    if old:
                        found[old] = pseudonymise(str(value), new_key, scope)
    return found


def derived_pseudonym(old: str, new_key: bytes) -> str:
    """One-way re-keying of a pseudonym whose raw value is gone (same prefix, same length)."""
    prefix = old.split("_", 1)[0]
    digest = hmac.new(new_key, f"rekey\x1f{old}".encode(), hashlib.sha256).hexdigest()
    return f"{prefix}_{digest[:PSEUDONYM_HEX_CHARS]}"


def _translate(value: object, translation: Translation, new_key: bytes, report: RekeyReport) -> object:
    if not isinstance(value, str) or not value:
        return value
    if value not in translation:
        translation[value] = derived_pseudonym(value, new_key)
        report.derived += 1
    return translation[value]


def _rewrite(path_table: pa.Table, columns: list[str], translation: Translation, new_key: bytes, report: RekeyReport) -> pa.Table:
    frame = path_table.to_pandas()
    for name in columns:
        frame[name] = frame[name].map(lambda v: _translate(v, translation, new_key, report))
    return pa.Table.from_pandas(frame, schema=path_table.schema, preserve_index=False)


def rekey_lake(settings: Settings, new_key: bytes) -> RekeyReport:
    """Re-key every pseudonym of bronze and quarantine from ``settings.key`` to ``new_key``.

    Old table versions are vacuumed, so the old pseudonyms are not reachable by time travel.
    Derived layers (build database, gold) are rebuilt by the next run.
    """
    if not settings.key or new_key == settings.key:
        raise ValueError("rekey needs the current key loaded and a different new key")
    report = RekeyReport()
    translation = translation_from_landing(settings, new_key)
    report.recomputed = len(translation)
    for spec in feeds().values():
        columns = _pseudonymised(spec)
        path = bronze_path(settings, spec)
        if not columns or lake.open_table(path) is None:
            continue
        table = _rewrite(lake.read(path), columns, translation, new_key, report)
        lake.overwrite(path, table, [spec.partition_by])
        lake.vacuum_all(path)
        report.tables.append(f"bronze/{spec.name}")
    quarantine = quarantine_rows_path(settings)
    if lake.open_table(quarantine) is not None:
        current = lake.read(quarantine)
        frame = current.to_pandas()
        pseudonymised = {name: _pseudonymised(spec) for name, spec in feeds().items()}

        def rekey_record(feed: str, record: object) -> object:
            if not isinstance(record, str) or not pseudonymised.get(feed):
                return record
            data = json.loads(record)
            for name in pseudonymised[feed]:
                if name in data:
                    data[name] = _translate(data[name], translation, new_key, report)
            return json.dumps(data, ensure_ascii=False)

        frame["record"] = [rekey_record(f, r) for f, r in zip(frame["feed"], frame["record"], strict=True)]
        lake.overwrite(quarantine, pa.Table.from_pandas(frame, schema=current.schema, preserve_index=False), ["feed"])
        lake.vacuum_all(quarantine)
        report.tables.append("quarantine/rows")
    report.evidence_files = reencrypt_evidence(settings, settings.key, new_key)
    return report


__all__ = ["RekeyReport", "derived_pseudonym", "rekey_lake", "translation_from_landing"]
