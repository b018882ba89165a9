"""Expectations the fit-quality mart ``espace_public_qualite`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx


def expectations() -> list[gx.expectations.Expectation]:
    """The long format every fit-quality mart shares, and the indicators the model card relies on."""
    return [
        gx.expectations.ExpectColumnDistinctValuesToContainSet(
            column="indicateur", value_set=["jours_couverts", "nb_chantiers_compares", "nb_marches_compares"]),
    ]
