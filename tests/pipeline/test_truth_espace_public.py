"""Truth test of the public-space use case on the effects lake (non-default effect sizes).

Planted (simulator/incidents.py, ``public_space``): each active worksite whose restriction
is not AUCUNE adds on average ``worksite_complaints_per_day[feed]`` complaints per day within
``radius_m`` of it; each held market session adds ``market_complaints_per_session[feed]``
complaints during the morning. The mart ``espace_public_plaintes_effets`` estimates these
quantities: complaints near the place while it is active minus what the same place shows
before/after the works (or on days without market), per worksite-day (per session).

Tolerances, from the sampling error on four months:
- worksites (Allô Mairie, ~54,000 worksite-days): within 20 % of the planted size (the standard
  error is ~5 %); unrestricted works and citizen-app reports, where nothing is planted, have an
  interval that contains 0.
- markets (~1,250 sessions, 37 markets): the planted size lies in the 95 % interval and the
  estimate is within 40 % of it (the standard error is ~20 % for Allô Mairie: a tighter bound
  would fail by chance).
"""

from __future__ import annotations

import pytest
from deltalake import DeltaTable

from orchestration.core.catalog import use_cases
from orchestration.core.publishing import read_mart

pytestmark = pytest.mark.pipeline


def _row(effects_lake, objet: str, source: str, sous_groupe: str = "tous"):
    mart = read_mart(effects_lake.settings, "espace_public_plaintes_effets")
    rows = mart[(mart["objet"] == objet) & (mart["source"] == source) & (mart["sous_groupe"] == sous_groupe)]
    assert len(rows) == 1, (objet, source, sous_groupe)
    return rows.iloc[0]


def test_worksite_complaints_per_day_are_recovered(effects_lake) -> None:
    """Allô Mairie: excess per worksite-day within 20 % of the planted size (truth file)."""
    planted = float(effects_lake.truth["effects"]["config"]["public_space"]["worksite_complaints_per_day"]["allo_mairie_demandes"])
    row = _row(effects_lake, "chantier", "allo_mairie_demandes")
    assert abs(row["exces_par_jour_actif"] - planted) <= 0.2 * planted, (row["exces_par_jour_actif"], planted)
    assert row["ic_bas"] > 1


def test_no_effect_where_none_is_planted(effects_lake) -> None:
    """Unrestricted works, and app reports near works (none planted): intervals contain 0."""
    config = effects_lake.truth["effects"]["config"]["public_space"]["worksite_complaints_per_day"]
    assert "signalements_citoyens" not in config
    for objet, source, group in (("chantier", "allo_mairie_demandes", "AUCUNE"), ("chantier", "signalements_citoyens", "tous")):
        row = _row(effects_lake, objet, source, group)
        assert row["exces_ic_bas"] <= 0 <= row["exces_ic_haut"], (objet, source, group, row.to_dict())


@pytest.mark.parametrize("source", ["allo_mairie_demandes", "signalements_citoyens"])
def test_market_complaints_per_session_are_recovered(effects_lake, source: str) -> None:
    """Per held session: planted size inside the 95 % interval, estimate within 40 % of it."""
    planted = float(effects_lake.truth["effects"]["config"]["public_space"]["market_complaints_per_session"][source])
    row = _row(effects_lake, "marche", source)
    assert row["exces_ic_bas"] <= planted <= row["exces_ic_haut"], (row.to_dict(), planted)
    assert abs(row["exces_par_jour_actif"] - planted) <= 0.4 * planted


def test_conflicts_name_parties_by_code_and_stay_within_the_radius(effects_lake) -> None:
    conflicts = read_mart(effects_lake.settings, "espace_public_conflits")
    radius = use_cases()["espace_public"].parameters.rayon_conflit_m
    assert len(conflicts) > 0 and (conflicts["distance_m"] <= radius).all()
    markets = conflicts[conflicts["type_b"] == "marche"]
    assert markets["id_b"].str.fullmatch(r"MAR\d{3}").all()


@pytest.mark.parametrize("mart", [m.name for m in use_cases()["espace_public"].marts if m.publication != "internal"])
def test_services_marts_published_to_gold(effects_lake, mart: str) -> None:
    """Each services mart of the use case is a Delta table in gold with the mart's rows."""
    path = effects_lake.settings.gold / mart
    assert DeltaTable.is_deltatable(str(path)), mart
    assert DeltaTable(str(path)).to_pyarrow_table().num_rows == len(read_mart(effects_lake.settings, mart)), mart
