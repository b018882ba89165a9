"""The cluster profile on loopback: SeaweedFS (S3) and PostgreSQL started by the project's own helpers.

One server of each for the session, started on first use: ``object_store`` (SeaweedFS, ready in
about 1.5 s; each test works under its own prefix, with the ``OBSERVATOIRE_*`` variables of the
cluster profile set only while it runs, see ``cluster_environ``), ``dagster_postgres``
(a PostgreSQL cluster for Dagster's storage) and ``broker`` (Debian redis-server for Celery). Under `make test` every test using them runs in
one xdist group ("cluster", tests/conftest.py), so each server starts once per session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from infra.cluster.postgres import LocalPostgres, start_postgres
from infra.cluster.redis import LocalRedis, start_redis
from infra.cluster.seaweed import SeaweedS3, start_seaweed

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
