"""Expectations the mart ``securite_evenements_prevision_heure`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.mart_shapes.securite_evenements import DAY_TYPES, SOURCES
from quality.suites.securite_evenements_calendrier import event_types, venues

MAX_HOURLY = 1000  # an expected excess above this in one hour near one venue is a broken fit


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, domains, interval order (low <= estimate <= high) and magnitudes."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="source", value_set=list(SOURCES)),
        gx.expectations.ExpectColumnValuesToBeInSet(column="type_jour", value_set=list(DAY_TYPES)),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_type_evenement", value_set=event_types()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_lieu", value_set=venues()),
        gx.expectations.ExpectColumnValuesToBeBetween(column="exces_bas", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="exces_haut", min_value=0, max_value=MAX_HOURLY),
        gx.expectations.ExpectColumnValuesToBeBetween(column="reference_attendue", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="exces_attendu", column_B="exces_bas", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="exces_haut", column_B="exces_attendu", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="faits_attendus", column_B="exces_attendu", or_equal=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="faits_haut", min_value=0, max_value=MAX_HOURLY),
    ]
