"""Weak-signal scan: pure functions on small hand-made count tables."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import signaux_faibles as sf
from orchestration.core.catalog import use_cases
from orchestration.core.catalog.mart_schema import column_names
from orchestration.core.catalog.parameters import SignauxFaiblesParameters

START = date(2026, 1, 5)
QUARTIERS = ["1320101", "1320102", "1320103", "1320104"]


def params(**overrides) -> SignauxFaiblesParameters:
    cfg = {
        "series": {"police_mains_courantes": ["DEG", "VOL"]},
        "fenetre_reference_jours": 28,
        "historique_min_jours": 7,
        "fenetres_jours": [1, 2, 3],
        "force_a_priori": 2,
        "seuil_score": 3.0,
        "nb_min_cas": 3,
        "taux_fausses_alertes_max_pour_mille": 3.0,
        "injection": {"nombre": 5, "jours": 3, "multiplicateur": 6.0, "graine": 1},
    }
    cfg.update(overrides)
    return SignauxFaiblesParameters.model_validate({"signaux_faibles": cfg})


def steady(days: int = 40, rate: float = 2.0, seed: int = 0) -> pd.DataFrame:
    """Poisson counts, same rate in every quartier and category."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        for q in QUARTIERS:
            for c in ("DEG", "VOL"):
                n = int(rng.poisson(rate))
                if n:
                    rows.append({"flux": "police_mains_courantes", "code_categorie": c, "categorie": c, "code_quartier": q,
                                 "jour": START + timedelta(days=d), "nb": n})
    return pd.DataFrame(rows)


def with_burst(counts: pd.DataFrame, q: str, c: str, first: int, days: int, extra: int) -> pd.DataFrame:
    add = [{"flux": "police_mains_courantes", "code_categorie": c, "categorie": c, "code_quartier": q,
            "jour": START + timedelta(days=first + i), "nb": extra} for i in range(days)]
    return pd.concat([counts, pd.DataFrame(add)], ignore_index=True)


def inputs(counts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {sf.COUNTS: counts, sf.QUARTIERS: pd.DataFrame({"code_quartier": QUARTIERS, "nom_quartier": QUARTIERS, "arrondissement": "13201"})}


def test_declared_series_reads_params():
    assert sf.declared_series(params()) == [("police_mains_courantes", "DEG"), ("police_mains_courantes", "VOL")]


def test_cube_fills_zeros_and_ignores_undeclared():
    counts = pd.DataFrame([
        {"flux": "police_mains_courantes", "code_categorie": "DEG", "code_quartier": "1320101", "jour": START, "nb": 2},
        {"flux": "police_mains_courantes", "code_categorie": "STU", "code_quartier": "1320101", "jour": START, "nb": 9},
        {"flux": "police_mains_courantes", "code_categorie": "VOL", "code_quartier": "1320104", "jour": START + timedelta(days=2), "nb": 1},
    ])
    y, days = sf.cube(counts, sf.declared_series(params()), QUARTIERS)
    assert y.shape == (2, 4, 3)
    assert days == [START, START + timedelta(days=1), START + timedelta(days=2)]
    assert y.sum() == 3 and y[0, 0, 0] == 2 and y[1, 3, 2] == 1


def test_no_score_before_minimum_history():
    res = sf.detect(steady(), QUARTIERS, params())
    longest = 3
    first_scored = int(np.flatnonzero(~np.isnan(res["p"][0, 0]))[0])
    assert first_scored == 7 + longest - 1  # 7 days of history end before the longest window starts
    assert not res["flag"][:, :, :first_scored].any()


def test_expected_counts_are_calibrated_on_steady_data():
    res = sf.detect(steady(days=60), QUARTIERS, params())
    ok = ~np.isnan(res["expected"])
    assert res["y"][ok].sum() == pytest.approx(res["expected"][ok].sum(), rel=0.02)
    # four equal quartiers: each expects about a quarter of the day's city total
    assert np.nanmean(res["expected"][0, 0]) == pytest.approx(2.0, rel=0.15)


def test_burst_is_flagged_and_steady_data_is_quiet():
    base = steady(days=50, seed=3)
    quiet = sf.detect(base, QUARTIERS, params())
    assert quiet["flag"].sum() <= 2
    loud = sf.detect(with_burst(base, "1320103", "VOL", 35, 3, 8), QUARTIERS, params())
    assert loud["flag"][1, 2, 35:38].any()


def test_minimum_cases_rule():
    counts = steady(days=40, seed=5)
    counts = counts[~((counts["code_quartier"] == "1320101") & (counts["code_categorie"] == "DEG"))]  # a category never seen there
    counts = with_burst(counts, "1320101", "DEG", 30, 1, 3)
    assert not sf.detect(counts, QUARTIERS, params(nb_min_cas=4))["flag"][0, 0].any()
    assert sf.detect(counts, QUARTIERS, params(nb_min_cas=3))["flag"][0, 0, 30]


def test_burst_does_not_feed_its_own_baseline():
    base = steady(days=50, seed=7)
    burst = with_burst(base, "1320102", "DEG", 40, 3, 10)
    quiet = sf.detect(base, QUARTIERS, params())
    loud = sf.detect(burst, QUARTIERS, params())
    # the quartier's share on the burst's last day is unchanged by the burst (the trailing window
    # ends before it); the expected count only follows the day's city total
    def share(res: dict) -> float:
        return float(res["expected"][0, 1, 42] / res["y"][0, :, 42].sum())

    assert share(loud) == pytest.approx(share(quiet), rel=1e-9)


def test_compute_columns_types_and_rule():
    out = sf.compute(inputs(with_burst(steady(days=45, seed=2), "1320104", "DEG", 30, 3, 8)), params())
    assert list(out.columns) == column_names("signaux_faibles_anomalies")
    assert out["nb_observe"].dtype == "int64" and out["alerte"].dtype == bool
    assert all(isinstance(d, date) for d in out["jour"])
    alerts = out[out["alerte"]]
    assert len(alerts) >= 1
    assert (alerts["score"] >= 3.0).all() and (alerts["nb_observe_fenetre"] >= 3).all()
    assert (out["nb_observe_fenetre"] >= out["nb_observe"]).all()
    assert not out.duplicated(["jour", "code_quartier", "flux", "code_categorie"]).any()


def test_quality_mart_long_format_and_injected_recall():
    out = sf.compute_quality(inputs(steady(days=60, seed=4)), params())
    assert list(out.columns) == ["perimetre", "indicateur", "valeur", "unite", "commentaire"]
    values = dict(zip(out["indicateur"], out["valeur"], strict=True))
    assert values["rappel_anomalies_injectees"] >= 0.8
    assert values["observe_sur_attendu"] == pytest.approx(1.0, rel=0.05)
    assert values["jours_fenetre"] == 60


def test_recall_counts_a_burst_flagged_on_one_day():
    res = {"series": [("f", "c")], "quartiers": ["q"], "days": [START + timedelta(days=i) for i in range(5)],
           "y": np.zeros((1, 1, 5)), "p": np.full((1, 1, 5), 0.5), "flag": np.array([[[False, False, True, False, False]]])}
    recall, fa, n = sf.recall_and_false_alarms(res, [("f", "c", "q", [START + timedelta(days=1), START + timedelta(days=2)])])
    assert recall == 1.0 and fa == 0.0 and n == 1


def test_declared_parameters_are_complete():
    cfg = use_cases()["signaux_faibles"].parameters.signaux_faibles
    for key in ("series", "fenetre_reference_jours", "historique_min_jours", "fenetres_jours", "force_a_priori", "seuil_score", "nb_min_cas",
                "taux_fausses_alertes_max_pour_mille", "injection"):
        assert key in cfg.model_fields_set
