"""Each declared partner feed: ingest asset, ``ingest_<feed>`` job, ``<feed>_landing`` sensor."""

import dagster as dg

from orchestration.core.catalog import feeds
from orchestration.factories.ingest import build_ingest_definitions


@dg.definitions
def ingest() -> dg.Definitions:
    return build_ingest_definitions(feeds().values())
