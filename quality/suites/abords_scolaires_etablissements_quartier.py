"""Expectations the mart ``abords_scolaires_etablissements_quartier`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.reference import quartier_codes as _quartier_codes

# A quartier with more schools of one level than this is a duplicated annuaire, not a city.
MAX_SCHOOLS_PER_QUARTIER_LEVEL = 60


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, quartier and level domains, plausible counts."""
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="niveau", value_set=["ecole", "college", "lycee"]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_etablissements", min_value=1, max_value=MAX_SCHOOLS_PER_QUARTIER_LEVEL),
    ]
