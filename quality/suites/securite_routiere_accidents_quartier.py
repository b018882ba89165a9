"""Expectations the mart ``securite_routiere_accidents_quartier`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.reference import quartier_codes

# A quartier with more injury accidents than this in a year is a join fanning out, not a road.
MAX_ACCIDENTS_PER_QUARTIER_YEAR = 400
PERIMETRE_REGEX = r"^BAAC (2018 réel|simulé \d{4})$"


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, domains and plausible magnitudes."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=111),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=quartier_codes()),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="perimetre", regex=PERIMETRE_REGEX),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="arrondissement", regex=r"^132(0[1-9]|1[0-6])$"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="surface_km2", min_value=0.01, max_value=60),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_annees", min_value=1, max_value=30),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_accidents", min_value=0, max_value=MAX_ACCIDENTS_PER_QUARTIER_YEAR * 30),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_accidents", column_B="nb_accidents_graves", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_accidents", column_B="nb_accidents_nuit", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_accidents", column_B="nb_accidents_velo", or_equal=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_brut_km2_an", min_value=0),
    ]
