"""Dagster's storage on PostgreSQL and ingest of two feeds in parallel (multiprocess executor)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from infra.cluster.parallel_ingest import run_parallel_ingest
from infra.cluster.postgres import LocalPostgres
from infra.cluster.seaweed import SeaweedS3
from orchestration.core import lake
from orchestration.core.catalog import feeds
from orchestration.core.ingestion import bronze_path
from orchestration.core.settings import load_settings
from orchestration.factories.ingest import day_range_tags
from orchestration.runner import prepare_instance
from tests.cluster.conftest import CLUSTER_DAYS, CLUSTER_SCALE, CLUSTER_SEED, CLUSTER_START, cluster_environ

pytestmark = [pytest.mark.cluster, pytest.mark.pipeline]

PARALLEL_FEEDS = ("police_mains_courantes", "csu_evenements")


def test_two_feeds_ingest_in_parallel_with_runs_stored_in_postgres(
    object_store: SeaweedS3, dagster_postgres: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from simulator import simulate

    root = tmp_path / "lake"
    # Only the two feeds the run ingests (the job selects them: other deliveries would wait unread).
    simulate(root / "landing", start=CLUSTER_START, days=CLUSTER_DAYS, seed=CLUSTER_SEED, scale=CLUSTER_SCALE, feeds=list(PARALLEL_FEEDS))
    monkeypatch.setenv("OBSERVATOIRE_DAGSTER_PG_URL", dagster_postgres.url)
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(root))
    monkeypatch.setenv("OBSERVATOIRE_PARALLEL_FEEDS", ",".join(PARALLEL_FEEDS))
    with cluster_environ(object_store, "parallel"):
        settings = load_settings(root)
        last = CLUSTER_START + timedelta(days=CLUSTER_DAYS - 1)
        with prepare_instance(settings) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert dagster_postgres.url not in (settings.dagster_home / "dagster.yaml").read_text()  # by variable only
            result = run_parallel_ingest(instance, day_range_tags(CLUSTER_START, last))
            assert result.success
            run_id = result.run_id
            events = instance.all_logs(run_id)
        # The run is in PostgreSQL, seen from a fresh instance on the same database.
        with prepare_instance(settings) as other:
            assert other.get_run_by_id(run_id) is not None
        ingest_steps = {f"bronze__{name}" for name in PARALLEL_FEEDS}  # their freshness checks are steps too
        step_starts = [e for e in events if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_START]
        step_ends = [e for e in events if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_SUCCESS]
        starts = {e.step_key: e.timestamp for e in step_starts if e.step_key in ingest_steps}
        ends = {e.step_key: e.timestamp for e in step_ends if e.step_key in ingest_steps}
        assert len(starts) == len(PARALLEL_FEEDS) == len(ends)
        # Both step processes were launched before either step finished: the executor ran them side
        # by side (whether their bodies overlap then depends on each process's start-up time).
        launched = {
            e.step_key: e.timestamp
            for e in events
            if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.STEP_WORKER_STARTING and e.step_key in ingest_steps
        }
        assert len(launched) == len(PARALLEL_FEEDS)
        assert max(launched.values()) < min(ends.values()), "the second ingest step waited for the first"
        pids = {e.dagster_event.pid for e in step_starts if e.dagster_event and e.step_key in ingest_steps}
        assert len(pids) == len(PARALLEL_FEEDS)  # one process per step
        for name in PARALLEL_FEEDS:
            assert lake.read(bronze_path(settings, feeds()[name])).num_rows > 0


def test_the_cli_instance_keeps_its_connections_instead_of_one_per_event(
    dagster_postgres: LocalPostgres, object_store: SeaweedS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stores dozens of events; the server sees a handful of sessions for them, all closed on exit."""
    import dagster as dg
    import sqlalchemy as sa

    monkeypatch.setenv("OBSERVATOIRE_DAGSTER_PG_URL", dagster_postgres.url)
    server = sa.create_engine(dagster_postgres.url, poolclass=sa.pool.NullPool)

    def sessions() -> int:  # sessions ever established on the database (PostgreSQL 14+), and those open now
        with server.connect() as con:
            return int(con.execute(sa.text("select sessions from pg_stat_database where datname = current_database()")).scalar_one())

    def open_now() -> int:
        with server.connect() as con:
            query = "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
            return int(con.execute(sa.text(query)).scalar_one())

    @dg.op
    def tick(context) -> None:  # type: ignore[no-untyped-def]  # no annotation: the module's are strings
        for i in range(20):
            context.log.info(f"event {i}")

    with cluster_environ(object_store, "pool"):
        settings = load_settings(tmp_path / "lake")
        with prepare_instance(settings) as instance:
            before = sessions()
            result = dg.GraphDefinition(name="ticks", node_defs=[tick]).to_job().execute_in_process(instance=instance)
            assert result.success
            stored = len(instance.all_logs(result.run_id))
            opened = sessions() - before - 1  # the count's own session
        assert stored > 20
        assert opened <= 5, f"{opened} sessions for {stored} events: a connection per event"
        assert open_now() == 0  # disposed with the instance
