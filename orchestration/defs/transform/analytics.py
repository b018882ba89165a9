"""Python marts: one multi-asset per use case, one asset per ``built_by: python`` mart of the catalog."""

import dagster as dg

from orchestration.core.catalog import marts
from orchestration.factories.analytics import build_all_python_marts


@dg.definitions
def analytics() -> dg.Definitions:
    return dg.Definitions(assets=build_all_python_marts(list(marts().values())))
