"""Freshness checks (one per feed, from its SLA) and the retention job (from its retention days)."""

import dagster as dg

from orchestration.core.catalog import feeds
from orchestration.factories.governance import build_freshness_and_retention


@dg.definitions
def governance() -> dg.Definitions:
    return build_freshness_and_retention(feeds().values())
