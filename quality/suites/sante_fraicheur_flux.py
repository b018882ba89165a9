"""Expectations the mart ``sante_fraicheur_flux`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import feeds

STATUSES = ["à l'heure", "en retard", "jamais livré", "archive (sans délai attendu)"]


def expectations() -> list[gx.expectations.Expectation]:
    """Exactly one row per declared feed, a known verdict, non-negative ages."""
    return [
        gx.expectations.ExpectTableRowCountToEqual(value=len(feeds())),
        gx.expectations.ExpectColumnValuesToBeInSet(column="flux", value_set=sorted(feeds())),
        gx.expectations.ExpectColumnValuesToBeInSet(column="statut", value_set=STATUSES),
        gx.expectations.ExpectColumnValuesToBeBetween(column="age_heures", min_value=0),
    ]
