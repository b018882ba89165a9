"""Expectations the mart ``securite_evenements_dispositif`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.mart_shapes.securite_evenements import STAFFING_COLUMNS
from quality.suites.securite_evenements_calendrier import event_types, venues

MAX_AGENTS = 2000  # more agents than this for one event hour is a doctrine or model error
MAX_BARRIERS = 5000


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, domains; agents at least the doctrine's two rules; non-negative integers."""
    return [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=STAFFING_COLUMNS, exact_match=True),
        *[gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in STAFFING_COLUMNS],
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["evenement_id", "session", "heure_relative"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_type_evenement", value_set=event_types()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_lieu", value_set=venues()),
        gx.expectations.ExpectColumnValuesToBeBetween(column="agents", min_value=0, max_value=MAX_AGENTS),
        gx.expectations.ExpectColumnValuesToBeBetween(column="barrieres", min_value=0, max_value=MAX_BARRIERS),
        gx.expectations.ExpectColumnValuesToBeBetween(column="faits_supplementaires_haut", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="interventions_secours_haut", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="agents", column_B="agents_selon_faits", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="agents", column_B="agents_minimum_jauge", or_equal=True),
    ]
