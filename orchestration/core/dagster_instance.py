"""The Dagster instance file (``<lake>/.dagster/dagster.yaml``) for the active profile.

Embedded: ``infra/dagster.yaml`` as is (SQLite storage in the lake). Cluster: the same file plus
run, event-log and schedule storage on PostgreSQL, so several processes and machines (webserver,
daemon, run workers) share one instance. The URL holds a password: the file names the environment
variable, never the value.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from orchestration.core.settings import REPO_ROOT, Settings

BASE_INSTANCE = REPO_ROOT / "infra" / "dagster.yaml"
PG_URL_VARIABLE = "OBSERVATOIRE_DAGSTER_PG_URL"

# On a cluster, ingest of different feeds runs in parallel: the shared tables (ledger, quarantine)
# take concurrent commits safely (put-if-absent on S3, retried in lake.py).
CLUSTER_POOL_LIMIT = 4


def instance_yaml(settings: Settings) -> str:
    """The text of ``dagster.yaml`` for ``settings``' profile."""
    base = BASE_INSTANCE.read_text(encoding="utf-8")
    if not settings.dagster_pg_url:
        return base
    config = yaml.safe_load(base)
    config["storage"] = {"postgres": {"postgres_url": {"env": PG_URL_VARIABLE}}}
    config["concurrency"]["pools"]["default_limit"] = CLUSTER_POOL_LIMIT
    return "# Generated for the cluster profile from infra/dagster.yaml (orchestration/core/dagster_instance.py).\n" + yaml.safe_dump(
        config, sort_keys=False
    )


def write_instance_yaml(settings: Settings, home: Path) -> Path:
    """Write ``home/dagster.yaml``; in the cluster profile, expose the URL to Dagster by its variable."""
    if settings.dagster_pg_url:
        os.environ.setdefault(PG_URL_VARIABLE, settings.dagster_pg_url)  # read from ..._FILE otherwise
    path = home / "dagster.yaml"
    path.write_text(instance_yaml(settings), encoding="utf-8")
    return path
