"""Benchmark of the partner simulator (not a test): simulate N days of every feed, print figures.

    .venv/bin/python infra/benchmarks/bench_simulator.py --days 365 --scale 1

Prints the wall time of the whole simulation (all feeds, dirt, truth file, reference tables),
then per feed: files, rows, bytes and format; and the peak memory of the process. Writes into a
temporary landing folder (removed afterwards) unless ``--landing`` is given.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestration.core.catalog import feed
from simulator import SIMULATED_FEEDS, simulate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--landing", type=Path, help="keep the files here (default: a temporary folder, removed)")
    args = parser.parse_args()
    landing = args.landing or Path(tempfile.mkdtemp(prefix="bench-sim-"))
    try:
        began = time.perf_counter()
        report = simulate(landing, args.start, args.days, seed=args.seed, scale=args.scale)
        wall = time.perf_counter() - began
        files: dict[str, int] = {}
        for path in report.files:
            files[path.parent.name] = files.get(path.parent.name, 0) + 1
        total_rows = sum(report.rows.values())
        total_bytes = sum(report.bytes.values())
        print(f"simulate: start={args.start} days={args.days} scale={args.scale} seed={args.seed}")
        print(f"wall time: {wall:.1f} s for {total_rows:,} rows, {total_bytes / 1e6:,.1f} MB, {len(report.files):,} files "
              f"({total_rows / wall:,.0f} rows/s); {report.defects:,} defects in the truth file")
        print(f"{'feed':<34}{'format':<8}{'cadence':<9}{'files':>7}{'rows':>12}{'MB':>9}")
        for cls in SIMULATED_FEEDS:
            spec = feed(cls.feed_name)
            name = spec.name
            print(f"{name:<34}{spec.format.type:<8}{spec.delivery.cadence:<9}{files.get(name, 0):>7}"
                  f"{report.rows[name]:>12,}{report.bytes[name] / 1e6:>9.2f}")
        truth_mb = report.truth_path.stat().st_size / 1e6
        print(f"truth file: {report.truth_path.name} ({truth_mb:.1f} MB)")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    finally:
        if args.landing is None:
            shutil.rmtree(landing, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
