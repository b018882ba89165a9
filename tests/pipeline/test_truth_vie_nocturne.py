"""Truth: the night-life marts recover the night-life effect the simulator planted.

How the simulator plants it (simulator/incidents.py, ``day_points`` section (e)): in each
listed quartier q, during the declared night hours, the rate of the night-life categories is
``base x (1 + (m_q - 1) x boost)`` where the base is the feed's city rate x the quartier's weight
(the same weight that places the quartier's daytime rows), ``boost = weekend_boost`` on Thursday,
Friday and Saturday evenings and the following small hours, 1 otherwise. So:
- the weeknight ratio of q against an ordinary quartier with the same daytime level is ``m_q``:
  that is what ``vie_nocturne_zones`` (type_nuit = semaine) estimates;
- ``(ratio on Thu-Sat nights - 1) / (ratio on other nights - 1) = weekend_boost``: that is the
  ``surcroit_fin_de_semaine_zones`` factor (pooled over the problem areas);
- wet hours multiply night-life categories by ``rain.night_life_multiplier`` (``pluie`` factor).

Sizes are read from the truth file (tests/pipeline/effects.truth.yaml: 4.0, 2.5, ... and a weekend
boost of 2.0, not the defaults). Tolerances:
- the two strongest planted quartiers: weeknight ratio within ``REL_TOL`` (25 %) of m_q, and m_q
  inside the 95 % interval;
- every planted quartier with m_q >= ``FLAG_MIN`` (1.8) is a problem area (all nights), and at
  most ``MAX_UNPLANTED_FLAGS`` unplanted quartiers are;
- weekend surplus within ``BOOST_TOL`` (30 %) of weekend_boost, planted value inside its interval;
- rain factor's interval contains rain.night_life_multiplier.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration.core.publishing import read_mart

REL_TOL = 0.25
BOOST_TOL = 0.30
FLAG_MIN = 1.8
MAX_UNPLANTED_FLAGS = 2
SERVICES_MARTS = ("vie_nocturne_comptages_horaires", "vie_nocturne_zones", "vie_nocturne_profil_horaire", "vie_nocturne_facteurs", "vie_nocturne_qualite_modele")

pytestmark = pytest.mark.pipeline


def _planted(effects_lake) -> dict[str, float]:
    return {str(q): float(m) for q, m in effects_lake.truth["effects"]["config"]["night_life"]["quartiers"].items()}


def _zones(effects_lake, type_nuit: str) -> pd.DataFrame:
    zones = read_mart(effects_lake.settings, "vie_nocturne_zones")
    return zones[zones["type_nuit"] == type_nuit].set_index("code_quartier")


def test_strongest_quartier_multipliers_recovered(effects_lake):
    planted = _planted(effects_lake)
    strongest = sorted(planted, key=planted.get, reverse=True)[:2]
    weeknights = _zones(effects_lake, "semaine")
    for q in strongest:
        row = weeknights.loc[q]
        assert row["irr"] == pytest.approx(planted[q], rel=REL_TOL), (q, planted[q], row.to_dict())
        assert row["ic_bas"] <= planted[q] <= row["ic_haut"], (q, planted[q], row.to_dict())


def test_problem_areas_are_the_planted_ones(effects_lake):
    planted = _planted(effects_lake)
    flagged = set(_zones(effects_lake, "toutes").query("zone_a_probleme").index)
    expected = {q for q, m in planted.items() if m >= FLAG_MIN}
    assert expected <= flagged, sorted(expected - flagged)
    assert len(flagged - set(planted)) <= MAX_UNPLANTED_FLAGS, sorted(flagged - set(planted))


def test_weekend_boost_recovered(effects_lake):
    boost = float(effects_lake.truth["effects"]["config"]["night_life"]["weekend_boost"])
    factors = read_mart(effects_lake.settings, "vie_nocturne_facteurs").set_index("facteur")
    row = factors.loc["surcroit_fin_de_semaine_zones"]
    assert row["irr"] == pytest.approx(boost, rel=BOOST_TOL), row.to_dict()
    assert row["ic_bas"] <= boost <= row["ic_haut"], row.to_dict()


def test_rain_thins_night_life(effects_lake):
    planted = float(effects_lake.truth["effects"]["config"]["rain"]["night_life_multiplier"])
    row = read_mart(effects_lake.settings, "vie_nocturne_facteurs").set_index("facteur").loc["pluie"]
    assert row["ic_bas"] <= planted <= row["ic_haut"], row.to_dict()


def test_fit_quality_and_gold(effects_lake):
    quality = read_mart(effects_lake.settings, "vie_nocturne_qualite_modele").set_index("indicateur")["valeur"]
    # the zone model must beat the daytime-level-only baseline on held-out nights
    assert quality["mae_backtest_modele"] < quality["mae_backtest_naif"]
    for mart in SERVICES_MARTS:
        assert (effects_lake.settings.gold / mart / "_delta_log").is_dir(), mart
