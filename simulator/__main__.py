"""Command line: ``python -m simulator LANDING --start 2026-01-01 --days 30 [--seed 42] [--scale 1] [--effects FILE]``."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from simulator import simulate


def main(argv: list[str] | None = None) -> None:
    """Write partner drops into LANDING and print what was written."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("landing", type=Path, help="landing folder (one sub-folder per feed is created)")
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier")
    parser.add_argument("--effects", type=Path, default=None, help="YAML of effect sizes merged over effects.default.yaml")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    report = simulate(args.landing, args.start, args.days, seed=args.seed, scale=args.scale, effects=args.effects)
    elapsed = time.perf_counter() - began
    for feed_name, rows in report.rows.items():
        print(f"{feed_name}: {rows} rows")
    print(f"{len(report.files)} files, {report.defects} defects, truth: {report.truth_path} ({elapsed:.1f} s)")


if __name__ == "__main__":
    main()
