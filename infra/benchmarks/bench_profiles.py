"""The same simulated period on the embedded and the cluster profile, on this machine (a ratio).

Simulates once, copies the deliveries into two lakes, then runs the whole graph on each exactly
as ``observatoire run`` does (infra/cluster/whole_graph.py). The cluster profile's Delta tables go
to SeaweedFS and its Dagster storage to PostgreSQL, both started on 127.0.0.1 by the project's
helpers (infra/cluster/seaweed.py, postgres.py).

    .venv/bin/python infra/benchmarks/bench_profiles.py --days 3 --scale 0.05

Prints wall seconds per stage and profile, the ratio, the CPU seconds of each profile's run
(this process and its finished children: dbt), and the slowest steps (docs/scaling.md).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OBSERVATOIRE_ENV", "ci")

from infra.cluster.postgres import start_postgres
from infra.cluster.seaweed import start_seaweed
from infra.cluster.whole_graph import GraphResult, run_whole_graph
from orchestration.core.settings import load_settings
from simulator import simulate


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that ended (dbt runs as a subprocess)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(lake: Path, environ: dict[str, str]) -> GraphResult:
    saved = {k: os.environ.get(k) for k in environ}
    os.environ.update(environ)
    try:
        return run_whole_graph(load_settings(lake))
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 3, 2))
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cluster-first", action="store_true", help="run the cluster profile first (the first run pays cold imports)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-profiles-"))
    server = start_seaweed()
    postgres = start_postgres()
    try:
        started = time.perf_counter()
        report = simulate(work / "landing", start=args.start, days=args.days, seed=args.seed, scale=args.scale)
        rows = sum(report.rows.values())
        print(f"simulated {args.days} days at scale {args.scale}: {rows:,} rows in {time.perf_counter() - started:.1f} s")
        results: dict[str, GraphResult] = {}
        cpu: dict[str, float] = {}
        cluster = {**server.environ("bench"), "OBSERVATOIRE_DAGSTER_PG_URL": postgres.url}
        profiles = [("embedded", {"OBSERVATOIRE_PROFILE": "embedded"}), ("cluster", cluster)]
        for profile, environ in reversed(profiles) if args.cluster_first else profiles:
            lake = work / profile
            shutil.copytree(work / "landing", lake / "landing")
            started, cpu_before = time.perf_counter(), cpu_seconds()
            results[profile] = measure(lake, environ)
            total, cpu[profile] = time.perf_counter() - started, cpu_seconds() - cpu_before
            done = len(results[profile].materialised)
            print(f"{profile}: success={results[profile].success} total {total:.1f} s wall, {cpu[profile]:.1f} CPU-s, {done} assets")
            if results[profile].failure:
                print("  failure:", results[profile].failure[:2000])
        print(f"\n{'stage':<62}{'embedded s':>12}{'cluster s':>12}{'ratio':>8}")
        for stage in results["embedded"].seconds:
            e, c = results["embedded"].seconds[stage], results["cluster"].seconds.get(stage, float("nan"))
            print(f"{stage:<62}{e:>12.1f}{c:>12.1f}{c / e:>8.2f}")
        print(f"{'CPU seconds (this process + dbt)':<62}{cpu['embedded']:>12.1f}{cpu['cluster']:>12.1f}{cpu['cluster'] / cpu['embedded']:>8.2f}")
        print(f"\n{'slowest steps':<62}{'embedded s':>12}{'cluster s':>12}")
        steps = sorted(results["cluster"].steps, key=lambda s: -results["cluster"].steps[s])[:12]
        for step in steps:
            print(f"{step[:60]:<62}{results['embedded'].steps.get(step, float('nan')):>12.1f}{results['cluster'].steps[step]:>12.1f}")
        return 0 if all(r.success for r in results.values()) else 1
    finally:
        server.stop()
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
