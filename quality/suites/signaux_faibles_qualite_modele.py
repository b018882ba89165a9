"""Expectations the fit-quality mart ``signaux_faibles_qualite_modele`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

COLUMNS = ["perimetre", "indicateur", "valeur", "unite", "commentaire"]


def long_format_expectations(scopes: list[str], indicators: list[str]) -> list[gx.expectations.Expectation]:
    """The long fit-quality format shared by the use cases: exact columns, one row per indicator."""
    return [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=COLUMNS, exact_match=True),
        gx.expectations.ExpectTableRowCountToEqual(value=len(indicators)),
        *[gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in ["perimetre", "indicateur", "unite", "commentaire"]],
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["perimetre", "indicateur"]),
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
