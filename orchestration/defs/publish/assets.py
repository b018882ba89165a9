"""Publication assets of the catalog: gold per mart, open-data exports, model cards."""

import dagster as dg

from orchestration.factories.publication import build_publication_assets


@dg.definitions
def publish() -> dg.Definitions:
    return dg.Definitions(assets=build_publication_assets())
