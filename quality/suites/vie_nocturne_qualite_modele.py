"""Expectations the fit-quality mart ``vie_nocturne_qualite_modele`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from quality.suites.signaux_faibles_qualite_modele import long_format_expectations


def expectations() -> list[gx.expectations.Expectation]:
    """Long format, known scopes, every indicator present once."""
    return long_format_expectations(
        ["donnees", "zones", "facteurs"],
        ["nuits_observees", "incidents_nocturnes_modele_zones", "heures_nuit_sans_meteo", "zones_a_probleme", "mae_backtest_modele",
         "mae_backtest_naif", "nuits_backtest", "deviance", "ddl_residuels", "dispersion"],
    )
