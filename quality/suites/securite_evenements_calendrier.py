"""Expectations the mart ``securite_evenements_calendrier`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import feed
from quality.reference import quartier_codes


def event_types() -> list[str]:
    return sorted((feed("evenements").column("type_evenement").codes or {}).keys())


def venues() -> list[str]:
    return sorted((feed("evenements").column("lieu").codes or {}).keys())


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, keys, catalog domains, time order and plausible attendance."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_type_evenement", value_set=event_types()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_lieu", value_set=venues()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_statut", value_set=["PREVU", "ANNULE"]),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fin_local", column_B="debut_local", or_equal=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="jauge_attendue", min_value=1, max_value=200_000),
    ]
