"""Calendars, effect sizes, the truth's effect instances, and the planted effects themselves:
with amplified sizes, each effect is plainly visible in the feeds it must move."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from orchestration.core.catalog import feed
from orchestration.core.settings import REFERENCE_DIR
from simulator import DirtRates, simulate
from simulator.calendar import REFERENCE, is_school_day, public_holidays, school_holiday, school_periods
from simulator.effects import EffectsError, load_effects
from tests.unit.test_simulator_formats import DAYS, SEED, START, files_of, read_file

AMPLIFIED = {
    "lighting_outage": {"night_multiplier": {"police_mains_courantes": 60, "baac": 60}, "sector_outages_per_day": 3.0},
    "events": {"per_1000_attendees": {"police_mains_courantes": 6.0}},
    "schools": {"extra_per_school_window": {"police_mains_courantes": 0.4}},
    "rain": {"multiplier": {"baac": 8.0}},
    "night_life": {"quartiers": {"1320104": 15.0}},
    "anomalies": {"per_month": 0, "bursts": [
        {"feed": "police_mains_courantes", "quartier": "1321303", "category": "VOL", "start": "2019-01-08", "days": 3, "multiplier": 60},
    ]},
}


# --- calendars ---------------------------------------------------------------------------------


def test_public_holidays() -> None:
    easter_mondays = [date(2018, 4, 2), date(2019, 4, 22), date(2024, 4, 1), date(2025, 4, 21), date(2026, 4, 6), date(2027, 3, 29)]
    assert all(public_holidays(d.year)[d] == "Lundi de Pâques" for d in easter_mondays)
    days = public_holidays(2026)
    assert len(days) == 11
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25), date(2026, 7, 14), date(2026, 11, 11)} <= set(days)
    assert days[date(2026, 5, 14)] == "Ascension" and days[date(2026, 5, 25)] == "Lundi de Pentecôte"


def test_zone_b_school_holidays() -> None:
    assert school_holiday(date(2019, 2, 9)) == "Hiver" and school_holiday(date(2019, 2, 8)) is None
    assert school_holiday(date(2019, 2, 25)) is None  # classes resumed on Monday 25 February
    assert school_holiday(date(2026, 2, 14)) == "Hiver" and school_holiday(date(2026, 3, 2)) is None
    assert school_holiday(date(2025, 4, 21)) == "Printemps"
    assert school_holiday(date(2018, 12, 25)) == "Noël" and school_holiday(date(2019, 1, 7)) is None
    assert school_holiday(date(2020, 8, 15)) == "Été"
    assert school_holiday(date(2021, 4, 24)) == "Printemps"  # the arrêté's dates (not the COVID change)
    periods = sorted(school_periods(), key=lambda p: p.first)
    assert all(a.last < b.first for a, b in itertools.pairwise(periods))
    assert all(p.first <= p.last and p.status == REFERENCE for p in periods)
    assert {f"{y}-{y + 1}" for y in range(2014, 2028)} <= {p.school_year for p in periods}


def test_school_days() -> None:
    assert is_school_day(date(2019, 1, 7)) and not is_school_day(date(2019, 1, 5))
    assert not is_school_day(date(2019, 1, 9), "ecole") and is_school_day(date(2019, 1, 9), "secondaire")
    assert is_school_day(date(2017, 11, 8), "ecole")  # Wednesday mornings before September 2018
    assert not is_school_day(date(2019, 5, 1))  # public holiday


# --- effect sizes ------------------------------------------------------------------------------


def test_effects_defaults_merge_and_validation(tmp_path: Path) -> None:
    config, dirt = load_effects()
    assert dirt is None and config["events"]["radius_m"] == 700
    merged, _ = load_effects({"rain": {"multiplier": {"baac": 3.0}}})
    assert merged["rain"]["multiplier"]["baac"] == 3.0 and merged["rain"]["multiplier"]["police_mains_courantes"] == 1.6
    path = tmp_path / "effects.yaml"
    path.write_text("events:\n  radius_m: 900\ndirt:\n  bad_date: 0.01\n", encoding="utf-8")
    from_file, dirt = load_effects(path)
    assert from_file["events"]["radius_m"] == 900 and dirt == {"bad_date": 0.01}
    with pytest.raises(EffectsError, match="unknown effects section"):
        load_effects({"earthquake": {}})
    with pytest.raises(EffectsError, match="does not declare"):
        load_effects({"night_life": {"categories": {"police_mains_courantes": ["FOO"]}}})
    with pytest.raises(EffectsError, match="sum to"):
        load_effects({"events": {"profile": {"during": 0.9}}})
    with pytest.raises(EffectsError, match=">= 0"):
        load_effects({"schools": {"radius_m": -5}})


# --- planted effects, amplified ----------------------------------------------------------------


@pytest.fixture(scope="module")
def amplified(tmp_path_factory: pytest.TempPathFactory):
    landing = tmp_path_factory.mktemp("amplified")
    report = simulate(landing, START, DAYS, seed=SEED, scale=0.3, effects=AMPLIFIED, dirt=DirtRates.none())
    return report, json.loads(report.truth_path.read_text(encoding="utf-8"))


def _quartiers() -> dict[str, shapely.Geometry]:
    features = json.loads((REFERENCE_DIR / "quartiers-marseille.geojson").read_text(encoding="utf-8"))["features"]
    return {f["properties"]["code_qua"]: shape(f["geometry"]) for f in features}


def _police(report) -> dict[str, np.ndarray]:
    spec = feed("police_mains_courantes")
    rows = [r.values for p in files_of(report, spec.name) for r in read_file(p, spec)[1]]
    return {
        "when": np.array([datetime.strptime(r["Date et heure"], spec.format.datetime_format) for r in rows], dtype="datetime64[m]"),
        "code": np.array([r["Code nature"] for r in rows]),
        "lat": np.array([float(r["Latitude"].replace(",", ".")) for r in rows]),
        "lon": np.array([float(r["Longitude"].replace(",", ".")) for r in rows]),
    }


def _near(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray, metres: float) -> np.ndarray:
    return np.hypot((lon - lon0) * 81_000, (lat - lat0) * 111_320) <= metres


def test_truth_records_effect_sizes_and_instances(amplified) -> None:
    report, truth = amplified
    effects = truth["effects"]
    assert effects["config"]["events"]["per_1000_attendees"]["police_mains_courantes"] == 6.0
    assert truth["parameters"]["effects_source"] == "dict"
    instances = effects["instances"]
    assert instances["events"] and instances["lighting_outages"] and instances["wet_hours_local"]
    assert instances["anomalies"] == [{"feed": "police_mains_courantes", "quartier": "1321303", "category": "VOL",
                                       "start": "2019-01-08", "days": 3, "multiplier": 60.0, "origin": "explicit"}]
    realised = effects["realised"]["police_mains_courantes"]
    assert {"event", "lighting_outage", "school", "night_life", "anomaly"} <= set(realised)
    assert effects["realised"]["baac_caracteristiques_2005_2018"]["rain"] > 0
    assert truth["calendar"]["school_holidays_zone_b"] and truth["calendar"]["public_holidays"]
    # The calendar's events are the truth's events.
    spec = feed("evenements")
    delivered = {r.values["id"]: r.values for p in files_of(report, spec.name) for r in read_file(p, spec)[1]}
    for event in instances["events"]:
        if event["start"][:7] in {"2018-12", "2019-01"}:
            assert delivered[event["id"]]["jauge_attendue"] == event["attendance"]
            assert delivered[event["id"]]["lieu"] == event["venue"]
    # Outages repaired within the window are delivered, one row per lamp.
    spec = feed("eclairage_pannes")
    lamps = Counter(r.values["N° intervention"] for p in files_of(report, spec.name) for r in read_file(p, spec)[1])
    last_day = START + timedelta(days=DAYS - 1)
    repaired_inside = [o for o in instances["lighting_outages"] if START <= date.fromisoformat(o["repaired"][:10]) <= last_day]
    assert repaired_inside
    assert all(lamps[o["id"]] == o["lamps"] for o in repaired_inside)


def test_events_add_incidents_near_venues(amplified) -> None:
    report, truth = amplified
    police = _police(report)
    inside, outside_hours = 0, 0
    in_event = np.zeros(len(police["when"]), dtype=bool)
    total_event_hours = 0.0
    for event in truth["effects"]["instances"]["events"]:
        start = np.datetime64(event["start"][:16]) - np.timedelta64(3, "h")
        end = np.datetime64(event["end"][:16]) + np.timedelta64(3, "h")
        big = event["attendance"] >= 20_000
        if not big or event["status"] != "PREVU" or end < np.datetime64(START.isoformat()) or (end - start) > np.timedelta64(20, "h"):
            continue
        near = _near(event["longitude"], event["latitude"], police["lon"], police["lat"], 700)
        during = (police["when"] >= start) & (police["when"] <= end)
        inside += int((near & during).sum())
        in_event |= near & during
        total_event_hours += (end - start) / np.timedelta64(1, "h")
    venues = {(e["longitude"], e["latitude"]) for e in truth["effects"]["instances"]["events"] if e["attendance"] >= 20_000}
    near_any = np.zeros(len(police["when"]), dtype=bool)
    for lon, lat in venues:
        near_any |= _near(lon, lat, police["lon"], police["lat"], 700)
    outside_hours = int((near_any & ~in_event).sum())
    assert total_event_hours > 10
    rate_event = inside / total_event_hours
    rate_other = outside_hours / (DAYS * 24 * len(venues))
    assert rate_event > 5 * rate_other, (rate_event, rate_other)


def test_lighting_outages_multiply_night_incidents_nearby(amplified) -> None:
    report, truth = amplified
    police = _police(report)
    hour = police["when"].astype("datetime64[h]").astype(int) % 24
    night = (hour >= 19) | (hour < 6)
    dark_hits, dark_hours, lit_hits, lit_hours = 0, 0.0, 0, 0.0
    for outage in truth["effects"]["instances"]["lighting_outages"]:
        near = _near(outage["longitude"], outage["latitude"], police["lon"], police["lat"], 250) & night
        start, end = np.datetime64(outage["start"][:16]), np.datetime64(outage["repaired"][:16])
        during = (police["when"] >= start) & (police["when"] <= end)
        dark_hits += int((near & during).sum())
        lit_hits += int((near & ~during).sum())
        window = max((min(end, np.datetime64((START + timedelta(days=DAYS)).isoformat())) - max(start, np.datetime64(START.isoformat())))
                     / np.timedelta64(1, "h"), 0) * 11 / 24
        dark_hours += window
        lit_hours += DAYS * 11 - window
    assert dark_hours > 50
    assert dark_hits / dark_hours > 5 * max(lit_hits, 1) / lit_hours, (dark_hits, dark_hours, lit_hits, lit_hours)


def test_school_windows_add_incidents_near_schools_on_school_days(amplified) -> None:
    report, truth = amplified
    police = _police(report)
    folder = report.truth_path.parent / truth["reference_tables"]["folder"]
    schools = list(csv.DictReader(io.StringIO((folder / "schools.csv").read_text(encoding="utf-8"))))
    tree = shapely.STRtree([shapely.Point(float(s["longitude"]), float(s["latitude"])).buffer(150 / 90_000) for s in schools])
    near = np.zeros(len(police["lon"]), dtype=bool)
    hits, _ = tree.query(shapely.points(police["lon"], police["lat"]), predicate="within")
    near[hits] = True
    minutes = police["when"].astype("datetime64[m]").astype(int) % 1440
    window = ((minutes >= 8 * 60) & (minutes < 8 * 60 + 45)) | ((minutes >= 16 * 60 + 15) & (minutes < 17 * 60))
    days = police["when"].astype("datetime64[D]").astype(object)
    school_day = np.array([is_school_day(d, "secondaire") for d in days])
    weekday = np.array([d.weekday() < 5 for d in days])
    n_school = len({d for d, s in zip(days, school_day, strict=True) if s})
    n_off = len({d for d, s, w in zip(days, school_day, weekday, strict=True) if w and not s})
    on = (near & window & school_day).sum() / n_school
    off = max((near & window & weekday & ~school_day).sum(), 1) / n_off
    assert on > 4 * off, (on, off)


def test_rain_multiplies_accidents(amplified) -> None:
    report, truth = amplified
    wet = set(truth["effects"]["instances"]["wet_hours_local"])
    counts = Counter()
    for name in ("baac_caracteristiques_2005_2018", "baac_caracteristiques"):
        spec = feed(name)
        for path in files_of(report, name):
            for r in read_file(path, spec)[1]:
                v = r.values
                year = int(v["an"]) + (2000 if len(v["an"]) <= 2 else 0)
                hour = int(v["hrmn"][:2]) if ":" in v["hrmn"] else int(v["hrmn"]) // 100
                counts[f"{year}-{int(v['mois']):02d}-{int(v['jour']):02d}T{hour:02d}" in wet] += 1
    hours_total = (date(2020, 1, 1) - date(2018, 1, 1)).days * 24
    wet_rate = counts[True] / len(wet)
    dry_rate = counts[False] / (hours_total - len(wet))
    assert wet_rate > 3 * dry_rate, (counts, len(wet))


def test_night_life_quartier_and_weak_signal_burst(amplified) -> None:
    report, _ = amplified
    police = _police(report)
    quartiers = _quartiers()
    hour = police["when"].astype("datetime64[h]").astype(int) % 24
    night = (hour >= 22) | (hour <= 4)
    night_codes = np.isin(police["code"], ["TAP", "IVP", "RIX", "DEG"])
    opera = shapely.contains_xy(quartiers["1320104"], police["lon"], police["lat"])
    share_night = (opera & night & night_codes).sum() / (night & night_codes).sum()
    share_day = (opera & ~night & night_codes).sum() / (~night & night_codes).sum()
    assert share_night > 4 * share_day, (share_night, share_day)

    malpasse = shapely.contains_xy(quartiers["1321303"], police["lon"], police["lat"]) & (police["code"] == "VOL")
    day = police["when"].astype("datetime64[D]")
    burst = (day >= np.datetime64("2019-01-08")) & (day <= np.datetime64("2019-01-10"))
    assert (malpasse & burst).sum() / 3 > 8 * max((malpasse & ~burst).sum(), 1) / (DAYS - 3)


def test_scale_multiplies_volumes(tmp_path: Path) -> None:
    small = simulate(tmp_path / "small", date(2026, 3, 2), 4, seed=2, scale=0.2)
    large = simulate(tmp_path / "large", date(2026, 3, 2), 4, seed=2, scale=0.6)
    for name in ("police_mains_courantes", "marins_pompiers_interventions", "allo_mairie_demandes", "csu_evenements"):
        assert 2.4 <= large.rows[name] / small.rows[name] <= 3.6, name
    spec = feed("telecom_presence")  # a fixed quartier x hour grid whose counts scale
    totals = []
    for report in (small, large):
        path = files_of(report, spec.name)[0]
        values = [r.values["nb_residents"] for r in read_file(path, spec)[1] if r.values]
        totals.append(sum(int(v) for v in values if v.isdigit() and int(v) <= 200_000))  # dirt aside
    assert 2.7 <= totals[1] / totals[0] <= 3.3
