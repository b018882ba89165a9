"""School surroundings analytics on small hand-made frames (no lake, no dbt)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from orchestration.analytics import abords_scolaires as m
from orchestration.core.catalog import use_cases
from orchestration.core.catalog.mart_schema import column_names

PARAMS = use_cases()["abords_scolaires"].parameters
# Monday 2 March 2026 (classes) and Monday 16 February 2026 (zone-B winter holidays).
SCHOOL_MONDAY = date(2026, 3, 2)
HOLIDAY_MONDAY = date(2026, 2, 16)


def _schools() -> pd.DataFrame:
    return pd.DataFrame({
        "uai": ["0130001F", "0130002G", "0130003H"],
        "niveau": ["ecole", "college", "lycee"],
        "code_quartier": ["1320101", "1320101", "1320102"],
        "nom_quartier": ["Belsunce", "Belsunce", "Le Chapitre"],
        "x_laea_50m": [1025, 2025, 3025],
        "y_laea_50m": [1025, 1025, 1025],
    })


def _pair(incident: str, day: date, hhmm: str, uai: str = "0130001F", niveau: str = "ecole", cat: str = "STA",
          source: str = "police_mains_courantes", distance: float = 50.0, quartier: str = "1320101") -> dict:
    h, mi = map(int, hhmm.split(":"))
    return {"source": source, "incident_id": incident, "code_categorie": cat, "jour_local": day, "minute_locale": h * 60 + mi,
            "uai": uai, "niveau": niveau, "code_quartier_etablissement": quartier, "distance_m": distance}


def _covered(days: list[date]) -> pd.DataFrame:
    rows = [{"source": s, "jour_local": d, "nb_lignes": 100} for s in PARAMS.categories for d in days]
    return pd.DataFrame(rows)


def _inputs(pairs: list[dict], days: list[date]) -> dict[str, pd.DataFrame]:
    return {
        "int_abords_scolaires__incidents_proches": pd.DataFrame(pairs),
        "int_abords_scolaires__etablissements": _schools(),
        "int_abords_scolaires__couverture": _covered(days),
    }


def test_day_type_follows_the_zone_b_calendar_and_public_holidays() -> None:
    assert m.day_type(SCHOOL_MONDAY) == "classe"
    assert m.day_type(HOLIDAY_MONDAY) == "vacances"
    assert m.day_type(date(2026, 4, 6)) is None  # Easter Monday: a public holiday
    assert m.day_type(date(2026, 3, 7)) is None  # Saturday
    assert m.day_type(date(2026, 3, 4)) == "classe"  # Wednesday: the level rule is in the windows


def test_window_of_minute_tags_windows_and_other_daytime_hours() -> None:
    minutes = pd.Series([8 * 60, 8 * 60 + 44, 8 * 60 + 45, 16 * 60 + 15, 6 * 60, 19 * 60, 12 * 60])
    out = m.window_of_minute(minutes, PARAMS.fenetres, PARAMS.autres_heures).tolist()
    assert out == ["entree", "entree", "autres_heures", "sortie", None, None, "mercredi_midi"]


def test_other_hours_exclude_every_window() -> None:
    # 07:00-19:00 is 12 h, minus three 45-minute windows.
    assert m.other_hours_duration(PARAMS.fenetres, PARAMS.autres_heures) == pytest.approx(12 - 3 * 0.75)


def test_wednesday_rules_per_level() -> None:
    rules = PARAMS.fenetres_par_niveau
    assert not m.scheduled(rules, "ecole", 2, "entree")
    assert m.scheduled(rules, "college", 2, "mercredi_midi")
    assert not m.scheduled(rules, "college", 2, "sortie")
    assert m.scheduled(rules, "lycee", 0, "sortie")
    assert not m.scheduled(rules, "ecole", 2, m.OTHER_HOURS)


def test_exposure_counts_scheduled_schools_on_covered_days_only() -> None:
    expo = m.exposure(_schools(), _covered([SCHOOL_MONDAY, date(2026, 3, 4), date(2026, 3, 7)]), PARAMS)
    police = expo[expo["source"] == "police_mains_courantes"]
    # Monday: 3 levels x entree/sortie; Wednesday: collège + lycée x entree/noon; Saturday: nothing.
    windows = police[police["fenetre"] != m.OTHER_HOURS]
    assert len(windows) == 6 + 4
    assert set(police["jour_local"]) == {SCHOOL_MONDAY, date(2026, 3, 4)}


def test_near_incidents_apply_radius_categories_and_schedule() -> None:
    pairs = pd.DataFrame([
        _pair("P1", SCHOOL_MONDAY, "08:10"),
        _pair("P2", SCHOOL_MONDAY, "08:10", distance=250.0),  # beyond the declared radius
        _pair("P3", SCHOOL_MONDAY, "08:10", cat="VOL"),  # not a declared category
        _pair("P4", date(2026, 3, 4), "08:10"),  # an école on Wednesday: not scheduled
        _pair("P5", date(2026, 3, 7), "08:10"),  # Saturday
    ])
    near = m.near_incidents(pairs, PARAMS)
    assert near["incident_id"].tolist() == ["P1"]


def test_radius_beyond_the_search_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="300 m"):
        m.near_incidents(pd.DataFrame([_pair("P1", SCHOOL_MONDAY, "08:10")]), PARAMS.model_copy(update={"rayon_m": 400}))


def test_excess_per_school_window_against_holidays() -> None:
    # 10 school days (no Wednesday) x 3 schools x 2 windows = 60 school-windows with 12 incidents;
    # 5 holiday weekdays (no Wednesday) = 30 school-windows with 1 incident: excess = 12/60 - 1/30.
    school_days = [SCHOOL_MONDAY + timedelta(days=k) for k in (0, 1, 3, 4, 7, 8, 10, 11, 14, 15)]
    holidays = [HOLIDAY_MONDAY + timedelta(days=k) for k in (0, 1, 3, 4, 7)]
    assert all(m.day_type(d) == "classe" for d in school_days) and all(m.day_type(d) == "vacances" for d in holidays)
    pairs = [_pair(f"S{i}", school_days[i % 10], "08:20" if i % 2 else "16:30") for i in range(12)]
    pairs.append(_pair("H1", holidays[0], "08:20"))
    pairs += [_pair(f"O{i}", school_days[i], "10:00") for i in range(3)]  # other hours
    pairs.append(_pair("HO", holidays[1], "10:00"))
    out = m.compute_effects(_inputs(pairs, school_days + holidays), PARAMS)
    row = out[(out["source"] == "police_mains_courantes") & (out["niveau"] == "tous") & (out["fenetre"] == "toutes")
              & (out["reference"] == "meme_creneau_jours_de_vacances")].iloc[0]
    assert row["exposition_expose"] == 60 and row["exposition_reference"] == 30
    assert row["nb_incidents_expose"] == 12 and row["nb_incidents_reference"] == 1
    assert row["exces_par_etablissement_creneau"] == pytest.approx(12 / 60 - 1 / 30)
    assert row["rapport_taux"] == pytest.approx((12 / 60) / (1 / 30))
    assert row["ic_bas"] < row["rapport_taux"] < row["ic_haut"]
    assert row["exces_ic_bas"] < row["exces_par_etablissement_creneau"] < row["exces_ic_haut"]


def test_an_incident_near_two_scheduled_schools_counts_once() -> None:
    days = [SCHOOL_MONDAY, HOLIDAY_MONDAY]
    pairs = [_pair("P1", SCHOOL_MONDAY, "08:10"), _pair("P1", SCHOOL_MONDAY, "08:10", uai="0130002G", niveau="college"),
             _pair("H1", HOLIDAY_MONDAY, "08:10")]
    out = m.compute_effects(_inputs(pairs, days), PARAMS)
    row = out[(out["source"] == "police_mains_courantes") & (out["niveau"] == "tous") & (out["fenetre"] == "entree")
              & (out["reference"] == "meme_creneau_jours_de_vacances")].iloc[0]
    assert row["nb_incidents_expose"] == 1
    by_level = out[(out["source"] == "police_mains_courantes") & (out["fenetre"] == "entree")
                   & (out["reference"] == "meme_creneau_jours_de_vacances")].set_index("niveau")["nb_incidents_expose"]
    assert by_level["ecole"] == 1 and by_level["college"] == 1 and by_level["lycee"] == 0


def test_undefined_ratio_is_empty_not_infinite() -> None:
    days = [SCHOOL_MONDAY, HOLIDAY_MONDAY]
    out = m.compute_effects(_inputs([_pair("P1", SCHOOL_MONDAY, "08:10")], days), PARAMS)
    row = out[(out["source"] == "police_mains_courantes") & (out["niveau"] == "tous") & (out["fenetre"] == "entree")
              & (out["reference"] == "meme_creneau_jours_de_vacances")].iloc[0]
    assert math.isnan(row["rapport_taux"]) and math.isnan(row["ic_haut"])
    assert row["exces_par_etablissement_creneau"] == pytest.approx(1 / 3)


def test_double_difference_cancels_a_time_of_day_effect() -> None:
    # Both the window and other hours are twice as busy on school days: no window-specific effect.
    school_days = [SCHOOL_MONDAY + timedelta(weeks=i) for i in range(4)]
    holidays = [HOLIDAY_MONDAY, HOLIDAY_MONDAY + timedelta(days=1)]
    pairs = []
    for i, d in enumerate(school_days):
        pairs += [_pair(f"W{i}a", d, "08:10"), _pair(f"W{i}b", d, "08:20"), _pair(f"O{i}a", d, "10:00"), _pair(f"O{i}b", d, "11:00")]
    for i, d in enumerate(holidays):
        pairs += [_pair(f"HW{i}", d, "08:10"), _pair(f"HO{i}", d, "10:00")]
    out = m.compute_effects(_inputs(pairs, school_days + holidays), PARAMS)
    row = out[(out["source"] == "police_mains_courantes") & (out["niveau"] == "ecole") & (out["fenetre"] == "entree")
              & (out["reference"] == "double_difference")].iloc[0]
    assert row["rapport_taux"] == pytest.approx(1.0)


def test_effects_contract_dtypes() -> None:
    out = m.compute_effects(_inputs([_pair("P1", SCHOOL_MONDAY, "08:10"), _pair("H1", HOLIDAY_MONDAY, "08:10")],
                                    [SCHOOL_MONDAY, HOLIDAY_MONDAY]), PARAMS)
    assert list(out.columns) == column_names("abords_scolaires_effets")
    assert out["nb_incidents_expose"].dtype == "int64" and out["rapport_taux"].dtype == "float64"
    assert isinstance(out["debut"].iloc[0], date)
    assert not out.duplicated(["source", "niveau", "fenetre", "reference"]).any()


def test_quartier_rates_per_100_school_windows() -> None:
    days = [SCHOOL_MONDAY, HOLIDAY_MONDAY]
    pairs = [_pair("P1", SCHOOL_MONDAY, "08:10"), _pair("P2", SCHOOL_MONDAY, "16:20", uai="0130003H", niveau="lycee",
                                                         quartier="1320102")]
    out = m.compute_quartiers(_inputs(pairs, days), PARAMS).set_index("code_quartier")
    # Belsunce: an école and a collège, 2 windows each on a Monday = 4 school-windows, 1 incident.
    assert out.loc["1320101", "nb_creneaux_classe"] == 4
    assert out.loc["1320101", "taux_pour_100_creneaux_classe"] == pytest.approx(25.0)
    assert out.loc["1320102", "nb_incidents_creneaux_classe"] == 1
    assert list(out.reset_index().columns) == column_names("abords_scolaires_quartiers")


def test_exact_poisson_rate_interval() -> None:
    low, high = m.poisson_rate_interval(0, 50)
    assert low == 0 and high == pytest.approx(100 * 3.6889 / 50, rel=1e-3)  # exact upper bound for 0 events
    low, high = m.poisson_rate_interval(10, 200)
    assert low == pytest.approx(100 * 4.7954 / 200, rel=1e-3) and high == pytest.approx(100 * 18.3904 / 200, rel=1e-3)
    assert all(math.isnan(b) for b in m.poisson_rate_interval(3, 0))


def test_rate_difference_interval_never_collapses() -> None:
    low, high = m.rate_difference_interval(10, 100, 0, 100)
    assert low < 10 < high and not math.isclose(low, high)
    low, high = m.rate_difference_interval(0, 100, 0, 100)  # no incident on either side: still an interval
    assert low < 0 < high
    assert all(math.isnan(b) for b in m.rate_difference_interval(1, 10, 1, 0))


def _quartiers_with_holidays() -> pd.DataFrame:
    days = [SCHOOL_MONDAY, SCHOOL_MONDAY + timedelta(days=1), HOLIDAY_MONDAY]
    pairs = [_pair("P1", SCHOOL_MONDAY, "08:10"), _pair("P2", SCHOOL_MONDAY + timedelta(days=1), "16:20"),
             _pair("H1", HOLIDAY_MONDAY, "08:10"),
             _pair("P3", SCHOOL_MONDAY, "16:20", uai="0130003H", niveau="lycee", quartier="1320102")]
    return m.compute_quartiers(_inputs(pairs, days), PARAMS)


def test_quartier_intervals_are_in_the_mart() -> None:
    out = _quartiers_with_holidays().set_index("code_quartier")
    row = out.loc["1320101"]
    n, t = row["nb_incidents_creneaux_classe"], row["nb_creneaux_classe"]
    assert (row["taux_classe_ic_bas"], row["taux_classe_ic_haut"]) == pytest.approx(m.poisson_rate_interval(n, t))
    assert (row["exces_ic_bas"], row["exces_ic_haut"]) == pytest.approx(
        m.rate_difference_interval(n, t, row["nb_incidents_creneaux_vacances"], row["nb_creneaux_vacances"]))
    for value, low, high in (("taux_pour_100_creneaux_classe", "taux_classe_ic_bas", "taux_classe_ic_haut"),
                             ("exces_pour_100_creneaux", "exces_ic_bas", "exces_ic_haut")):
        assert (out[low] <= out[value]).all() and (out[value] <= out[high]).all()


def test_quartier_without_holidays_has_no_excess_interval() -> None:
    out = m.compute_quartiers(_inputs([_pair("P1", SCHOOL_MONDAY, "08:10")], [SCHOOL_MONDAY]), PARAMS)
    assert out["exces_pour_100_creneaux"].isna().all()
    assert out["exces_ic_bas"].isna().all() and out["exces_ic_haut"].isna().all()
    assert out["taux_classe_ic_haut"].notna().all()


def test_the_quartier_gate_checks_estimates_inside_their_intervals() -> None:
    from quality.gate import validate_mart

    good = _quartiers_with_holidays()
    assert validate_mart("abords_scolaires_quartiers", good).success
    for low, high in (("taux_classe_ic_bas", "taux_classe_ic_haut"), ("exces_ic_bas", "exces_ic_haut")):
        swapped = good.copy()
        swapped[[low, high]] = swapped[[high, low]].to_numpy()  # bounds the wrong way round
        assert not validate_mart("abords_scolaires_quartiers", swapped).success, low
    orphan = good.copy()
    orphan["exces_pour_100_creneaux"] = math.nan  # a bound without its estimate
    assert not validate_mart("abords_scolaires_quartiers", orphan).success


def test_fit_quality_is_long_format_with_placebo() -> None:
    days = [SCHOOL_MONDAY, HOLIDAY_MONDAY, SCHOOL_MONDAY + timedelta(days=1)]
    pairs = [_pair("P1", SCHOOL_MONDAY, "10:10"), _pair("H1", HOLIDAY_MONDAY, "10:20"), _pair("P2", SCHOOL_MONDAY, "08:10")]
    out = m.compute_fit_quality(_inputs(pairs, days), PARAMS)
    assert list(out.columns) == column_names("abords_scolaires_qualite")
    assert {"jours_de_classe", "jours_de_vacances_en_semaine", "rapport_taux_placebo"} <= set(out["indicateur"])
    assert not out.duplicated(["perimetre", "indicateur"]).any()


# --- empty inputs (a partner has not delivered yet) ----------------------------------------------

EMPTY_CASES = [
    ("abords_scolaires_effets", m.compute_effects, column_names("abords_scolaires_effets")),
    ("abords_scolaires_quartiers", m.compute_quartiers, column_names("abords_scolaires_quartiers")),
    ("abords_scolaires_qualite", m.compute_fit_quality, column_names("abords_scolaires_qualite")),
]


def _empty_inputs() -> dict[str, pd.DataFrame]:
    full = _inputs([_pair("P1", SCHOOL_MONDAY, "08:10")], [SCHOOL_MONDAY])
    return {name: frame.iloc[0:0] for name, frame in full.items()}


@pytest.mark.parametrize(("mart", "compute", "columns"), EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_empty_inputs_give_the_contract_columns_and_dtypes(mart, compute, columns) -> None:
    normal = compute(_inputs([_pair("P1", SCHOOL_MONDAY, "08:10"), _pair("H1", HOLIDAY_MONDAY, "08:10")],
                             [SCHOOL_MONDAY, HOLIDAY_MONDAY]), PARAMS)
    out = compute(_empty_inputs(), PARAMS)
    assert list(out.columns) == columns
    assert out.dtypes.to_dict() == normal.dtypes.to_dict()
    if mart != "abords_scolaires_qualite":
        assert out.empty


def test_empty_fit_quality_says_no_day_was_covered() -> None:
    out = m.compute_fit_quality(_empty_inputs(), PARAMS).set_index(["perimetre", "indicateur"])["valeur"]
    assert (out == 0).all()
    assert {"jours_de_classe", "jours_de_vacances_en_semaine", "nb_etablissements"} <= set(out.index.get_level_values(1))


def test_schools_without_any_covered_day_give_no_quartier_row() -> None:
    out = m.compute_quartiers({**_empty_inputs(), "int_abords_scolaires__etablissements": _schools()}, PARAMS)
    assert out.empty and list(out.columns) == column_names("abords_scolaires_quartiers")


@pytest.mark.parametrize(("mart", "compute", "columns"), EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_the_gate_accepts_the_empty_input_marts(mart, compute, columns) -> None:
    from quality.gate import validate_mart

    result = validate_mart(mart, compute(_empty_inputs(), PARAMS))
    assert result.success, result.failed
