"""The cluster profile on loopback: SeaweedFS (S3) and PostgreSQL started by the project's own helpers.

One server of each for the session, started on first use: ``object_store`` (SeaweedFS, ready in
about 1.5 s; each test works under its own prefix, with the ``OBSERVATOIRE_*`` variables of the
cluster profile set only while it runs, see ``cluster_environ``), ``dagster_postgres``
(a PostgreSQL cluster for Dagster's storage) and ``broker`` (Debian redis-server for Celery), in
each xdist worker that runs a test using them (tests/conftest.py groups the cluster modules).

``cluster_lake``: the whole graph run once per session on a tiny lake of every feed (tables on
SeaweedFS under the prefix ``graph``, Dagster's runs in PostgreSQL). Read-only, like every shared
lake: a test that runs steps on it again takes ``copy_cluster_lake`` (the local folder and the
bucket's prefix copied; seconds, against minutes for the whole graph). The tests reading it are
in one xdist group ("cluster-graph", tests/conftest.py), so one worker builds it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from infra.cluster.postgres import LocalPostgres, start_postgres
from infra.cluster.redis import LocalRedis, start_redis
from infra.cluster.seaweed import SeaweedS3, start_seaweed
from orchestration.core.settings import Settings, load_settings

# A tiny lake: CPU is shared, and the point is the plumbing, not the statistics.
CLUSTER_START = date(2026, 3, 2)
CLUSTER_DAYS = 4
CLUSTER_SEED = 7
CLUSTER_SCALE = 0.1


@pytest.fixture(scope="session")
def object_store() -> Iterator[SeaweedS3]:
    """SeaweedFS on 127.0.0.1 with a fresh bucket and credentials; stopped (data deleted) at the end."""
    server = start_seaweed()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dagster_postgres() -> Iterator[LocalPostgres]:
    """Debian PostgreSQL on a free 127.0.0.1 port in a temporary directory, deleted afterwards."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def broker() -> Iterator[LocalRedis]:
    """Debian redis-server on a free 127.0.0.1 port, password generated (installed if missing): Celery's broker."""
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def cluster_environ(server: SeaweedS3, prefix: str) -> Iterator[dict[str, str]]:
    """Select the cluster profile on ``server`` under ``prefix`` for the duration of the block."""
    values = server.environ(prefix)
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def dagster_pg_environ(server: LocalPostgres) -> Iterator[None]:
    """Dagster's storage on ``server`` (``OBSERVATOIRE_DAGSTER_PG_URL``) for the duration of the block."""
    saved = os.environ.get("OBSERVATOIRE_DAGSTER_PG_URL")
    os.environ["OBSERVATOIRE_DAGSTER_PG_URL"] = server.url
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("OBSERVATOIRE_DAGSTER_PG_URL", None)
        else:
            os.environ["OBSERVATOIRE_DAGSTER_PG_URL"] = saved


GRAPH_PREFIX = "graph"  # the bucket prefix of ``cluster_lake``


@dataclass
class ClusterLake:
    """A lake on which the whole graph ran once on the cluster profile (``infra/cluster/whole_graph.py``)."""

    settings: Settings
    result: Any  # infra.cluster.whole_graph.GraphResult
    env: dict[str, str]  # the cluster profile's variables it was built under


@pytest.fixture(scope="session")
def cluster_lake(object_store: SeaweedS3, dagster_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> ClusterLake:
    """Simulate a few days of every feed and run the whole graph: tables on S3, Dagster on PostgreSQL. Read-only."""
    from infra.cluster.whole_graph import run_whole_graph
    from simulator import simulate

    root = tmp_path_factory.mktemp("cluster_lake")
    simulate(root / "landing", start=CLUSTER_START, days=CLUSTER_DAYS, seed=CLUSTER_SEED, scale=CLUSTER_SCALE)
    with dagster_pg_environ(dagster_postgres), cluster_environ(object_store, GRAPH_PREFIX) as env:
        settings = load_settings(root)
        return ClusterLake(settings, run_whole_graph(settings), env)


def copy_cluster_lake(source: ClusterLake, server: SeaweedS3, root: Path, prefix: str) -> None:
    """Copy ``source`` to the local folder ``root`` and the bucket prefix ``prefix`` (select it with
    ``cluster_environ(server, prefix)`` and ``load_settings(root)``). Delta logs name their files
    relative to the table, so the copied tables are whole tables at their new place."""
    from urllib.parse import urlsplit

    from pyarrow import fs

    shutil.copytree(source.settings.lake, root, symlinks=True)
    endpoint = urlsplit(server.endpoint)
    s3 = fs.S3FileSystem(
        access_key=server.access_key,
        secret_key=server.secret_key,
        endpoint_override=endpoint.netloc,
        scheme=endpoint.scheme,
        region="us-east-1",
    )
    fs.copy_files(f"{server.bucket}/{GRAPH_PREFIX}", f"{server.bucket}/{prefix}", source_filesystem=s3, destination_filesystem=s3)
