"""The partner simulator writes what the police would send, dirty exactly as its truth file says.

(The other feeds are covered by ``test_simulator_formats``, ``test_simulator_dirt`` and
``test_simulator_effects``; this module keeps the police feed's own guarantees.)"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from orchestration.core.catalog import feed
from orchestration.core.settings import REFERENCE_DIR
from simulator import DirtRates, simulate
from simulator.pii import EMAIL_RE, FIRST_NAMES, LAST_NAMES, PHONE_RE, PLATE_RE, planted_values, random_email
from simulator.police import DAILY_MEAN, DAILY_RANGE, expected_daily_mean

FEED = "police_mains_courantes"
SPEC = feed(FEED)
HEADERS = list(SPEC.source_headers)
COL = {c.name: i for i, c in enumerate(SPEC.columns)}  # our column name -> position in a row
CODES = set(SPEC.column("code_nature").codes or {})
DATETIME_FORMAT = SPEC.format.datetime_format
START = date(2026, 3, 23)  # two weeks around the spring DST change (29 March 2026)
DAYS = 14
# Row-level kinds the police feed can carry (it has no bounded number: no out_of_range).
KINDS = ("bad_date", "outside_city", "duplicate_id", "unknown_code", "malformed_row")


def police(report) -> list[Path]:
    return [p for p in report.files if p.parent.name == FEED]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    landing = tmp_path_factory.mktemp("landing")
    report = simulate(landing, START, DAYS, seed=42)
    truth = json.loads(report.truth_path.read_text(encoding="utf-8"))
    report.files = police(report)
    truth["defects"] = [d for d in truth["defects"] if d["feed"] == FEED]
    truth["files"] = [f for f in truth["files"] if f["feed"] == FEED]
    return report, truth


@pytest.fixture(scope="module")
def city() -> shapely.Geometry:
    """The city's land, read independently of the simulator's geography module."""
    features = json.loads((REFERENCE_DIR / "quartiers-marseille.geojson").read_text(encoding="utf-8"))["features"]
    union = shapely.union_all([shape(f["geometry"]) for f in features])
    shapely.prepare(union)
    return union


def read_records(path: Path) -> list[list[str]]:
    """Header + data records, the way a plain reader sees them."""
    with path.open(encoding=SPEC.format.encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=SPEC.format.separator))


def number(text: str) -> float:
    return float(text.replace(SPEC.format.decimal, "."))


def defects_by_line(truth: dict) -> dict[tuple[str, int], dict]:
    return {(d["file"], d["line"]): d for d in truth["defects"] if d["feed"] == FEED}


def file_day(path: Path) -> date:
    found = SPEC.delivery_date(path.name)
    assert found is not None
    return found


# --- determinism -------------------------------------------------------------------------------


def all_bytes(landing: Path) -> dict[str, bytes]:
    return {str(p.relative_to(landing)): p.read_bytes() for p in sorted(landing.rglob("*")) if p.is_file()}


def test_same_seed_gives_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        simulate(tmp_path / name, START, 3, seed=seed)
    first, again, other = (all_bytes(tmp_path / n) for n in "abc")
    assert first == again  # every file of every feed, the truth and the reference tables
    police_first = {k: v for k, v in first.items() if k.startswith(FEED)}
    police_other = {k: v for k, v in other.items() if k.startswith(FEED)}
    assert police_first.keys() == police_other.keys()
    assert all(police_first[k] != police_other[k] for k in police_first)


def test_a_day_does_not_depend_on_the_days_simulated_before_it(tmp_path: Path) -> None:
    long = simulate(tmp_path / "long", START, 3, seed=5)
    short = simulate(tmp_path / "short", START + timedelta(days=2), 1, seed=5)
    assert police(long)[-1].read_bytes() == police(short)[0].read_bytes()
    # Every daily feed: the last day of the long run is the only day of the short one.
    daily = {p.name: p for p in short.files if p.parent.name != "_simulator"}
    same = [p for p in long.files if p.name in daily and p.read_bytes() == daily[p.name].read_bytes()]
    assert len(same) >= 13


# --- the partner's format ----------------------------------------------------------------------


def test_files_are_named_and_headed_as_the_catalog_declares(run) -> None:
    report, _ = run
    assert [p.name for p in report.files] == [SPEC.file_name(START + timedelta(days=i)) for i in range(DAYS)]
    for path in report.files:
        assert path.parent.name == FEED
        records = read_records(path)
        assert records[0] == HEADERS
        assert sum(len(r) != len(HEADERS) for r in records[1:]) <= 3  # malformed rows (dirt)


def test_files_are_windows_latin1_exports_that_pandas_reads(run) -> None:
    report, truth = run
    for path in report.files:
        raw = path.read_bytes()
        assert raw.endswith(b"\r\n")
        assert raw.count(b"\n") == raw.count(b"\r\n")  # no bare line feed: one record per line
        assert "Récit".encode("latin-1") in raw.split(b"\r\n", 1)[0]
        frame = pd.read_csv(
            path, sep=SPEC.format.separator, encoding=SPEC.format.encoding, dtype=str, keep_default_na=False,
            on_bad_lines="skip",  # malformed rows (dirt) are the only lines a reader must skip
        )
        assert list(frame.columns) == HEADERS
        assert len(frame) >= raw.count(b"\r\n") - 1 - 3  # pandas skips nothing but malformed rows
    assert {f["file"]: f["rows"] for f in truth["files"]} == {p.name: len(read_records(p)) - 1 for p in report.files}
    # Narratives holding the separator or quotes are quoted, and survive the round trip.
    narratives = [r[COL["recit"]] for p in report.files for r in read_records(p)[1:] if len(r) == len(HEADERS)]
    assert any(";" in text for text in narratives)
    assert any('"' in text for text in narratives)


# --- volumes -----------------------------------------------------------------------------------


def test_daily_volumes_stay_in_the_documented_range(run) -> None:
    report, truth = run
    repeats = Counter(d["file"] for d in truth["defects"] if d["detail"] == "exact_repeat")
    for path in report.files:
        rows = len(read_records(path)) - 1 - repeats[path.name]
        mean = expected_daily_mean(file_day(path))  # the baseline; planted effects add a few %
        assert DAILY_RANGE[0] <= rows <= DAILY_RANGE[1]
        assert -5 * mean**0.5 <= rows - mean <= 5 * mean**0.5 + 0.3 * mean
    average = report.rows[FEED] / DAYS
    assert 0.8 * DAILY_MEAN <= average <= 1.2 * DAILY_MEAN


def test_scale_multiplies_volumes(tmp_path: Path) -> None:
    small = simulate(tmp_path / "small", START, 4, scale=0.5, feeds=[FEED]).rows[FEED]  # the one feed it weighs
    large = simulate(tmp_path / "large", START, 4, scale=2.0, feeds=[FEED]).rows[FEED]
    assert 3.4 <= large / small <= 4.6


# --- defects and truth -------------------------------------------------------------------------


def test_truth_records_parameters_and_every_kind_of_defect(run) -> None:
    report, truth = run
    assert truth["parameters"] == {
        "start": START.isoformat(),
        "days": DAYS,
        "seed": 42,
        "scale": 1.0,
        "dirt": DirtRates().as_dict(),
        "effects_source": "default",
    }
    assert report.truth_path.name == f"truth_{START:%Y%m%d}_{DAYS}d_seed42.json"
    assert truth["rows"][FEED] == sum(f["rows"] for f in truth["files"])
    assert {d["kind"] for d in truth["defects"]} == set(KINDS)
    assert all(d["line"] is not None for d in truth["defects"])  # no file-level defect on the police feed
    assert {d["detail"] for d in truth["defects"] if d["kind"] == "duplicate_id"} == {"exact_repeat", "reused_id"}
    columns = {c.name for c in SPEC.columns} | {None}
    assert all(d["feed"] == FEED and d["column"] in columns and d["line"] >= 2 for d in truth["defects"])
    # Every file of >= 100 rows carries every kind, so a short simulation tests every check.
    for path in report.files:
        assert {d["kind"] for d in truth["defects"] if d["file"] == path.name} == set(KINDS)
    # One reason per line.
    assert len(defects_by_line(truth)) == len(truth["defects"])


def test_each_truth_line_shows_its_defect_and_every_other_line_is_clean(run, city) -> None:
    report, truth = run
    expected = defects_by_line(truth)
    seen_ids: set[str] = set()
    checked = Counter()
    for path in report.files:
        day = file_day(path)
        records = read_records(path)
        ids_in_file: set[str] = set()
        for line, row in enumerate(records[1:], start=2):
            defect = expected.get((path.name, line))
            kind = defect["kind"] if defect else None
            assert (len(row) != len(HEADERS)) == (kind == "malformed_row"), (path.name, line)
            if kind == "malformed_row":
                checked[kind] += 1
                continue
            stamp, code, row_id = row[COL["occurred_at"]], row[COL["code_nature"]], row[COL["incident_id"]]
            lat, lon = number(row[COL["latitude"]]), number(row[COL["longitude"]])

            try:
                parsed = datetime.strptime(stamp, DATETIME_FORMAT)
                date_ok = parsed.date() == day
            except ValueError:
                date_ok = False
            assert date_ok == (kind != "bad_date"), (path.name, line, stamp)
            assert (code in CODES) == (kind != "unknown_code"), (path.name, line, code)
            assert bool(shapely.contains_xy(city, lon, lat)) == (kind != "outside_city"), (path.name, line, lat, lon)
            assert (row_id in ids_in_file) == (kind == "duplicate_id"), (path.name, line, row_id)
            if defect and defect["detail"] == "exact_repeat":
                assert row in records[1 : line - 1]
            if kind != "duplicate_id":
                assert re.fullmatch(rf"MC-{day.year}-\d{{6}}", row_id)
                assert row_id not in seen_ids  # unique over the whole simulation
                seen_ids.add(row_id)
            ids_in_file.add(row_id)
            checked[kind] += 1
    assert all(checked[k] >= DAYS for k in KINDS if k != "malformed_row") and checked["malformed_row"] >= 1


def test_ids_increase_through_the_simulation(run) -> None:
    report, truth = run
    expected = defects_by_line(truth)
    clean_ids = [
        row[COL["incident_id"]]
        for path in report.files
        for line, row in enumerate(read_records(path)[1:], start=2)
        if (path.name, line) not in expected and len(row) == len(HEADERS)
    ]
    assert clean_ids == sorted(clean_ids)


def test_no_time_in_the_hour_skipped_by_daylight_saving(run) -> None:
    report, _truth = run
    dst_file = next(p for p in report.files if file_day(p) == date(2026, 3, 29))
    stamps = [r[COL["occurred_at"]] for r in read_records(dst_file)[1:] if len(r) == len(HEADERS)]
    assert not [s for s in stamps if s.startswith("29/03/2026 02:")]


def test_zero_dirt_writes_the_same_rows_without_defects(tmp_path: Path) -> None:
    dirty = simulate(tmp_path / "dirty", START, 2, seed=3, scale=0.5)
    clean = simulate(tmp_path / "clean", START, 2, seed=3, scale=0.5, dirt=DirtRates.none())
    truth = json.loads(dirty.truth_path.read_text(encoding="utf-8"))
    assert json.loads(clean.truth_path.read_text(encoding="utf-8"))["defects"] == []
    expected = defects_by_line(truth)
    for dirty_path, clean_path in zip(police(dirty), police(clean), strict=True):
        dirty_rows = read_records(dirty_path)[1:]
        kept = [r for line, r in enumerate(dirty_rows, start=2) if (dirty_path.name, line) not in expected]
        clean_rows = read_records(clean_path)[1:]
        repeats = sum(
            1 for (name, _), d in expected.items() if name == dirty_path.name and d["detail"] == "exact_repeat"
        )
        assert len(clean_rows) == len(dirty_rows) - repeats
        assert all(r in clean_rows for r in kept)  # dirt changes the dirty rows, nothing else


# --- planted personal data ---------------------------------------------------------------------


def test_planted_values_are_in_the_files_for_a_scanner_to_find(run) -> None:
    report, truth = run
    text = "\n".join(p.read_text(encoding=SPEC.format.encoding) for p in report.files)
    sections = truth["planted"]
    assert all(sections[k] for k in ("names", "phones", "plates", "emails", "agent_ids", "user_ids"))
    # What the patterns find in the police files was planted: a scanner using them has no blind spot.
    assert set(PHONE_RE.findall(text)) <= set(sections["phones"])
    assert set(PLATE_RE.findall(text)) <= set(sections["plates"])
    assert EMAIL_RE.findall(text) == []  # the police feed carries no e-mail
    for name in sections["names"]:
        first, last = name.split(" ", 1)
        assert first in FIRST_NAMES and last in LAST_NAMES and last == last.upper()
    police_agents = {a for a in sections["agent_ids"] if re.fullmatch(r"PM\d{4}", a)}
    assert police_agents and len(police_agents) <= 450
    assert all(a in text for a in police_agents)


def test_narratives_often_hold_personal_data_and_the_person_column_is_mostly_empty(run) -> None:
    report, truth = run
    rows = [r for p in report.files for r in read_records(p)[1:] if len(r) == len(HEADERS)]
    names = truth["planted"]["names"]
    narratives = [r[COL["recit"]] for r in rows]
    with_name = sum(any(n in text for n in names) for text in narratives) / len(rows)
    with_phone = sum(bool(PHONE_RE.search(text)) for text in narratives) / len(rows)
    with_plate = sum(bool(PLATE_RE.search(text)) for text in narratives) / len(rows)
    empty_person = sum(r[COL["personne_pseudo"]] == "" for r in rows) / len(rows)
    assert with_name > 0.4 and with_phone > 0.15 and with_plate > 0.15
    assert 0.62 <= empty_person <= 0.78


@pytest.mark.parametrize("text", ["06 12 34 56 78", "0612345678", "04.91.55.11.11", "+33 6 12 34 56 78"])
def test_phone_pattern_matches_french_numbers(text: str) -> None:
    assert PHONE_RE.fullmatch(text)


@pytest.mark.parametrize("text", ["MC-2026-000123", "43,296482", "PM0412", "29/03/2026 14:05"])
def test_phone_pattern_ignores_other_numbers(text: str) -> None:
    assert not PHONE_RE.search(text)


def test_plate_and_email_patterns() -> None:
    assert PLATE_RE.fullmatch("AB-123-CD")
    assert not PLATE_RE.search("MC-2026-000123")
    assert not PLATE_RE.search("IO-123-UU")  # letters never issued in SIV plates
    assert EMAIL_RE.fullmatch("sophie.martin@example.fr")


def test_planted_values_reads_every_section() -> None:
    planted = {
        "names": ["Jean DUPONT"],
        "phones": ["06 12 34 56 78"],
        "plates": ["AB-123-CD"],
        "emails": ["jean.dupont@example.org"],
        "agent_ids": ["PM0001"],
        "user_ids": ["usr_00000000ab"],
    }
    truth = {"planted": planted}
    assert planted_values(truth) == {"Jean DUPONT", "06 12 34 56 78", "AB-123-CD", "jean.dupont@example.org", "PM0001", "usr_00000000ab"}
    assert planted_values({}) == set()


def test_planted_emails_use_reserved_domains() -> None:
    import random

    rnd = random.Random(1)
    emails = [random_email(rnd) for _ in range(200)] + [random_email(rnd, "Élodie LEFÈVRE")]
    assert all(EMAIL_RE.fullmatch(e) and e.rsplit("@", 1)[1] in ("example.org", "example.net", "example.com") for e in emails)
    assert emails[-1].isascii()


def test_a_scale_the_six_digit_ids_cannot_hold_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="six-digit ids"):
        simulate(tmp_path, date(2026, 6, 20), 3, scale=12)
    assert not list(tmp_path.rglob("*.csv"))
