"""Pseudonymisation and redaction: stable under a key, different under another, not reversible."""

import hashlib

import pandas as pd
import pytest

from orchestration.core.catalog import feed
from orchestration.core.privacy import apply_treatments, normalise_identifier, pseudonymise, pseudonymise_series, redact

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def test_same_key_same_pseudonym_whatever_the_spelling() -> None:
    assert pseudonymise("Jean DUPONT", KEY, "personne") == pseudonymise("  jean   dupont ", KEY, "personne")
    assert pseudonymise("Éric", KEY, "personne") == pseudonymise("eric", KEY, "personne")


def test_other_key_other_pseudonym() -> None:
    assert pseudonymise("PM1234", KEY, "agent") != pseudonymise("PM1234", OTHER_KEY, "agent")


def test_scope_separates_roles() -> None:
    assert pseudonymise("PM1234", KEY, "agent") != pseudonymise("PM1234", KEY, "personne")


def test_not_reversible_without_the_key() -> None:
    value = pseudonymise("PM1234", KEY, "agent")
    assert "PM1234" not in value and "pm1234" not in value
    # An unkeyed hash of the identifier (what an attacker could compute) does not match.
    for candidate in ("PM1234", "pm1234", "agent\x1fpm1234"):
        assert hashlib.sha256(candidate.encode()).hexdigest()[:20] not in value


def test_empty_identifier_stays_empty() -> None:
    assert pseudonymise("   ", KEY, "agent") == ""
    series = pseudonymise_series(pd.Series(["A", None, "", "a"], dtype="str"), KEY, "x")
    assert series.isna().tolist() == [False, True, True, False]
    assert series[0] == series[3]


def test_normalise_identifier() -> None:
    assert normalise_identifier("  Zoë  LE\tGALL ") == "zoe le gall"


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("Appel de Mme Sophie MARTIN pour tapage", "MARTIN"),
        ("joignable au 06 12 34 56 78", "06 12 34 56 78"),
        ("joignable au 0612345678", "0612345678"),
        ("véhicule AB-123-CD stationné", "AB-123-CD"),
        ("écrire à jean.dupont@example.fr", "jean.dupont@example.fr"),
        ("devant le 12 rue de la République, fenêtre cassée", "12 rue de la République"),
    ],
)
def test_redact_removes_identifiers(text: str, leaked: str) -> None:
    assert leaked not in redact(text)


def test_apply_treatments_follows_the_catalog() -> None:
    spec = feed("police_mains_courantes")
    frame = pd.DataFrame(
        {
            "incident_id": ["MC-2026-000001"],
            "agent_pseudo": ["PM0001"],
            "personne_pseudo": ["Jean DUPONT"],
            "recit": ["Appel de Jean DUPONT 06 12 34 56 78"],
            "adresse": ["3 rue Paradis"],
        },
        dtype="str",
    )
    treated = apply_treatments(frame, spec, KEY)
    assert "recit" not in treated.columns and "adresse" not in treated.columns
    assert treated.at[0, "incident_id"] == "MC-2026-000001"
    assert treated.at[0, "agent_pseudo"] == pseudonymise("PM0001", KEY, "agent")
    assert "DUPONT" not in treated.at[0, "personne_pseudo"]
