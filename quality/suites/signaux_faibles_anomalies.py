"""Expectations the mart ``signaux_faibles_anomalies`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import use_cases
from quality.suites.incidents_quartier_jour import _quartier_codes


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, declared series only, probabilities and scores in range, alerts honour the rule."""
    cfg = use_cases()["signaux_faibles"].parameters.signaux_faibles
    categories = sorted({str(c) for cats in cfg.series.values() for c in cats})
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="flux", value_set=sorted(cfg.series)),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_categorie", value_set=categories),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_observe", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_attendu", min_value=0),
        gx.expectations.ExpectColumnValuesToBeInSet(column="fenetre_jours", value_set=[0, *[int(w) for w in cfg.fenetres_jours]]),
        gx.expectations.ExpectColumnValuesToBeBetween(column="p_valeur", min_value=0, max_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="score", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="nb_observe_fenetre", column_B="nb_observe", or_equal=True),
        # an alert always meets the declared rule (score and minimum number of cases)
        gx.expectations.ExpectColumnValuesToBeBetween(column="score", min_value=float(cfg.seuil_score), row_condition='alerte == True',
                                                      condition_parser="pandas"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_observe_fenetre", min_value=int(cfg.nb_min_cas),
                                                      row_condition='alerte == True', condition_parser="pandas"),
    ]
