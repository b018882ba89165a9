"""Expectations the mart ``incidents_quartier_jour`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import feed
from quality.reference import quartier_codes as _quartier_codes

# A single quartier seeing more than this many interventions of one kind in one day is not a
# busy day, it is a feed bug (a partner replaying an export, a join fanning out): block it.
MAX_DAILY_COUNT_PER_CELL = 150


def expectations() -> list[gx.expectations.Expectation]:
    """The suite: shape, keys, referential domains and plausible magnitudes."""
    categories = sorted((feed("police_mains_courantes").column("code_nature").codes or {}).values())
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="categorie", value_set=categories),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="arrondissement", regex=r"^132(0[1-9]|1[0-6])$"),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="nb_incidents", min_value=1, max_value=MAX_DAILY_COUNT_PER_CELL
        ),
    ]
