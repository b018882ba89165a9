"""Unit tests of the road-safety analytics on small hand-made frames (no lake, no dbt)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import securite_routiere as sr
from orchestration.core.catalog import use_cases
from orchestration.core.catalog.mart_schema import column_names

PARAMS = use_cases()["securite_routiere"].parameters


def _quartiers(counts: list[int], area: float = 1.0, perimetre: str = "BAAC 2018 réel") -> pd.DataFrame:
    n = len(counts)
    return pd.DataFrame({
        "perimetre": perimetre, "code_quartier": [f"13201{i:02d}" for i in range(n)], "nom_quartier": [f"Q{i}" for i in range(n)],
        "arrondissement": "13201", "surface_km2": area, "nb_annees": 1, "nb_accidents": counts,
        "nb_accidents_graves": [c // 4 for c in counts], "nb_accidents_nuit": 0, "nb_accidents_velo": 0,
        "taux_brut_km2_an": [c / area for c in counts],
    })


# -- small statistics ----------------------------------------------------------------------------
def test_poisson_exact_ci_known_values() -> None:
    lo, hi = sr.poisson_exact_ci(10, 1.0)
    assert lo == pytest.approx(4.795, abs=1e-3) and hi == pytest.approx(18.390, abs=1e-3)
    lo0, hi0 = sr.poisson_exact_ci(0, 2.0)
    assert lo0 == 0 and hi0 == pytest.approx(3.689 / 2, abs=1e-3)


def test_risk_ratio_matches_hand_computation() -> None:
    rr = sr.risk_ratio(20, 100, 10, 100)
    assert rr.ratio == pytest.approx(2.0)
    se = math.sqrt(1 / 20 - 1 / 100 + 1 / 10 - 1 / 100)
    assert rr.low == pytest.approx(2 * math.exp(-1.959964 * se), rel=1e-5)
    assert math.isnan(sr.risk_ratio(0, 10, 3, 10).ratio)


def test_gamma_prior_mean_is_city_rate() -> None:
    shape, rate = sr.gamma_prior(np.array([10, 20, 30, 100]), np.array([1.0, 1.0, 1.0, 1.0]))
    assert shape / rate == pytest.approx(40.0)


# -- hotspots --------------------------------------------------------------------------------------
def test_two_accidents_never_a_hotspot_even_on_a_tiny_quartier() -> None:
    frame = _quartiers([10] * 20 + [2], area=1.0)
    frame.loc[20, ["surface_km2", "taux_brut_km2_an"]] = [0.02, 100.0]  # 10x the city's rate per km²
    out = sr.hotspots_quartier(frame, PARAMS)
    tiny = out[out["code_quartier"] == "1320120"].iloc[0]
    assert tiny["taux_brut_km2_an"] == pytest.approx(100.0)
    assert not tiny["point_chaud"]
    assert tiny["taux_lisse_km2_an"] < tiny["taux_brut_km2_an"]  # shrunk towards the city


def test_clear_hotspot_flagged_and_ci_contains_estimate() -> None:
    out = sr.hotspots_quartier(_quartiers([10] * 20 + [80]), PARAMS)
    hot = out[out["code_quartier"] == "1320120"].iloc[0]
    assert hot["point_chaud"] and hot["rang"] == 1
    assert (out["ic_bas_lisse"] <= out["taux_lisse_km2_an"]).all() and (out["taux_lisse_km2_an"] <= out["ic_haut_lisse"]).all()
    assert out["point_chaud"].sum() == 1


def test_hotspots_computed_per_perimetre() -> None:
    frame = pd.concat([_quartiers([10] * 20 + [80]), _quartiers([10] * 21, perimetre="BAAC simulé 2026")])
    out = sr.hotspots_quartier(frame, PARAMS)
    assert out.groupby("perimetre")["point_chaud"].sum().to_dict() == {"BAAC 2018 réel": 1, "BAAC simulé 2026": 0}


def test_cell_hotspot_against_quartier_background() -> None:
    quartiers = _quartiers([100], area=4.0)
    acc = pd.DataFrame({
        "perimetre": "BAAC 2018 réel", "accident_id": [str(i) for i in range(100)], "code_quartier": "1320100",
        "carreau_200m": ["CRS3035RES200mN1E1"] * 20 + [f"CRS3035RES200mN{i}E2" for i in range(80)],
        "accident_grave": False, "implique_velo": False,
    })
    out = sr.hotspots_carreaux(acc, quartiers, PARAMS).set_index("carreau_200m")
    assert out.loc["CRS3035RES200mN1E1", "point_chaud"]
    assert out["point_chaud"].sum() == 1
    assert out.loc["CRS3035RES200mN1E1", "attendu_quartier"] == pytest.approx(100 / 4 * 0.04, rel=0.2)


# -- factors ---------------------------------------------------------------------------------------
def _accidents(rows: list[tuple[str, bool]], column: str = "code_lum") -> pd.DataFrame:
    return pd.DataFrame({column: [r[0] for r in rows], "accident_grave": [r[1] for r in rows]})


def test_categorical_effects_give_count_ratio_and_severity_rr() -> None:
    rows = [("5", False)] * 90 + [("5", True)] * 10 + [("4", True)] * 5 + [("4", False)] * 5
    out = pd.DataFrame(sr.categorical_effects(_accidents(rows), "BAAC 2018 réel", "eclairage", "code_lum", "5", sr.LUM_LIBELLES))
    counts = out[out["type_ratio"] == sr.RAPPORT_COMPTES].iloc[0]
    severe = out[out["type_ratio"] == sr.RISQUE_GRAVITE].iloc[0]
    assert counts["ratio"] == pytest.approx(10 / 100)
    assert severe["ratio"] == pytest.approx((5 / 10) / (10 / 100))
    assert severe["libelle_modalite"] == "Nuit avec éclairage public non allumé"
    assert set(out["modalite"]) == {"4"}  # the reference is not compared with itself


def test_hour_effects_recover_a_doubled_hour() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for month in range(1, 13):
        for hour in range(24):
            n = rng.poisson(20 * (2.0 if hour == 17 else 1.0))
            rows += [(month, hour)] * int(n)
    acc = pd.DataFrame(rows, columns=["mois", "heure"]).assign(annee=2018)
    out, fit = sr.hour_effects(acc, "BAAC 2018 réel", 10)
    h17 = next(r for r in out if r["modalite"] == "17h")
    assert h17["ic_bas"] < 2.0 < h17["ic_haut"] and h17["type_ratio"] == sr.RAPPORT_TAUX
    assert h17["exposition"] == 365
    assert 0.5 < fit["dispersion"] < 2


def _weather(days: int, wet_every: int) -> pd.DataFrame:
    start = date(2026, 1, 5)
    rows = [(start + timedelta(days=d), h, 1.0 if (d * 24 + h) % wet_every == 0 else 0.0) for d in range(days) for h in range(24)]
    return pd.DataFrame(rows, columns=["date_locale", "heure_locale", "pluie_mm"])


def test_rain_effect_uses_threshold_and_recovers_multiplier() -> None:
    rng = np.random.default_rng(5)
    weather = _weather(200, 7)
    lam = np.where(weather["pluie_mm"] >= 0.2, 3.0, 1.0) * np.where(weather["heure_locale"].between(7, 19), 0.6, 0.2)
    events = weather[["date_locale", "heure_locale"]].assign(n=rng.poisson(lam))
    rr, wet_h, dry_h = sr.rain_effect(events, weather, 0.2)
    assert rr.low < 3.0 < rr.high
    assert wet_h + dry_h == len(weather)
    # With a threshold above every hour's rain, no hour is wet: no ratio.
    assert math.isnan(sr.rain_effect(events, weather, 5.0)[0].ratio)


def test_rain_strata_ignore_hours_without_weather() -> None:
    weather = _weather(2, 5).iloc[:24]
    events = pd.DataFrame({"date_locale": [date(2026, 1, 6)], "heure_locale": [3], "n": [7]})  # day 2: no weather
    strata = sr.rain_strata(events, weather, 0.2)
    assert strata["a"].sum() + strata["b"].sum() == 0


# -- daylight and outages ---------------------------------------------------------------------------
def test_night_flags_winter_evening_and_summer_noon() -> None:
    dates = pd.Series([date(2026, 1, 15), date(2026, 1, 15), date(2026, 6, 21), date(2026, 6, 21)])
    hours = pd.Series([19, 12, 12, 21])
    assert sr.night_flags(dates, hours, PARAMS).tolist() == [True, False, False, True]


def test_night_flags_sunset_hour_in_january() -> None:
    # Marseille sunset mid-January is about 17:20 local: 17:30 is night, 16:30 is day.
    flags = sr.night_flags(pd.Series([date(2026, 1, 15)] * 2), pd.Series([16, 17]), PARAMS)
    assert flags.tolist() == [False, True]


def _outage(oid: str, x: float, start: datetime, end: datetime, lamps: int = 10) -> dict:
    return {"intervention_id": oid, "nb_points_lumineux": lamps, "x_centre": x, "y_centre": 0.0, "debut_local": start,
            "fin_local": end, "periode_debut": date(2026, 1, 5), "periode_fin": date(2026, 2, 28), "code_quartier": "1320101"}


def test_outage_exposure_excludes_neighbour_outages_from_reference() -> None:
    a = _outage("A", 0.0, datetime(2026, 1, 10, 18), datetime(2026, 1, 11, 9))
    b = _outage("B", 300.0, datetime(2026, 1, 20, 18), datetime(2026, 1, 21, 9))  # within 2 x 250 m
    exposure = sr.outage_exposure(pd.DataFrame([a, b]), date(2026, 1, 5), date(2026, 1, 31), PARAMS)
    a_rows = exposure[exposure["intervention_id"] == "A"]
    # B's dark night of 20 January is neither exposed nor reference for A's zone...
    assert not ((a_rows["date_locale"] == date(2026, 1, 20)) & (a_rows["heure_locale"] >= 19)).any()
    # ...but a far outage does not block anything.
    far = sr.outage_exposure(pd.DataFrame([a, {**b, "x_centre": 5000.0}]), date(2026, 1, 5), date(2026, 1, 31), PARAMS)
    far_a = far[far["intervention_id"] == "A"]
    assert ((far_a["date_locale"] == date(2026, 1, 20)) & (far_a["heure_locale"] >= 19)).any()
    assert a_rows["expose"].sum() > 10  # a winter night from 18:00 to 09:00 is ~14 dark hours
    assert not ((a_rows["heure_locale"] == 12) & a_rows["expose"]).any()  # noon is never a night hour


def test_outage_effect_recovers_planted_multiplier() -> None:
    rng = np.random.default_rng(11)
    outages, events = [], []
    for k in range(40):
        start = datetime(2026, 1, 6) + timedelta(days=k, hours=18)
        outages.append(_outage(f"O{k}", 2000.0 * k, start, start + timedelta(hours=40)))
    frame = pd.DataFrame(outages)
    exposure = sr.outage_exposure(frame, date(2026, 1, 5), date(2026, 2, 28), PARAMS)
    lam = np.where(exposure["expose"], 3.0, 1.0) * 0.05
    exposure = exposure.assign(n=rng.poisson(lam))
    events = exposure[exposure["n"] > 0][["intervention_id", "date_locale", "heure_locale", "n"]]
    rr, strata = sr.outage_effect(frame, events, exposure.drop(columns="n"))
    assert rr.low < 3.0 < rr.high
    assert strata["ta"].sum() == exposure["expose"].sum()


def test_outage_effects_filter_radius_lamps_categories_and_night() -> None:
    out_a = _outage("A", 0.0, datetime(2026, 1, 10, 18), datetime(2026, 1, 12, 9))
    out_small = _outage("S", 5000.0, datetime(2026, 1, 10, 18), datetime(2026, 1, 12, 9), lamps=2)
    near = pd.DataFrame([
        # inside, night, during the outage, counted category
        {"intervention_id": "A", "source": "Police municipale", "code": "RIX", "code_lum": None,
         "date_locale": date(2026, 1, 10), "heure_locale": 22, "distance_m": 100, "nb_evenements": 3},
        # too far
        {"intervention_id": "A", "source": "Police municipale", "code": "RIX", "code_lum": None,
         "date_locale": date(2026, 1, 10), "heure_locale": 22, "distance_m": 400, "nb_evenements": 50},
        # not a darkness category
        {"intervention_id": "A", "source": "Police municipale", "code": "STA", "code_lum": None,
         "date_locale": date(2026, 1, 10), "heure_locale": 22, "distance_m": 50, "nb_evenements": 50},
        # daytime
        {"intervention_id": "A", "source": "Police municipale", "code": "RIX", "code_lum": None,
         "date_locale": date(2026, 1, 11), "heure_locale": 12, "distance_m": 50, "nb_evenements": 50},
        # reference night
        {"intervention_id": "A", "source": "Police municipale", "code": "DEG", "code_lum": None,
         "date_locale": date(2026, 1, 25), "heure_locale": 23, "distance_m": 50, "nb_evenements": 2},
        # single-lamp-ish outage (below the declared minimum)
        {"intervention_id": "S", "source": "Police municipale", "code": "RIX", "code_lum": None,
         "date_locale": date(2026, 1, 10), "heure_locale": 22, "distance_m": 50, "nb_evenements": 50},
    ])
    police = pd.DataFrame({"date_locale": [date(2026, 1, 5), date(2026, 2, 28)], "heure_locale": [0, 0],
                           "code_nature": ["RIX", "RIX"], "nb_interventions": [1, 1]})
    accidents = pd.DataFrame(columns=["nature_donnees", "date_accident"])
    out = sr.outage_effects(pd.DataFrame([out_a, out_small]), near, accidents, police, PARAMS)
    row = out.set_index("source").loc["Police municipale"]
    assert row["nb_pannes"] == 1 and row["nb_evenements_panne"] == 3 and row["nb_evenements_reference"] == 2
    assert row["irr"] > 1 and row["perimetre"] == "Police municipale 2026"


def test_outage_radius_above_intermediate_join_refused() -> None:
    params = PARAMS.model_copy(update={"pannes": PARAMS.pannes.model_copy(update={"rayon_m": 800})})
    with pytest.raises(ValueError):
        sr.outage_effects(pd.DataFrame([_outage("A", 0.0, datetime(2026, 1, 10, 18), datetime(2026, 1, 11, 9))]),
                          pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), params)


# -- contracts ---------------------------------------------------------------------------------------
def test_facteurs_mart_columns_and_types_are_stable() -> None:
    rng = np.random.default_rng(2)
    n = 600
    acc = pd.DataFrame({
        "perimetre": "BAAC 2018 réel", "nature_donnees": "reel", "accident_id": [str(i) for i in range(n)], "annee": 2018,
        "mois": rng.integers(1, 13, n), "date_accident": None, "heure": rng.integers(0, 24, n),
        "code_lum": rng.choice(["1", "2", "3", "4", "5"], n), "code_intersection": rng.choice(["1", "2", "3"], n),
        "code_atm": rng.choice(["1", "2"], n), "accident_grave": rng.random(n) < 0.25, "implique_velo": rng.random(n) < 0.05,
    })
    empty = pd.DataFrame(columns=["date_locale", "heure_locale", "pluie_mm", "code_nature", "nb_interventions"])
    out = sr.compute_facteurs({"int_securite_routiere__accidents": acc, "int_securite_routiere__heures_meteo": empty,
                               "int_securite_routiere__police_heures": empty}, PARAMS)
    assert list(out.columns) == column_names("securite_routiere_facteurs")
    assert set(out["type_ratio"]) <= set(sr.TYPES_RATIO)
    assert out["nb_evenements"].dtype == "int64" and out["ratio"].dtype == "float64"
    assert (out["ic_bas"] <= out["ratio"]).all() and (out["ratio"] <= out["ic_haut"]).all()
    # Lighting and intersection have no exposure: never reported as a rate ratio.
    assert not ((out["facteur"].isin(["eclairage", "intersection", "velo"])) & (out["type_ratio"] == sr.RAPPORT_TAUX)).any()
    assert {"eclairage", "intersection", "velo", "heure", "meteo_declaree"} <= set(out["facteur"])


def test_a_small_perimeter_gets_insufficient_data_rows_and_the_gate_still_passes() -> None:
    """One perimeter with too few accidents (none at the reference hour) must not block the others."""
    from quality.gate import validate_mart

    rng = np.random.default_rng(3)
    n = 600
    big = pd.DataFrame({
        "perimetre": "BAAC 2018 réel", "nature_donnees": "reel", "accident_id": [str(i) for i in range(n)], "annee": 2018,
        "mois": rng.integers(1, 13, n), "date_accident": None, "heure": rng.integers(0, 24, n),
        "code_lum": rng.choice(["1", "2", "3", "4", "5"], n), "code_intersection": rng.choice(["1", "2", "3"], n),
        "code_atm": rng.choice(["1", "2"], n), "accident_grave": rng.random(n) < 0.25, "implique_velo": rng.random(n) < 0.05,
    })
    reference = int(PARAMS.facteurs.heure_reference)
    small = big.head(40).assign(perimetre="BAAC 2021 ONISR", annee=2021, accident_id=[f"s{i}" for i in range(40)],
                                heure=[(reference + 1 + i % 5) % 24 for i in range(40)])
    tiny = big.head(5).assign(perimetre="BAAC simulé 2030", annee=2030, accident_id=[f"t{i}" for i in range(5)])
    empty = pd.DataFrame(columns=["date_locale", "heure_locale", "pluie_mm", "code_nature", "nb_interventions"])
    params = PARAMS.model_copy(update={"facteurs": PARAMS.facteurs.model_copy(update={"min_accidents_perimetre": 30})})
    out = sr.compute_facteurs({"int_securite_routiere__accidents": pd.concat([big, small, tiny], ignore_index=True),
                               "int_securite_routiere__heures_meteo": empty, "int_securite_routiere__police_heures": empty}, params)
    insufficient = out[out["methode"] == sr.DONNEES_INSUFFISANTES]
    assert set(out.loc[out["perimetre"] == "BAAC simulé 2030", "methode"]) == {sr.DONNEES_INSUFFISANTES}
    hour = out[(out["perimetre"] == "BAAC 2021 ONISR") & (out["facteur"] == "heure")]
    assert hour["methode"].tolist() == [sr.DONNEES_INSUFFISANTES]
    assert insufficient["ratio"].isna().all() and out.loc[out["methode"] != sr.DONNEES_INSUFFISANTES, "ratio"].notna().all()
    assert (out["perimetre"] == "BAAC 2018 réel").sum() > 20  # the real extract is estimated as before
    verdict = validate_mart("securite_routiere_facteurs", out)
    assert verdict.success, verdict


def test_a_cells_quartier_is_its_most_frequent_the_smallest_code_on_a_tie() -> None:
    # What the per-cell ``Series.mode().iloc[0]`` gave: the most frequent code, the smallest on a tie.
    rng = np.random.default_rng(7)
    n = 600
    located = pd.DataFrame({
        "perimetre": rng.choice(["BAAC 2018 réel", "BAAC simulé 2026"], n),
        "carreau_200m": [f"CRS3035RES200mN{i}E1" for i in rng.integers(0, 60, n)],
        "code_quartier": [f"13201{i:02d}" for i in rng.integers(0, 4, n)],
    })
    cells = located.groupby(["perimetre", "carreau_200m"]).size().reset_index()[["perimetre", "carreau_200m"]]
    expected = located.groupby(["perimetre", "carreau_200m"])["code_quartier"].agg(lambda s: s.mode().iloc[0]).reset_index()
    got = sr._cell_quartiers(located, cells)
    assert got.tolist() == expected["code_quartier"].tolist()
    tie = pd.DataFrame({"perimetre": "p", "carreau_200m": "c", "code_quartier": ["1320102", "1320101", "1320102", "1320101"]})
    assert sr._cell_quartiers(tie, pd.DataFrame({"perimetre": ["p"], "carreau_200m": ["c"]})).tolist() == ["1320101"]


def test_cell_intervals_are_the_exact_interval_of_each_count() -> None:
    quartiers = _quartiers([100], area=4.0)
    acc = pd.DataFrame({
        "perimetre": "BAAC 2018 réel", "accident_id": [str(i) for i in range(30)], "code_quartier": "1320100",
        "carreau_200m": ["CRS3035RES200mN1E1"] * 5 + ["CRS3035RES200mN2E1"] * 5 + [f"CRS3035RES200mN{i}E2" for i in range(20)],
        "accident_grave": False, "implique_velo": False,
    })
    out = sr.hotspots_carreaux(acc, quartiers, PARAMS)
    for count, low, high in out[["nb_accidents", "ic_bas", "ic_haut"]].itertuples(index=False):
        assert (low, high) == sr.poisson_exact_ci(count, 1.0)
