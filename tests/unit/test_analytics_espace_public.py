"""Public-space analytics on small hand-made frames (no lake, no dbt)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from orchestration.analytics import espace_public as m
from orchestration.core.catalog import use_cases
from orchestration.core.catalog.mart_schema import column_names

PARAMS = use_cases()["espace_public"].parameters
START = date(2026, 3, 2)
DAYS = [START + timedelta(days=i) for i in range(100)]


def _pair(jour: date, a: tuple[str, str, str], b: tuple[str, str, str], distance: float, start: str, end: str) -> dict:
    day = datetime.combine(jour, datetime.min.time())
    h0, m0 = map(int, start.split(":"))
    h1, m1 = map(int, end.split(":"))
    return {"jour": jour, "type_a": a[0], "id_a": a[1], "detail_a": a[2], "code_quartier_a": "1320101",
            "type_b": b[0], "id_b": b[1], "detail_b": b[2], "code_quartier_b": "1320101",
            "debut_chevauchement": day + timedelta(hours=h0, minutes=m0),
            "fin_chevauchement": day + timedelta(hours=h1, minutes=m1), "distance_m": distance}


def test_conflicts_keep_the_declared_radius_and_drop_unrestricted_works() -> None:
    pairs = pd.DataFrame([
        _pair(START, ("chantier", "2026/000001", "ROUTE_BARREE"), ("marche", "MAR001", "FORAIN"), 100.0, "07:30", "13:30"),
        _pair(START, ("chantier", "2026/000002", "ROUTE_BARREE"), ("marche", "MAR001", "FORAIN"), 400.0, "07:30", "13:30"),
        _pair(START, ("chantier", "2026/000003", "AUCUNE"), ("marche", "MAR001", "FORAIN"), 50.0, "07:30", "13:30"),
        _pair(START, ("chantier", "2026/000001", "ROUTE_BARREE"), ("evenement", "EVT1", "CONCERT"), 120.0, "20:00", "00:00"),
    ])
    pairs.loc[3, "fin_chevauchement"] = datetime.combine(START + timedelta(days=1), datetime.min.time())
    out = m.compute_conflicts({"int_espace_public__chevauchements": pairs}, PARAMS)
    assert out["id_a"].tolist() == ["2026/000001", "2026/000001"]
    assert set(out["type_conflit"]) == {"chantier-marche", "chantier-evenement"}
    evening = out[out["type_b"] == "evenement"].iloc[0]
    assert (evening["heure_debut_chevauchement"], evening["heure_fin_chevauchement"]) == ("20:00", "24:00")
    assert list(out.columns) == column_names("espace_public_conflits") and isinstance(out["jour"].iloc[0], date)


def test_conflict_radius_beyond_the_search_bound_is_refused() -> None:
    empty = pd.DataFrame([_pair(START, ("chantier", "A", "ROUTE_BARREE"), ("marche", "M", "FORAIN"), 10.0, "08:00", "09:00")])
    with pytest.raises(ValueError, match="500 m"):
        m.compute_conflicts({"int_espace_public__chevauchements": empty}, PARAMS.model_copy(update={"rayon_conflit_m": 600}))


def test_quartiers_count_conflicts_and_days() -> None:
    pairs = pd.DataFrame([
        _pair(START, ("chantier", "A", "ROUTE_BARREE"), ("marche", "M1", "FORAIN"), 10.0, "08:00", "12:00"),
        _pair(START, ("chantier", "B", "ALTERNAT"), ("marche", "M1", "FORAIN"), 10.0, "08:00", "12:00"),
        _pair(START + timedelta(days=1), ("chantier", "A", "ROUTE_BARREE"), ("marche", "M1", "FORAIN"), 10.0, "08:00", "12:00"),
    ])
    out = m.compute_quartiers({"int_espace_public__chevauchements": pairs}, PARAMS).iloc[0]
    assert (out["nb_conflits"], out["nb_jours_avec_conflit"], out["nb_conflits_chantier_marche"]) == (3, 2, 3)


def _daily(levels: dict[date, int] | None = None) -> pd.DataFrame:
    rows = []
    for source, cats in PARAMS.categories.items():
        for d in DAYS:
            rows.append({"source": source, "jour_local": d, "code_categorie": cats[0], "nb_plaintes": (levels or {}).get(d, 100)})
    return pd.DataFrame(rows)


def test_day_levels_are_relative_to_the_mean_of_covered_days() -> None:
    levels = m.day_levels(_daily({DAYS[0]: 300}), PARAMS.categories)["allo_mairie_demandes"]
    assert levels.mean() == pytest.approx(1.0)
    assert levels.loc[DAYS[0]] == pytest.approx(3 * levels.loc[DAYS[1]])


def _works_inputs(during: int, before_after: int, restriction: str = "ROUTE_BARREE", distance: float = 50.0) -> dict[str, pd.DataFrame]:
    """One worksite active 20 days in the middle of the window; complaints spread evenly."""
    debut, fin = DAYS[40], DAYS[59]
    site = pd.DataFrame([{"arrete_id": "2026/000001", "debut": debut, "fin": fin, "nb_jours": 20, "code_nature": "VOIRIE",
                          "code_restriction": restriction, "code_quartier": "1320101", "x_laea_50m": 1025, "y_laea_50m": 1025}])
    rows = []
    for i in range(during):
        rows.append({"source": "allo_mairie_demandes", "plainte_id": f"D{i}", "code_categorie": "BRUIT",
                     "jour_local": debut + timedelta(days=i % 20), "arrete_id": "2026/000001", "distance_m": distance})
    for i in range(before_after):
        d = debut - timedelta(days=1 + i % 28) if i % 2 else fin + timedelta(days=1 + i % 28)
        rows.append({"source": "allo_mairie_demandes", "plainte_id": f"R{i}", "code_categorie": "BRUIT", "jour_local": d,
                     "arrete_id": "2026/000001", "distance_m": distance})
    return {
        "int_espace_public__chantiers": site,
        "int_espace_public__plaintes_chantiers": pd.DataFrame(
            rows, columns=["source", "plainte_id", "code_categorie", "jour_local", "arrete_id", "distance_m"]),
        "int_espace_public__seances": pd.DataFrame(columns=["marche_id", "jour", "code_statut", "code_type_marche",
                                                            "minute_ouverture", "minute_fermeture"]),
        "int_espace_public__plaintes_marches": pd.DataFrame(columns=["source", "plainte_id", "code_categorie", "jour_local",
                                                                     "minute_locale", "marche_id", "distance_m"]),
        "int_espace_public__plaintes_jour": _daily(),
    }


def test_worksite_excess_against_the_same_place_before_and_after() -> None:
    # 20 active days with 30 complaints; 56 reference days with 28 complaints: 0.5 a day expected.
    inputs = _works_inputs(during=30, before_after=28)
    levels = m.day_levels(inputs["int_espace_public__plaintes_jour"], PARAMS.categories)["allo_mairie_demandes"]
    strata = m.worksite_strata(inputs, PARAMS, "allo_mairie_demandes", levels)
    assert strata.iloc[0][["a", "b", "days_a"]].tolist() == [30, 28, 20]
    assert strata.iloc[0]["ta"] == pytest.approx(20) and strata.iloc[0]["tb"] == pytest.approx(56)
    out = m.compute_effects(inputs, PARAMS)
    row = out[(out["objet"] == "chantier") & (out["source"] == "allo_mairie_demandes") & (out["sous_groupe"] == "tous")].iloc[0]
    assert row["exces_par_jour_actif"] == pytest.approx((30 - 28 * 20 / 56) / 20)
    assert row["rapport_taux"] == pytest.approx((30 / 20) / (28 / 56))
    assert row["ic_bas"] < row["rapport_taux"] < row["ic_haut"]


def test_reference_spans_end_exactly_at_the_declared_days_and_a_missing_day_counts_nowhere() -> None:
    span = PARAMS.chantiers.jours_reference_avant_apres
    inputs = _works_inputs(during=0, before_after=0)
    debut, fin = DAYS[40], DAYS[59]
    days = [debut - timedelta(days=span), debut - timedelta(days=span + 1), debut, fin, fin + timedelta(days=span),
            fin + timedelta(days=span + 1), None]
    inputs["int_espace_public__plaintes_chantiers"] = pd.DataFrame(
        [{"source": "allo_mairie_demandes", "plainte_id": f"P{i}", "code_categorie": "BRUIT", "jour_local": d,
          "arrete_id": "2026/000001", "distance_m": 50.0} for i, d in enumerate(days)])
    levels = m.day_levels(inputs["int_espace_public__plaintes_jour"], PARAMS.categories)["allo_mairie_demandes"]
    strata = m.worksite_strata(inputs, PARAMS, "allo_mairie_demandes", levels)
    # During: the first and the last day; reference: the span's two far ends, not one day beyond.
    assert strata.iloc[0][["a", "b"]].tolist() == [2, 2]


def test_day_numbers_are_the_ordinals_of_the_dates_as_read() -> None:
    values = pd.Series([date(2026, 3, 1), pd.Timestamp("2026-03-02 23:30"), date(2026, 3, 1), None], dtype=object)
    numbers = m._day_numbers(values)
    assert numbers.tolist()[:3] == [date(2026, 3, 1).toordinal(), date(2026, 3, 2).toordinal(), date(2026, 3, 1).toordinal()]
    assert numbers[3] == m.NO_DAY


def test_complaints_beyond_the_radius_or_of_other_categories_are_ignored() -> None:
    inputs = _works_inputs(during=10, before_after=10, distance=250.0)
    out = m.compute_effects(inputs, PARAMS)
    row = out[(out["objet"] == "chantier") & (out["sous_groupe"] == "tous") & (out["source"] == "allo_mairie_demandes")].iloc[0]
    assert row["nb_plaintes_actif"] == 0 and row["nb_plaintes_reference"] == 0


def test_unrestricted_works_are_reported_apart_not_in_the_total() -> None:
    out = m.compute_effects(_works_inputs(during=30, before_after=28, restriction="AUCUNE"), PARAMS)
    works = out[(out["objet"] == "chantier") & (out["source"] == "allo_mairie_demandes")]
    assert set(works["sous_groupe"]) == {"AUCUNE"}


def test_a_busy_city_day_is_not_an_effect() -> None:
    # Complaints near the site double on its active days because the whole city doubles: no excess.
    inputs = _works_inputs(during=20, before_after=28)  # 1 a day during, 0.5 a day before and after
    levels = {d: (200 if DAYS[40] <= d <= DAYS[59] else 100) for d in DAYS}
    inputs["int_espace_public__plaintes_jour"] = _daily(levels)
    out = m.compute_effects(inputs, PARAMS)
    row = out[(out["objet"] == "chantier") & (out["source"] == "allo_mairie_demandes") & (out["sous_groupe"] == "tous")].iloc[0]
    assert row["rapport_taux"] == pytest.approx(1.0, rel=0.01)


def test_market_sessions_against_days_without_market_within_its_hours() -> None:
    sessions = pd.DataFrame([{"marche_id": "MAR001", "jour": d, "code_statut": "TENU", "code_type_marche": "FORAIN",
                              "minute_ouverture": 450, "minute_fermeture": 810} for d in DAYS if d.weekday() == 1])
    rows = []
    for i, d in enumerate(DAYS):
        held = d.weekday() == 1
        for k in range(2 if held else 1):
            rows.append({"source": "allo_mairie_demandes", "plainte_id": f"C{i}-{k}", "code_categorie": "PROPRETE",
                         "jour_local": d, "minute_locale": 600, "marche_id": "MAR001", "distance_m": 20.0})
        # Outside the market's hours (plus margins): never counted.
        rows.append({"source": "allo_mairie_demandes", "plainte_id": f"N{i}", "code_categorie": "PROPRETE",
                     "jour_local": d, "minute_locale": 22 * 60, "marche_id": "MAR001", "distance_m": 20.0})
    inputs = {**_works_inputs(0, 0), "int_espace_public__seances": sessions, "int_espace_public__plaintes_marches": pd.DataFrame(rows)}
    out = m.compute_effects(inputs, PARAMS)
    row = out[(out["objet"] == "marche") & (out["source"] == "allo_mairie_demandes") & (out["sous_groupe"] == "tous")].iloc[0]
    assert row["nb_jours_actifs"] == len(sessions)
    assert row["exces_par_jour_actif"] == pytest.approx(1.0)
    assert row["rapport_taux"] == pytest.approx(2.0)


def test_effects_contract_and_fit_quality_long_format() -> None:
    inputs = _works_inputs(during=30, before_after=28)
    out = m.compute_effects(inputs, PARAMS)
    assert list(out.columns) == column_names("espace_public_plaintes_effets")
    assert out["nb_plaintes_actif"].dtype == "int64" and out["exces_par_jour_actif"].dtype == "float64"
    assert not out.duplicated(["objet", "source", "sous_groupe"]).any()
    fit = m.compute_fit_quality(inputs, PARAMS)
    assert list(fit.columns) == column_names("espace_public_qualite")
    assert {"jours_couverts", "nb_chantiers_compares", "nb_marches_compares"} <= set(fit["indicateur"])
    assert not fit.duplicated(["perimetre", "indicateur"]).any()
    assert not any(isinstance(v, float) and math.isinf(v) for v in fit["valeur"])
