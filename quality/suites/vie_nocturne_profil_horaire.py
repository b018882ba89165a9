"""Expectations the mart ``vie_nocturne_profil_horaire`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import use_cases
from quality.suites.incidents_quartier_jour import _quartier_codes

# One night hour of one quartier is noisier than a whole night: a wider plausible ceiling.
MAX_IRR_HOUR = 50.0
MIN_EXPECTED_FOR_CEILING = 5  # expected incidents below which a ratio is too noisy to bound


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain (quartier x declared night hour), domains, ordered intervals."""
    hours = [int(h) for h in use_cases()["vie_nocturne"].parameters.vie_nocturne.heures_nuit]
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(max_value=len(hours) * len(_quartier_codes())),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="heure", value_set=hours),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_observe", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_attendu", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="irr", min_value=0),
        # The plausibility ceiling means something only where the baseline does: on a few days of
        # data a quartier-hour expecting 0.1 incidents can show a ratio of 60 with a huge interval.
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="irr", max_value=MAX_IRR_HOUR, row_condition=f"nb_attendu>={MIN_EXPECTED_FOR_CEILING}", condition_parser="pandas"
        ),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="irr", column_B="ic_bas", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut", column_B="irr", or_equal=True),
    ]
