"""Expectations the mart ``espace_public_conflits`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import use_cases

TYPES = ["chantier", "evenement", "marche"]
CONFLITS = ["chantier-evenement", "chantier-marche", "evenement-marche"]


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, one row per pair and day, declared kinds, distances within the declared radius."""
    radius = float(use_cases()["espace_public"].parameters.rayon_conflit_m)
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="type_conflit", value_set=CONFLITS),
        gx.expectations.ExpectColumnValuesToBeInSet(column="type_a", value_set=TYPES),
        gx.expectations.ExpectColumnValuesToBeInSet(column="type_b", value_set=TYPES),
        gx.expectations.ExpectColumnValuesToBeBetween(column="distance_m", min_value=0, max_value=radius),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="heure_debut_chevauchement", regex=r"^([01]\d|2[0-3]):[0-5]\d$"),
        gx.expectations.ExpectColumnValuesToMatchRegex(column="heure_fin_chevauchement", regex=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="heure_fin_chevauchement", column_B="heure_debut_chevauchement"),
    ]
