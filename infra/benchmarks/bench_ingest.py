"""Benchmark of ingestion (not a test): every declared feed, a simulated city-year, and the floor.

    .venv/bin/python infra/benchmarks/bench_ingest.py --days 365 --scale 1

1. **Observatoire**: the real Dagster ingest job of each feed over the whole day range, in-process
   (parse, contract, privacy, bronze/quarantine/ledger merges, lineage, metadata).
2. **Floor**: a plain script doing the least any ingestion must do: pyarrow reads the same files
   (declared format, separator and encoding, bad lines skipped) and ``deltalake`` appends them to
   a table partitioned by day. No contract, no privacy, no quarantine, no idempotence.

Prints per feed: rows, wall seconds and rows/s for both, their ratio, and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
from deltalake import write_deltalake

from orchestration.core.catalog import FeedSpec, feeds
from orchestration.core.ingestion import landing_files
from orchestration.core.settings import load_settings
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


def floor_ingest(files: list[Path], spec: FeedSpec, target: Path) -> int:
    """Plain pyarrow + deltalake load of ``files``: the cost of just moving the bytes.

    Reads each file with its declared format and encoding (bad lines skipped, unreadable files
    skipped), adds the delivery day, appends everything to one Delta table partitioned by day.
    No contract, no privacy, no quarantine, no idempotence.
    """
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--feeds", nargs="*", help="only these feeds (default: all declared)")
    args = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    root = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    lake_root = root / "lake"
    start = date.today() - timedelta(days=args.days + 1)
    t0 = time.perf_counter()
    simulate(lake_root / "landing", start=start, days=args.days, seed=args.seed, scale=args.scale)
    print(f"simulated {args.days} days at scale {args.scale} in {time.perf_counter() - t0:.1f} s -> {root}")

    from orchestration.definitions import build_definitions
    from orchestration.runner import QUIET_LOGS, prepare_instance

    settings = load_settings(lake_root)
    definitions = build_definitions(settings.lake)
    chosen = [s for n, s in feeds().items() if not args.feeds or n in args.feeds]
    rows_fmt = f"{'feed':<34}{'rows':>10}{'obs s':>8}{'obs rows/s':>12}{'floor s':>9}{'floor rows/s':>14}{'ratio':>7}"
    print(rows_fmt)
    total_obs = total_floor = 0.0
    with prepare_instance(settings) as instance:
        for spec in chosen:
            files = landing_files(settings, spec)
            days = sorted(d for f in files if (d := spec.delivery_date(f.name)))
            if not days:
                continue
            tags = {"dagster/asset_partition_range_start": days[0].isoformat(), "dagster/asset_partition_range_end": days[-1].isoformat()}
            t1 = time.perf_counter()
            result = definitions.resolve_job_def(f"ingest_{spec.name}").execute_in_process(instance=instance, tags=tags, run_config=QUIET_LOGS)
            obs = time.perf_counter() - t1
            meta = {}
            for event in result.get_asset_materialization_events():
                meta = {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}  # type: ignore[union-attr]
            rows = int(meta.get("rows_read", 0))
            t2 = time.perf_counter()
            try:
                floor_rows = floor_ingest(files, spec, root / "floor" / spec.name)
            except Exception as error:  # the floor skips what DuckDB cannot read; say so, go on
                print(f"{spec.name:<34}{rows:>10,}{obs:>8.1f}{rows / obs:>12,.0f}   floor failed: {str(error)[:60]}")
                total_obs += obs
                continue
            floor = time.perf_counter() - t2
            total_obs += obs
            total_floor += floor
            print(f"{spec.name:<34}{rows:>10,}{obs:>8.1f}{rows / obs:>12,.0f}{floor:>9.1f}{floor_rows / floor:>14,.0f}{obs / floor:>7.1f}")
    print(f"{'total':<34}{'':>10}{total_obs:>8.1f}{'':>12}{total_floor:>9.1f}{'':>14}{total_obs / total_floor:>7.1f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
