"""Expectations the mart ``abords_scolaires_quartiers`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.reference import quartier_codes as _quartier_codes


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, one row per quartier with schools, counts >= 0, rates consistent with their counts,
    each estimate inside its 95 % interval (ic_bas <= value <= ic_haut)."""
    either = "either_value_is_missing"  # no exposure (e.g. no holiday weekday): no rate, no interval
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(max_value=111),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_etablissements", min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_incidents_creneaux_classe", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_incidents_creneaux_vacances", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_creneaux_classe", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_creneaux_vacances", min_value=0),
        # Per 100 school-windows: above 100 means more than one incident per school and window.
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_pour_100_creneaux_classe", min_value=0, max_value=100),
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_pour_100_creneaux_vacances", min_value=0, max_value=100),
        gx.expectations.ExpectColumnValuesToBeBetween(column="taux_classe_ic_bas", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="taux_pour_100_creneaux_classe", column_B="taux_classe_ic_bas", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="taux_classe_ic_haut", column_B="taux_pour_100_creneaux_classe", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="exces_pour_100_creneaux", column_B="exces_ic_bas", or_equal=True, ignore_row_if=either),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="exces_ic_haut", column_B="exces_pour_100_creneaux", or_equal=True, ignore_row_if=either),
        # An interval exists exactly when its estimate does (never a bound without a value).
        gx.expectations.ExpectColumnValuesToBeNull(column="exces_ic_bas", row_condition='exces_pour_100_creneaux.isnull()',
                                                   condition_parser="pandas"),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="fin", column_B="debut", or_equal=True),
    ]
