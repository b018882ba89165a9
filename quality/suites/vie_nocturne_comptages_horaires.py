"""Expectations the mart ``vie_nocturne_comptages_horaires`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.suites.incidents_quartier_jour import _quartier_codes

FEEDS = ["police_mains_courantes", "marins_pompiers_interventions", "csu_evenements", "allo_mairie_demandes"]
# One quartier, one hour, one category: more than this is a replayed export or a fanning join.
MAX_HOURLY_COUNT_PER_CELL = 60


def expectations() -> list[gx.expectations.Expectation]:
    """The suite: shape, keys, domains and plausible magnitudes."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="flux", value_set=FEEDS),
        gx.expectations.ExpectColumnValuesToBeBetween(column="heure", min_value=0, max_value=23),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_incidents", min_value=1, max_value=MAX_HOURLY_COUNT_PER_CELL),
    ]
