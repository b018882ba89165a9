"""Expectations the fit-quality mart ``signaux_faibles_qualite_modele`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx


def long_format_expectations(scopes: list[str], indicators: list[str]) -> list[gx.expectations.Expectation]:
    """The long fit-quality format shared by the use cases: one row per declared indicator, known scopes.

    Columns, not-null and the (perimetre, indicateur) grain come from the mart's declaration.
    """
    return [
        gx.expectations.ExpectTableRowCountToEqual(value=len(indicators)),
        gx.expectations.ExpectColumnValuesToBeInSet(column="perimetre", value_set=scopes),
        gx.expectations.ExpectColumnValuesToBeInSet(column="indicateur", value_set=indicators),
    ]


def expectations() -> list[gx.expectations.Expectation]:
    """Long format; rates and recall in their ranges."""
    return [
        *long_format_expectations(
            ["donnees", "alertes", "calibration", "auto_test"],
            ["jours_fenetre", "jours_sans_score", "cellules_jours_scorees", "alertes", "alertes_pour_mille", "observe_sur_attendu",
             "dispersion_pearson", "rappel_anomalies_injectees", "fausses_alertes_pour_mille_hors_injection"],
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(column="valeur", min_value=0),
    ]
