"""After any bronze table changes: rebuild the marts, gate them, publish what passed."""


import json

import dagster as dg

from orchestration.core.catalog import feeds

REFRESH_SELECTION = dg.AssetSelection.groups("transform", "publish")
refresh_marts = dg.define_asset_job(
    "refresh_marts",
    selection=REFRESH_SELECTION,
    # Steps are sequential anyway (dbt -> gate -> publish); in-process avoids re-importing per step.
    executor_def=dg.in_process_executor,
    description="dbt build (staging, marts, dbt tests) -> Great Expectations gate -> gold + open data.",
)


@dg.sensor(job=refresh_marts, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def bronze_updated(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Request one refresh per new bronze materialisation (any feed)."""
    cursor: dict[str, float] = json.loads(context.cursor) if context.cursor else {}
    latest: dict[str, float] = {}
    for name in feeds():
        event = context.instance.get_latest_materialization_event(dg.AssetKey(["bronze", name]))
        if event is not None:
            latest[name] = event.timestamp
    changed = {k: v for k, v in latest.items() if cursor.get(k) != v}
    if not changed:
        return dg.SkipReason("no bronze table changed")
    run_key = "refresh-" + "-".join(f"{k}:{v}" for k, v in sorted(changed.items()))
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=run_key)], cursor=json.dumps({**cursor, **latest}))


@dg.definitions
def refresh() -> dg.Definitions:
    return dg.Definitions(jobs=[refresh_marts], sensors=[bronze_updated])
