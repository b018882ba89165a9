"""Parsing, contract and bronze/quarantine writes for one delivery, on hand-made partner files."""

from pathlib import Path

import pandas as pd
import pytest

from orchestration.core import lake
from orchestration.core.catalog import feed
from orchestration.core.evidence import read_evidence
from orchestration.core.ingestion import (
    DeliveryRejected,
    bronze_path,
    ensure_tables,
    ingest_delivery,
    ledger_path,
    parse_types,
    quarantine_rows_path,
    read_delivery,
    rejected_deliveries_path,
    validate,
)
from orchestration.core.settings import load_settings

SPEC = feed("police_mains_courantes")
HEADER = ";".join(SPEC.source_headers)
GOOD = [
    "MC-2026-000001;15/01/2026 14:32;TAP;12 rue de la République;43,300000;5,370000;PM0001;Jean DUPONT;Appel de Mme Sophie MARTIN (06 12 34 56 78)",
    "MC-2026-000002;15/01/2026 23:05;IVP;1 La Canebière;43,297000;5,380000;PM0002;;Individu ivre, véhicule AB-123-CD",
]


def write(folder: Path, lines: list[str], name: str = "mains_courantes_20260115.csv", encoding: str = "latin-1", end: str = "\r\n") -> Path:
    path = folder / name
    path.write_bytes((end.join(lines) + end).encode(encoding))
    return path


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OBSERVATOIRE_KEY", raising=False)
    s = load_settings(tmp_path / "lake")
    (s.landing / SPEC.name).mkdir(parents=True)
    ensure_tables(s, SPEC)
    return s


def test_parses_partner_format(tmp_path: Path) -> None:
    raw = read_delivery(write(tmp_path, [HEADER, *GOOD]), SPEC)
    typed = parse_types(raw.frame, SPEC)
    assert typed.loc[0, "occurred_at"] == pd.Timestamp("2026-01-15 14:32")
    assert typed.loc[0, "latitude"] == pytest.approx(43.3)
    assert pd.isna(typed.loc[1, "personne_pseudo"])
    assert raw.frame["_source_line"].tolist() == [2, 3]
    assert validate(typed, raw.frame, SPEC) == {}


def test_bad_rows_get_one_reason_each(tmp_path: Path) -> None:
    lines = [
        HEADER,
        *GOOD,
        "MC-2026-000003;31/02/2026 25:61;RIX;x;43,29;5,38;PM0003;;",  # line 4: bad date
        "MC-2026-000004;15/01/2026 10:00;TAP;x;48,8566;2,3522;PM0003;;",  # line 5: Paris
        "MC-2026-000005;15/01/2026 10:00;ZZZ;x;43,29;5,38;PM0003;;",  # line 6: unknown code
        GOOD[0],  # line 7: same id again
    ]
    raw = read_delivery(write(tmp_path, lines), SPEC)
    failures = validate(parse_types(raw.frame, SPEC), raw.frame, SPEC)
    by_line = {int(raw.frame.at[i, "_source_line"]): sorted({c for c, _ in r}) for i, r in failures.items()}
    assert by_line == {4: ["bad_date"], 5: ["outside_city"], 6: ["unknown_code"], 7: ["duplicate_id"]}


def test_wrong_encoding_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DeliveryRejected) as error:
        read_delivery(write(tmp_path, [HEADER, *GOOD], encoding="utf-8"), SPEC)
    assert error.value.reason_code == "wrong_encoding"


def test_empty_and_truncated_files_are_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "mains_courantes_20260116.csv"
    empty.write_bytes(b"")
    with pytest.raises(DeliveryRejected, match="empty_file"):
        read_delivery(empty, SPEC)
    truncated = tmp_path / "mains_courantes_20260117.csv"
    truncated.write_bytes(("\r\n".join([HEADER, *GOOD]) + "\r\nMC-2026-000009;15/01/2026 1").encode("latin-1"))
    with pytest.raises(DeliveryRejected, match="truncated_file"):
        read_delivery(truncated, SPEC)


def test_schema_changes(tmp_path: Path) -> None:
    renamed = HEADER.replace("Code nature", "Nature")
    with pytest.raises(DeliveryRejected, match="breaking_schema_change"):
        read_delivery(write(tmp_path, [renamed, *GOOD]), SPEC)
    added = read_delivery(write(tmp_path, [HEADER + ";Unité", *(g + ";DIV NORD" for g in GOOD)]), SPEC)
    assert added.extra_columns == ["Unité"] and len(added.frame) == 2


def test_malformed_row_is_quarantined_not_fatal(tmp_path: Path) -> None:
    raw = read_delivery(write(tmp_path, [HEADER, GOOD[0], "oops;only two", GOOD[1]]), SPEC)
    assert raw.malformed == {3: "malformed_row: 2 fields, expected 9"}
    assert len(raw.frame) == 2


def test_ingest_is_idempotent_and_corrections_upsert(settings) -> None:  # type: ignore[no-untyped-def]
    folder = settings.landing / SPEC.name
    bad = "MC-2026-000003;31/02/2026 25:61;RIX;x;43,29;5,38;PM0003;;"
    first = ingest_delivery(write(folder, [HEADER, *GOOD, bad]), SPEC, settings)
    assert (first.status, first.rows_written, first.rows_quarantined) == ("ingested", 2, 1)
    versions = {p: lake.open_table(p).version() for p in (bronze_path(settings, SPEC), quarantine_rows_path(settings), ledger_path(settings))}

    again = ingest_delivery(folder / "mains_courantes_20260115.csv", SPEC, settings)
    assert again.status == "already_processed"
    assert {p: lake.open_table(p).version() for p in versions} == versions  # nothing written at all

    corrected = GOOD[1].replace(";IVP;", ";RIX;")
    second = ingest_delivery(write(folder, [HEADER, GOOD[0], corrected], name="mains_courantes_20260115.csv"), SPEC, settings)
    assert second.status == "ingested"
    bronze = lake.read(bronze_path(settings, SPEC)).to_pandas().set_index("incident_id")
    assert len(bronze) == 2 and bronze.at["MC-2026-000002", "code_nature"] == "RIX"
    quarantine = lake.read(quarantine_rows_path(settings)).to_pandas()
    assert quarantine[["line_number", "reason_codes"]].values.tolist() == [[4, "bad_date"]]
    assert quarantine.at[0, "source_file"] == "mains_courantes_20260115.csv"


def test_rejected_delivery_is_kept_and_recorded(settings) -> None:  # type: ignore[no-untyped-def]
    folder = settings.landing / SPEC.name
    path = write(folder, [HEADER, *GOOD], encoding="utf-8")
    result = ingest_delivery(path, SPEC, settings)
    assert result.status == "rejected"
    rejected = lake.read(rejected_deliveries_path(settings)).to_pylist()
    assert [(r["file_name"], r["reason_code"]) for r in rejected] == [(path.name, "wrong_encoding")]
    kept = settings.lake / rejected[0]["kept_at"]
    assert kept.read_bytes() != path.read_bytes()  # kept encrypted, owner-only
    assert read_evidence(settings, kept) == path.read_bytes() and kept.stat().st_mode & 0o777 == 0o600
    assert ingest_delivery(path, SPEC, settings).status == "already_processed"


def test_unexpected_file_name_is_rejected(settings) -> None:  # type: ignore[no-untyped-def]
    path = write(settings.landing / SPEC.name, [HEADER, *GOOD], name="export (1).csv")
    assert ingest_delivery(path, SPEC, settings).reasons == {"unexpected_file_name": 1}


def test_bronze_holds_no_raw_identifier(settings) -> None:  # type: ignore[no-untyped-def]
    ingest_delivery(write(settings.landing / SPEC.name, [HEADER, *GOOD]), SPEC, settings)
    text = lake.read(bronze_path(settings, SPEC)).to_pandas().astype(str).to_string()
    for leaked in ("DUPONT", "MARTIN", "06 12 34 56 78", "AB-123-CD", "PM0001", "République"):
        assert leaked not in text
