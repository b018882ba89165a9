"""Truth: the road-safety marts recover the rain and lighting-outage effects the simulator planted.

How the simulator plants them (simulator/incidents.py, ``day_points``):
- rain, section (d): in the local clock hours [h, h+1) whose rain (the UTC hour starting at h:30
  rounded down, i.e. Météo-France's RR1 of the row one hour LATER) is >= ``rain.wet_hour_mm``,
  the rate of BAAC accidents and of police ``rain.categories`` (ACC) is multiplied by
  ``rain.multiplier``. ``securite_routiere_facteurs`` (facteur ``pluie_mesuree``) estimates it as
  a Mantel-Haenszel rate ratio of wet vs dry hours stratified by hour of day, with the same
  one-hour shift and the threshold declared in the use case's parameters.
- lighting outage, section (a): for outages of >= ``min_lamps`` lamps, in night hours (sun below
  the horizon at mid-hour) overlapping the outage, extra rows are drawn uniformly within
  ``radius_m`` of the outage centre at ``night_multiplier - 1`` times the local baseline.
  ``securite_routiere_pannes_eclairage`` compares night rates in the zones during outages with
  the same zones' other nights (Mantel-Haenszel, zone x hour).

Sizes are read from the truth file (tests/pipeline/effects.truth.yaml: rain 2.5 BAAC, 2.2 police;
outages 4.0 BAAC, 3.5 police; not the defaults).

Tolerance (stated once, for every effect): recovered when the planted value lies inside the
95 % interval OR the point estimate is within ``REL_TOL`` (35 %) of it. The second arm is there
for the police outage effect, whose reference nights also carry events and night-life rows that
the multiplier does not scale (the estimate is diluted, ~-25 %) while its interval is narrow; the
first arm for the BAAC outage effect, which rests on a handful of accidents in four months (the
interval is honest and wide). Every estimate must also be > 1 on its point or interval (the
effect is not read backwards) and its interval must be finite.
"""

from __future__ import annotations

import math

import pytest
from deltalake import DeltaTable

from orchestration.core.catalog import use_cases
from orchestration.core.publishing import read_mart

REL_TOL = 0.35
SERVICES_MARTS = tuple(m.name for m in use_cases()["securite_routiere"].marts if m.publication != "internal")

pytestmark = pytest.mark.pipeline


def _recovered(estimate: float, low: float, high: float, planted: float) -> bool:
    inside = low <= planted <= high
    close = abs(estimate / planted - 1) <= REL_TOL
    return (inside or close) and math.isfinite(high) and high > 1


def test_rain_effect_on_accidents_recovered(effects_lake) -> None:
    """BAAC and police ACC wet-hour rate ratios vs ``rain.multiplier`` (see module docstring)."""
    planted = effects_lake.truth["effects"]["config"]["rain"]["multiplier"]
    assert effects_lake.truth["effects"]["config"]["rain"]["categories"]["police_mains_courantes"] == ["ACC"]
    facteurs = read_mart(effects_lake.settings, "securite_routiere_facteurs")
    pluie = facteurs[(facteurs["facteur"] == "pluie_mesuree") & (facteurs["type_ratio"] == "rapport_de_taux")]
    baac = pluie[pluie["perimetre"].str.startswith("BAAC simulé")]
    police = pluie[pluie["perimetre"].str.startswith("Police municipale")]
    assert len(baac) >= 1 and len(police) == 1
    for row, key in ((baac.iloc[0], "baac"), (police.iloc[0], "police_mains_courantes")):
        assert _recovered(row["ratio"], row["ic_bas"], row["ic_haut"], planted[key]), (key, planted[key], row.to_dict())


def test_lighting_outage_effect_recovered(effects_lake) -> None:
    """Night IRR in outage zones vs ``lighting_outage.night_multiplier`` (see module docstring)."""
    config = effects_lake.truth["effects"]["config"]["lighting_outage"]
    params = use_cases()["securite_routiere"].parameters.pannes
    # The analysis must use the same zone and lamp rule as the planted effect, read from the truth.
    assert params.rayon_m == config["radius_m"] and params.nb_min_points_lumineux == config["min_lamps"]
    assert sorted(params.categories_police) == sorted(config["categories"]["police_mains_courantes"])
    pannes = read_mart(effects_lake.settings, "securite_routiere_pannes_eclairage").set_index("source")
    for source, key in (("BAAC", "baac"), ("Police municipale", "police_mains_courantes")):
        row = pannes.loc[source]
        planted = config["night_multiplier"][key]
        assert row["nb_pannes"] >= 30 and row["heures_nuit_panne"] > 0
        assert _recovered(row["irr"], row["ic_bas"], row["ic_haut"], planted), (key, planted, row.to_dict())


def test_real_2018_and_simulated_years_side_by_side(effects_lake) -> None:
    """Every mart with a perimetre separates the real 2018 extract from the simulated years."""
    quartiers = read_mart(effects_lake.settings, "securite_routiere_points_chauds_quartier")
    perimetres = set(quartiers["perimetre"])
    assert "BAAC 2018 réel" in perimetres and any(p.startswith("BAAC simulé") for p in perimetres)
    real = read_mart(effects_lake.settings, "securite_routiere_accidents_quartier")
    assert real.loc[real["perimetre"] == "BAAC 2018 réel", "nb_accidents"].sum() >= 2000
    # A quartier with two accidents is never a hotspot.
    assert not quartiers[(quartiers["nb_accidents"] <= 2) & quartiers["point_chaud"]].shape[0]
    facteurs = read_mart(effects_lake.settings, "securite_routiere_facteurs")
    lum4 = facteurs[(facteurs["perimetre"] == "BAAC 2018 réel") & (facteurs["facteur"] == "eclairage") & (facteurs["modalite"] == "4")]
    assert set(lum4["type_ratio"]) >= {"rapport_de_comptes"}


def test_services_marts_published_to_gold(effects_lake) -> None:
    """Each services mart of the use case is a Delta table in gold with the mart's rows."""
    for mart in SERVICES_MARTS:
        path = effects_lake.settings.gold / mart
        assert DeltaTable.is_deltatable(str(path)), mart
        assert DeltaTable(str(path)).to_pyarrow_table().num_rows == len(read_mart(effects_lake.settings, mart)), mart
