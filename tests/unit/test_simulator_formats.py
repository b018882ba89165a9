"""Every simulated feed is written in its declared format, readable by a plain reader, clean
where the truth says it is clean, with its natural key unique, and volumes as documented.

The readers and the checks here use only the declarations and the standard library (csv, json,
datetime, re) plus shapely for "inside the city": they do not reuse the simulator's writers, so
they test what a partner file really looks like. Other simulator tests import these helpers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import shapely
import yaml
from shapely.geometry import shape

from orchestration.core.catalog import CATALOG_DIR, FeedSpec, feed
from orchestration.core.settings import REFERENCE_DIR
from simulator import SIMULATED_FEEDS, DirtRates, simulate

START = date(2018, 12, 17)  # a month across Christmas holidays, New Year and both BAAC layouts
DAYS = 30
SEED = 7
SCALE = 0.3
FEEDS = [cls.feed_name for cls in SIMULATED_FEEDS]


# --- plain readers -----------------------------------------------------------------------------


@cache
def raw(feed_name: str) -> dict[str, Any]:
    """The declaration as written (the README's keys, whatever the loader exposes)."""
    return yaml.safe_load((CATALOG_DIR / "feeds" / f"{feed_name}.yaml").read_text(encoding="utf-8"))


@cache
def city() -> shapely.Geometry:
    features = json.loads((REFERENCE_DIR / "quartiers-marseille.geojson").read_text(encoding="utf-8"))["features"]
    union = shapely.union_all([shape(f["geometry"]) for f in features])
    shapely.prepare(union)
    return union


@dataclass
class Record:
    line: int  # where ingestion reports it: physical line (CSV, JSON lines), record number (JSON)
    index: int  # 0-based data record index
    values: dict[str, Any] | None  # source key -> value; None for a malformed record
    raw: Any


def read_file(path: Path, spec: FeedSpec) -> tuple[list[str], list[Record]]:
    """(header or keys, records) as the csv / json modules see the file."""
    fmt = spec.format
    kind = fmt.type
    if kind == "csv":
        with path.open(encoding=fmt.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=fmt.separator)
            header = next(reader)
            records = []
            for index, row in enumerate(reader):
                values = dict(zip(header, row, strict=True)) if len(row) == len(header) else None
                records.append(Record(reader.line_num, index, values, row))
        return header, records
    text = path.read_text(encoding=fmt.encoding)
    if kind == "jsonl":
        records = []
        for index, line in enumerate(text.split("\n")[:-1]):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                value = None
            records.append(Record(index + 1, index, value if isinstance(value, dict) else None, line))
        keys = list(next((r.values for r in records if r.values), {}) or {})
        return keys, records
    document = json.loads(text)
    items = document if fmt.records_path is None else document[fmt.records_path]
    # "line" of a JSON document's record = its 1-based number in the array (what ingestion reports).
    records = [Record(i + 1, i, item if isinstance(item, dict) else None, item) for i, item in enumerate(items)]
    keys = list(next((r.values for r in records if r.values), {}) or {})
    return keys, records


def to_number(value: Any, spec: FeedSpec) -> float:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    return float(str(value).replace(spec.format.decimal, "."))


def violations(values: dict[str, Any], spec: FeedSpec) -> set[str]:
    """Quarantine reason codes a record deserves, from its declaration alone (keys aside)."""
    found: set[str] = set()
    declared = {c["source"]: c for c in raw(spec.name)["columns"]}
    for source, column in declared.items():
        value = values.get(source)
        if value is None or value == "":
            if not column.get("nullable", False):
                found.add("missing_value")
            continue
        kind = column["type"]
        for char in column.get("remove_characters") or ():  # declared normalisations
            value = str(value).replace(char, "")
        if column.get("zero_pad") and str(value).isdigit():
            value = str(value).zfill(column["zero_pad"])
        if kind in ("datetime", "date"):
            fmt = column.get("datetime_format") or (spec.format.date_format if kind == "date" else spec.format.datetime_format)
            try:
                datetime.strptime(str(value), fmt)
            except ValueError:
                found.add("bad_date")
        elif kind in ("int", "float"):
            try:
                number = to_number(value, spec)
            except ValueError:
                found.add("bad_number")
                continue
            if kind == "int" and number != int(number):
                found.add("bad_number")
            if ("min" in column and number < column["min"]) or ("max" in column and number > column["max"]):
                found.add("out_of_range")
        elif kind == "bool" and not isinstance(value, bool):
            found.add("bad_format")
        if column.get("codes") and str(value) not in {str(k) for k in column["codes"]}:
            found.add("unknown_code")
        if column.get("pattern") and not re.fullmatch(column["pattern"], str(value)):
            found.add("bad_format")
    names = {c["name"]: c["source"] for c in raw(spec.name)["columns"]}
    if "inside_city" in (raw(spec.name).get("checks") or []) and "latitude" in names:
        try:
            lat, lon = to_number(values[names["latitude"]], spec), to_number(values[names["longitude"]], spec)
        except (ValueError, KeyError, TypeError):
            return found
        if not shapely.contains_xy(city(), lon, lat):
            found.add("outside_city")
    return found


def key_of(values: dict[str, Any], spec: FeedSpec) -> tuple:
    sources = {c.name: c.source for c in spec.columns}
    return tuple(values.get(sources[k]) for k in spec.natural_key)


def observed(path: Path, spec: FeedSpec) -> dict[int, set[str]]:
    """Line -> reason codes a checker finds. Duplicates are looked for among otherwise valid
    records only (as ingestion does: a key repeated by a row already rejected is not a duplicate)."""
    _, records = read_file(path, spec)
    seen: set[tuple] = set()
    found: dict[int, set[str]] = {}
    for record in records:
        if record.values is None:
            found[record.line] = {"malformed_row"}
            continue
        kinds = violations(record.values, spec)
        if not kinds:
            key = key_of(record.values, spec)
            if key in seen:
                kinds.add("duplicate_id")
            seen.add(key)
        if kinds:
            found[record.line] = kinds
    return found


def files_of(report, feed_name: str) -> list[Path]:
    return [p for p in report.files if p.parent.name == feed_name]


def truth_defects(truth: dict) -> dict[tuple[str, int], dict]:
    return {(d["file"], d["line"]): d for d in truth["defects"] if d["line"] is not None}


def file_defects(truth: dict) -> dict[str, dict]:
    return {d["file"]: d for d in truth["defects"] if d["line"] is None}


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    landing = tmp_path_factory.mktemp("clean")
    report = simulate(landing, START, DAYS, seed=SEED, scale=SCALE, dirt=DirtRates.none())
    return report, json.loads(report.truth_path.read_text(encoding="utf-8"))


# --- tests -------------------------------------------------------------------------------------


def test_every_feed_is_declared_and_simulated_once() -> None:
    assert len(FEEDS) == len(set(FEEDS))
    declared = {p.stem for p in (CATALOG_DIR / "feeds").glob("*.yaml")}
    assert set(FEEDS) <= declared
    assert {"police_mains_courantes", "csu_evenements", "allo_mairie_demandes", "marins_pompiers_interventions",
            "aphm_urgences", "rtm_frequentation", "rtm_incidents", "voirie_chantiers", "marches", "eclairage_pannes",
            "evenements", "telecom_presence", "meteo_horaire", "signalements_citoyens", "baac_caracteristiques_2005_2018",
            "baac_lieux_2005_2018", "baac_vehicules_2005_2018", "baac_usagers_2005_2018", "baac_caracteristiques",
            "baac_lieux", "baac_vehicules", "baac_usagers", "etablissements_scolaires"} == set(FEEDS)


@pytest.mark.parametrize("feed_name", FEEDS)
def test_declaration_follows_the_catalog_format(feed_name: str) -> None:
    doc = raw(feed_name)
    assert doc["name"] == feed_name
    assert doc["format"]["type"] in ("csv", "jsonl", "json")
    assert doc["delivery"]["cadence"] in ("hourly", "daily", "weekly", "monthly", "yearly")
    assert "(?P<date>" in doc["delivery"]["file_pattern"]
    assert doc["partition_by"] == "jour"
    names = [c["name"] for c in doc["columns"]]
    for column in doc["columns"]:
        assert column["type"] in ("string", "datetime", "date", "float", "int", "bool"), column
        assert column["privacy"] in ("keep", "pseudonymise", "generalise", "redact", "drop"), column
        assert set(column) <= {"source", "name", "type", "privacy", "pseudonym_scope", "restricted", "nullable", "codes",
                               "pattern", "min", "max", "datetime_format", "description", "remove_characters", "zero_pad"}, column
        assert all(isinstance(k, str) for k in column.get("codes") or {}), column["name"]
    if "latitude" in names:
        assert doc.get("checks") == ["inside_city"]
        assert all(c.get("restricted") for c in doc["columns"] if c["name"] in ("latitude", "longitude"))
    if "event_time" in doc:
        assert next(c for c in doc["columns"] if c["name"] == doc["event_time"])["type"] in ("datetime", "date")
    spec = feed(feed_name)  # the loader accepts it
    assert spec.natural_key and all(k in names for k in spec.natural_key)


def test_files_are_named_as_declared_and_readable_by_plain_readers(clean) -> None:
    report, truth = clean
    by_file = {f["file"]: f for f in truth["files"]}
    for path in report.files:
        spec = feed(path.parent.name)
        assert spec.delivery_date(path.name) == date.fromisoformat(by_file[path.name]["day"]), path.name
        header, records = read_file(path, spec)
        assert header == list(spec.source_headers), path.name
        assert all(r.values is not None for r in records), path.name
        assert by_file[path.name]["rows"] == len(records)
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == (spec.format.encoding == "utf-8-sig")
        if spec.format.type == "csv":
            assert data.endswith(b"\n") and data.count(b"\n") == len(records) + 1


@pytest.mark.parametrize("feed_name", FEEDS)
def test_clean_data_passes_every_declared_check_and_keys_are_unique(clean, feed_name: str) -> None:
    report, _ = clean
    spec = feed(feed_name)
    keys: Counter[tuple] = Counter()
    paths = files_of(report, feed_name)
    assert paths, feed_name
    for path in paths:
        _, records = read_file(path, spec)
        for record in records:
            assert violations(record.values, spec) == set(), (path.name, record.line, record.values)
            keys[key_of(record.values, spec)] += 1
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1][:3]


@pytest.mark.parametrize("feed_name", FEEDS)
def test_volumes_are_within_the_documented_range(clean, feed_name: str) -> None:
    _report, truth = clean
    simulator = next(cls for cls in SIMULATED_FEEDS if cls.feed_name == feed_name)(SEED)
    metas = [f for f in truth["files"] if f["feed"] == feed_name]
    covered = sum((date.fromisoformat(f["period_end"]) - date.fromisoformat(f["day"])).days + 1 for f in metas)
    rows = sum(f["rows"] for f in metas)
    expected = simulator.expected_rows_per_day(SCALE)
    assert 0.6 * expected <= rows / covered <= 1.5 * expected, (feed_name, rows / covered, expected)


def test_dates_of_clean_rows_fall_in_their_delivery_period(clean) -> None:
    report, truth = clean
    periods = {f["file"]: (date.fromisoformat(f["day"]), date.fromisoformat(f["period_end"])) for f in truth["files"]}
    checked = 0
    for path in report.files:
        spec = feed(path.parent.name)
        event_time = raw(spec.name).get("event_time")
        if not event_time:
            continue
        column = next(c for c in raw(spec.name)["columns"] if c["name"] == event_time)
        fmt = spec.format.date_format if column["type"] == "date" else spec.format.datetime_format
        first, last = periods[path.name]
        for record in read_file(path, spec)[1]:
            stamp = datetime.strptime(record.values[column["source"]], fmt)
            day = stamp.date()
            slack = 1 if spec.format.timezone == "UTC" or stamp.tzinfo else 0  # UTC hours of a local day
            assert (first - day).days <= slack and (day - last).days <= slack, (path.name, stamp)
            checked += 1
    assert checked > 10_000


def test_reference_tables_match_the_declarations_and_lie_in_the_city(clean) -> None:
    report, truth = clean
    folder = report.truth_path.parent / truth["reference_tables"]["folder"]
    tables = {name: list(csv.DictReader(io.StringIO((folder / f).read_text(encoding="utf-8"))))
              for name, f in truth["reference_tables"]["files"].items()}
    assert {r["code"] for r in tables["venues"]} == set(feed("evenements").column("lieu").codes or {})
    assert {r["code_station"] for r in tables["stations"]} == set(feed("rtm_frequentation").column("code_station").codes or {})
    assert {"Orange Vélodrome", "Le Dôme", "Parc Chanot", "Le Silo", "Stade Delort"} <= {r["nom"] for r in tables["venues"]}
    assert len(tables["schools"]) > 500 and len(tables["cameras"]) == 1600 and len(tables["lamps"]) == 65_000
    for name in ("venues", "stations", "markets", "schools", "cameras"):
        lon = [float(r["longitude"]) for r in tables[name]]
        lat = [float(r["latitude"]) for r in tables[name]]
        assert shapely.contains_xy(city(), lon, lat).all(), name
    velodrome = next(r for r in tables["venues"] if r["code"] == "VELODROME")
    assert (float(velodrome["latitude"]), float(velodrome["longitude"])) == (43.2698, 5.3959)


def test_no_local_time_falls_in_the_hour_skipped_by_daylight_saving(tmp_path: Path) -> None:
    report = simulate(tmp_path, date(2026, 3, 29), 1, seed=SEED, scale=0.5, dirt=DirtRates.none())
    checked = 0
    for path in report.files:
        spec = feed(path.parent.name)
        fmt = spec.format.datetime_format or ""
        if spec.format.timezone != "Europe/Paris" or "%z" in fmt or spec.format.type != "csv":
            continue
        sources = [c.source for c in spec.columns if c.type == "datetime"]
        for record in read_file(path, spec)[1]:
            for source in sources:
                if record.values[source]:
                    stamp = datetime.strptime(record.values[source], fmt)
                    assert not (stamp.date() == date(2026, 3, 29) and stamp.hour == 2), (path.name, source, stamp)
                    checked += 1
    assert checked > 500


def test_a_subset_of_feeds_gives_the_same_bytes(tmp_path: Path) -> None:
    day = date(2026, 5, 11)
    full = simulate(tmp_path / "full", day, 2, seed=4, scale=0.2)
    some = simulate(tmp_path / "some", day, 2, seed=4, scale=0.2, feeds=["police_mains_courantes", "csu_evenements"])
    assert {p.parent.name for p in some.files} == {"police_mains_courantes", "csu_evenements"}
    by_name = {p.name: p for p in full.files}
    assert all(p.read_bytes() == by_name[p.name].read_bytes() for p in some.files)
    with pytest.raises(ValueError, match="does not play"):
        simulate(tmp_path / "x", day, 1, feeds=["nope"])
