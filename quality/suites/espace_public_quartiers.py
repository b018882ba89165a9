"""Expectations the mart ``espace_public_quartiers`` must meet before it is published."""

from __future__ import annotations

import json
from functools import cache

import great_expectations as gx

from orchestration.core.geography import QUARTIERS_GEOJSON


@cache  # the reference file is read once per process, not once per gate
def _quartier_codes() -> list[str]:
    with QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:
        return sorted(f["properties"]["code_qua"] for f in json.load(handle)["features"])


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, one row per quartier, counts consistent with each other."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(max_value=111),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_conflits", min_value=1),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_conflits", column_B="nb_jours_avec_conflit", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fin", column_B="debut", or_equal=True),
    ]
