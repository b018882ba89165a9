"""Expectations the mart ``sante_controles_qualite`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import marts


def expectations() -> list[gx.expectations.Expectation]:
    """Grain, declared marts only, failures never exceed evaluations.

    The table may be empty (first refresh of a new lake: no verdict logged yet).
    """
    columns = ["mart", "jour", "nb_evaluations", "nb_echecs", "dernier_succes", "dernieres_lignes", "attentes_evaluees", "attentes_echouees"]
    return [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True),
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["mart", "jour"]),
        gx.expectations.ExpectColumnValuesToBeInSet(column="mart", value_set=sorted(marts())),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_evaluations", column_B="nb_echecs", or_equal=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_evaluations", min_value=1),
    ]
