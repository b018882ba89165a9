"""Expectations the mart ``securite_routiere_points_chauds_carreaux`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.suites.securite_routiere_accidents_quartier import PERIMETRE_REGEX, quartier_codes

# Injury accidents in one 200 m cell in one year beyond this: a geocoding default point, not a road.
MAX_PER_CELL = 120


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain (perimetre x INSEE cell), domains and magnitudes."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="carreau_200m", regex=r"^CRS3035RES200mN\d+E\d+$"),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="perimetre", regex=PERIMETRE_REGEX),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_accidents", min_value=1, max_value=MAX_PER_CELL),
        gx.expectations.ExpectColumnValuesToBeBetween(column="p_valeur", min_value=0, max_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="attendu_quartier", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_accidents", column_B="nb_accidents_graves", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_accidents", column_B="ic_bas", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut", column_B="nb_accidents", or_equal=True),
    ]
