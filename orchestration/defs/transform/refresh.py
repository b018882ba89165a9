"""Downstream of bronze: the declarative-automation sensor, and ``refresh_marts`` to rebuild it all by hand."""

import dagster as dg

from orchestration.factories.automation import DOWNSTREAM, build_automation_sensor

refresh_marts = dg.define_asset_job(
    "refresh_marts",
    selection=DOWNSTREAM,
    # Steps are sequential anyway (dbt -> gate -> publish); in-process avoids re-importing per step.
    executor_def=dg.in_process_executor,
    description="dbt build (staging, marts, dbt tests) -> Great Expectations gate -> gold + open data.",
)


@dg.definitions
def refresh() -> dg.Definitions:
    return dg.Definitions(jobs=[refresh_marts], sensors=[build_automation_sensor()])
