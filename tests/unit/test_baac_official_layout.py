"""Official ONISR BAAC 2019+ files as published: names, separators, non-breaking spaces, codes, perimeter.

The sample under ``tests/data/baac_2019plus`` is invented in the official layout (see its README).
Every test asserts the accounting: rows in = rows written + rows quarantined + rows out of perimeter.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from orchestration.core import lake
from orchestration.core.catalog import feed
from orchestration.core.ingestion import (
    bronze_path,
    ensure_tables,
    ingest_deliveries,
    ledger_path,
    quarantine_rows_path,
)
from orchestration.core.parsing import parse_types, read_delivery
from orchestration.core.settings import load_settings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "baac_2019plus"
TABLES = ("caracteristiques", "lieux", "vehicules", "usagers")
FILES = {"caracteristiques": "carcteristiques-2021.csv", "lieux": "lieux-2021.csv", "vehicules": "vehicules-2021.csv", "usagers": "usagers-2021.csv"}


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OBSERVATOIRE_KEY", raising=False)
    s = load_settings(tmp_path / "lake")
    for table in TABLES:
        spec = feed(f"baac_{table}")
        (s.landing / spec.name).mkdir(parents=True)
        ensure_tables(s, spec)
    return s


def _data_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) - 1


def _deliver(settings, table: str, name: str | None = None) -> Path:  # type: ignore[no-untyped-def]
    spec = feed(f"baac_{table}")
    target = settings.landing / spec.name / (name or FILES[table])
    shutil.copy(SAMPLE / FILES[table], target)
    return target


@pytest.mark.parametrize(
    ("table", "name", "year"),
    [
        ("caracteristiques", "carcteristiques-2021.csv", 2021),
        ("caracteristiques", "caract-2023.csv", 2023),
        ("caracteristiques", "Caract_2024.csv", 2024),
        ("caracteristiques", "CARACTERISTIQUES-2020.csv", 2020),
        ("usagers", "usagers-2022.csv", 2022),
        ("usagers", "Usagers_2023.csv", 2023),
        ("vehicules", "vehicules-2023.csv", 2023),
        ("vehicules", "Vehicules-2022.csv", 2022),
        ("lieux", "lieux-2023.csv", 2023),
    ],
)
def test_official_names_of_every_year_are_accepted_as_partner_files(table: str, name: str, year: int) -> None:
    spec = feed(f"baac_{table}")
    assert spec.delivery_date(name) == date(year, 1, 1)
    assert spec.provenance(name) == "partenaire"


def test_simulated_names_are_distinct_and_never_official() -> None:
    from simulator.base import file_name_for

    for table in TABLES:
        for suffix in ("", "_2005_2018"):
            spec = feed(f"baac_{table}{suffix}")
            year = date(2015 if suffix else 2021, 1, 1)
            name = file_name_for(spec, year)
            assert name.startswith("simulation-") and spec.provenance(name) == "simule", name
            official = f"{table}-{year.year}.csv"
            assert spec.provenance(official) == "partenaire"


def test_full_width_digits_in_a_file_name_are_refused() -> None:
    spec = feed("baac_caracteristiques")
    assert spec.delivery_date("caracteristiques-２０２１.csv") is None
    assert feed("police_mains_courantes").delivery_date("mains_courantes_２０２６0115.csv") is None


def test_non_breaking_spaces_and_unpadded_codes_are_normalised_as_declared() -> None:
    spec = feed("baac_vehicules")
    raw = read_delivery(SAMPLE / FILES["vehicules"], spec)
    typed = parse_types(raw.frame, spec)
    assert typed["vehicule_id"].tolist() == ["201764", "201765", "201766", "201767", "201768", "201769"]
    assert typed["catv"].tolist() == ["07", "33", "01", "07", "02", "-1"]


def test_numbers_lose_their_declared_group_separators() -> None:
    spec = feed("baac_lieux")
    raw = read_delivery(SAMPLE / FILES["lieux"], spec)
    raw.frame.loc[0, "larrout"] = "1\u202f007,5"
    raw.frame.loc[1, "nbv"] = "1\u00a02"
    typed = parse_types(raw.frame, spec)
    assert typed.loc[0, "larrout"] == pytest.approx(1007.5) and typed.loc[1, "nbv"] == 12


def test_official_sample_ingests_with_every_row_accounted_for(settings) -> None:  # type: ignore[no-untyped-def]
    for table in TABLES:
        spec = feed(f"baac_{table}")
        path = _deliver(settings, table)
        [result] = ingest_deliveries([path], spec, settings)
        assert result.status == "ingested", (table, result.message)
        assert result.rows_read == _data_lines(SAMPLE / FILES[table])
        assert result.rows_read == result.rows_written + result.rows_quarantined + result.rows_out_of_perimeter
        assert result.rows_quarantined == 0, (table, dict(result.reasons))
    ledger = lake.read(ledger_path(settings)).to_pandas().set_index("feed")
    assert ledger.at["baac_caracteristiques", "rows_out_of_perimeter"] == 2
    assert ledger.at["baac_usagers", "schema_note"].startswith("additive schema change")  # id_usager


def test_accidents_outside_the_city_are_counted_never_kept_nor_quarantined(settings) -> None:  # type: ignore[no-untyped-def]
    spec = feed("baac_caracteristiques")
    [result] = ingest_deliveries([_deliver(settings, "caracteristiques")], spec, settings)
    assert (result.rows_read, result.rows_written, result.rows_quarantined, result.rows_out_of_perimeter) == (5, 3, 0, 2)
    bronze = lake.read(bronze_path(settings, spec)).to_pandas()
    assert sorted(bronze["com"]) == ["13201", "13205", "13208"]
    quarantine = lake.read(quarantine_rows_path(settings)).to_pandas()
    assert quarantine.empty
    # Neither the position nor the address of the outside accidents is anywhere in the lake's tables.
    for folder in (settings.bronze, settings.quarantine, settings.meta):
        for data in folder.rglob("*.parquet"):
            content = data.read_bytes()
            assert b"MIRABEAU" not in content and b"RIVOLI" not in content, data


def test_a_malformed_commune_is_quarantined_not_dropped_as_outside(settings) -> None:  # type: ignore[no-untyped-def]
    spec = feed("baac_caracteristiques")
    path = _deliver(settings, "caracteristiques")
    path.write_text(path.read_text(encoding="utf-8").replace('"13205"', '"1320X"'), encoding="utf-8")
    [result] = ingest_deliveries([path], spec, settings)
    assert (result.rows_written, result.rows_quarantined, result.rows_out_of_perimeter) == (2, 1, 2)
    assert result.reasons["bad_format"] == 1


def test_bronze_partitions_accidents_by_their_own_day_and_records_provenance(settings) -> None:  # type: ignore[no-untyped-def]
    spec = feed("baac_caracteristiques")
    ingest_deliveries([_deliver(settings, "caracteristiques")], spec, settings)
    sim = _deliver(settings, "caracteristiques", "simulation-caracteristiques-2022.csv")
    sim.write_text(sim.read_text(encoding="utf-8").replace("2021", "2022"), encoding="utf-8")
    ingest_deliveries([sim], spec, settings)
    bronze = lake.read(bronze_path(settings, spec)).to_pandas().set_index("accident_id")
    assert bronze.at["202100000101", "jour"] == date(2021, 2, 3)
    assert bronze.at["202100000105", "jour"] == date(2021, 12, 30)
    assert bronze.at["202100000101", "_provenance"] == "partenaire"
    assert bronze.at["202200000101", "_provenance"] == "simule"


def test_old_layout_partitions_by_accident_day_with_its_century() -> None:
    import pandas as pd

    from orchestration.core.ingestion import _date_from_parts

    frame = pd.DataFrame({"an": pd.array([18, 5], dtype="Int64"), "mois": pd.array([3, 12], dtype="Int64"), "jour_mois": pd.array([9, 31], dtype="Int64")})
    days = _date_from_parts(frame, feed("baac_caracteristiques_2005_2018").event_date_parts)  # type: ignore[arg-type]
    assert days.tolist() == [date(2018, 3, 9), date(2005, 12, 31)]


def test_a_corrected_snapshot_withdraws_the_rows_it_no_longer_holds(settings) -> None:  # type: ignore[no-untyped-def]
    spec = feed("baac_vehicules")
    path = _deliver(settings, "vehicules")
    [first] = ingest_deliveries([path], spec, settings)
    assert first.rows_written == 6
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")  # ONISR withdrew two vehicles
    [second] = ingest_deliveries([path], spec, settings)
    assert (second.rows_read, second.rows_written, second.rows_withdrawn) == (4, 4, 2)
    bronze = lake.read(bronze_path(settings, spec)).to_pandas()
    assert len(bronze) == 4 and set(bronze["_source_checksum"]) == {second.checksum}
    ledger = lake.read(ledger_path(settings)).to_pandas()
    assert ledger.loc[ledger["checksum"] == second.checksum, "rows_withdrawn"].item() == 2


def test_quarantine_records_of_baac_hold_no_exact_position_of_outside_accidents(settings) -> None:  # type: ignore[no-untyped-def]
    spec = feed("baac_caracteristiques")
    path = _deliver(settings, "caracteristiques")
    path.write_text(path.read_text(encoding="utf-8").replace('"5";"13";"13208"', '"77";"13";"13208"'), encoding="utf-8")
    [result] = ingest_deliveries([path], spec, settings)
    assert result.rows_quarantined == 1 and result.rows_out_of_perimeter == 2
    records = lake.read(quarantine_rows_path(settings)).to_pandas()["record"].tolist()
    assert all("5.4454" not in r and "2.3522" not in r for r in records if r)
    assert json.loads(records[0])["com"] == "13208"
