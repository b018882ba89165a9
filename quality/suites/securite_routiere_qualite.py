"""Expectations the fit-quality mart ``securite_routiere_qualite`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx


def expectations() -> list[gx.expectations.Expectation]:
    """The long format every fit-quality mart shares, and the indicators the model card relies on."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        gx.expectations.ExpectColumnDistinctValuesToContainSet(
            column="indicateur", value_set=["nb_accidents", "dispersion_modele_heure", "nb_points_chauds_quartier"]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="valeur", min_value=0),
    ]
