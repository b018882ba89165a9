"""Expectations the mart ``securite_routiere_points_chauds_quartier`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.suites.securite_routiere_accidents_quartier import PERIMETRE_REGEX, quartier_codes


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, domains, and intervals that contain their estimates."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=111),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=quartier_codes()),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="perimetre", regex=PERIMETRE_REGEX),
        gx.expectations.ExpectColumnValuesToBeInSet(column="point_chaud", value_set=[True, False]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="probabilite_depassement", min_value=0, max_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_lisse_km2_an", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="rang", min_value=1, max_value=111),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="taux_lisse_km2_an", column_B="ic_bas_lisse", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut_lisse", column_B="taux_lisse_km2_an", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="taux_brut_km2_an", column_B="ic_bas_brut", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut_brut", column_B="taux_brut_km2_an", or_equal=True),
    ]
