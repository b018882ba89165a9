"""The whole graph on whatever profile is configured, exactly as ``observatoire run`` runs it.

Landing sensors -> one ingest run of every pending feed, then declarative automation -> one run of
everything downstream (dbt, analytics, gates, publication, open data, model cards, governance),
then the freshness checks (orchestration/runner.py ``run_pending``). The cluster tests and the
profile benchmark run this on a tiny lake; it returns the seconds per run and per step (from the
runs' events in the Dagster instance: SQLite embedded, PostgreSQL on the cluster profile).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dagster as dg

from orchestration.core.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.runner import RunSummary, prepare_instance, run_pending


@dataclass
class GraphResult:
    success: bool
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall seconds
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds (from the runs' events)
    materialised: set[dg.AssetKey] = field(default_factory=set)
    executable: set[dg.AssetKey] = field(default_factory=set)  # every asset of the code location that can run
    failure: str = ""


def stage_of(job: str, trigger: str | None) -> str:
    """The benchmark's stage of a run: ingest, the automation run(s), the freshness checks."""
    if job.startswith("ingest"):
        return "ingest (every feed, landing sensors)"
    if trigger == "cli-automation":
        return "dbt + analytics + gates + publication (automation)"
    return "freshness checks and the rest"


def run_whole_graph(settings: Settings) -> GraphResult:
    """Run everything pending on ``settings.lake``; wall seconds per stage and per step."""
    started = time.perf_counter()
    defs = build_definitions(settings.lake)
    result = GraphResult(success=False, seconds={"definitions": time.perf_counter() - started})
    summary: RunSummary = run_pending(settings, defs, echo=lambda _line: None)
    for run in summary.runs:
        stage = stage_of(run.job, run.tags.get("observatoire/trigger"))
        result.seconds[stage] = result.seconds.get(stage, 0.0) + run.seconds
    result.seconds["total"] = time.perf_counter() - started
    result.success = summary.success
    result.failure = "\n".join(r.failure for r in summary.runs if not r.success)[:4000]
    graph = defs.resolve_asset_graph()
    result.executable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_executable}
    with prepare_instance(settings) as instance:
        for record in instance.get_run_records():
            for entry in instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS):
                duration = entry.dagster_event.event_specific_data.duration_ms  # type: ignore[union-attr]
                result.steps[entry.step_key or "?"] = result.steps.get(entry.step_key or "?", 0.0) + float(duration) / 1000
        result.materialised = {key for key in result.executable if instance.get_latest_materialization_event(key) is not None}
    return result
