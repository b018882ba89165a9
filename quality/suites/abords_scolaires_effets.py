"""Expectations the mart ``abords_scolaires_effets`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import use_cases

REFERENCES = ["meme_creneau_jours_de_vacances", "autres_heures_jours_de_classe", "double_difference"]


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, declared sources/levels/windows, intervals around their estimate, counts >= 0."""
    params = use_cases()["abords_scolaires"].parameters
    either = "either_value_is_missing"
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="source", value_set=[*params.categories, "ensemble"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="niveau", value_set=[*params.fenetres_par_niveau, "tous"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="fenetre", value_set=[*params.fenetres, "toutes"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="reference", value_set=REFERENCES),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_incidents_expose", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_incidents_reference", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="exposition_expose", min_value=0, strict_min=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="exposition_reference", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="rapport_taux", min_value=0, strict_min=True),
        # More than one extra incident per school and window would be a join fanning out, not a finding.
        gx.expectations.ExpectColumnValuesToBeBetween(column="exces_par_etablissement_creneau", min_value=-1, max_value=1),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="rapport_taux", column_B="ic_bas", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut", column_B="rapport_taux", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="exces_par_etablissement_creneau", column_B="exces_ic_bas", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="exces_ic_haut", column_B="exces_par_etablissement_creneau", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fin", column_B="debut", or_equal=True),
    ]
