"""Expectations the fit-quality mart ``securite_evenements_qualite`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.analytics.securite_evenements import QUALITY_COLUMNS

# The model card promises these: the backtest of the model AND of the naive baseline.
REQUIRED = ["fenetre_jours", "nb_evenements_observes", "nb_evenements_planifies", "dispersion",
            "backtest_mae_heure_modele", "backtest_mae_heure_naif", "backtest_biais_heure_modele", "backtest_biais_heure_naif"]


def expectations() -> list[gx.expectations.Expectation]:
    """Long format, unique (perimetre, indicateur), the promised indicators present, finite values."""
    return [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=QUALITY_COLUMNS, exact_match=True),
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=len(REQUIRED)),
        *[gx.expectations.ExpectColumnValuesToNotBeNull(column=c) for c in QUALITY_COLUMNS],
        gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["perimetre", "indicateur"]),
        gx.expectations.ExpectColumnDistinctValuesToContainSet(column="indicateur", value_set=REQUIRED),
        gx.expectations.ExpectColumnValuesToBeBetween(column="valeur", min_value=-1e6, max_value=1e6),
    ]
