"""Truth: the events-security marts recover the event effects the simulator planted.

The simulator (simulator/incidents.py, ``day_points`` section (b)) adds, for every
non-cancelled event and each daily session, Poisson(attendance/1000 x per_1000_attendees[feed]
x type_multiplier[type]) extra rows within ``radius_m`` of the venue, spread over the hours
start-3 .. end+2 by ``profile``. The fit-quality mart reports the model's excess per 1,000
attendees per session for each source and type (weekday, dry: the planted effect depends on
neither) and the estimated profile. Sizes are read from the truth file
(tests/pipeline/effects.truth.yaml, not the defaults).

Tolerances:
- for every (source, type) whose planted extra rows over fully observed sessions total at least
  ``MIN_PLANTED`` (enough signal against the baseline noise), the recovered rate is within
  ``REL_TOL`` (25 %) of per_1000_attendees x type_multiplier;
- for every (source, type) with at least ``MIN_SESSIONS`` sessions, the planted rate lies inside
  the model's 95 % interval;
- the profile share of the event's own hours and of its end hour within ``PROFILE_TOL`` (0.07).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from orchestration.core.catalog import use_cases
from orchestration.core.publishing import read_mart

USE_CASE = "securite_evenements"
SOURCES = ("police_mains_courantes", "marins_pompiers_interventions")
MIN_PLANTED = 100.0
MIN_SESSIONS = 5
REL_TOL = 0.25
PROFILE_TOL = 0.07

pytestmark = pytest.mark.pipeline


def _quality(effects_lake) -> pd.DataFrame:
    q = read_mart(effects_lake.settings, "securite_evenements_qualite")
    return q.set_index(["perimetre", "indicateur"])["valeur"]


def _sessions(event: dict) -> int:
    start, end = datetime.fromisoformat(event["start"]), datetime.fromisoformat(event["end"])
    return 1 if end - start <= timedelta(hours=20) else (end.date() - start.date()).days + 1


def _planted(truth: dict) -> pd.DataFrame:
    """Planted extra rows and sessions per source and type, over events inside the simulated window."""
    cfg = truth["effects"]["config"]["events"]
    first = date.fromisoformat(truth["parameters"]["start"]) + timedelta(days=1)
    last = first + timedelta(days=int(truth["parameters"]["days"]) - 3)
    rows = []
    for e in truth["effects"]["instances"]["events"]:
        if e["status"] != "PREVU" or datetime.fromisoformat(e["start"]).date() < first or datetime.fromisoformat(e["end"]).date() > last:
            continue
        for source in SOURCES:
            rate = cfg["per_1000_attendees"][source] * cfg["type_multiplier"].get(e["type"], 1.0)
            n = _sessions(e)
            rows.append({"source": source, "type": e["type"], "taux": rate, "sessions": n,
                         "planted": n * e["attendance"] / 1000 * rate * float(truth["parameters"]["scale"])})
    return pd.DataFrame(rows).groupby(["source", "type"]).agg(taux=("taux", "first"), sessions=("sessions", "sum"), planted=("planted", "sum"))


def test_event_rates_per_1000_attendees_recovered(effects_lake):
    q = _quality(effects_lake)
    planted = _planted(effects_lake.truth)
    strong = planted[planted["planted"] >= MIN_PLANTED]
    assert len(strong) >= 2, "the window must hold at least two well-measured (source, type) pairs"
    checked = 0
    for (source, kind), row in planted.iterrows():
        key = f"{source}|{kind}"
        if (key, "taux_pour_1000_modele") not in q.index:
            continue
        est, lo, hi = (q[(key, f"taux_pour_1000_modele{s}")] for s in ("", "_ic_bas", "_ic_haut"))
        if row["planted"] >= MIN_PLANTED:
            assert abs(est - row["taux"]) <= REL_TOL * row["taux"], (key, est, row["taux"])
            checked += 1
        if row["sessions"] >= MIN_SESSIONS:
            assert lo <= row["taux"] <= hi, (key, lo, est, hi, row["taux"])
            checked += 1
    assert checked >= len(strong)


def test_hour_profile_recovered(effects_lake):
    q = _quality(effects_lake)
    profile = effects_lake.truth["effects"]["config"]["events"]["profile"]
    for source in SOURCES:
        assert q[(f"{source}|pendant", "part_profil")] == pytest.approx(profile["during"], abs=PROFILE_TOL)
        end_share = {int(k): v for k, v in profile["after_end"].items()}[0]
        assert q[(f"{source}|fin", "part_profil")] == pytest.approx(end_share, abs=PROFILE_TOL)
        before = {int(k): v for k, v in profile["before_start"].items()}[-1]
        assert q[(f"{source}|avant_1", "part_profil")] == pytest.approx(before, abs=PROFILE_TOL)


def test_backtest_reported_and_model_beats_naive_on_police_and_fire_brigade(effects_lake):
    q = _quality(effects_lake)
    for source in SOURCES:
        model, naive = q[(source, "backtest_mae_heure_modele")], q[(source, "backtest_mae_heure_naif")]
        assert model <= naive, (source, model, naive)
        assert (source, "backtest_biais_heure_modele") in q.index


def test_planned_events_have_forecast_and_staffing(effects_lake):
    fc = read_mart(effects_lake.settings, "securite_evenements_prevision_heure")
    disp = read_mart(effects_lake.settings, "securite_evenements_dispositif")
    cal = read_mart(effects_lake.settings, "securite_evenements_calendrier")
    planned = set(cal[cal["planifie"] & (cal["code_statut"] == "PREVU")]["evenement_id"])
    assert planned, "the calendar is published ahead: some events are planned"
    assert planned <= set(fc[fc["planifie"]]["evenement_id"])
    assert planned <= set(disp[disp["planifie"]]["evenement_id"])
    assert (disp[disp["planifie"]].groupby("evenement_id")["agents"].max() > 0).all()


def test_services_marts_published_to_gold(effects_lake):
    uc = use_cases()[USE_CASE]
    for mart in uc.marts:
        if mart.published:
            assert (effects_lake.settings.gold / mart.name / "_delta_log").is_dir(), mart.name
