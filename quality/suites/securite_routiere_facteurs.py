"""Expectations the mart ``securite_routiere_facteurs`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

FACTEURS = ["heure", "eclairage", "intersection", "meteo_declaree", "velo", "pluie_mesuree"]
TYPES_RATIO = ["rapport_de_taux", "rapport_de_comptes", "risque_relatif_gravite"]
# A perimeter with too few accidents gets rows without estimate that say so (methode); only those
# may leave ratio and interval empty.
ESTIMATED = 'methode != "données insuffisantes"'


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, declared factor and ratio kinds, intervals that contain their estimate."""
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        *[gx.expectations.ExpectColumnValuesToNotBeNull(column=c, row_condition=ESTIMATED, condition_parser="pandas")
          for c in ("ratio", "ic_bas", "ic_haut")],
        gx.expectations.ExpectColumnValuesToBeInSet(column="facteur", value_set=FACTEURS),
        gx.expectations.ExpectColumnValuesToBeInSet(column="type_ratio", value_set=TYPES_RATIO),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="perimetre", regex=r"^(BAAC (2018 réel|simulé \d{4}|\d{4} ONISR)|Police municipale [\d-]+)$"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="ratio", min_value=0, strict_min=True),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_evenements", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_evenements_reference", min_value=1, row_condition=ESTIMATED,
                                                      condition_parser="pandas"),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ratio", column_B="ic_bas", or_equal=True),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ic_haut", column_B="ratio", or_equal=True),
    ]
