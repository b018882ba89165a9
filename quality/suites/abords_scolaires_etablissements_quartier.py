"""Expectations the mart ``abords_scolaires_etablissements_quartier`` must meet before it is published."""

from __future__ import annotations

import json
from functools import cache

import great_expectations as gx

from orchestration.core.geography import QUARTIERS_GEOJSON

# A quartier with more schools of one level than this is a duplicated annuaire, not a city.
MAX_SCHOOLS_PER_QUARTIER_LEVEL = 60


@cache  # the reference file is read once per process, not once per gate
def _quartier_codes() -> list[str]:
    with QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:
        return sorted(f["properties"]["code_qua"] for f in json.load(handle)["features"])


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, quartier and level domains, plausible counts."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="niveau", value_set=["ecole", "college", "lycee"]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_etablissements", min_value=1, max_value=MAX_SCHOOLS_PER_QUARTIER_LEVEL),
    ]
