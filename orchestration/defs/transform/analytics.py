"""Python marts: one asset per ``built_by: python`` mart of the catalog."""

import dagster as dg

from orchestration.core.catalog import marts
from orchestration.factories.analytics import build_python_mart


@dg.definitions
def analytics() -> dg.Definitions:
    return dg.Definitions(assets=[build_python_mart(s) for s in marts().values() if s.built_by == "python"])
