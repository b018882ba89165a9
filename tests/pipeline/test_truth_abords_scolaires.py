"""Truth test of the school-surroundings use case on the effects lake (non-default effect sizes).

Planted (simulator/effects.py, ``schools``): on each school day, each open school gets on
average ``extra_per_school_window[feed]`` extra incidents per entry/exit window (Wednesday: the
collèges' and lycées' entry and noon exit; écoles closed), within ``radius_m`` of the school,
uniformly inside the window. The mart ``abords_scolaires_effets`` estimates exactly that
quantity: distinct incidents near a scheduled school in the windows on school days minus the
same windows on holiday weekdays, per school-window (source police, all levels, all windows).

Tolerance: the estimate is within 15 % of the planted size. Why 15 %: the sampling error of the
estimate is ~3 % (about 1,800 extra incidents), and ingestion quarantines about 2.5 % of the
police rows on purpose (the simulator's dirt), which removes planted rows too; 15 % leaves room
for both while failing a method that double counts (+30 % or more with the 200 m radius) or
that misses the Wednesday or holiday rules.
"""

from __future__ import annotations

import pytest
from deltalake import DeltaTable

from orchestration.core.catalog import use_cases
from orchestration.core.publishing import read_mart

pytestmark = pytest.mark.pipeline

FEED = "police_mains_courantes"
TOLERANCE = 0.15


def _pooled(effects_lake, source: str, reference: str = "meme_creneau_jours_de_vacances"):
    mart = read_mart(effects_lake.settings, "abords_scolaires_effets")
    rows = mart[(mart["source"] == source) & (mart["niveau"] == "tous") & (mart["fenetre"] == "toutes")
                & (mart["reference"] == reference)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_extra_incidents_per_school_window_are_recovered(effects_lake) -> None:
    """Police: excess per school and window within 15 % of the planted size read from the truth file."""
    planted = float(effects_lake.truth["effects"]["config"]["schools"]["extra_per_school_window"][FEED])
    row = _pooled(effects_lake, FEED)
    estimate = float(row["exces_par_etablissement_creneau"])
    assert abs(estimate - planted) <= TOLERANCE * planted, (estimate, planted)
    assert row["exces_ic_bas"] > 0.5 * planted  # a real, clearly non-zero effect
    assert row["rapport_taux"] > 1 and row["ic_bas"] > 1


def test_every_window_and_level_shows_the_effect(effects_lake) -> None:
    """Entry and exit (all levels) and the Wednesday noon exit (secondary) each carry an excess."""
    planted = float(effects_lake.truth["effects"]["config"]["schools"]["extra_per_school_window"][FEED])
    mart = read_mart(effects_lake.settings, "abords_scolaires_effets")
    rows = mart[(mart["source"] == FEED) & (mart["reference"] == "meme_creneau_jours_de_vacances")]
    for window in ("entree", "sortie"):
        row = rows[(rows["niveau"] == "tous") & (rows["fenetre"] == window)].iloc[0]
        assert row["exces_ic_bas"] <= planted * 1.1 and row["exces_ic_haut"] >= planted * 0.85, (window, row.to_dict())
    assert (rows[(rows["niveau"] == "ecole") & (rows["fenetre"] == "mercredi_midi")]).empty  # no Wednesday for écoles
    noon = rows[(rows["niveau"] == "tous") & (rows["fenetre"] == "mercredi_midi")].iloc[0]
    assert noon["exces_ic_bas"] > 0


def test_placebo_windows_show_no_effect(effects_lake) -> None:
    """On windows with pupils in class, school days and holidays look alike (fit-quality mart)."""
    fit = read_mart(effects_lake.settings, "abords_scolaires_qualite")
    placebo = fit[(fit["perimetre"] == f"{FEED} / placebo") & (fit["indicateur"] == "exces_placebo_par_etablissement_creneau")]
    planted = float(effects_lake.truth["effects"]["config"]["schools"]["extra_per_school_window"][FEED])
    assert abs(float(placebo["valeur"].iloc[0])) < 0.2 * planted


def test_quartier_mart_covers_the_schools(effects_lake) -> None:
    quartiers = read_mart(effects_lake.settings, "abords_scolaires_quartiers")
    schools = read_mart(effects_lake.settings, "abords_scolaires_etablissements_quartier")
    assert quartiers["nb_etablissements"].sum() == schools["nb_etablissements"].sum() > 500
    assert (quartiers["taux_pour_100_creneaux_classe"] >= 0).all()


@pytest.mark.parametrize("mart", [m.name for m in use_cases()["abords_scolaires"].marts if m.publication != "internal"])
def test_services_marts_published_to_gold(effects_lake, mart: str) -> None:
    """Each services mart of the use case is a Delta table in gold with the mart's rows."""
    path = effects_lake.settings.gold / mart
    assert DeltaTable.is_deltatable(str(path)), mart
    assert DeltaTable(str(path)).to_pyarrow_table().num_rows == len(read_mart(effects_lake.settings, mart)), mart
