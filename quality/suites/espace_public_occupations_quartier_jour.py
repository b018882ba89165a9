"""Expectations the mart ``espace_public_occupations_quartier_jour`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.reference import quartier_codes as _quartier_codes

# More than this many occupations of one kind in one quartier on one day is a replayed export.
MAX_PER_QUARTIER_DAY = 400


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, quartier domain, plausible and consistent counts."""
    counts = ["nb_chantiers_actifs", "nb_chantiers_restrictifs", "nb_seances_marche", "nb_evenements"]
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        *[gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=MAX_PER_QUARTIER_DAY)
          for c in counts],
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="nb_chantiers_actifs", column_B="nb_chantiers_restrictifs", or_equal=True),
    ]
