"""The whole graph on the cluster profile (Delta tables on SeaweedFS S3, Dagster on PostgreSQL), on a tiny lake.

Every asset of the code location, exactly as ``observatoire run`` builds them (infra/cluster/whole_graph.py):
landing sensors and ingest, then declarative automation runs dbt, the analytics, the blocking
gates, gold, open data, model cards and governance; the runs and their events are stored in
PostgreSQL. Then the failure that matters on a cluster: an ingest worker killed mid-run and run
again must leave exactly what an uninterrupted run leaves (nothing lost, nothing doubled).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.cluster.postgres import LocalPostgres
from infra.cluster.seaweed import SeaweedS3
from orchestration.core import lake
from orchestration.core.catalog import feeds, use_cases
from orchestration.core.ingestion import bronze_path, landing_files, ledger_path
from orchestration.core.publishing import gold_path, read_manifest
from orchestration.core.settings import REPO_ROOT, Settings, load_settings
from orchestration.factories.ingest import bronze_key
from orchestration.runner import prepare_instance
from tests.cluster.conftest import GRAPH_PREFIX, ClusterLake, cluster_environ, dagster_pg_environ

pytestmark = [pytest.mark.cluster, pytest.mark.pipeline]


@pytest.fixture(autouse=True, scope="module")
def _graph_environ(cluster_lake: ClusterLake, object_store: SeaweedS3, dagster_postgres: LocalPostgres) -> Iterator[None]:
    """The tests of this module run under the profile the lake was built with (tests/cluster/conftest.py)."""
    with dagster_pg_environ(dagster_postgres), cluster_environ(object_store, GRAPH_PREFIX):
        yield


def test_whole_graph_runs_with_every_table_in_the_object_store_and_runs_in_postgres(cluster_lake: ClusterLake) -> None:
    result = cluster_lake.result
    assert result.success, result.failure
    settings = cluster_lake.settings
    # Every asset of the code location was materialised (ingest, dbt, analytics, gold, open data,
    # governance), but the ingest of feeds with nothing delivered (the historical BAAC dumps are
    # not simulated for a few days).
    undelivered = {bronze_key(spec) for spec in feeds().values() if not landing_files(settings, spec)}
    assert len(result.executable) > 100
    assert result.materialised == result.executable - undelivered, sorted(
        k.to_user_string() for k in result.executable ^ result.materialised
    )
    assert settings.profile == "cluster"
    with prepare_instance(settings) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert instance.get_runs_count() >= 2  # ingest and automation runs, stored in PostgreSQL
    assert not (settings.dagster_home / "history").exists()  # nothing of Dagster's storage in SQLite files
    # No Delta table on the local disk: bronze, quarantine, ledgers and gold are all in the bucket.
    assert not list(settings.lake.rglob("_delta_log"))
    assert lake.location(ledger_path(settings)).uri.startswith("s3://")
    assert lake.read(ledger_path(settings)).num_rows > 0
    published = [m for spec in use_cases().values() for m in spec.marts if m.published]
    assert published
    for mart in published:
        manifest = read_manifest(settings, mart.name)
        assert manifest is not None, mart.name
        assert lake.location(gold_path(settings, mart.name)).uri.startswith("s3://")
        assert lake.read(gold_path(settings, mart.name)).num_rows == manifest["rows"], mart.name
    assert (settings.open_data / "catalogue.ttl").exists() or any(settings.open_data.rglob("datapackage.json"))


def _bronze_state(settings: Settings) -> dict[str, tuple[int, int]]:
    """Per feed: rows, and distinct natural keys (equal when nothing is doubled)."""
    state = {}
    for spec in feeds().values():
        frame = lake.read(bronze_path(settings, spec)).to_pandas()
        keys = list(spec.natural_key)
        state[spec.name] = (len(frame), len(frame.drop_duplicates(keys)) if len(frame) else 0)
    return state


def _ingest_worker(lake_root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "infra.cluster.ingest_all", "--lake", str(lake_root)],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def test_ingest_worker_killed_mid_run_then_rerun_loses_and_doubles_nothing(
    cluster_lake: ClusterLake, object_store: SeaweedS3, tmp_path: Path
) -> None:
    reference = _bronze_state(cluster_lake.settings)
    reference_ledger = lake.read(ledger_path(cluster_lake.settings)).to_pandas()
    root = tmp_path / "lake"
    shutil.copytree(cluster_lake.settings.landing, root / "landing")  # the same deliveries
    with cluster_environ(object_store, "killed"):
        worker = _ingest_worker(root)
        assert worker.stdout is not None
        first = worker.stdout.readline()  # one feed committed: the worker is mid-run
        assert first, "the worker ended before ingesting anything"
        time.sleep(0.3)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        settings = load_settings(root)
        interrupted = lake.read(ledger_path(settings)).num_rows
        assert 0 < interrupted < len(reference_ledger)

        rerun = _ingest_worker(root)
        output, _ = rerun.communicate(timeout=900)
        assert rerun.returncode == 0, output
        assert "already_processed" in output  # what the killed worker committed is skipped
        state = _bronze_state(settings)
        ledger = lake.read(ledger_path(settings)).to_pandas()
    assert state == reference
    assert all(rows == keys for rows, keys in state.values())
    key = ["feed", "file_name", "checksum"]
    assert not ledger.duplicated(key).any()
    assert sorted(map(tuple, ledger[key].to_numpy())) == sorted(map(tuple, reference_ledger[key].to_numpy()))


def test_the_api_serves_gold_from_the_object_store(cluster_lake: ClusterLake) -> None:
    """The read-only API reads each published mart where the profile keeps it (the bucket), at its published version."""
    from apps.api.resources import Published

    settings = cluster_lake.settings
    published = Published(settings)
    served = published.published_marts()
    assert served
    for mart in served:
        snapshot = published.mart_snapshot(mart)
        manifest = read_manifest(settings, mart)
        assert manifest is not None
        assert snapshot.metadata["delta_version"] == manifest["delta_version"], mart
        assert published.table(snapshot).table.num_rows == manifest["rows"], mart


def test_audit_trail_and_its_retention_live_in_the_object_store(cluster_lake: ClusterLake) -> None:
    """Authenticated reads and public counts are appended in the bucket, and retention deletes them there."""
    from datetime import UTC, datetime, timedelta

    from orchestration.core import audit
    from orchestration.core.access import Principal

    path = cluster_lake.settings.audit
    principal = Principal(kind="user", subject="pseudonyme-test", roles=frozenset({"analyste"}))
    old = datetime(2020, 1, 1, tzinfo=UTC)
    assert audit.append(path, [audit.AuditEvent(principal, "api", "incidents_quartier_jour", 3, read_at=old)]) == 1
    assert audit.append_public_counts(audit.public_reads_path(path), old, old + timedelta(hours=1), {("d", "csv"): 2}) == 1
    assert lake.location(path).uri.startswith("s3://")
    assert not list(cluster_lake.settings.lake.rglob("_delta_log"))  # nothing fell back to the local disk
    removed = audit.apply_retention(path, days=30, now=datetime(2021, 1, 1, tzinfo=UTC))
    assert removed == {path.name: 1, audit.public_reads_path(path).name: 1}
    assert audit.read(path).num_rows == 0
