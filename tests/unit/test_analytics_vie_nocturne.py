"""Night life: pure functions on small hand-made hourly count tables."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import vie_nocturne as vn
from orchestration.core.catalog import use_cases
from orchestration.core.catalog.mart_schema import column_names
from orchestration.core.catalog.mart_schema import columns as declared_columns
from orchestration.core.catalog.parameters import VieNocturneParameters

START = date(2026, 1, 5)  # a Monday
QUARTIERS = [f"13201{i:02d}" for i in range(1, 13)]
HOT = "1320101"


def params(**overrides) -> VieNocturneParameters:
    cfg = use_cases()["vie_nocturne"].parameters.vie_nocturne.model_dump()
    cfg.update(overrides)
    return VieNocturneParameters.model_validate({"vie_nocturne": cfg})


def simulate(days: int = 70, hot: float = 3.0, boost: float = 2.0, seed: int = 0, rain_factor: float = 1.0,
             wet: set[tuple[date, int]] | None = None) -> pd.DataFrame:
    """Hourly counts: every quartier has the same daytime level; HOT's night-life rate is x hot on
    weeknights and its excess x boost on Thursday-Saturday nights (the simulator's definition)."""
    rng = np.random.default_rng(seed)
    cfg = params().vie_nocturne
    rows = []
    for d in range(days):
        day = START + timedelta(days=d)
        for h in range(24):
            night = h in cfg.heures_nuit
            evening = vn.night_of(day, h)
            weekend = vn.is_weekend_night(evening, cfg.soirs_fin_de_semaine)
            for q in QUARTIERS:
                base_day = 0.6 if h in cfg.heures_jour else 0.0
                if base_day:
                    n = int(rng.poisson(base_day))
                    if n:
                        rows.append(("police_mains_courantes", "STA", q, day, h, n))
                if night:
                    rate = 0.15
                    if q == HOT:
                        rate *= 1 + (hot - 1) * (boost if weekend else 1.0)
                    if wet and (day, h) in wet:
                        rate *= rain_factor
                    n = int(rng.poisson(rate))
                    if n:
                        rows.append(("police_mains_courantes", "TAP", q, day, h, n))
    frame = pd.DataFrame(rows, columns=["flux", "code_categorie", "code_quartier", "jour", "heure", "nb_incidents"])
    frame["jour_nuit"] = [vn.night_of(d, int(h)) for d, h in zip(frame["jour"], frame["heure"], strict=True)]
    frame["categorie"] = frame["code_categorie"]
    frame["nom_quartier"] = frame["code_quartier"]
    return frame


def quartiers() -> pd.DataFrame:
    return pd.DataFrame({"code_quartier": QUARTIERS, "nom_quartier": QUARTIERS, "arrondissement": "13201"})


def no_events() -> pd.DataFrame:
    return pd.DataFrame(columns=["evenement_id", "code_quartier_lieu", "code_quartier", "distance_m", "code_type_evenement",
                                 "debut_local", "fin_local", "jauge_attendue"])


def test_night_of_small_hours_belong_to_previous_evening():
    assert vn.night_of(date(2026, 1, 9), 1) == date(2026, 1, 8)
    assert vn.night_of(date(2026, 1, 9), 23) == date(2026, 1, 9)


def test_weekend_nights_are_thursday_friday_saturday_evenings():
    thursday, sunday = date(2026, 1, 8), date(2026, 1, 11)
    assert vn.is_weekend_night(thursday, [3, 4, 5])
    assert not vn.is_weekend_night(sunday, [3, 4, 5])
    # Friday 02:00 is Thursday's night; Sunday 02:00 is Saturday's night; Monday 02:00 is Sunday's
    assert vn.is_weekend_night(vn.night_of(date(2026, 1, 9), 2), [3, 4, 5])
    assert vn.is_weekend_night(vn.night_of(date(2026, 1, 11), 2), [3, 4, 5])
    assert not vn.is_weekend_night(vn.night_of(date(2026, 1, 12), 2), [3, 4, 5])


def test_holiday_and_school_holiday_calendars():
    assert vn.is_holiday_night(date(2026, 4, 30))  # eve of 1 May
    assert vn.is_holiday_night(date(2026, 5, 1))
    assert not vn.is_holiday_night(date(2026, 3, 10))
    assert vn.is_school_holiday(date(2026, 2, 20), "B")  # winter holidays, zone B
    assert not vn.is_school_holiday(date(2026, 3, 20), "B")


def test_zone_ratio_recovers_multiplier_and_weekend_boost():
    counts = simulate(days=140, hot=3.0, boost=2.0, seed=1)
    zones = vn.zone_table(counts, quartiers(), params(), no_events())
    wk = zones[(zones["type_nuit"] == "semaine") & (zones["code_quartier"] == HOT)].iloc[0]
    we = zones[(zones["type_nuit"] == "fin_de_semaine") & (zones["code_quartier"] == HOT)].iloc[0]
    assert wk["ic_bas"] <= 3.0 <= wk["ic_haut"]
    assert we["irr"] == pytest.approx(1 + 2 * 2.0, rel=0.3)
    assert wk["zone_a_probleme"] and we["zone_a_probleme"]
    others = zones[(zones["type_nuit"] == "toutes") & (zones["code_quartier"] != HOT)]
    assert not others["zone_a_probleme"].any()
    surplus = vn.weekend_surplus(zones, params())
    assert surplus["low"] <= surplus["ratio"] <= surplus["high"]
    assert surplus["ratio"] == pytest.approx(2.0, rel=0.4)


def test_zone_table_shape_and_types():
    zones = vn.zone_table(simulate(days=21), quartiers(), params(), no_events())
    assert list(zones.columns) == column_names("vie_nocturne_zones")
    assert len(zones) == 3 * len(QUARTIERS)
    assert (zones["ic_bas"] <= zones["irr"]).all() and (zones["irr"] <= zones["ic_haut"]).all()
    assert all(isinstance(d, date) for d in zones["premiere_nuit"])
    assert zones["nb_observe"].dtype == "int64"


def test_median_quartier_is_the_reference():
    zones = vn.zone_table(simulate(days=60, hot=1.0), quartiers(), params(), no_events())
    allz = zones[zones["type_nuit"] == "toutes"]
    assert np.median(allz["irr"]) == pytest.approx(1.0)


def test_event_nights_within_radius_are_left_out():
    counts = simulate(days=28, hot=1.0, seed=2)
    night = date(2026, 1, 15)
    extra = pd.DataFrame([("police_mains_courantes", "TAP", "1320102", night, 23, 40, night, "TAP", "1320102")],
                         columns=["flux", "code_categorie", "code_quartier", "jour", "heure", "nb_incidents", "jour_nuit", "categorie", "nom_quartier"])
    counts = pd.concat([counts, extra], ignore_index=True)
    event = pd.DataFrame([{"evenement_id": "E1", "code_quartier_lieu": "1320102", "code_quartier": "1320102", "distance_m": 0.0,
                           "code_type_evenement": "CONCERT", "debut_local": datetime(2026, 1, 15, 20), "fin_local": datetime(2026, 1, 15, 23, 30),
                           "jauge_attendue": 5000}])
    assert ("1320102", night) in vn.event_nights(event, params())
    far = event.assign(distance_m=5000.0)
    assert not vn.event_nights(far, params())
    with_event = vn.zone_table(counts, quartiers(), params(), event)
    without = vn.zone_table(counts, quartiers(), params(), no_events())
    pick = lambda z: z[(z["type_nuit"] == "toutes") & (z["code_quartier"] == "1320102")].iloc[0]["irr"]  # noqa: E731
    assert pick(with_event) < pick(without)


def test_wet_hours_threshold():
    rain = pd.DataFrame({"jour": [START, START], "heure": [22, 23], "pluie_mm": [0.1, 0.2]})
    wet = vn.wet_hours(rain, params())
    assert wet["mouillee"].tolist() == [False, True]


def test_city_factors_recover_rain_effect():
    rng = np.random.default_rng(4)
    days = [START + timedelta(days=d) for d in range(120)]
    wet = {(d, h) for d in days for h in (22, 23, 0, 1, 2, 3, 4) if rng.random() < 0.15}
    counts = simulate(days=120, hot=2.0, seed=3, rain_factor=0.6, wet=wet)
    rain = pd.DataFrame([(d, h, 1.0 if (d, h) in wet else 0.0) for d in days for h in range(24)], columns=["jour", "heure", "pluie_mm"])
    rows = vn.night_life_rows(counts, params())
    slots = vn.city_slots(rows, counts, rain, params())
    factors, fit = vn.city_factors(slots)
    r = factors.set_index("facteur").loc["pluie"]
    assert r["ic_bas"] <= 0.6 <= r["ic_haut"]
    assert fit["dispersion"] > 0


def test_marts_have_their_contract_columns():
    counts = simulate(days=30, seed=5)
    days = sorted(set(counts["jour"]))
    rain = pd.DataFrame([(d, h, 0.0) for d in days for h in range(24)], columns=["jour", "heure", "pluie_mm"])
    inputs = {vn.COUNTS: counts, vn.RAIN: rain, vn.EVENTS: no_events(), vn.QUARTIERS: quartiers()}
    factors = vn.compute_factors(inputs, params())
    quality = vn.compute_quality(inputs, params())
    assert list(factors.columns) == column_names("vie_nocturne_facteurs")
    assert list(quality.columns) == column_names("vie_nocturne_qualite_modele")
    assert "surcroit_fin_de_semaine_zones" in set(factors["facteur"])
    assert {"mae_backtest_modele", "mae_backtest_naif", "dispersion"} <= set(quality["indicateur"])


def test_hour_profile_grain_and_hot_quartier():
    counts = simulate(days=90, hot=3.0, seed=6)
    profile = vn.hour_profile(counts, quartiers(), params(), no_events())
    assert list(profile.columns) == column_names("vie_nocturne_profil_horaire")
    assert len(profile) == len(QUARTIERS) * len(params().vie_nocturne.heures_nuit)
    hot = profile[profile["code_quartier"] == HOT]
    assert (hot["irr"] > 1.5).mean() >= 0.7
    assert (profile["ic_bas"] <= profile["irr"]).all()


# -- empty inputs (a partner has not delivered yet) -------------------------------------------------

EMPTY_CASES = [
    ("vie_nocturne_zones", vn.compute_zones, column_names("vie_nocturne_zones")),
    ("vie_nocturne_facteurs", vn.compute_factors, column_names("vie_nocturne_facteurs")),
    ("vie_nocturne_qualite_modele", vn.compute_quality, column_names("vie_nocturne_qualite_modele")),
]


def empty_inputs() -> dict[str, pd.DataFrame]:
    counts = simulate(days=1).iloc[0:0]
    rain = pd.DataFrame({"jour": pd.Series(dtype=object), "heure": pd.Series(dtype="int64"), "pluie_mm": pd.Series(dtype="float64")})
    return {vn.COUNTS: counts, vn.RAIN: rain, vn.EVENTS: no_events(), vn.QUARTIERS: quartiers().iloc[0:0]}


def _declared_dtypes(mart: str) -> dict[str, str]:
    """The pandas dtype of each declared column (dates are objects holding datetime.date)."""
    by_type = {"string": str(pd.Series(["a"]).astype(str).dtype), "int": "int64", "float": "float64", "bool": "bool", "date": "object"}
    return {c.name: by_type[c.type] for c in declared_columns(mart)}


@pytest.mark.parametrize(("mart", "compute", "columns"), EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_empty_inputs_give_the_contract_columns_and_dtypes(mart, compute, columns):
    out = compute(empty_inputs(), params())
    assert list(out.columns) == list(columns)
    assert {c: str(t) for c, t in out.dtypes.items()} == _declared_dtypes(mart)
    if mart != "vie_nocturne_qualite_modele":
        assert out.empty


def test_quality_without_data_publishes_every_indicator_as_not_estimated():
    out = vn.compute_quality(empty_inputs(), params()).set_index("indicateur")
    assert len(out) == 10 and not out.index.duplicated().any()
    assert out.loc[["deviance", "ddl_residuels", "dispersion", "mae_backtest_modele"], "valeur"].isna().all()
    assert out.loc["deviance", "commentaire"].endswith("données insuffisantes.")
    assert out.loc["nuits_observees", "valeur"] == 0


def test_too_little_data_to_fit_gives_no_city_factor():
    counts = simulate(days=1)
    rain = pd.DataFrame({"jour": [counts["jour"].iloc[0]], "heure": [22], "pluie_mm": [0.0]})
    inputs = {vn.COUNTS: counts, vn.RAIN: rain, vn.EVENTS: no_events(), vn.QUARTIERS: quartiers()}
    factors = vn.compute_factors(inputs, params())
    assert not (factors["modele"] == "glm_poisson_heures_nuit_ville").any()
    assert np.isnan(vn.compute_quality(inputs, params()).set_index("indicateur").loc["dispersion", "valeur"])


@pytest.mark.parametrize(("mart", "compute", "columns"), EMPTY_CASES, ids=[c[0] for c in EMPTY_CASES])
def test_the_gate_accepts_the_empty_input_marts(mart, compute, columns):
    from quality.gate import validate_mart

    result = validate_mart(mart, compute(empty_inputs(), params()))
    assert result.success, result.failed
