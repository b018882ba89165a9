"""Expectations the mart ``securite_evenements_exces_heure`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.mart_shapes.securite_evenements import SOURCES
from quality.suites.securite_evenements_calendrier import event_types, venues

# More than this many facts in one hour within the disc of one venue is a join fanning out.
MAX_HOURLY_COUNT = 500


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, domains and plausible magnitudes of the observed excess."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="source", value_set=list(SOURCES)),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_type_evenement", value_set=event_types()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_lieu", value_set=venues()),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="segment", regex=r"^(avant_\d+|pendant|fin|apres_\d+)$"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="observe", min_value=0, max_value=MAX_HOURLY_COUNT),
        gx.expectations.ExpectColumnValuesToBeBetween(column="reference", min_value=0, max_value=MAX_HOURLY_COUNT),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_heures_reference", min_value=0, max_value=52),
        gx.expectations.ExpectColumnValuesToBeBetween(column="exces", min_value=-MAX_HOURLY_COUNT, max_value=MAX_HOURLY_COUNT),
        gx.expectations.ExpectColumnValuesToBeBetween(column="jauge_attendue", min_value=1, max_value=200_000),
    ]
