"""Expectations the mart ``vie_nocturne_facteurs`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

FACTORS = ["nuits_jeudi_vendredi_samedi", "pluie", "jour_ferie", "vacances_scolaires", "evenement", "surcroit_fin_de_semaine_zones"]


def expectations() -> list[gx.expectations.Expectation]:
    """One row per factor, known names, positive ordered intervals."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(max_value=len(FACTORS)),
        gx.expectations.ExpectColumnValuesToBeInSet(column="facteur", value_set=FACTORS),
        gx.expectations.ExpectColumnValuesToBeBetween(column="irr", min_value=0, max_value=50),
        gx.expectations.ExpectColumnValuesToBeBetween(column="ic_bas", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="p_valeur", min_value=0, max_value=1),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="irr", column_B="ic_bas", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut", column_B="irr", or_equal=True),
    ]
