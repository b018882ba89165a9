"""The same simulated period on the embedded and the cluster profile, on this machine (a ratio).

Simulates once, then runs the whole graph on each profile exactly as ``observatoire run`` does
(infra/cluster/whole_graph.py) on its own copy of the same deliveries, each profile in its own
process (so each one's CPU is its own). The cluster profile's Delta tables go to SeaweedFS and its
Dagster storage to PostgreSQL, both started on 127.0.0.1 by the project's helpers
(infra/cluster/seaweed.py, postgres.py); their CPU is counted with the profile's.

    nice -n 10 .venv/bin/python infra/benchmarks/bench_profiles.py --days 365 --scale 0.1

Per stage (ingest, dbt, Python marts, gates, publication, orchestration in between) it prints wall
seconds and CPU seconds: the profile's process and all its children (dbt) plus, on the cluster
profile, the S3 and PostgreSQL servers' processes; a sampler reads those counters from /proc every
``--sample`` seconds and each step gets the CPU spent between its start and end events. Compare
CPU seconds on a shared machine, not wall seconds (docs/scaling.md).
``--parallel`` runs both profiles at once (halves the wall time; the CPU figures stay per profile).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OBSERVATOIRE_ENV", "ci")

PROFILES = ("embedded", "cluster")
STAGES = ("ingest", "dbt", "Python marts", "gates", "publication", "freshness checks", "orchestration (between steps)")
TICKS = os.sysconf("SC_CLK_TCK")


# --- CPU of process trees, from /proc -------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process and of its reaped children)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
        ppid, utime, stime, cutime, cstime = int(fields[1]), *(int(f) for f in fields[11:15])
        table[int(entry)] = (ppid, (utime + stime + cutime + cstime) / TICKS)
    return table


def tree_cpu(table: dict[int, tuple[int, float]], root: int, exclude: frozenset[int] = frozenset()) -> float:
    """CPU seconds of ``root`` and its live descendants (reaped ones are in their parent's
    counters), leaving out the subtrees rooted at ``exclude``."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid in exclude or pid not in table:
            continue
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


@dataclass
class CpuSampler:
    """Samples (time, own tree CPU, servers' CPU) every ``period`` seconds in a thread."""

    servers: list[int] = field(default_factory=list)  # root pids of the servers' process trees
    period: float = 1.0
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> tuple[float, float, float]:
        table = _proc_table()
        own = tree_cpu(table, os.getpid(), exclude=frozenset(self.servers))
        served = sum(tree_cpu(table, pid) for pid in self.servers)
        point = (time.time(), own, served)
        self.samples.append(point)
        return point

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            self.sample()

    def __enter__(self) -> CpuSampler:
        self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def at(self, moment: float) -> tuple[float, float]:
        """(own, servers) CPU seconds at ``moment``, interpolated between samples."""
        times = [s[0] for s in self.samples]
        i = bisect_left(times, moment)
        if i <= 0:
            return self.samples[0][1], self.samples[0][2]
        if i >= len(self.samples):
            return self.samples[-1][1], self.samples[-1][2]
        (t0, a0, b0), (t1, a1, b1) = self.samples[i - 1], self.samples[i]
        w = (moment - t0) / (t1 - t0) if t1 > t0 else 1.0
        return a0 + w * (a1 - a0), b0 + w * (b1 - b0)


# --- one profile, in its own process ----------------------------------------------------------


def stage_of_step(job: str, step: str) -> str:
    """The benchmark's stage of a step, from its run's job and its step key."""
    if step.endswith("_freshness"):
        return "freshness checks"
    if job.startswith("ingest") or step.startswith("bronze__"):
        return "ingest"
    if "great_expectations_gate" in step:
        return "gates"
    if step.startswith("dbt") or "dbt" in step.split("__")[0]:
        return "dbt"
    if step.startswith(("marts__", "python_marts__")):  # one step per use case's Python marts
        return "Python marts"
    return "publication"  # gold, open data, model cards, catalogue, register


def server_pids(environ: dict[str, str], seaweed: object, postgres: object) -> list[int]:
    """Root pids of the cluster servers: weed's process, PostgreSQL's postmaster."""
    pids = [seaweed.process.pid]  # type: ignore[attr-defined]
    postmaster = Path(postgres.workdir) / "data" / "postmaster.pid"  # type: ignore[attr-defined]
    pids.append(int(postmaster.read_text().split()[0]))
    return pids


def run_profile(profile: str, landing: Path, out: Path, period: float) -> int:
    """Run the whole graph on ``profile`` over a copy of ``landing``; write the figures to ``out``."""
    import dagster as dg

    from infra.cluster.whole_graph import run_whole_graph
    from orchestration.core.settings import load_settings
    from orchestration.runner import prepare_instance

    work = Path(tempfile.mkdtemp(prefix=f"bench-{profile}-"))
    lake = work / "lake"
    shutil.copytree(landing, lake / "landing")
    seaweed = postgres = None
    environ = {"OBSERVATOIRE_PROFILE": "embedded"}
    servers: list[int] = []
    try:
        if profile == "cluster":
            from infra.cluster.postgres import start_postgres
            from infra.cluster.seaweed import start_seaweed

            seaweed, postgres = start_seaweed(), start_postgres()
            environ = {**seaweed.environ("bench"), "OBSERVATOIRE_DAGSTER_PG_URL": postgres.url}
            servers = server_pids(environ, seaweed, postgres)
        os.environ.update(environ)
        settings = load_settings(lake)
        started = time.time()
        with CpuSampler(servers=servers, period=period) as sampler:
            result = run_whole_graph(settings)
        ended = time.time()
        out.with_suffix(".samples.json").write_text(json.dumps(sampler.samples), encoding="utf-8")
        figures: dict[str, object] = {
            "profile": profile,
            "success": result.success,
            "failure": result.failure,
            "materialised": len(result.materialised),
            "executable": len(result.executable),
            "wall": ended - started,
        }
        own0, srv0 = sampler.at(started)
        own1, srv1 = sampler.at(ended)
        figures["cpu"], figures["cpu_servers"] = own1 - own0, srv1 - srv0
        stages = {s: {"wall": 0.0, "cpu": 0.0, "cpu_servers": 0.0, "steps": 0} for s in STAGES}
        steps: dict[str, dict[str, float]] = {}
        with prepare_instance(settings) as instance:
            for record in instance.get_run_records():
                job = record.dagster_run.job_name
                begun: dict[str, float] = {}
                for entry in instance.all_logs(record.dagster_run.run_id):
                    event = entry.dagster_event
                    if event is None or not entry.step_key:
                        continue
                    if event.event_type == dg.DagsterEventType.STEP_START:
                        begun[entry.step_key] = entry.timestamp
                    elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                        t0 = begun.pop(entry.step_key, entry.timestamp)
                        a0, b0 = sampler.at(t0)
                        a1, b1 = sampler.at(entry.timestamp)
                        stage = stages[stage_of_step(job, entry.step_key)]
                        stage["wall"] += entry.timestamp - t0
                        stage["cpu"] += a1 - a0
                        stage["cpu_servers"] += b1 - b0
                        stage["steps"] += 1
                        step = steps.setdefault(entry.step_key, {"wall": 0.0, "cpu": 0.0, "cpu_servers": 0.0})
                        step["wall"] += entry.timestamp - t0
                        step["cpu"] += a1 - a0
                        step["cpu_servers"] += b1 - b0
        rest = stages["orchestration (between steps)"]
        rest["wall"] = figures["wall"] - sum(s["wall"] for s in stages.values())  # type: ignore[operator]
        rest["cpu"] = figures["cpu"] - sum(s["cpu"] for s in stages.values())  # type: ignore[operator]
        rest["cpu_servers"] = figures["cpu_servers"] - sum(s["cpu_servers"] for s in stages.values())  # type: ignore[operator]
        figures["stages"], figures["steps"], figures["runs"] = stages, steps, result.seconds
        figures["peak_rss_mib"] = _peak_rss_mib()
        out.write_text(json.dumps(figures, indent=1), encoding="utf-8")
        return 0 if result.success else 1
    finally:
        if seaweed is not None:
            seaweed.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


def _peak_rss_mib() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


# --- the comparison ---------------------------------------------------------------------------


def print_report(figures: dict[str, dict]) -> None:
    """Per-stage wall and CPU on both profiles, their ratio, and the costliest steps."""
    e, c = figures["embedded"], figures["cluster"]
    for f in (e, c):
        print(
            f"{f['profile']}: success={f['success']} {f['materialised']}/{f['executable']} assets, "
            f"{f['wall']:.1f} s wall, {f['cpu']:.1f} CPU-s (+ servers {f['cpu_servers']:.1f}), peak RSS {f['peak_rss_mib']:.0f} MiB"
        )
        if f["failure"]:
            print("  failure:", f["failure"][:3000])
    head = f"{'stage':<32}{'steps':>6}{'emb wall':>10}{'emb CPU':>10}{'clu wall':>10}{'clu CPU':>10}{'(servers)':>10}{'CPU ratio':>10}"
    print("\n" + head)
    rows = [*STAGES, "total"]
    for stage in rows:
        if stage == "total":
            es = {"wall": e["wall"], "cpu": e["cpu"], "steps": sum(s["steps"] for s in e["stages"].values())}
            cs = {"wall": c["wall"], "cpu": c["cpu"] + c["cpu_servers"], "cpu_servers": c["cpu_servers"]}
        else:
            es, cs = e["stages"][stage], dict(c["stages"][stage])
            cs["cpu"] = cs["cpu"] + cs["cpu_servers"]
        ratio = cs["cpu"] / es["cpu"] if es["cpu"] > 0 else float("nan")
        print(
            f"{stage:<32}{es['steps']:>6}{es['wall']:>10.1f}{es['cpu']:>10.1f}{cs['wall']:>10.1f}{cs['cpu']:>10.1f}"
            f"{cs['cpu_servers']:>10.1f}{ratio:>10.2f}"
        )
    print(f"\n{'costliest steps (CPU-s)':<60}{'embedded':>10}{'cluster':>10}{'(servers)':>10}")
    ranked = sorted(e["steps"], key=lambda s: -e["steps"][s]["cpu"])[:15]
    for step in ranked:
        cl = c["steps"].get(step, {"cpu": float("nan"), "cpu_servers": float("nan")})
        print(f"{step[:58]:<60}{e['steps'][step]['cpu']:>10.1f}{cl['cpu'] + cl['cpu_servers']:>10.1f}{cl['cpu_servers']:>10.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", type=date.fromisoformat, help="first day (default: the window ends yesterday)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parallel", action="store_true", help="run both profiles at once (CPU stays per profile)")
    parser.add_argument("--cluster-first", action="store_true", help="run the cluster profile first")
    parser.add_argument("--sample", type=float, default=1.0, help="CPU sampling period, seconds")
    parser.add_argument("--keep", type=Path, help="write each profile's figures (JSON) into this directory")
    parser.add_argument("--profile", choices=PROFILES, help=argparse.SUPPRESS)  # internal: one profile
    parser.add_argument("--landing", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        return run_profile(args.profile, args.landing, args.out, args.sample)
    # Deliveries dated after today fall outside the daily partitions (end_offset=1): end yesterday.
    args.start = args.start or date.today() - timedelta(days=args.days)

    from simulator import simulate

    work = Path(tempfile.mkdtemp(prefix="bench-profiles-"))
    try:
        started = time.perf_counter()
        report = simulate(work / "landing", start=args.start, days=args.days, seed=args.seed, scale=args.scale)
        rows, size = sum(report.rows.values()), sum(report.bytes.values()) / 1e6
        print(
            f"simulated {args.days} days from {args.start} at scale {args.scale}: {rows:,} rows, {size:.1f} MB, {len(report.files):,} files in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        order = list(reversed(PROFILES)) if args.cluster_first else list(PROFILES)
        processes: dict[str, subprocess.Popen[bytes]] = {}
        codes: dict[str, int] = {}
        for profile in order:
            command = [
                sys.executable,
                __file__,
                "--profile",
                profile,
                "--landing",
                str(work / "landing"),
                "--out",
                str(work / f"{profile}.json"),
                "--sample",
                str(args.sample),
            ]
            processes[profile] = subprocess.Popen(command, cwd=ROOT)
            print(f"{profile}: pid {processes[profile].pid}", flush=True)
            if not args.parallel:
                codes[profile] = processes[profile].wait()
        for profile, process in processes.items():
            codes[profile] = process.wait()
        figures = {p: json.loads((work / f"{p}.json").read_text()) for p in PROFILES if (work / f"{p}.json").exists()}
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for profile, data in figures.items():
                (args.keep / f"{profile}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        if len(figures) < 2:
            print("a profile ended without figures:", codes)
            return 1
        print_report(figures)
        return 0 if all(f["success"] for f in figures.values()) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
