"""Expectations the mart ``espace_public_plaintes_effets`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import use_cases


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, declared sources, counts >= 0, intervals around their estimate."""
    params = use_cases()["espace_public"].parameters
    either = "either_value_is_missing"
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="objet", value_set=["chantier", "marche"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="source", value_set=list(params.categories)),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_lieux", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_jours_actifs", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_plaintes_actif", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_plaintes_reference", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="rapport_taux", min_value=0, strict_min=True),
        # More than five extra complaints per worksite-day or session is a join fanning out.
        gx.expectations.ExpectColumnValuesToBeBetween(column="exces_par_jour_actif", min_value=-5, max_value=5),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="rapport_taux", column_B="ic_bas", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut", column_B="rapport_taux", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="exces_par_jour_actif", column_B="exces_ic_bas", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="exces_ic_haut", column_B="exces_par_jour_actif", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fin", column_B="debut", or_equal=True),
    ]
