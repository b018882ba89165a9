"""Expectations the mart ``sante_flux_jour`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import feeds


def expectations() -> list[gx.expectations.Expectation]:
    """Grain, declared feeds only, consistent volumes."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="flux", value_set=sorted(feeds())),
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_quarantaine", min_value=0, max_value=1),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_livraisons", column_B="nb_rejets", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="lignes_lues", column_B="lignes_ecrites", or_equal=True),
    ]
