"""Ingest of several feeds in one Dagster run, each feed in its own process (multiprocess executor).

The job is rebuilt in every step process (``dg.reconstructable``), so it is defined by a module-level
function reading the lake from ``OBSERVATOIRE_LAKE`` and the feeds from ``OBSERVATOIRE_PARALLEL_FEEDS``.
On a cluster the instance is on PostgreSQL (orchestration/core/dagster_instance.py), so the step
processes, the webserver and the daemon all see the same runs and events.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

from orchestration.core.catalog import feeds
from orchestration.definitions import build_definitions
from orchestration.factories.ingest import bronze_key

JOB_NAME = "ingest_in_parallel"
MAX_PROCESSES = 2  # this machine has 2 cores; a real worker node sets more


def parallel_ingest_job() -> Any:
    """The resolved job over the selected feeds' ingest assets, with the multiprocess executor."""
    selected = os.environ["OBSERVATOIRE_PARALLEL_FEEDS"].split(",")
    specs = [feeds()[name] for name in selected]
    job = dg.define_asset_job(
        JOB_NAME,
        selection=[bronze_key(spec) for spec in specs],
        executor_def=dg.multiprocess_executor.configured({"max_concurrent": MAX_PROCESSES}),
    )
    base = build_definitions(os.environ["OBSERVATOIRE_LAKE"])
    return dg.Definitions.merge(base, dg.Definitions(jobs=[job])).resolve_job_def(JOB_NAME)


def run_parallel_ingest(instance: dg.DagsterInstance, tags: dict[str, str]) -> dg.ExecutionResult:
    """Execute the job (needs OBSERVATOIRE_LAKE and OBSERVATOIRE_PARALLEL_FEEDS in the environment)."""
    return dg.execute_job(dg.reconstructable(parallel_ingest_job), instance=instance, tags=tags, raise_on_error=False)
