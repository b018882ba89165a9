"""Expectations the mart ``espace_public_quartiers`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.reference import quartier_codes as _quartier_codes


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, one row per quartier, counts consistent with each other."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(max_value=111),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_conflits", min_value=1),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_conflits", column_B="nb_jours_avec_conflit", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fin", column_B="debut", or_equal=True),
    ]
