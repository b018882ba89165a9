"""Expectations the mart ``abords_scolaires_quartiers`` must meet before it is published."""

from __future__ import annotations

import json

import great_expectations as gx

from orchestration.core.geography import QUARTIERS_GEOJSON


def _quartier_codes() -> list[str]:
    with QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:
        return sorted(f["properties"]["code_qua"] for f in json.load(handle)["features"])


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, one row per quartier with schools, counts >= 0, rates consistent with their counts."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(max_value=111),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_etablissements", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_incidents_creneaux_classe", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_incidents_creneaux_vacances", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_creneaux_classe", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_creneaux_vacances", min_value=0),
        # Per 100 school-windows: above 100 means more than one incident per school and window.
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_pour_100_creneaux_classe", min_value=0, max_value=100),
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_pour_100_creneaux_vacances", min_value=0, max_value=100),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fin", column_B="debut", or_equal=True),
    ]
