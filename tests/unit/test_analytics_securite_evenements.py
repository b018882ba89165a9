"""Events security analytics on small hand-made frames (no lake, no dbt)."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import securite_evenements as se
from orchestration.analytics.securite_evenements import baseline, doctrine, model, windows
from orchestration.analytics.securite_evenements.parameters import parameters, segments
from orchestration.core.catalog import use_cases
from orchestration.core.catalog.mart_schema import column_names

# As a dict, like the asset factory passes it to securite_evenements for now (see the temporary
# adapter in orchestration/defs/transform/analytics.py; removed when that module reads its typed model).
PARAMS = use_cases()["securite_evenements"].parameters.model_dump(mode="python")


def params(**override) -> dict:
    out = copy.deepcopy(PARAMS)
    for key, value in override.items():
        node = out
        *path, last = key.split("__")
        for k in path:
            node = node[k]
        node[last] = value
    return out


P = parameters(PARAMS)


def calendar(rows: list[dict]) -> pd.DataFrame:
    base = {"code_type_evenement": "CONCERT", "code_lieu": "DOME", "jauge_attendue": 5000, "code_statut": "PREVU", "planifie": False}
    return pd.DataFrame([{**base, **r} for r in rows])


# -- sessions and hours -----------------------------------------------------------------------
def test_single_session_floors_hours_and_counts_duration():
    cal = calendar([{"evenement_id": "E1", "debut_local": datetime(2026, 2, 7, 20, 30), "fin_local": datetime(2026, 2, 7, 23, 0)}])
    s = windows.sessions(cal, P)
    assert len(s) == 1
    assert s.loc[0, "debut_session"] == pd.Timestamp("2026-02-07 20:00")
    assert s.loc[0, "fin_session"] == pd.Timestamp("2026-02-07 23:00")
    assert s.loc[0, "duree_h"] == 3


def test_multi_day_event_is_one_session_per_day_and_cancelled_dropped():
    cal = calendar([
        {"evenement_id": "S", "code_type_evenement": "SALON", "debut_local": datetime(2026, 3, 6, 10), "fin_local": datetime(2026, 3, 8, 19)},
        {"evenement_id": "X", "code_statut": "ANNULE", "debut_local": datetime(2026, 3, 6, 20), "fin_local": datetime(2026, 3, 6, 22)},
    ])
    s = windows.sessions(cal, P)
    assert list(s["evenement_id"]) == ["S", "S", "S"]
    assert list(s["debut_session"].dt.day) == [6, 7, 8]
    assert (s["duree_h"] == 9).all()


def test_overnight_event_under_threshold_stays_one_session():
    cal = calendar([{"evenement_id": "F", "debut_local": datetime(2026, 6, 21, 18), "fin_local": datetime(2026, 6, 22, 1)}])
    s = windows.sessions(cal, P)
    assert len(s) == 1 and s.loc[0, "duree_h"] == 7


def test_event_hours_segments_cover_before_during_end_after():
    cal = calendar([{"evenement_id": "E1", "debut_local": datetime(2026, 2, 7, 20, 30), "fin_local": datetime(2026, 2, 7, 23, 0)}])
    h = windows.event_hours(windows.sessions(cal, P), P)
    assert list(h["heure_relative"]) == list(range(-3, 7))
    assert list(h["segment"]) == ["avant_3", "avant_2", "avant_1", "pendant", "pendant", "pendant", "fin", "apres_1", "apres_2", "apres_3"]
    assert list(h.loc[h["segment"] == "pendant", "n_segment"]) == [3, 3, 3]
    assert h["heure_locale"].iloc[0] == pd.Timestamp("2026-02-07 17:00")
    assert set(h["segment"]) == set(segments(P))


# -- proximity and baseline -------------------------------------------------------------------
VENUES = pd.DataFrame({"code_lieu": ["A", "B", "C"], "x_laea_50m": [0, 1000, 5000], "y_laea_50m": [0, 0, 0]})


def test_nearby_venues_uses_twice_the_radius():
    pairs = windows.nearby_venues(VENUES, 1500)
    assert set(map(tuple, pairs.to_numpy())) == {("A", "A"), ("B", "B"), ("C", "C"), ("A", "B"), ("B", "A")}


def test_counts_within_keeps_rings_inside_radius_and_refuses_uncovered_radius():
    facts = pd.DataFrame({"code_lieu": ["A"] * 3, "source": ["police_mains_courantes"] * 3,
                          "heure_locale": [pd.Timestamp("2026-01-10 20:00")] * 3, "distance_max_m": [50, 750, 800],
                          "nb_faits": [2, 1, 5], "rayon_couvert_m": [1000] * 3})
    c = baseline.counts_within(facts, P)
    assert c["nb_faits"].tolist() == [3]
    with pytest.raises(ValueError):
        baseline.counts_within(facts, parameters(params(rayon_m=1200)))


def _hours_for(start: str, venue: str = "A", ev: str = "E") -> pd.DataFrame:
    cal = calendar([{"evenement_id": ev, "code_lieu": venue, "debut_local": pd.Timestamp(start), "fin_local": pd.Timestamp(start) + timedelta(hours=2)}])
    return windows.event_hours(windows.sessions(cal, P), P)


def test_baseline_uses_nearest_event_free_weeks_and_excess_is_the_difference():
    hours = _hours_for("2026-02-14 20:00")
    target = pd.Timestamp("2026-02-14 20:00")
    # 1 fact every week at 20:00 at venue A, 6 during the event.
    weeks = [target + timedelta(days=7 * k) for k in range(-6, 7)]
    counts = pd.DataFrame({"code_lieu": "A", "source": "police_mains_courantes", "heure_locale": weeks,
                           "nb_faits": [6 if t == target else 1 for t in weeks]})
    # another event one week earlier makes that hour busy: it is skipped.
    other = _hours_for("2026-02-07 20:00", ev="O")
    busy = windows.busy_hours(pd.concat([hours, other]), VENUES, P)
    cov = (pd.Timestamp("2026-01-01 00:00"), pd.Timestamp("2026-04-30 23:00"))
    exc = baseline.excess(hours, counts, busy, cov, P)
    row = exc[(exc["source"] == "police_mains_courantes") & (exc["heure_locale"] == target)].iloc[0]
    assert row["nb_heures_reference"] == P.semaines_reference
    assert row["reference"] == pytest.approx(1.0)
    assert row["observe"] == 6 and row["exces"] == pytest.approx(5.0)
    assert not row["chevauchement"]


def test_hours_outside_coverage_have_no_observed_value_but_a_baseline():
    hours = _hours_for("2026-05-20 20:00")
    counts = pd.DataFrame({"code_lieu": "A", "source": "police_mains_courantes",
                           "heure_locale": [pd.Timestamp("2026-05-13 20:00")], "nb_faits": [4]})
    busy = windows.busy_hours(hours, VENUES, P)
    exc = baseline.excess(hours, counts, busy, (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-05-15 23:00")), P)
    r = exc[(exc["source"] == "police_mains_courantes") & (exc["heure_locale"] == pd.Timestamp("2026-05-20 20:00"))].iloc[0]
    assert np.isnan(r["observe"])
    assert r["reference"] == pytest.approx(4 / P.semaines_reference)


def test_baseline_shrinks_towards_hourly_mean():
    hours = _hours_for("2026-02-14 20:00")
    counts = pd.DataFrame(columns=["code_lieu", "source", "heure_locale", "nb_faits"])
    means = pd.DataFrame({"code_lieu": ["A"], "source": ["police_mains_courantes"], "jour_semaine": [5], "heure": [20], "moyenne_horaire": [2.0]})
    busy = windows.busy_hours(hours, VENUES, P)
    exc = baseline.excess(hours, counts, busy, (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-30 23:00")), P, means)
    r = exc[(exc["source"] == "police_mains_courantes") & (exc["heure_locale"] == pd.Timestamp("2026-02-14 20:00"))].iloc[0]
    w = P.poids_moyenne_horaire
    assert r["reference"] == pytest.approx(w * 2.0 / (P.semaines_reference + w))


def test_overlapping_events_are_flagged():
    h1 = _hours_for("2026-02-14 20:00", venue="A", ev="E1")
    h2 = _hours_for("2026-02-14 21:00", venue="B", ev="E2")  # 1 km away: discs of 750 m meet
    hours = pd.concat([h1, h2], ignore_index=True)
    busy = windows.busy_hours(hours, VENUES, P)
    exc = baseline.excess(hours, pd.DataFrame(columns=["code_lieu", "source", "heure_locale", "nb_faits"]), busy,
                    (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-30 23:00")), P)
    assert exc[exc["evenement_id"] == "E1"]["chevauchement"].any()


def test_day_type():
    import holidays

    fr = holidays.country_holidays("FR", years=[2026])
    assert windows.day_type(date(2026, 5, 1), fr) == "ferie"
    assert windows.day_type(date(2026, 5, 2), fr) == "week_end"
    assert windows.day_type(date(2026, 5, 5), fr) == "semaine"


# -- the model --------------------------------------------------------------------------------
def _simulated_rows(rates: dict[str, float], n_events: int = 60, seed: int = 3) -> pd.DataFrame:
    """Event hours with a known excess per 1,000 attendees and a known profile on a Poisson baseline."""
    rng = np.random.default_rng(seed)
    segs = segments(P)
    profile = dict(zip(segs, [0.05, 0.1, 0.2, 0.25, 0.25, 0.1, 0.05, 0.0], strict=True))
    rows = []
    for i in range(n_events):
        t = list(rates)[i % len(rates)]
        att = float(rng.uniform(2000, 60000))
        dur = 3
        for rel in range(-3, dur + 4):
            seg = f"avant_{-rel}" if rel < 0 else "pendant" if rel < dur else ("fin" if rel == dur else f"apres_{rel - dur}")
            n_seg = dur if seg == "pendant" else 1
            b = 1.0
            mu = b + att / 1000 * rates[t] * profile[seg] / n_seg
            rows.append({"evenement_id": f"E{i}", "session": 1, "heure_relative": rel, "segment": seg, "n_segment": n_seg,
                         "code_type_evenement": t, "jauge_attendue": att, "type_jour": "semaine", "pluie": False,
                         "reference": b, "poids_reference": 8.0, "observe": float(rng.poisson(mu))})
    return pd.DataFrame(rows)


def test_fit_recovers_rates_and_profile():
    rates = {"MATCH_FOOTBALL": 1.5, "SALON": 0.3}
    rows = _simulated_rows(rates, n_events=80)
    fit = model.fit_model(rows, "police_mains_courantes", segments(P), P)
    for t, r in rates.items():
        est, lo, hi = fit.rate_per_1000(t)
        assert lo <= r <= hi, (t, est, lo, hi)
        assert est == pytest.approx(r, rel=0.25)
    w = dict(zip(fit.segments, fit.weights, strict=True))
    assert w["pendant"] == pytest.approx(0.25, abs=0.06)
    assert w["apres_3"] < 0.03


def test_unseen_type_gets_overall_rate_and_prediction_interval_is_ordered():
    rows = _simulated_rows({"CONCERT": 0.8}, n_events=40)
    fit = model.fit_model(rows, "police_mains_courantes", segments(P), P)
    new = rows.head(10).assign(code_type_evenement="FEU_ARTIFICE")
    pred = fit.predict(new, 0.9)
    assert (pred["exces_bas"] <= pred["exces_attendu"]).all() and (pred["exces_attendu"] <= pred["exces_haut"]).all()
    assert fit.rate_per_1000("FEU_ARTIFICE")[0] == pytest.approx(np.exp(fit.beta[0]))


# -- staffing ---------------------------------------------------------------------------------
def _forecast(exces_haut: dict[str, float], jauge: int = 12_345) -> pd.DataFrame:
    rows = []
    for source, e in exces_haut.items():
        for rel, seg in zip(range(-4, 5), ["avant_4", "avant_3", "avant_2", "avant_1", "pendant", "fin", "apres_1", "apres_2", "apres_3"], strict=True):
            rows.append({"evenement_id": "E", "session": 1, "heure_relative": rel, "jour": date(2026, 6, 1),
                         "heure_locale": pd.Timestamp("2026-06-01 20:00") + timedelta(hours=rel), "segment": seg,
                         "code_type_evenement": "CONCERT", "code_lieu": "DOME", "jauge_attendue": jauge, "planifie": True,
                         "source": source, "exces_haut": e})
    return pd.DataFrame(rows)


def test_staffing_follows_the_doctrine():
    d = P.doctrine
    fc = _forecast({"police_mains_courantes": 3.2, "csu_evenements": 1.1, "marins_pompiers_interventions": 2.0})
    out = doctrine.staffing(fc, d).set_index("heure_relative")
    by_facts = int(np.ceil((3.2 + 1.1) * d.agents_par_fait_attendu))
    by_gauge = int(np.ceil(12.345 * d.agents_min_pour_1000))
    assert out.loc[0, "agents_selon_faits"] == by_facts
    assert out.loc[0, "agents"] == max(by_facts, by_gauge)
    # presence window: the minimum applies from presence_avant_h before the start
    assert out.loc[-d.presence_avant_h, "agents_minimum_jauge"] == by_gauge
    assert out.loc[-d.presence_avant_h - 1, "agents_minimum_jauge"] == 0
    barriers = max(int(np.ceil(12.345 * d.barrieres_pour_1000)), d.barrieres_min_par_lieu)
    assert out.loc[-d.barrieres_pose_h, "barrieres"] == barriers
    assert out.loc[-d.barrieres_pose_h - 1, "barrieres"] == 0
    assert out.loc[0, "interventions_secours_haut"] == pytest.approx(2.0)


def test_small_event_gets_the_minimum_barriers():
    d = P.doctrine
    out = doctrine.staffing(_forecast({"police_mains_courantes": 0.0}, jauge=300), d)
    assert out["barrieres"].max() == d.barrieres_min_par_lieu
    assert out["agents"].max() == int(np.ceil(0.3 * d.agents_min_pour_1000))


# -- marts end to end on a tiny city ---------------------------------------------------------
def tiny_inputs(seed: int = 5) -> dict[str, pd.DataFrame]:
    """Ten weeks, two venues, weekly events with a planted excess, one planned event after the data."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2026-01-05 00:00")
    last = pd.Timestamp("2026-03-15 23:00")
    events = []
    for i, day in enumerate(pd.date_range("2026-01-09", "2026-03-13", freq="7D")):
        t = "MATCH_FOOTBALL" if i % 2 else "CONCERT"
        events.append({"evenement_id": f"E{i:02d}", "code_type_evenement": t, "type_evenement": t, "code_lieu": "A", "lieu": "A",
                       "code_quartier": "1320808", "debut_local": day + timedelta(hours=20), "fin_local": day + timedelta(hours=22),
                       "jour_debut": day.date(), "jour_fin": day.date(), "jauge_attendue": 30000 if t == "MATCH_FOOTBALL" else 5000,
                       "code_statut": "PREVU", "planifie": False, "dernier_jour_observe": last.date()})
    events.append({**events[-1], "evenement_id": "P01", "debut_local": pd.Timestamp("2026-03-27 20:00"), "fin_local": pd.Timestamp("2026-03-27 22:00"),
                   "jour_debut": date(2026, 3, 27), "jour_fin": date(2026, 3, 27), "planifie": True})
    cal = pd.DataFrame(events)
    hours = pd.date_range(first, last, freq="h")
    rows = []
    for source in se.SOURCES:
        base = rng.poisson(0.5, len(hours))
        frame = pd.DataFrame({"code_lieu": "A", "source": source, "heure_locale": hours, "distance_max_m": 300, "nb_faits": base})
        rows.append(frame)
    facts = pd.concat(rows, ignore_index=True)
    for e in events[:-1]:
        rate = 1.5 if e["code_type_evenement"] == "MATCH_FOOTBALL" else 0.8
        start = e["debut_local"]
        for rel, share in {-1: 0.3, 0: 0.2, 1: 0.2, 2: 0.3}.items():
            n = rng.poisson(e["jauge_attendue"] / 1000 * rate * share)
            mask = (facts["heure_locale"] == start + timedelta(hours=rel))
            facts.loc[mask, "nb_faits"] += n
    facts = facts[facts["nb_faits"] > 0].assign(rayon_couvert_m=1000)
    return {
        se.CALENDAR: cal,
        se.VENUES: pd.DataFrame({"code_lieu": ["A", "B"], "lieu": ["A", "B"], "code_quartier": ["1320808", "1320101"],
                                 "x_laea_50m": [0, 9000], "y_laea_50m": [0, 0]}),
        se.FACTS: facts,
        se.COVERAGE: pd.DataFrame({"source": list(se.SOURCES), "premiere_heure_locale": first, "derniere_heure_locale": last}),
        se.RAIN: pd.DataFrame({"heure_locale": hours, "pluie_mm": 0.0}),
    }


def test_marts_have_stable_columns_and_dtypes():
    inputs = tiny_inputs()
    exc = se.compute_exces(inputs, PARAMS)
    assert list(exc.columns) == column_names("securite_evenements_exces_heure")
    assert exc["observe"].dtype == "int64" and exc["exces"].dtype == "float64"
    assert isinstance(exc["jour"].iloc[0], date)
    fc = se.compute_prevision(inputs, PARAMS)
    assert list(fc.columns) == column_names("securite_evenements_prevision_heure")
    assert fc["planifie"].any() and set(fc[fc["planifie"]]["evenement_id"]) == {"P01"}
    assert (fc["exces_bas"] <= fc["exces_attendu"]).all() and (fc["exces_attendu"] <= fc["exces_haut"]).all()
    disp = se.compute_dispositif(inputs, PARAMS)
    assert list(disp.columns) == column_names("securite_evenements_dispositif")
    assert disp["agents"].dtype == "int64" and (disp["agents"] >= 0).all()
    q = se.compute_qualite(inputs, PARAMS)
    assert list(q.columns) == column_names("securite_evenements_qualite")
    assert not q.duplicated(["perimetre", "indicateur"]).any()
    assert {"backtest_mae_heure_modele", "backtest_mae_heure_naif", "nb_evenements_planifies"} <= set(q["indicateur"])
    assert q.set_index(["perimetre", "indicateur"]).loc[("global", "nb_evenements_planifies"), "valeur"] == 1


def test_excess_mart_recovers_planted_excess_in_tiny_city():
    exc = se.compute_exces(tiny_inputs(), PARAMS)
    football = exc[(exc["code_type_evenement"] == "MATCH_FOOTBALL") & (exc["source"] == "police_mains_courantes")]
    per_session = football.groupby("evenement_id")["exces"].sum()
    # planted: 30 x 1.5 = 45 per match
    assert per_session.mean() == pytest.approx(45, rel=0.25)


def test_profile_baseline_solves_the_joint_score():
    e = np.array([0.0, 0.5, 2.0, 0.3])
    y = np.array([3.0, 0.0, 5.0, 2.0])
    s = np.array([4.0, 2.0, 0.0, 6.0])
    k = np.array([4.0, 8.0, 4.0, 6.0])
    b = model.profile_baseline(e, y, s, k)
    # no event term: the pooled mean of the hour and its comparables
    assert b[0] == pytest.approx((3 + 4) / 5)
    # comparables all zero: b = max(y - (k+1) e, 0) / (k+1)
    assert b[2] == pytest.approx(0.0)
    for i in (1, 3):
        score = s[i] / b[i] - k[i] + y[i] / (b[i] + e[i]) - 1
        assert score == pytest.approx(0.0, abs=1e-9)


# -- no data yet: empty inputs, no past event, a source not delivered -------------------------
MARTS = [(se.compute_exces, column_names("securite_evenements_exces_heure")), (se.compute_prevision, column_names("securite_evenements_prevision_heure")),
         (se.compute_dispositif, column_names("securite_evenements_dispositif")), (se.compute_qualite, column_names("securite_evenements_qualite"))]


def _empty_inputs() -> dict[str, pd.DataFrame]:
    return {k: v.iloc[0:0] for k, v in tiny_inputs().items()}


def _only_planned_inputs() -> dict[str, pd.DataFrame]:
    inputs = tiny_inputs()
    cal = inputs[se.CALENDAR]
    return {**inputs, se.CALENDAR: cal[cal["planifie"]].reset_index(drop=True)}


def _quality(q: pd.DataFrame) -> dict[tuple[str, str], float]:
    return q.set_index(["perimetre", "indicateur"])["valeur"].to_dict()


@pytest.mark.parametrize(("compute", "columns"), MARTS, ids=lambda x: getattr(x, "__name__", ""))
def test_empty_inputs_give_marts_with_the_normal_columns_and_dtypes(compute, columns):
    normal = compute(tiny_inputs(), PARAMS)
    out = compute(_empty_inputs(), PARAMS)
    assert list(out.columns) == columns
    assert out.dtypes.to_dict() == normal.dtypes.to_dict()
    if compute is not se.compute_qualite:
        assert out.empty


def test_coverage_with_a_source_not_delivered_is_empty():
    cov = tiny_inputs()[se.COVERAGE]
    assert not windows.has_coverage(windows.common_coverage(cov.iloc[0:0]))
    assert not windows.has_coverage(windows.common_coverage(cov.iloc[1:]))
    assert not windows.has_coverage(windows.common_coverage(cov.assign(premiere_heure_locale=[cov["premiere_heure_locale"].iloc[0], pd.NaT, pd.NaT])))
    assert windows.has_coverage(windows.common_coverage(cov))


def test_empty_inputs_quality_says_the_data_is_insufficient():
    q = _quality(se.compute_qualite(_empty_inputs(), PARAMS))
    for ind in ("fenetre_jours", "nb_evenements_observes", "nb_evenements_planifies", "nb_sessions_apprentissage"):
        assert q[("global", ind)] == 0
    for source in se.SOURCES:
        assert q[(source, "nb_heures_apprentissage")] == 0 and q[(source, "backtest_nb_heures")] == 0


@pytest.mark.parametrize(("compute", "columns"), MARTS, ids=lambda x: getattr(x, "__name__", ""))
def test_only_planned_events_do_not_crash(compute, columns):
    normal = compute(tiny_inputs(), PARAMS)
    out = compute(_only_planned_inputs(), PARAMS)
    assert list(out.columns) == columns
    assert out.dtypes.to_dict() == normal.dtypes.to_dict()
    if compute is se.compute_exces:
        assert out.empty  # nothing observed yet
    if compute is se.compute_qualite:
        q = _quality(out)
        assert q[("global", "nb_evenements_observes")] == 0 and q[("global", "nb_evenements_planifies")] == 1
        assert q[("global", "nb_sessions_apprentissage")] == 0 and q[("global", "fenetre_jours")] > 0
        assert not any(ind == "dispersion" for _, ind in q)


def test_source_not_delivered_gives_empty_marts():
    inputs = tiny_inputs()
    cov = inputs[se.COVERAGE]
    inputs = {**inputs, se.FACTS: inputs[se.FACTS][inputs[se.FACTS]["source"] != "csu_evenements"],
              se.COVERAGE: cov.assign(premiere_heure_locale=cov["premiere_heure_locale"].where(cov["source"] != "csu_evenements"),
                                      derniere_heure_locale=cov["derniere_heure_locale"].where(cov["source"] != "csu_evenements"))}
    assert se.compute_exces(inputs, PARAMS).empty
    assert se.compute_dispositif(inputs, PARAMS).empty
    assert _quality(se.compute_qualite(inputs, PARAMS))[("global", "fenetre_jours")] == 0


def test_quality_suites_accept_the_empty_marts():
    from quality.gate import validate_mart

    inputs = _empty_inputs()
    for name, (compute, _) in zip(["exces_heure", "prevision_heure", "dispositif", "qualite"], MARTS, strict=True):
        result = validate_mart(f"securite_evenements_{name}", compute(inputs, PARAMS))
        assert result.success, (name, result.failed)
    assert validate_mart("securite_evenements_calendrier", tiny_inputs()[se.CALENDAR].iloc[0:0]).success
