"""Two use cases' downstream steps at the same time on two Celery workers, no DuckDB lock failure.

The same tiny deliveries go to two lakes: an embedded one (local, SQLite, one process: the
reference) and a cluster one (tables on SeaweedFS S3, Dagster on PostgreSQL): a copy of the
session's ``cluster_lake`` (tests/cluster/conftest.py), where the whole graph already ingested
them and ran the dbt step (which alone writes the build database). On that copy, with the gate
verdicts and publications forgotten, one Celery run on two workers takes the Python marts, every
gate and every gold table of ``signaux_faibles`` and ``abords_scolaires`` again: steps of the two
use cases overlap in time on different workers (from the run's step start and success events),
the run succeeds, the Python marts are Delta tables in the bucket (not in the build database),
and every mart, gate verdict and gold table equals the embedded run's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from infra.cluster.celery_executor import BROKER_VARIABLE
from infra.cluster.celery_workers import celery_workers
from infra.cluster.postgres import LocalPostgres
from infra.cluster.redis import LocalRedis
from infra.cluster.seaweed import SeaweedS3
from infra.cluster.use_case_runs import (
    INDIRECT_SELECTION,
    USE_CASES,
    forget_verdicts,
    ingest,
    mart_names,
    overlapping_pairs,
    run_after_dbt_on_celery,
    run_in_process,
    select,
    step_spans,
    use_case_of_step,
)
from orchestration.core import duck, lake
from orchestration.core.catalog import marts
from orchestration.core.publishing import gold_path, python_mart_path, read_manifest, read_mart
from orchestration.core.settings import Settings, load_settings
from orchestration.definitions import build_definitions
from orchestration.runner import prepare_instance
from tests.cluster.conftest import (
    CLUSTER_DAYS,
    CLUSTER_SCALE,
    CLUSTER_SEED,
    CLUSTER_START,
    ClusterLake,
    cluster_environ,
    copy_cluster_lake,
)

pytestmark = [pytest.mark.cluster, pytest.mark.pipeline]


def _outputs(settings: Settings) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None, dict | None]]:
    """Every mart of the use cases as the gate reads it, its gold table and its publication manifest."""
    outputs = {}
    for name in mart_names(USE_CASES):
        published = marts()[name].published and lake.table_exists(gold_path(settings, name))
        gold = lake.read(gold_path(settings, name)).to_pandas() if published else None
        outputs[name] = (read_mart(settings, name), gold, read_manifest(settings, name))
    return outputs


def test_two_use_cases_run_side_by_side_on_two_celery_workers_and_equal_the_embedded_run(
    cluster_lake: ClusterLake,
    object_store: SeaweedS3,
    dagster_postgres: LocalPostgres,
    broker: LocalRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from simulator import simulate

    embedded_root, cluster_root = tmp_path / "embedded", tmp_path / "cluster"
    monkeypatch.delenv("OBSERVATOIRE_PROFILE", raising=False)
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", INDIRECT_SELECTION)
    embedded = load_settings(embedded_root)
    defs = build_definitions(embedded_root)
    chosen = select(defs)
    assert chosen.dbt and chosen.gates and len({use_case_of_step(f"marts__{k.path[-1]}") for k in chosen.after_dbt}) == 2
    # The same deliveries as the cluster lake's, of the feeds the two use cases read.
    simulate(
        embedded_root / "landing", start=CLUSTER_START, days=CLUSTER_DAYS, seed=CLUSTER_SEED, scale=CLUSTER_SCALE, feeds=list(chosen.feeds)
    )

    # The reference: the embedded profile, every step in one process, one after the other.
    ingest(embedded, chosen.feeds)
    with prepare_instance(embedded) as instance:
        reference_run = run_in_process(defs, instance, chosen.everything(), "reference_in_process")
    assert reference_run.success
    reference = _outputs(embedded)

    # The cluster lake: the whole graph's (every feed ingested, the dbt step done), copied.
    assert cluster_lake.result.success, cluster_lake.result.failure
    copy_cluster_lake(cluster_lake, object_store, cluster_root, "parallel-use-cases")
    monkeypatch.setenv("OBSERVATOIRE_DAGSTER_PG_URL", dagster_postgres.url)
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(cluster_root))
    monkeypatch.setenv(BROKER_VARIABLE, broker.url)
    with cluster_environ(object_store, "parallel-use-cases") as env:
        settings = load_settings(cluster_root)
        forget_verdicts(settings)  # so that every gate validates and every gold table is published again
        with prepare_instance(settings) as instance:
            worker_env = {
                **env,
                "OBSERVATOIRE_DAGSTER_PG_URL": dagster_postgres.url,
                "OBSERVATOIRE_LAKE": str(cluster_root),
                BROKER_VARIABLE: broker.url,
            }
            with celery_workers(worker_env, count=2, logs=tmp_path) as workers:
                result = run_after_dbt_on_celery(instance)
            failures = [e.message for e in instance.all_logs(result.run_id) if e.dagster_event and e.dagster_event.is_failure]
            assert result.success, failures
            spans = step_spans(instance, result.run_id)

        # Every step of the run (Python marts, gates, gold) ran on a worker; both workers took steps.
        assert {s.worker for s in spans.values()} == set(workers)
        assert all(use_case_of_step(step) for step in spans), sorted(spans)
        pairs = overlapping_pairs(spans)
        assert pairs, "no step of one use case ran while a step of the other ran: " + str(
            sorted((s.start, s.end, s.step) for s in spans.values())
        )

        # Python marts are Delta tables in the bucket, none in the build database.
        python = [name for name in mart_names(USE_CASES) if marts()[name].built_by == "python"]
        for name in python:
            assert lake.location(python_mart_path(settings, name)).uri.startswith("s3://")
            assert lake.table_exists(python_mart_path(settings, name))
        con = duck.connect(settings.build_db, read_only=True, extensions=())
        try:
            in_build = {r[0] for r in con.sql("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        finally:
            con.close()
        assert not in_build & set(python)

        # Nothing lost, nothing duplicated: every mart, verdict and gold table equals the embedded run's.
        for name, (frame, gold, manifest) in _outputs(settings).items():
            expected_frame, expected_gold, expected_manifest = reference[name]
            pd.testing.assert_frame_equal(frame, expected_frame, check_exact=True)
            if expected_gold is None:
                assert gold is None, name
            else:
                assert gold is not None, name
                pd.testing.assert_frame_equal(gold, expected_gold, check_exact=True)
            assert (manifest is None) == (expected_manifest is None), name
            if manifest is not None and expected_manifest is not None:
                assert manifest["rows"] == expected_manifest["rows"] == len(frame), name
                assert manifest["gate"]["fingerprint"] == expected_manifest["gate"]["fingerprint"], name
                assert manifest["gate"]["success"], name
