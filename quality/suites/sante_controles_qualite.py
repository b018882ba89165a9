"""Expectations the mart ``sante_controles_qualite`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import marts


def expectations() -> list[gx.expectations.Expectation]:
    """Grain, declared marts only, failures never exceed evaluations.

    The table may be empty (first refresh of a new lake: no verdict logged yet).
    """
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="mart", value_set=sorted(marts())),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_evaluations", column_B="nb_echecs", or_equal=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_evaluations", min_value=1),
    ]
