"""The blocking Great Expectations gate on every mart of the catalog."""

import dagster as dg

from orchestration.core.catalog import marts
from orchestration.factories.gates import build_gate


@dg.definitions
def gates() -> dg.Definitions:
    return dg.Definitions(asset_checks=[build_gate(name) for name in marts()])
