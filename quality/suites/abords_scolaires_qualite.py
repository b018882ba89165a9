"""Expectations the fit-quality mart ``abords_scolaires_qualite`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx


def expectations() -> list[gx.expectations.Expectation]:
    """The long format every fit-quality mart shares, and the indicators the model card relies on."""
    return [
        gx.expectations.ExpectColumnDistinctValuesToContainSet(
            column="indicateur",
            value_set=["jours_de_classe", "jours_de_vacances_en_semaine", "nb_etablissements"]),
    ]
