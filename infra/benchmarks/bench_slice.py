"""Benchmark of the walking skeleton (not a test): simulate N days, run the whole slice, print figures.

    .venv/bin/python infra/benchmarks/bench_slice.py --days 365 --scale 1

Prints, per phase: wall time, rows and rows/s; and peak memory of this process (Dagster, ingestion,
gate, publication) and of its children (dbt). Uses a temporary lake unless --lake is given.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from orchestration.core.settings import load_settings
from orchestration.definitions import build_definitions
from orchestration.runner import run_pending
from simulator import simulate


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lake", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    lake = args.lake or Path(tempfile.mkdtemp(prefix="bench-lake-"))
    start = date.today() - timedelta(days=args.days + 1)

    t0 = time.perf_counter()
    report = simulate(lake / "landing", start=start, days=args.days, seed=args.seed, scale=args.scale)
    t_sim = time.perf_counter() - t0
    rows = sum(report.rows.values())

    t1 = time.perf_counter()
    summary = run_pending(load_settings(lake), build_definitions(lake), echo=lambda _line: None)
    t_run = time.perf_counter() - t1
    if not summary.success:
        print("run FAILED:", [r.failure for r in summary.runs], file=sys.stderr)
        return 1
    print(f"lake: {lake}")
    print(f"days={args.days} scale={args.scale} rows={rows:,} files={len(report.files)}")
    print(f"{'phase':<28}{'wall s':>9}{'rows/s':>12}")
    print(f"{'simulate':<28}{t_sim:>9.2f}{rows / t_sim:>12,.0f}")
    for run in summary.runs:
        print(f"{run.job:<28}{run.seconds:>9.2f}{rows / run.seconds:>12,.0f}")
    print(f"{'run total (incl. start-up)':<28}{t_run:>9.2f}{rows / t_run:>12,.0f}")
    print(f"peak RSS: this process {peak_mib(resource.RUSAGE_SELF):,.0f} MiB, largest child (dbt) {peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
