"""The same dbt models on DuckDB and on Spark (LakeSail over Spark Connect, Delta tables) give the same tables.

One tiny generated lake (every feed ingested, a few gate verdicts logged) on SeaweedFS S3, as Spark
runs in production: the cluster profile, DuckDB's ``cluster`` target and Sail reading the same bronze
Delta tables from the bucket and writing its own Delta tables under ``<lake>/spark/`` in the bucket.
(Spark on a local lake, the embedded profile, is not a deployment: it was compared too until the
bucket's comparison, which covers the same models and engines, made it redundant.) ``dbt build`` (models, unit tests and data tests) on DuckDB and on
the ``spark`` target (dbt-spark ``session`` method, Sail started on 127.0.0.1 by
``infra/cluster/sail.py``, tables written as Delta); then
- every relation both targets built (staging, intermediate and all SQL marts: every model) is read
  back from both engines and compared: same columns, same number of rows, same values, floats
  within ``FLOAT_TOLERANCE``. Staging holds the quartier of every point and its 50 m LAEA cell, so
  this also checks Spark's point-in-polygon and projection (macros/quartiers.sql,
  macros/grid_cell.sql) against DuckDB's spatial extension on every point, and
  ``int_vie_nocturne__evenements`` checks Spark's point-to-polygon distances against ``st_distance``;
- both engines ran the same data and unit tests with the same outcome (status and failing rows).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from infra.cluster.sail import SailServer, s3_environ, spark_tool, start_sail
from infra.cluster.seaweed import SeaweedS3
from orchestration.core import lake
from orchestration.core.settings import REPO_ROOT, Settings, load_settings
from orchestration.factories.dbt import dbt_env
from tests.cluster.conftest import CLUSTER_DAYS, CLUSTER_SCALE, CLUSTER_SEED, CLUSTER_START, cluster_environ

pytestmark = [pytest.mark.cluster, pytest.mark.pipeline]

DBT_PROJECT = REPO_ROOT / "dbt_project"
# Floats may differ in their last bits between engines (sums in another order, sin/log of another
# libm): equal within 1e-9 relative or 1e-6 absolute. Everything else must be exactly equal.
FLOAT_TOLERANCE = {"rel": 1e-9, "abs": 1e-6}
# Columns that are not data on both engines: DuckDB's quartier geometry (Spark keeps its measures).
ENGINE_COLUMNS = {"stg_reference__quartiers": ("geom",)}
# The quartier edges as rows, Spark's stand-in for spatial functions (models/staging/reference/spark/).
SPARK_ONLY = {path.stem for path in (DBT_PROJECT / "models" / "staging" / "reference" / "spark").glob("*.sql")}


# What a test node's outcome is made of: its status (pass, warn...) and its number of failing rows.
Outcome = tuple[str, int | None]


@dataclass
class BothTargets:
    settings: Settings  # the lake's
    sail: SailServer
    schemas: dict[str, str]  # model name -> schema, for the models both targets built
    duckdb_tests: dict[str, Outcome]  # unique id of every data/unit test -> outcome on DuckDB
    spark_tests: dict[str, Outcome]  # the same on Spark
    spark_warehouse: str | None  # where the spark target writes its tables, if not Sail's own directory


def _dbt(args: list[str], env: dict[str, str], target_path: Path, dbt: Path | None = None) -> dict[str, Outcome]:
    """dbt from .venv (DuckDB targets) or, given ``dbt``, from the Spark virtualenv; the tests' outcomes."""
    dbt = dbt or Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    result = subprocess.run(command, cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-6000:]}"
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return {r["unique_id"]: (r["status"], r["failures"]) for r in results if r["unique_id"].startswith(("test.", "unit_test."))}


def _log_some_gate_verdicts(settings: Settings) -> None:
    """A few verdicts in meta/quality_gates, so the health marts have rows on both engines."""
    from orchestration.core.governance import log_gate_verdict

    verdicts = [("incidents_quartier_jour", True), ("incidents_quartier_jour", False), ("sante_flux_jour", True)]
    for minute, (mart, success) in enumerate(verdicts):
        log_gate_verdict(
            settings,
            {
                "mart": mart,
                "success": success,
                "statistics": {"evaluated_expectations": 5 + minute, "unsuccessful_expectations": 0 if success else 1},
                "rows": 10 * (minute + 1),
                "fingerprint": "test",
                "failed": [] if success else [{"expectation": "expect_column_values_to_not_be_null"}],
                "evaluated_at": datetime(2026, 3, 5, 22, 30 + minute, tzinfo=UTC).isoformat(),
            },
        )


def _simulate_and_ingest(root: Path) -> Settings:
    """A few days of every feed, ingested into the lake the current profile selects, plus gate verdicts."""
    from infra.cluster.ingest_all import ingest_all
    from simulator import simulate

    simulate(root / "landing", start=CLUSTER_START, days=CLUSTER_DAYS, seed=CLUSTER_SEED, scale=CLUSTER_SCALE)
    ingest_all(str(root))
    settings = load_settings(root)
    _log_some_gate_verdicts(settings)
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    return settings


def _run_both(
    settings: Settings, duckdb_target: str, sail_environ: dict[str, str] | None = None, spark_warehouse: str | None = None
) -> Iterator[BothTargets]:
    """``dbt build`` on the DuckDB target, then on the spark target against a fresh Sail server."""
    env = {
        **os.environ,
        **dbt_env(settings),
        # Absolute: Sail resolves paths from its own working directory.
        "OBSERVATOIRE_SPARK_REFERENCE_DIR": str(DBT_PROJECT / "spark_reference"),
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
    }
    duckdb_tests = _dbt(["build", "--target", duckdb_target], env, settings.lake / "dbt_duckdb")
    sail = start_sail(environ=sail_environ)
    try:
        spark_env = {**env, **sail.environ()}
        spark_tests = _dbt(["build", "--target", "spark"], spark_env, settings.lake / "dbt_spark", spark_tool("dbt"))
        with duckdb.connect(str(settings.build_db), read_only=True) as con:
            schemas = dict(con.sql("select table_name, table_schema from information_schema.tables").fetchall())
        yield BothTargets(settings, sail, schemas, duckdb_tests, spark_tests, spark_warehouse)
    finally:
        sail.stop()


@pytest.fixture(scope="module")
def s3_lake(object_store: SeaweedS3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BothTargets]:
    """The cluster profile's lake (Delta tables on SeaweedFS S3): DuckDB's ``cluster`` target and Spark on S3."""
    root = tmp_path_factory.mktemp("spark_s3_lake")
    with cluster_environ(object_store, "spark"), _lake_environ(root):
        settings = _simulate_and_ingest(root)
        assert settings.object_store is not None
        sail_s3 = s3_environ(object_store.endpoint, object_store.access_key, object_store.secret_key)
        # The spark target writes under the lake's tables when they are in an object store (macros/spark_sources.sql).
        yield from _run_both(settings, "cluster", sail_s3, lake.location(settings.lake).uri + "/spark")


@contextmanager
def _lake_environ(root: Path) -> Iterator[None]:
    saved = os.environ.get("OBSERVATOIRE_LAKE")
    os.environ["OBSERVATOIRE_LAKE"] = str(root)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("OBSERVATOIRE_LAKE")
        else:
            os.environ["OBSERVATOIRE_LAKE"] = saved


def _normalise(value: object) -> object:
    """Engine-neutral Python value: instants in naive UTC, integers as int, floats as float."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    return value


def _rows(table: pa.Table, columns: list[str]) -> list[tuple]:
    data = [[_normalise(v) for v in table.column(c).to_pylist()] for c in columns]
    rows = list(zip(*data, strict=True)) if data else []

    def key(row: tuple) -> tuple:
        # Sort on everything, floats rounded, so the two engines' rows line up pairwise.
        return tuple((v is None, round(v, 3) if isinstance(v, float) else v if v is not None else 0) for v in row)

    return sorted(rows, key=key)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=FLOAT_TOLERANCE["rel"], abs_tol=FLOAT_TOLERANCE["abs"])
    return a == b


def test_every_relation_is_the_same_on_the_object_store_lake(s3_lake: BothTargets, tmp_path: Path) -> None:
    """Lake on S3 (SeaweedFS): DuckDB's cluster target and Spark reading the same bronze Delta tables agree,
    and Spark's tables are Delta tables in the bucket (readable by delta-rs there), none in Sail's directory."""
    spark_tables, details = _assert_same_relations(s3_lake, tmp_path)
    settings = s3_lake.settings
    for table, spark_table in spark_tables.items():
        schema = s3_lake.schemas[table]
        assert details[f"{schema}.{table}"]["location"] == f"{s3_lake.spark_warehouse}/{schema}/{table}", details
        in_bucket = lake.read(settings.lake / "spark" / schema / table)
        assert in_bucket.num_rows == spark_table.num_rows, table
    assert not (settings.lake / "spark").exists()
    assert not list((s3_lake.sail.directory / "spark-warehouse").glob("*")), "tables left in Sail's own warehouse"


def test_both_engines_pass_the_same_data_tests(s3_lake: BothTargets) -> None:
    """``dbt build`` ran the same data and unit tests on DuckDB and on Spark, with the same outcomes."""
    both_targets = s3_lake
    assert len(both_targets.duckdb_tests) > 70, "dbt build ran no tests?"  # 73 data tests (column_rules: one per model) + unit tests
    assert both_targets.spark_tests.keys() == both_targets.duckdb_tests.keys()
    different = {
        test: (outcome, both_targets.spark_tests[test])
        for test, outcome in both_targets.duckdb_tests.items()
        if outcome != both_targets.spark_tests[test]
    }
    assert not different, f"(DuckDB, Spark) outcomes differ: {different}"
    assert {status for status, _ in both_targets.duckdb_tests.values()} <= {"pass", "warn"}


def _spark_tables(both_targets: BothTargets, out: Path) -> tuple[dict[str, pa.Table], dict[str, dict[str, str | None]]]:
    """Every relation as the Spark target wrote it, read by the Spark virtualenv (infra/cluster/spark_export.py)."""
    tables = [f"{schema}.{name}" for name, schema in sorted(both_targets.schemas.items())]
    export = REPO_ROOT / "infra" / "cluster" / "spark_export.py"
    result = subprocess.run(
        [str(spark_tool("python")), str(export), both_targets.sail.remote, str(out), *tables],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"export from Spark failed:\n{result.stderr[-6000:]}"
    details = json.loads((out / "_details.json").read_text())
    return {t.split(".", 1)[1]: pq.read_table(out / f"{t}.parquet") for t in tables}, details


def _assert_same_relations(both_targets: BothTargets, out: Path) -> tuple[dict[str, pa.Table], dict[str, dict[str, str | None]]]:
    """Every relation DuckDB built equals Spark's; Spark's tables and their details (provider, location)."""
    sql_models = {path.stem for path in (DBT_PROJECT / "models").rglob("*.sql")} - SPARK_ONLY
    assert sql_models == set(both_targets.schemas), f"models not built on DuckDB: {sql_models - set(both_targets.schemas)}"
    spark_tables, details = _spark_tables(both_targets, out)
    mismatches: list[str] = []
    with duckdb.connect(str(both_targets.settings.build_db), read_only=True) as con:
        con.sql("set extension_directory = '" + str(REPO_ROOT / ".duckdb_extensions") + "'")
        con.sql("load delta; load spatial")
        for name, schema in sorted(both_targets.schemas.items()):
            skip = ENGINE_COLUMNS.get(name, ())
            duck = con.sql(f"select * from {schema}.{name}").arrow()
            if isinstance(duck, pa.RecordBatchReader):
                duck = duck.read_all()
            spark_table = spark_tables[name]
            columns = [c for c in duck.column_names if c not in skip]
            if sorted(columns) != sorted(c for c in spark_table.column_names if c not in skip):
                mismatches.append(f"{name}: columns {columns} vs {spark_table.column_names}")
                continue
            left, right = _rows(duck, columns), _rows(spark_table, columns)
            if len(left) != len(right):
                mismatches.append(f"{name}: {len(left)} rows on DuckDB, {len(right)} on Spark")
                continue
            for a, b in zip(left, right, strict=True):
                if not all(_same(x, y) for x, y in zip(a, b, strict=True)):
                    mismatches.append(f"{name}: first differing row\n  duckdb {a}\n  spark  {b}")
                    break
    assert not mismatches, "\n".join(mismatches)
    # The spark target writes Delta tables (dbt-spark `file_format: delta`, dbt_project.yml).
    assert {d["provider"] for d in details.values()} == {"delta"}, details
    return spark_tables, details
