"""Benchmark of the transformation layer (not a test): dbt on a simulated city-year, and the floor.

    .venv/bin/python infra/benchmarks/bench_dbt.py --days 365            # simulate + ingest a year first
    .venv/bin/python infra/benchmarks/bench_dbt.py --lake /path/to/lake  # reuse a lake with bronze tables

1. **dbt build**: every model (staging, intermediate and mart tables) and every dbt test,
   into a fresh build database, as the Dagster asset runs it.
2. **dbt run**: the same models without the tests.
3. **Floor**: the very SQL dbt compiled, executed directly with the DuckDB Python API in the
   same dependency order into a fresh database: no dbt start-up, parsing, adapter or test.
4. **refresh_marts** (when the lake is simulated here): the whole Dagster job, dbt build + Python
   analytics + Great Expectations gates + publication.

Prints wall seconds for each and the ratio to the floor, and the CPU-seconds of each dbt process
(the machine may be shared: CPU-seconds compare better than wall time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestration.core import duck
from orchestration.core.governance import ensure_gate_log
from orchestration.core.settings import DBT_PROJECT_DIR, Settings, load_settings
from orchestration.factories.dbt import dbt_env
from orchestration.factories.resources import dbt_executable


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, float] = {}  # CPU-seconds of each dbt command, by its first argument


def _dbt(settings: Settings, build_db: Path, *args: str) -> float:
    build_db.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **dbt_env(settings), "OBSERVATOIRE_BUILD_DB": str(build_db)}
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(
        [dbt_executable(), *args, "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        check=True,
        cwd=DBT_PROJECT_DIR,
        env=env,
    )
    CPU[args[0]] = _children_cpu() - cpu
    return time.perf_counter() - started


def _ordered_models(manifest: dict) -> list[dict]:
    """Model nodes in dependency order (depth-first on depends_on)."""
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    done: list[str] = []

    def visit(uid: str) -> None:
        if uid in done:
            return
        for dep in nodes[uid]["depends_on"]["nodes"]:
            if dep in nodes:
                visit(dep)
        done.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    return [nodes[u] for u in done]


def floor(settings: Settings, folder: Path) -> tuple[float, int]:
    """Execute dbt's compiled SQL directly in DuckDB; returns (seconds, models)."""
    build_db = folder / "floor" / "observatoire.duckdb"  # same file stem: compiled names resolve
    _dbt(settings, build_db, "compile")
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    models = _ordered_models(manifest)
    started = time.perf_counter()
    con = duck.connect(build_db)
    try:
        for node in models:
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f'create schema if not exists "{node["schema"]}"')
            con.execute(f'create or replace {kind} "{node["schema"]}"."{node["alias"]}" as ({node["compiled_code"]})')
    finally:
        con.close()
    return time.perf_counter() - started, len(models)


def floor_tests(folder: Path) -> tuple[float, int]:
    """After :func:`floor`, each dbt data test's compiled SQL counted directly in DuckDB (as dbt counts failures).

    Unit tests are left out (a daily build skips them once passed). Returns (seconds, tests).
    """
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test" and node.get("compiled_code")]
    started = time.perf_counter()
    con = duck.connect(folder / "floor" / "observatoire.duckdb")
    try:
        for node in tests:
            con.execute(f"select count(*) from ({node['compiled_code']}) dbt_internal_test").fetchall()
    finally:
        con.close()
    return time.perf_counter() - started, len(tests)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lake", type=Path, help="an existing lake with bronze tables (skips simulation)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
        folder = Path(tmp)
        refresh_seconds = None
        if args.lake:
            settings = load_settings(args.lake)
        else:
            from orchestration.definitions import build_definitions
            from orchestration.factories.automation import AUTOMATION_SENSOR
            from orchestration.runner import run_pending
            from simulator import simulate

            lake_root = folder / "lake"
            start = date.today() - timedelta(days=args.days)
            report = simulate(lake_root / "landing", start=start, days=args.days, seed=args.seed, scale=args.scale)
            print(f"simulated {sum(report.rows.values()):,} rows over {args.days} days (scale {args.scale})", flush=True)
            settings = load_settings(lake_root)
            started = time.perf_counter()
            summary = run_pending(settings, build_definitions(settings.lake), echo=lambda _line: None)
            ingest = [r for r in summary.runs if r.job.startswith("ingest_")]
            refresh = [r for r in summary.runs if r.job == AUTOMATION_SENSOR]  # the downstream rebuild
            print(f"ingest (all feeds): {sum(r.seconds for r in ingest):.1f} s; whole run {time.perf_counter() - started:.1f} s")
            if refresh:
                refresh_seconds = refresh[-1].seconds
                print(f"refresh_marts (dbt build + analytics + gates + publish): {refresh_seconds:.1f} s, success={refresh[-1].success}")
        ensure_gate_log(settings)
        build = _dbt(settings, folder / "build" / "observatoire.duckdb", "build")
        run = _dbt(settings, folder / "run" / "observatoire.duckdb", "run")
        floor_seconds, models = floor(settings, folder)
        print(f"\nmodels: {models}")
        print(f"dbt build (models + tests): {build:7.1f} s  ({build / floor_seconds:.1f}x floor), {CPU['build']:.1f} CPU-s")
        print(f"dbt run (models only):      {run:7.1f} s  ({run / floor_seconds:.1f}x floor), {CPU['run']:.1f} CPU-s")
        print(f"floor (compiled SQL, DuckDB directly): {floor_seconds:.1f} s")
        if refresh_seconds is not None:
            print(f"refresh_marts job: {refresh_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
