"""One use case end to end on whatever profile is configured: ingest, dbt, analytics, gate, publication.

The whole graph (135 assets) takes many minutes on a shared 2-core machine; the cluster tests and the
profile benchmark run this slice instead: every feed ingested, then everything upstream of one use
case's published outputs (its gold marts, open data and model card), in one in-process run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from infra.cluster.ingest_all import ingest_all
from orchestration.core.catalog import use_cases
from orchestration.core.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.factories.publication import CATALOGUE_KEY, REGISTER_KEY
from orchestration.runner import QUIET_LOGS, prepare_instance

USE_CASE = "tranquillite_publique"


@dataclass
class SliceResult:
    success: bool
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall seconds
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds (from Dagster events)
    assets: int = 0
    failure: str = ""


def published_outputs(use_case: str) -> list[dg.AssetKey]:
    """The gold marts, open-data datasets and model card of ``use_case``, and the DCAT catalogue
    and register (their own assets, rebuilt after any release, with no dependency edge)."""
    spec = use_cases()[use_case]
    keys = [dg.AssetKey(["gold", m.name]) for m in spec.marts if m.published]
    keys += [dg.AssetKey(["open_data", d.dataset.replace("-", "_")]) for d in spec.open_data]
    return [*keys, dg.AssetKey(["model_cards", use_case]), CATALOGUE_KEY, REGISTER_KEY]


def slice_selection(defs: dg.Definitions, use_case: str) -> list[dg.AssetKey]:
    """Everything materialisable upstream of the use case's outputs, ingest excepted (done before)."""
    graph = defs.resolve_asset_graph()
    selection = dg.AssetSelection.assets(*published_outputs(use_case)).upstream() - dg.AssetSelection.groups("ingest")
    return sorted((k for k in selection.resolve(graph) if graph.get(k).is_executable), key=lambda k: k.to_user_string())


def run_slice(settings: Settings, use_case: str = USE_CASE) -> SliceResult:
    """Ingest every feed, then build and publish ``use_case``; wall time per stage."""
    result = SliceResult(success=False)
    started = time.perf_counter()
    ingest_all(str(settings.lake))
    result.seconds["ingest (every feed)"] = time.perf_counter() - started
    defs = build_definitions(settings.lake)
    selection = slice_selection(defs, use_case)
    result.assets = len(selection)
    started = time.perf_counter()
    # Only the dbt tests whose every parent is built: the default (eager) also runs, say, the
    # relationship tests of other feeds' staging towards the quartiers, on models not built here.
    os.environ["DBT_INDIRECT_SELECTION"] = "cautious"
    try:
        with prepare_instance(settings) as instance:
            run = defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=instance, asset_selection=selection, run_config=QUIET_LOGS, raise_on_error=False
            )
            result.seconds[f"dbt + analytics + gates + publication ({use_case})"] = time.perf_counter() - started
            result.steps = _step_seconds(run)
    finally:
        os.environ.pop("DBT_INDIRECT_SELECTION", None)
    result.success = run.success
    if not run.success:
        result.failure = "; ".join(str(e.message) for e in run.all_events if e.is_failure)[:4000]
    return result


def _step_seconds(run: Any) -> dict[str, float]:
    """Seconds per step, from the STEP_SUCCESS events of an in-process run."""
    return {
        event.step_key: float(event.event_specific_data.duration_ms) / 1000
        for event in run.all_events
        if event.event_type == dg.DagsterEventType.STEP_SUCCESS
    }
