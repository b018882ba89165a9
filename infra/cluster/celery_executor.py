"""The cluster profile's distributed executor: Dagster steps on Celery workers, Redis as broker.

A run (launched by the daemon, ``dg.execute_job`` or a test) puts each step on the ``dagster``
queue of the broker; any worker (``python -m celery -A infra.cluster.celery_worker worker``, on
any node that has the code, the cluster variables and the broker URL) takes it and runs it
against the same Dagster instance (PostgreSQL) and lake (S3). A worker keeps the job's
definitions in memory between steps (Dagster caches the reconstructed job), so a step costs its
own work, not a process start-up and a re-import of the code location as with the multiprocess
executor.

The broker URL holds a password: it is read from ``OBSERVATOIRE_CELERY_BROKER_URL`` (or
``..._FILE``) by every process, never written into Dagster's run config or a file of the repo.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.core.catalog import feeds
from orchestration.definitions import build_definitions
from orchestration.factories.automation import DOWNSTREAM
from orchestration.factories.ingest import bronze_key

BROKER_VARIABLE = "OBSERVATOIRE_CELERY_BROKER_URL"
QUEUE = "dagster"  # dagster-celery's default queue
JOB_NAME = "ingest_on_celery"
DOWNSTREAM_JOB_NAME = "downstream_on_celery"


def broker_url() -> str:
    """The broker (and result backend) URL, from the environment or a ``..._FILE`` (no default)."""
    if path := os.environ.get(BROKER_VARIABLE + "_FILE", "").strip():
        return Path(path).read_text(encoding="utf-8").strip()
    url = os.environ.get(BROKER_VARIABLE, "").strip()
    if not url:
        raise RuntimeError(f"{BROKER_VARIABLE} (or {BROKER_VARIABLE}_FILE) is not set: no Celery broker.")
    return url


def celery_executor() -> dg.ExecutorDefinition:
    """dagster-celery's executor on our broker; the URL by environment variable, never in run config."""
    from dagster_celery import celery_executor as executor

    source: dict[str, Any] = {"env": BROKER_VARIABLE}
    return executor.configured({"broker": source, "backend": source, "config_source": {"task_acks_late": True}})


def _resolved(job: dg.UnresolvedAssetJobDefinition) -> Any:
    base = build_definitions(os.environ["OBSERVATOIRE_LAKE"])
    return dg.Definitions.merge(base, dg.Definitions(jobs=[job])).resolve_job_def(job.name)


def celery_ingest_job() -> Any:
    """Every feed's ingest asset in one job on the Celery executor (a run selects the feeds it ingests).

    Module level and argument-free: the run process and every worker rebuild it
    (``dg.reconstructable``); the lake comes from ``OBSERVATOIRE_LAKE``.
    """
    selection = [bronze_key(spec) for spec in feeds().values()]
    return _resolved(dg.define_asset_job(JOB_NAME, selection=selection, executor_def=celery_executor()))


def celery_downstream_job() -> Any:
    """Everything downstream of bronze (what the automation rebuilds: dbt, analytics, gates,
    publication) in one job on the Celery executor, its asset checks included."""
    return _resolved(dg.define_asset_job(DOWNSTREAM_JOB_NAME, selection=DOWNSTREAM, executor_def=celery_executor()))


def run_on_celery(instance: dg.DagsterInstance, feed_names: list[str], tags: dict[str, str]) -> dg.ExecutionResult:
    """Ingest ``feed_names`` in one run whose steps the Celery workers execute (needs OBSERVATOIRE_LAKE)."""
    selection = [bronze_key(feeds()[name]) for name in feed_names]
    return dg.execute_job(
        dg.reconstructable(celery_ingest_job), instance=instance, asset_selection=selection, tags=tags, raise_on_error=False
    )


def run_downstream_on_celery(instance: dg.DagsterInstance, tags: dict[str, str] | None = None) -> dg.ExecutionResult:
    """Build everything downstream of bronze in one run whose steps the Celery workers execute."""
    return dg.execute_job(dg.reconstructable(celery_downstream_job), instance=instance, tags=tags or {}, raise_on_error=False)
