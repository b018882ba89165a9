"""Two feeds' ingest on Celery workers (Debian redis-server as broker), runs stored in PostgreSQL.

Two worker processes (solo pool) are started by the project's helper with the cluster profile's
variables; one run of the Celery executor ingests two feeds; each step runs in a different
worker, both submitted before either finished, and the run and its events are in PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from infra.cluster.celery_executor import BROKER_VARIABLE, run_on_celery
from infra.cluster.celery_workers import celery_workers
from infra.cluster.postgres import LocalPostgres
from infra.cluster.redis import LocalRedis
from infra.cluster.seaweed import SeaweedS3
from orchestration.core import lake
from orchestration.core.catalog import feeds
from orchestration.core.ingestion import bronze_path
from orchestration.core.settings import load_settings
from orchestration.factories.ingest import day_range_tags
from orchestration.runner import prepare_instance
from tests.cluster.conftest import CLUSTER_DAYS, CLUSTER_SCALE, CLUSTER_SEED, CLUSTER_START, cluster_environ

pytestmark = [pytest.mark.cluster, pytest.mark.pipeline]

CELERY_FEEDS = ("police_mains_courantes", "csu_evenements")


def test_two_feeds_ingest_on_two_celery_workers_with_runs_in_postgres(
    object_store: SeaweedS3,
    dagster_postgres: LocalPostgres,
    broker: LocalRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dagster as dg

    from simulator import simulate

    root = tmp_path / "lake"
    simulate(root / "landing", start=CLUSTER_START, days=CLUSTER_DAYS, seed=CLUSTER_SEED, scale=CLUSTER_SCALE, feeds=list(CELERY_FEEDS))
    monkeypatch.setenv("OBSERVATOIRE_DAGSTER_PG_URL", dagster_postgres.url)
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(root))
    monkeypatch.setenv(BROKER_VARIABLE, broker.url)
    with cluster_environ(object_store, "celery") as env:
        settings = load_settings(root)
        last = CLUSTER_START + timedelta(days=CLUSTER_DAYS - 1)
        with prepare_instance(settings) as instance:  # writes dagster.yaml (PostgreSQL) the workers' steps use
            worker_env = {
                **env,
                "OBSERVATOIRE_DAGSTER_PG_URL": dagster_postgres.url,
                "OBSERVATOIRE_LAKE": str(root),
                BROKER_VARIABLE: broker.url,
            }
            with celery_workers(worker_env, count=2, logs=tmp_path) as workers:
                result = run_on_celery(instance, list(CELERY_FEEDS), day_range_tags(CLUSTER_START, last))
            assert result.success, [e.message for e in instance.all_logs(result.run_id) if e.dagster_event and e.dagster_event.is_failure]
            events = instance.all_logs(result.run_id)
        with prepare_instance(settings) as other:  # the run is in PostgreSQL, seen from a fresh instance
            assert type(other.run_storage).__name__ == "PostgresRunStorage"
            assert other.get_run_by_id(result.run_id) is not None
        assert broker.url not in (settings.dagster_home / "dagster.yaml").read_text()
        steps = {f"bronze__{name}" for name in CELERY_FEEDS}
        # Each step ran in a Celery worker (dagster-celery reports the worker's name), one per worker.
        taken = {
            e.step_key: e.dagster_event.engine_event_data.metadata["Celery worker"].value
            for e in events
            if e.dagster_event
            and e.dagster_event.is_engine_event
            and e.step_key in steps
            and "Celery worker" in e.dagster_event.engine_event_data.metadata
        }
        assert set(taken) == steps
        assert set(taken.values()) == set(workers)
        # Both steps were submitted before either finished: the executor did not wait for one to run the
        # other. (Whether their bodies then overlap depends on each worker loading the code location:
        # a step of a few deliveries lasts about a second, as long as that load's jitter under load,
        # so STEP_START times prove nothing either way; the two workers above prove the distribution.)
        submitted = {
            e.step_key: e.timestamp
            for e in events
            if e.dagster_event and e.dagster_event.is_engine_event and e.step_key in steps and "Submitting celery task" in (e.message or "")
        }
        ends = {
            e.step_key: e.timestamp
            for e in events
            if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_SUCCESS and e.step_key in steps
        }
        assert len(submitted) == len(ends) == len(CELERY_FEEDS)
        assert max(submitted.values()) < min(ends.values()), "the second step was submitted after the first finished"
        for name in CELERY_FEEDS:
            assert lake.read(bronze_path(settings, feeds()[name])).num_rows > 0
