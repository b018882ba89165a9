"""Expectations the mart ``signaux_faibles_comptages_jour`` must meet before it is published."""

from __future__ import annotations

import great_expectations as gx

from orchestration.core.catalog import feed
from quality.suites.incidents_quartier_jour import _quartier_codes

FEEDS = {"police_mains_courantes": "code_nature", "allo_mairie_demandes": "thematique", "signalements_citoyens": "categorie"}
MAX_DAILY_COUNT_PER_CELL = 150  # one quartier, one category, one day: more is a replayed export


def expectations() -> list[gx.expectations.Expectation]:
    """Shape, grain, domains (quartiers, feeds, the feeds' declared categories), magnitudes."""
    codes = sorted({c for f, col in FEEDS.items() for c in (feed(f).column(col).codes or {})})
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_quartier", value_set=_quartier_codes()),
        gx.expectations.ExpectColumnValuesToBeInSet(column="flux", value_set=sorted(FEEDS)),
        gx.expectations.ExpectColumnValuesToBeInSet(column="code_categorie", value_set=codes),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_signalements", min_value=1, max_value=MAX_DAILY_COUNT_PER_CELL),
        gx.expectations.ExpectColumnValuesToBeBetween(column="nb_j_moins_7", min_value=0, max_value=MAX_DAILY_COUNT_PER_CELL),
    ]
