"""Expectations the mart ``vie_nocturne_zones`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.suites.incidents_quartier_jour import _quartier_codes

# A quartier ten times busier at night than its daytime level predicts is a join or feed bug here.
MAX_IRR = 25.0
MIN_EXPECTED_FOR_CEILING = 5  # expected incidents below which a ratio is too noisy to bound


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain (quartier x kind of night), domains, ordered intervals."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(max_value=3 * len(_quartier_codes())),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="type_nuit", value_set=["semaine", "fin_de_semaine", "toutes"]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_observe", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_attendu", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_nuits", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="irr", min_value=0),
        # The plausibility ceiling means something only where the baseline does: on a few days of
        # data a quartier-hour expecting 0.1 incidents can show a ratio of 60 with a huge interval.
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="irr", max_value=MAX_IRR, row_condition=f"nb_attendu>={MIN_EXPECTED_FOR_CEILING}", condition_parser="pandas"
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(column="ic_bas", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="irr", column_B="ic_bas", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut", column_B="irr", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="derniere_nuit", column_B="premiere_nuit", or_equal=True),
    ]
