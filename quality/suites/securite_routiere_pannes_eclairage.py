"""Expectations the mart ``securite_routiere_pannes_eclairage`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, one row per perimetre and source, exposure and interval sanity."""
    columns = [
        "perimetre", "source", "categories", "periode_debut", "periode_fin", "nb_pannes", "rayon_m",
        "nb_evenements_panne", "heures_nuit_panne", "nb_evenements_reference", "heures_nuit_reference",
        "taux_panne_1000h", "taux_reference_1000h", "irr", "ic_bas", "ic_haut", "type_ratio", "methode",
    ]
    keys = ["perimetre", "source", "categories", "periode_debut", "periode_fin", "nb_pannes", "rayon_m",
            "nb_evenements_panne", "heures_nuit_panne", "nb_evenements_reference", "heures_nuit_reference", "type_ratio"]
    return [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True),
        *[gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in keys],
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["perimetre", "source"]),
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
