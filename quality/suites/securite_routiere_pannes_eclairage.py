"""Expectations the mart ``securite_routiere_pannes_eclairage`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, one row per perimetre and source, exposure and interval sanity."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="source", value_set=["BAAC", "Police municipale"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="type_ratio", value_set=["rapport_de_taux"]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="rayon_m", min_value=1, max_value=500),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_pannes", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="heures_nuit_panne", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="heures_nuit_reference", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="irr", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="periode_fin", column_B="periode_debut", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="irr", column_B="ic_bas", or_equal=True, ignore_row_if="either_value_is_missing"),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ic_haut", column_B="irr", or_equal=True, ignore_row_if="either_value_is_missing"),
    ]
