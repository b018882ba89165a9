"""Benchmark of ingestion (not a test): every declared feed, a simulated city-year, and the floor.

    .venv/bin/python infra/benchmarks/bench_ingest.py --days 365 --scale 1

1. **Observatoire**: the real Dagster ingest job of each feed, one run ingesting its whole year of
   pending deliveries, in-process (parse, contract, privacy, bronze/quarantine/ledger merges,
   lineage, metadata).
2. **Floor**: a plain script doing the least any ingestion must do: pyarrow reads the same files
   (declared format, separator and encoding, bad lines skipped) and ``deltalake`` appends them to
   a table partitioned by day. No contract, no privacy, no quarantine, no idempotence.

Both run in one process; the floor on Arrow's default allocator, ingestion on the one it chooses
(:func:`orchestration.core.ingestion.prefer_system_allocator`). That the tables do not change
from one checkout to another is checked by ``infra/benchmarks/ingest_identity.py``.

Prints per feed: rows, wall and CPU seconds for both, their ratios (CPU is the steadier figure on
a shared machine), the peak memory reached so far and the run's Dagster events; the load average
at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
from deltalake import write_deltalake

from orchestration.core.catalog import FeedSpec, feeds
from orchestration.core.ingestion import landing_files
from orchestration.core.settings import Settings, load_settings
from simulator import simulate


def _read_plain(path: Path, spec: FeedSpec) -> pa.Table:
    fmt = spec.format
    kind = fmt.type
    if kind == "csv":
        encoding = fmt.encoding.replace("-sig", "")
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=fmt.separator, invalid_row_handler=lambda _row: "skip"),
        )
    elif kind == "jsonl":
        table = pajson.read_json(path)
    else:
        document = json.loads(path.read_text(encoding=fmt.encoding))
        for key in fmt.records_path.split(".") if fmt.records_path else []:
            document = document[key]
        table = pa.Table.from_pylist(document)
    return table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))


# Arrow's pool as the process started: the floor runs on it (plain pyarrow), whatever ingestion chose.
PLAIN_POOL = pa.default_memory_pool()


def floor_ingest(files: list[Path], spec: FeedSpec, target: Path) -> int:
    """Plain pyarrow + deltalake load of ``files``: the cost of just moving the bytes.

    Reads each file with its declared format and encoding (bad lines skipped, unreadable files
    skipped), adds the delivery day, appends everything to one Delta table partitioned by day.
    No contract, no privacy, no quarantine, no idempotence. Arrow's default allocator.
    """
    chosen = pa.default_memory_pool()
    pa.set_memory_pool(PLAIN_POOL)
    try:
        return _floor_ingest(files, spec, target)
    finally:
        pa.set_memory_pool(chosen)


def _floor_ingest(files: list[Path], spec: FeedSpec, target: Path) -> int:
    tables = []
    for path in files:
        try:
            table = _read_plain(path, spec)
        except Exception:
            continue
        day = str(spec.delivery_date(path.name))  # partition by the day the delivery covers
        tables.append(table.append_column("_jour_livraison", pa.array([day] * table.num_rows, pa.string())))
    if not tables:
        return 0
    loaded = pa.concat_tables(tables, promote_options="permissive")
    write_deltalake(str(target), loaded, partition_by=["_jour_livraison"], mode="append")
    return loaded.num_rows


def _cpu() -> float:
    """CPU seconds of this process so far (every thread: delta-rs writes on its own)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--feeds", nargs="*", help="only these feeds (default: all declared)")
    parser.add_argument("--one-run", action="store_true", help="every feed in one ingest_feeds run, as `observatoire run` does")
    parser.add_argument("--landing", type=Path, help="copy this landing folder instead of simulating one")
    args = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    root = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    lake_root = root / "lake"
    start = date.today() - timedelta(days=args.days + 1)
    t0 = time.perf_counter()
    if args.landing:
        shutil.copytree(args.landing, lake_root / "landing", symlinks=True)
        print(f"copied {args.landing} -> {root}")
    else:
        simulate(lake_root / "landing", start=start, days=args.days, seed=args.seed, scale=args.scale)
        print(f"simulated {args.days} days at scale {args.scale} in {time.perf_counter() - t0:.1f} s -> {root}")

    from orchestration.definitions import build_definitions

    settings = load_settings(lake_root)
    definitions = build_definitions(settings.lake)
    chosen = [s for n, s in feeds().items() if not args.feeds or n in args.feeds]
    print(f"load {os.getloadavg()[0]:.1f} at the start, {os.cpu_count()} CPU(s)")
    if args.one_run:
        one_run(settings, definitions, chosen, root)
    else:
        run_per_feed(settings, definitions, chosen, root)
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    return 0


def run_per_feed(settings: Settings, definitions: Any, chosen: list[FeedSpec], root: Path) -> None:
    """One run of each feed's ``ingest_<feed>`` job (its whole year), beside the floor."""
    from orchestration.runner import QUIET_LOGS, prepare_instance

    print(
        f"{'feed':<34}{'rows':>10}{'obs s':>8}{'obs CPU':>8}{'floor s':>8}{'fl CPU':>8}{'x wall':>7}{'x CPU':>7}{'peak MiB':>9}{'events':>7}"
    )
    total_obs = total_floor = total_obs_cpu = total_floor_cpu = 0.0
    with prepare_instance(settings) as instance:
        for spec in chosen:
            files = landing_files(settings, spec)
            if not any(spec.delivery_date(f.name) for f in files):
                continue
            t1, c1 = time.perf_counter(), _cpu()
            # One run of the feed's job ingests every pending delivery (the whole year here).
            result = definitions.resolve_job_def(f"ingest_{spec.name}").execute_in_process(instance=instance, run_config=QUIET_LOGS)
            obs, obs_cpu = time.perf_counter() - t1, _cpu() - c1
            peak = _peak_mib()
            # Dagster's own bookkeeping: every event is a row (and a commit) in the instance's storage.
            events = len(instance.get_records_for_run(result.run_id, limit=1_000_000).records)
            rows = 0
            for event in result.get_asset_materialization_events():  # the feed's, and the ingest marker's
                found = event.event_specific_data.materialization.metadata.get("rows_read")  # type: ignore[union-attr]
                rows = int(found.value) if found is not None else rows
            total_obs += obs
            total_obs_cpu += obs_cpu
            t2, c2 = time.perf_counter(), _cpu()
            try:
                floor_ingest(files, spec, root / "floor" / spec.name)
            except Exception as error:  # the floor skips what pyarrow cannot read; say so, go on
                print(f"{spec.name:<34}{rows:>10,}{obs:>8.1f}{obs_cpu:>8.1f}   floor failed: {str(error)[:60]}")
                continue
            floor, floor_cpu = time.perf_counter() - t2, _cpu() - c2
            total_floor += floor
            total_floor_cpu += floor_cpu
            print(
                f"{spec.name:<34}{rows:>10,}{obs:>8.1f}{obs_cpu:>8.1f}{floor:>8.1f}{floor_cpu:>8.1f}"
                f"{obs / floor:>7.1f}{obs_cpu / max(floor_cpu, 0.01):>7.1f}{peak:>9,.0f}{events:>7}",
                flush=True,
            )
    print(
        f"{'total':<34}{'':>10}{total_obs:>8.1f}{total_obs_cpu:>8.1f}{total_floor:>8.1f}{total_floor_cpu:>8.1f}"
        f"{total_obs / total_floor:>7.1f}{total_obs_cpu / total_floor_cpu:>7.1f}{_peak_mib():>9,.0f}"
    )


def one_run(settings: Settings, definitions: Any, chosen: list[FeedSpec], root: Path) -> None:
    """Every feed in one ``ingest_feeds`` run (what ``observatoire run`` does with a year in landing).

    Per feed: its step's wall seconds (from the run's events) beside the floor; CPU for the whole run.
    """
    from orchestration.factories.ingest import INGEST_FEEDS_JOB, bronze_key
    from orchestration.runner import QUIET_LOGS, prepare_instance

    delivered = [s for s in chosen if any(s.delivery_date(f.name) for f in landing_files(settings, s))]
    with prepare_instance(settings) as instance:
        t1, c1 = time.perf_counter(), _cpu()
        result = definitions.resolve_job_def(INGEST_FEEDS_JOB).execute_in_process(
            instance=instance, asset_selection=[bronze_key(s) for s in delivered], run_config=QUIET_LOGS
        )
        obs, obs_cpu = time.perf_counter() - t1, _cpu() - c1
        logs = instance.all_logs(result.run_id)
    starts = {e.step_key: e.timestamp for e in logs if e.dagster_event and e.dagster_event.event_type_value == "STEP_START"}
    ends = {e.step_key: e.timestamp for e in logs if e.dagster_event and e.dagster_event.event_type_value == "STEP_SUCCESS"}
    rows: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        found = event.event_specific_data.materialization.metadata.get("rows_read")  # type: ignore[union-attr]
        if found is not None:
            rows[event.event_specific_data.materialization.asset_key.path[-1]] = int(found.value)  # type: ignore[union-attr]
    print(f"ingest_feeds: one run, {len(delivered)} feeds, {len(logs)} events, success {result.success}")
    print(f"{'feed':<34}{'rows':>10}{'step s':>8}{'floor s':>8}{'fl CPU':>8}")
    floor_wall = floor_cpu = 0.0
    for spec in delivered:
        step = f"bronze__{spec.name}"
        t2, c2 = time.perf_counter(), _cpu()
        try:
            floor_ingest(landing_files(settings, spec), spec, root / "floor" / spec.name)
        except Exception as error:  # the floor skips what pyarrow cannot read; say so, go on
            print(f"{spec.name:<34}   floor failed: {str(error)[:60]}")
            continue
        floor, fcpu = time.perf_counter() - t2, _cpu() - c2
        floor_wall += floor
        floor_cpu += fcpu
        seconds = ends.get(step, 0.0) - starts.get(step, 0.0)
        print(f"{spec.name:<34}{rows.get(spec.name, 0):>10,}{seconds:>8.2f}{floor:>8.1f}{fcpu:>8.1f}", flush=True)
    print(f"{'obs s':>8}{'obs CPU':>8}{'floor s':>8}{'fl CPU':>8}{'x wall':>7}{'x CPU':>7}{'peak MiB':>9}")
    print(
        f"{obs:>8.1f}{obs_cpu:>8.1f}{floor_wall:>8.1f}{floor_cpu:>8.1f}{obs / floor_wall:>7.1f}{obs_cpu / floor_cpu:>7.1f}{_peak_mib():>9,.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
