"""dbt incremental models on Spark (LakeSail, Delta tables at a location) and on DuckDB: a second run on
new days adds the right rows, and equals a full refresh.

No model of ``dbt_project/`` is incremental today (docs/scaling.md); this checks, before one becomes
so, the strategies a model would use, with the project's own macros (the spark target's locations
and options, ``upsert_strategy()``) on a tiny scratch project: one source Delta table of events
(a day, an id, a value), two models reading it:
- ``inc_append`` (``append``, new days only: ``day > max(day)``);
- ``inc_upsert`` (``upsert_strategy()``: ``merge`` on Spark, ``delete+insert`` on DuckDB; unique key
  ``event_id``; the last day already loaded is read again, so a corrected row replaces the old one).

Not ``insert_overwrite``: dbt-spark 1.11's materialization sends
``set spark.sql.sources.partitionOverwriteMode = DYNAMIC``, which Sail 0.7.2 refuses (unquoted: a
parse error; quoted: no such config), and Sail's ``insert overwrite`` replaces the whole table
(docs/scaling.md); ``merge`` is the strategy that replaces rows on Spark. First run on days 1-3; then days 4-5 arrive and one row of day 3 is corrected; second run; then
``--full-refresh``. Spark's tables are read back with delta-rs from their locations.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from infra.cluster.sail import SailServer, spark_tool, start_sail
from orchestration.core.settings import REPO_ROOT

pytestmark = [pytest.mark.cluster]

DBT_PROJECT = REPO_ROOT / "dbt_project"
DAY0 = date(2026, 3, 1)
PER_DAY = 4
CORRECTED = "d3-0"  # the row of day 3 re-delivered with a new value in the second batch

PROJECT = """\
name: incremental_check
version: "0.1.0"
config-version: 2
profile: observatoire
model-paths: ["models"]
macro-paths: ["macros"]
flags:
  send_anonymous_usage_stats: false
  use_colors: false
on-run-start:
  - "{{ register_lake_sources() }}"
models:
  incremental_check:
    +file_format: "{{ 'delta' if target.type == 'spark' else none }}"
"""
SOURCES = """\
version: 2
sources:
  - name: raw
    schema: raw
    meta:
      external_location: "delta_scan('{location}/{{name}}')"
    tables:
      - name: events
"""
SELECT = "select event_id, day, value from {{ source('raw', 'events') }}\n"
MODELS = {
    "inc_append": "{{ config(materialized='incremental', incremental_strategy='append') }}\n"
    + SELECT
    + "{% if is_incremental() %}where day > (select max(day) from {{ this }}){% endif %}\n",
    "inc_upsert": "{{ config(materialized='incremental', incremental_strategy=upsert_strategy(), unique_key='event_id') }}\n"
    + SELECT
    + "{% if is_incremental() %}where day >= (select max(day) from {{ this }}){% endif %}\n",
}
TARGETS = ("local", "spark")


def events(days: range, corrected: bool = False) -> pa.Table:
    """``PER_DAY`` events a day; with ``corrected``, day 3's first event carries a new value."""
    rows = [(f"d{d}-{i}", DAY0 + timedelta(days=d - 1), float(10 * d + i)) for d in days for i in range(PER_DAY)]
    if corrected:
        rows = [(e, day, value + 0.5 if e == CORRECTED else value) for e, day, value in rows]
    return pa.table({"event_id": [r[0] for r in rows], "day": pa.array([r[1] for r in rows], pa.date32()), "value": [r[2] for r in rows]})


@dataclass
class Scratch:
    root: Path
    sail: SailServer

    @property
    def source(self) -> Path:
        return self.root / "tables" / "events"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DBT_PROFILES_DIR": str(DBT_PROJECT),
            "OBSERVATOIRE_BUILD_DB": str(self.root / "build.duckdb"),
            "OBSERVATOIRE_DUCKDB_EXTENSIONS": str(REPO_ROOT / ".duckdb_extensions"),
            "OBSERVATOIRE_SPARK_WAREHOUSE": str(self.root / "spark"),
            **self.sail.environ(),
        }

    def dbt(self, targets: tuple[str, ...], *extra: str) -> None:
        """``dbt run`` on each target, side by side (one DuckDB file, one Sail session: no contention)."""
        running = {}
        for target in targets:
            dbt = spark_tool("dbt") if target == "spark" else Path(sys.executable).parent / "dbt"
            out = self.root / f"target_{target}"
            command = [str(dbt), "run", "--target", target, "--target-path", str(out), "--log-path", str(out / "logs"), *extra]
            running[target] = subprocess.Popen(
                command, cwd=self.root / "project", env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        for target, process in running.items():
            output, _ = process.communicate(timeout=600)
            assert process.returncode == 0, f"dbt {target} {extra} failed:\n{output[-6000:]}"

    def read(self, target: str, model: str) -> list[tuple]:
        """The model's rows, sorted: DuckDB's table, or the Delta table at the spark target's location."""
        if target == "spark":
            table = DeltaTable(str(self.root / "spark" / "main" / model)).to_pyarrow_table()
        else:
            with duckdb.connect(str(self.root / "build.duckdb"), read_only=True) as con:
                table = con.sql(f"select * from main.{model}").arrow()
                table = table.read_all() if isinstance(table, pa.RecordBatchReader) else table
        return sorted(zip(*(table.column(c).to_pylist() for c in ("event_id", "day", "value")), strict=True))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scratch]:
    root = tmp_path_factory.mktemp("incremental")
    project = root / "project"
    (project / "models").mkdir(parents=True)
    (project / "macros").symlink_to(DBT_PROJECT / "macros")  # the project's own dispatch macros
    (project / "dbt_project.yml").write_text(PROJECT, encoding="utf-8")
    (project / "models" / "sources.yml").write_text(SOURCES.format(location=root / "tables"), encoding="utf-8")
    for name, sql in MODELS.items():
        (project / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    sail = start_sail()
    try:
        yield Scratch(root, sail)
    finally:
        sail.stop()


@dataclass
class Outcome:
    incremental: dict[tuple[str, str], list[tuple]]  # (target, model) -> rows after the second run
    refreshed: dict[tuple[str, str], list[tuple]]  # the same after --full-refresh
    source: list[tuple]


@pytest.fixture(scope="module")
def outcome(scratch: Scratch) -> Outcome:
    write_deltalake(str(scratch.source), events(range(1, 4)))
    scratch.dbt(TARGETS)
    write_deltalake(str(scratch.source), events(range(1, 6), corrected=True), mode="overwrite")
    scratch.dbt(TARGETS)
    models = [(t, m) for t in TARGETS for m in MODELS]
    incremental = {(t, m): scratch.read(t, m) for t, m in models}
    scratch.dbt(TARGETS, "--full-refresh")
    refreshed = {(t, m): scratch.read(t, m) for t, m in models}
    source = DeltaTable(str(scratch.source)).to_pyarrow_table()
    rows = sorted(zip(*(source.column(c).to_pylist() for c in ("event_id", "day", "value")), strict=True))
    return Outcome(incremental, refreshed, rows)


def test_upsert_equals_a_full_refresh(outcome: Outcome) -> None:
    """merge (Spark) / delete+insert (DuckDB): new days added, the corrected row replaced, no
    duplicates: exactly what a full refresh builds, and what the source holds."""
    for key in [k for k in outcome.incremental if k[1] != "inc_append"]:
        rows = outcome.incremental[key]
        assert len({r[0] for r in rows}) == len(rows), f"{key}: duplicated events"
        assert rows == outcome.refreshed[key] == outcome.source, key


def test_append_adds_new_days_once_and_misses_corrections(outcome: Outcome) -> None:
    """append on new days only: every event once, but a corrected row of a day already loaded keeps its
    old value (append suits immutable days; a full refresh picks the correction up)."""
    for target in TARGETS:
        rows = outcome.incremental[(target, "inc_append")]
        assert len({r[0] for r in rows}) == len(rows) == len(outcome.source), target
        stale = [r for r in rows if r not in outcome.source]
        assert [r[0] for r in stale] == [CORRECTED], target
        assert outcome.refreshed[(target, "inc_append")] == outcome.source, target


def test_a_fresh_spark_session_rebuilds_in_full_but_stays_correct(scratch: Scratch, outcome: Outcome) -> None:
    """Sail's catalog lives per session (0.7.2): a run from a new session id does not find the model's
    table, so dbt-spark's incremental materialization takes its first-run path and rebuilds the table
    in full at its location (``create or replace``): the rows are right (equal to a full refresh, the
    append model picks the new correction up) but the run is not incremental. A deployment runs its
    incremental dbt invocations in one long-lived session, or registers the tables first
    (docs/scaling.md)."""
    sail = SailServer(scratch.sail.port, str(uuid.uuid4()), scratch.sail.process, scratch.sail.directory)
    fresh = Scratch(scratch.root, sail)
    recorrected = [(e, d, v + 100 if e == CORRECTED else v) for e, d, v in outcome.source]
    changed = pa.table(
        {
            "event_id": [r[0] for r in recorrected],
            "day": pa.array([r[1] for r in recorrected], pa.date32()),
            "value": [r[2] for r in recorrected],
        }
    )
    write_deltalake(str(scratch.source), pa.concat_tables([changed, events(range(6, 7))]), mode="overwrite")
    fresh.dbt(("spark",))
    source = DeltaTable(str(scratch.source)).to_pyarrow_table()
    expected = sorted(zip(*(source.column(c).to_pylist() for c in ("event_id", "day", "value")), strict=True))
    for model in MODELS:
        # The append model holds the new correction of day 3: it was rebuilt from the whole source.
        assert fresh.read("spark", model) == expected, model
