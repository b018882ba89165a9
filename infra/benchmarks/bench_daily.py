"""Benchmark of daily operation (not a test): issue 14's four figures, each beside its floor.

    .venv/bin/python infra/benchmarks/bench_daily.py                       # all four sections
    .venv/bin/python infra/benchmarks/bench_daily.py --only daily idle     # some of them
    .venv/bin/python infra/benchmarks/bench_daily.py --ingest-days 365     # a real city-year (slow)

1. **daily**: a lake built from ``--days`` days, then one new day of every feed -> published
   (``run_pending``, as ``observatoire run``: ingest, dbt, analytics, gates, publication).
   Floor: the same new-day files loaded with pyarrow + ``write_deltalake`` (no contract, privacy
   or idempotence) plus dbt's compiled SQL of every model executed directly in DuckDB. A second,
   wider floor adds the rest of "the same SQL and writes done directly": every Python mart
   computed by its analytics function from its inputs in that DuckDB and written there, then every
   published mart written once to a gold Delta table. The whole floor adds dbt's data tests
   (their compiled SQL) and the day's open-data tables written again as CSV and Parquet. No floor
   holds the Great Expectations suites, disclosure control, model cards or any bookkeeping.
   Then the day's account (``framework_floor.py``): what Dagster, dbt's start-up, the automation
   evaluations and the suites cost with no data work, beside the whole floor; the rest is the
   pipeline's own work (contracts, privacy, ledgers, verdicts, disclosure control).
2. **idle**: ``observatoire run`` (the command, start-up included) with nothing pending: the
   shortcut of the settled stamp (``orchestration/core/settled.py``), then ``run --full``.
3. **ingest**: every feed's ingest job (one run per feed for ``--ingest-days`` days) vs the pyarrow + deltalake floor.
4. **scale**: CPU of building ``--scale-days`` days at scale 4 vs scale 1 (``observatoire run``, each in a
   fresh process), beside the row ratio and beside the same floor as **daily** (every file, dbt SQL,
   Python marts, gold) at both scales, with the cost per extra row and the fixed part of each.

Wall seconds and CPU seconds (this process + reaped children such as dbt). The machine is shared:
CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from orchestration.core.catalog import feeds  # noqa: E402
from orchestration.core.ingestion import landing_files  # noqa: E402
from orchestration.core.settings import load_settings  # noqa: E402
from simulator import simulate  # noqa: E402


@dataclass
class Cost:
    wall: float = 0.0
    cpu: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.wall + other.wall, self.cpu + other.cpu)


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@contextmanager
def measured() -> Iterator[Cost]:
    """Wall and CPU seconds of the block (threads and reaped children included)."""
    cost = Cost()
    wall, cpu = time.perf_counter(), _cpu()
    yield cost
    cost.wall, cost.cpu = time.perf_counter() - wall, _cpu() - cpu


def line(label: str, obs: Cost, floor: Cost | None = None, note: str = "") -> None:
    ratio = f"{obs.wall / floor.wall:6.1f}x {obs.cpu / floor.cpu:6.1f}x" if floor and floor.wall and floor.cpu else f"{'':>15}"
    floor_txt = f"{floor.wall:8.1f} {floor.cpu:8.1f}" if floor else f"{'':>17}"
    print(f"{label:<36}{obs.wall:8.1f} {obs.cpu:8.1f}  {floor_txt}  {ratio}  {note}", flush=True)


def header(title: str) -> None:
    print(f"\n== {title}", flush=True)
    print(f"{'':<36}{'wall s':>8} {'CPU s':>8}  {'floor wall':>8} {'CPU':>8}  {'x wall':>6} {'x CPU':>7}", flush=True)


def run_pipeline(lake: Path) -> Any:
    from orchestration.definitions import build_definitions
    from orchestration.runner import run_pending

    summary = run_pending(load_settings(lake), build_definitions(lake), echo=lambda _line: None, validate_in_background=True, warm_dbt=True)  # as `run`
    end_validation_process()
    if not summary.success:
        raise SystemExit(f"run FAILED on {lake}: {[r.failure for r in summary.runs if not r.success]}")
    return summary


def end_validation_process() -> None:
    """End the run's validation process (``quality.background``) now, so that its CPU counts.

    It is a child of this process: its CPU seconds reach ``RUSAGE_CHILDREN`` only once it has
    exited and been waited for, which ``close`` does, inside the measurement of the run that used it.
    """
    from quality import background

    background.stop()


def floor_new_day(lake: Path, day: date | None, work: Path) -> Cost:
    """pyarrow + deltalake for the day's files (every file when ``day`` is None), then dbt's compiled
    SQL in DuckDB (compile not counted)."""
    from bench_dbt import floor as sql_floor
    from bench_ingest import floor_ingest

    settings = load_settings(lake)
    with measured() as ingest:
        for spec in feeds().values():
            files = [f for f in landing_files(settings, spec) if day is None or spec.delivery_date(f.name) == day]
            if files:
                try:
                    floor_ingest(files, spec, work / "floor-bronze" / spec.name)
                except Exception as error:  # a hostile delivery pyarrow cannot read: the floor skips it, says so
                    print(f"    floor skipped {spec.name}: {str(error)[:60]}", flush=True)
    sql_wall, _models = sql_floor(settings, work / "floor-sql")  # DuckDB runs in this process: wall ~ CPU
    return ingest + Cost(sql_wall, sql_wall)


def floor_marts_and_gold(work: Path) -> Cost:
    """On the SQL floor's database: each Python mart computed and written, then each published mart to gold Delta.

    The analytics functions and parameters of the pipeline (``orchestration.analytics``), inputs read
    once per use case; gold is one ``write_deltalake`` per published mart (no gate, manifest or diff).
    """
    from deltalake import write_deltalake

    from orchestration.analytics import read_relations, resolve, write_mart
    from orchestration.core import duck
    from orchestration.core.catalog import marts, use_cases

    build_db = work / "floor-sql" / "floor" / "observatoire.duckdb"  # left by floor_new_day
    # The pipeline's run in this process left results in the ``shared`` memos: computed again here.
    for name, module in list(sys.modules.items()):
        if name.startswith("orchestration.analytics"):
            for value in list(vars(module).values()):
                getattr(value, "clear_memo", lambda: None)()
    by_use_case: dict[str, list[Any]] = {}
    for spec in marts().values():
        if spec.built_by == "python":
            by_use_case.setdefault(spec.use_case, []).append(spec)
    with measured() as cost:
        con = duck.connect(build_db, extensions=())
        try:
            for use_case, specs in by_use_case.items():
                frames = read_relations(build_db, tuple(dict.fromkeys(rel for s in specs for rel in s.inputs)), con)
                for spec in specs:
                    inputs = {rel.split(".")[-1]: frames[rel.split(".")[-1]].copy() for rel in spec.inputs}  # as the step
                    write_mart(build_db, spec.name, resolve(spec.compute)(inputs, use_cases()[use_case].parameters), con)
            for spec in marts().values():
                if spec.published:
                    rows = con.sql(f"select * from marts.{spec.name}").to_arrow_table()
                    write_deltalake(str(work / "floor-gold" / spec.name), rows, mode="overwrite")
        finally:
            con.close()
    return cost


def section_daily(args: argparse.Namespace, root: Path) -> None:
    header(f"one new day of every feed -> published (lake of {args.days} days, scale {args.scale})")
    lake = root / "daily"
    start = date.today() - timedelta(days=args.days + 2)
    simulate(lake / "landing", start=start, days=args.days, seed=args.seed, scale=args.scale)
    with measured() as build:
        run_pipeline(lake)
    line(f"first build ({args.days} days)", build)
    new_day = start + timedelta(days=args.days)
    report = simulate(lake / "landing", start=new_day, days=1, seed=args.seed + 1, scale=args.scale)
    since = time.time()
    with measured() as daily:
        summary = run_pipeline(lake)
    floor = floor_new_day(lake, new_day, root / "daily-floor")
    line("new day -> published", daily, floor, f"{sum(report.rows.values()):,} rows, {len(summary.runs)} run(s)")
    marts_gold = floor_marts_and_gold(root / "daily-floor")
    line("  vs floor + Python marts + gold", daily, floor + marts_gold, "floor: ingest files + dbt SQL + Python marts + gold writes")
    line("    floor part: Python marts + gold", marts_gold)
    tests, open_data = floor_tests_and_open_data(lake, since, root / "daily-floor")
    whole = floor + marts_gold + tests + open_data
    line("  vs the whole floor", daily, whole, "+ dbt tests' SQL + the day's open-data files written directly")
    line("    floor part: dbt tests' SQL", tests)
    line("    floor part: open-data files", open_data)
    for run in summary.runs:
        print(f"    {run.job:<32}{run.seconds:8.1f}", flush=True)
    account_for_the_rest(lake, since, daily, whole, root / "daily-framework")
    args.built_lake = lake


def floor_tests_and_open_data(lake: Path, since: float, work: Path) -> tuple[Cost, Cost]:
    """The rest of the day's SQL and writes done directly: dbt's data tests, and the open-data files.

    The tests' compiled SQL runs on the SQL floor's database (left by ``floor_new_day``). Each
    open-data table the day published (its Parquet file, newer than ``since``) is written again,
    as CSV and Parquet, with pyarrow; reading it back is not counted. The GeoJSON copies and the
    disclosure control that made the rows are not in it.
    """
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq
    from bench_dbt import floor_tests

    seconds, _count = floor_tests(work / "floor-sql")  # DuckDB in this process: wall ~ CPU
    published = [p for p in (lake / "open_data").rglob("*.parquet") if p.stat().st_mtime >= since]
    tables = {p.stem: pq.read_table(p) for p in published}
    out = work / "floor-open-data"
    out.mkdir(parents=True, exist_ok=True)
    with measured() as writes:
        for name, table in tables.items():
            pa_csv.write_csv(table, out / f"{name}.csv")
            pq.write_table(table, out / f"{name}.parquet")
    return Cost(seconds, seconds), writes


def account_for_the_rest(lake: Path, since: float, daily: Cost, whole: Cost, work: Path) -> None:
    """What the stack costs with no data in it (``framework_floor``), beside the whole floor: the new day's account."""
    import framework_floor as ff

    from orchestration.runner import prepare_instance

    with prepare_instance(load_settings(lake)) as instance:
        shapes = ff.run_shapes(instance, since)
    steps = sum(s.asset_steps + s.check_steps for s in shapes)
    dagster = ff.dagster_runs(shapes, work)
    dbt_wall, dbt_cpu = ff.dbt_start_up(lake)
    evaluations = sum(1 for s in shapes if s.job == "__ASSET_JOB") + 1  # one more after the last run: nothing requested
    automation = ff.automation_evaluations(lake, evaluations)
    gates, suites = ff.gate_validations(lake)
    stack = Cost(dagster, dagster) + Cost(dbt_wall, dbt_cpu) + Cost(automation, automation) + Cost(gates, gates)
    header("the new day's account: floor, the stack with no data, the rest")
    line(f"  Dagster: {len(shapes)} no-op runs, {steps} steps", Cost(dagster, dagster), note="same shapes, CLI instance")
    line("  dbt start-up, selecting no node", Cost(dbt_wall, dbt_cpu), note="the lake's profile and parse state")
    line(f"  automation evaluations ({evaluations})", Cost(automation, automation), note="nothing to request")
    line(f"  Great Expectations, {suites} suites", Cost(gates, gates), note="called directly, on the marts as built")
    line("the stack with no data", stack)
    line("whole floor + the stack", whole + stack)
    rest = Cost(daily.wall - whole.wall - stack.wall, daily.cpu - whole.cpu - stack.cpu)
    line("the rest of the new day", rest, note="contracts, privacy, ledgers, verdicts, disclosure control, dbt per node")
    print(
        f"    new day = {daily.wall / whole.wall:.1f}x the whole floor (wall); the stack alone is {stack.wall / whole.wall:.1f}x it",
        flush=True,
    )


def section_idle(args: argparse.Namespace, root: Path) -> None:
    header("nothing pending: `observatoire run` (start-up included)")
    lake = getattr(args, "built_lake", None)
    if lake is None:
        lake = root / "idle"
        # Scale 0.3 (the test suite's lake): a couple of days at 0.2 leaves some marts degenerate.
        simulate(lake / "landing", start=date.today() - timedelta(days=args.days + 2), days=args.days, seed=args.seed, scale=0.3)
        run_pipeline(lake)
    # The command of this checkout (python -m from its root), so a copy of an older commit measures itself.
    command = [sys.executable, "-m", "orchestration.cli", "run", "--lake", str(lake)]
    repo = HERE.parents[1]
    # A first one settles any pending evaluation and, finding nothing, leaves the settled stamp.
    subprocess.run(command, check=True, capture_output=True, cwd=repo)
    for label, extra in (("run, nothing pending", []), ("run --full, nothing pending", ["--full"])):
        for attempt in range(1, args.idle_repeats + 1):
            with measured() as idle:
                out = subprocess.run([*command, *extra], check=True, capture_output=True, text=True, cwd=repo).stdout
            note = out.strip().splitlines()[-1][:90] if out.strip() else ""
            line(f"{label} ({attempt})", idle, note=f"load {os.getloadavg()[0]:.1f}; {note}")


def _ingest_all(lake: Path) -> tuple[Cost, list[tuple[str, int, float]]]:
    from orchestration.definitions import build_definitions
    from orchestration.runner import QUIET_LOGS, prepare_instance

    settings = load_settings(lake)
    definitions = build_definitions(lake)
    per_feed: list[tuple[str, int, float]] = []
    with prepare_instance(settings) as instance, measured() as total:
        for spec in feeds().values():
            if not any(spec.delivery_date(f.name) for f in landing_files(settings, spec)):
                continue
            started = time.perf_counter()
            # One run of the feed's job ingests every pending delivery (all ``--ingest-days``).
            result = definitions.resolve_job_def(f"ingest_{spec.name}").execute_in_process(instance=instance, run_config=QUIET_LOGS)
            rows = 0
            for event in result.get_asset_materialization_events():  # the feed's, and the ingest marker's
                found = event.event_specific_data.materialization.metadata.get("rows_read")  # type: ignore[union-attr]
                rows = int(found.value) if found is not None else rows
            per_feed.append((spec.name, rows, time.perf_counter() - started))
    return total, per_feed


def section_ingest(args: argparse.Namespace, root: Path) -> None:
    from bench_ingest import floor_ingest

    header(f"ingest of every feed over {args.ingest_days} days (scale {args.scale}) vs pyarrow + deltalake")
    lake = root / "ingest"
    simulate(
        lake / "landing", start=date.today() - timedelta(days=args.ingest_days + 1), days=args.ingest_days, seed=args.seed, scale=args.scale
    )
    obs, per_feed = _ingest_all(lake)
    settings = load_settings(lake)
    with measured() as floor:
        for spec in feeds().values():
            files = landing_files(settings, spec)
            if files:
                try:
                    floor_ingest(files, spec, root / "ingest-floor" / spec.name)
                except Exception as error:  # the floor skips what pyarrow cannot read; say so, go on
                    print(f"    floor skipped {spec.name}: {str(error)[:60]}")
    rows = sum(r for _, r, _ in per_feed)
    line("ingest, all feeds", obs, floor, f"{rows:,} rows, {len(per_feed)} run(s)")
    small = [s for _, r, s in per_feed if r < 20_000]
    if small:
        print(f"    feeds under 20k rows: {len(small)}, {min(small):.1f}-{max(small):.1f} s per run, {sum(small):.1f} s in all", flush=True)


def section_scale(args: argparse.Namespace, root: Path) -> None:
    header(f"scale 4 vs scale 1: first build of {args.scale_days} days")
    costs: dict[float, tuple[Cost, int]] = {}
    floors: dict[float, Cost] = {}
    for scale in (1.0, 4.0):
        lake = root / f"scale{scale:g}"
        report = simulate(
            lake / "landing", start=date.today() - timedelta(days=args.scale_days + 1), days=args.scale_days, seed=args.seed, scale=scale
        )
        # `observatoire run` in a process of its own: neither scale inherits the other's imports,
        # parsed dbt project or warm caches (the first build in this process would pay them all).
        with measured() as cost:
            subprocess.run(
                [sys.executable, "-m", "orchestration.cli", "run", "--lake", str(lake)],
                check=True,
                capture_output=True,
                cwd=HERE.parents[1],
            )
        rows = sum(report.rows.values())
        work = root / f"scale{scale:g}-floor"
        floor = floor_new_day(lake, None, work) + floor_marts_and_gold(work)
        costs[scale] = (cost, rows)
        floors[scale] = floor
        line(f"scale {scale:g}", cost, floor, f"{rows:,} rows; floor: ingest files + dbt SQL + Python marts + gold")
    (c1, r1), (c4, r4) = costs[1.0], costs[4.0]
    f1, f4 = floors[1.0], floors[4.0]
    print(
        f"    CPU ratio {c4.cpu / c1.cpu:.2f}x for a row ratio of {r4 / r1:.2f}x (the floor's own ratio: {f4.cpu / f1.cpu:.2f}x)",
        flush=True,
    )
    # Cost per extra row, and what the build costs beyond it (intercept of the two points).
    per_k, floor_per_k = (c4.cpu - c1.cpu) / (r4 - r1) * 1000, (f4.cpu - f1.cpu) / (r4 - r1) * 1000
    print(
        f"    marginal CPU per 1,000 rows {per_k:.3f} s (floor {floor_per_k:.3f} s); "
        f"fixed part {c1.cpu - per_k * r1 / 1000:.1f} s (floor {f1.cpu - floor_per_k * r1 / 1000:.1f} s)",
        flush=True,
    )


SECTIONS: dict[str, Callable[[argparse.Namespace, Path], None]] = {
    "daily": section_daily,
    "idle": section_idle,
    "ingest": section_ingest,
    "scale": section_scale,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(SECTIONS), help="sections to run (default: all, in order)")
    parser.add_argument("--days", type=int, default=30, help="days in the lake before the new day")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--ingest-days", type=int, default=365)
    parser.add_argument("--scale-days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--idle-repeats", type=int, default=3, help="measurements of each idle command")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-daily-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        print(f"bench_daily: {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.1f}, work in {root}", flush=True)
        for name in args.only or list(SECTIONS):
            SECTIONS[name](args, root)
        print(f"\nload at the end {os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
