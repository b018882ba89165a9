"""Benchmark of the API (not a test): latency and throughput at 50 concurrent clients on loopback.

    .venv/bin/python infra/benchmarks/bench_api.py                # a synthetic city-year, 10 s per call
    .venv/bin/python infra/benchmarks/bench_api.py --lake LAKE    # a lake already run (bench_slice.py --days 365)

Measures, with ``wrk`` (Debian package, installed with apt-get if absent; C, so the load
generator takes little of the shared cores) against ``observatoire api`` started as its own
process on 127.0.0.1, 50 keep-alive connections in a closed loop:

- a filtered query on the largest mart (``code_quartier__exact``, ``heure__greater``, a sort, a
  20-row page) with a machine token, the same URL repeated;
- the same filtered query with varied values (106,000 combinations of quartier, hour, sort
  direction and page size from 11 to 30 rows, none requested twice in a run), so the API's page cache
  (``apps/api/page_cache.py``) cannot be what is measured;
- a metadata call on the same mart;

and prints p50/p95/p99 latency, requests/s, the API's and wrk's CPU time per request (from
/proc and rusage: less sensitive to the machine's load than latency) and the load average,
next to the floor: the same query run in-process
with DuckDB on the same Parquet files of the published Delta version (sequential), and the API's
own engine on its in-memory table without HTTP. Target: p95 <= 50 ms for the filtered query.

Without ``--lake``, the largest mart of a simulated lake (``vie_nocturne_comptages_horaires``:
76,693 rows for 90 simulated days at scale 1, so ~311,000 for a year) is generated for 365 days
from its declaration (real quartier codes, declared feeds and their category codes) and
published in a temporary lake: a full simulated year through the pipeline takes far longer and
would measure the pipeline, not the API.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import pandas as pd
import pyarrow as pa

from orchestration.core import catalog
from orchestration.core.api_tokens import TokenStore, store_path
from orchestration.core.catalog.mart_schema import arrow_schema
from orchestration.core.opendata.zones import quartiers
from orchestration.core.settings import REPO_ROOT, load_settings

LARGEST_MART = "vie_nocturne_comptages_horaires"
ROWS_PER_YEAR = 311_000
QUERY = {"code_quartier__exact": "1320101", "heure__greater": "20", "nb_incidents__sort": "desc", "page_size": "20"}


def synthetic_year(lake: Path, mart: str = LARGEST_MART, rows: int = ROWS_PER_YEAR, seed: int = 7) -> int:
    """Publish a city-year of ``mart`` (unique grain rows, declared types) in ``lake``; returns rows."""
    from deltalake import write_deltalake

    spec = catalog.marts()[mart]
    rng = np.random.default_rng(seed)
    start = date(date.today().year - 1, 1, 1)
    codes = sorted(quartiers().items())
    pairs = []  # (flux, code, label) from the declared feeds' coded columns
    for feed in spec.source_feeds:
        coded = next((c for c in catalog.feed(feed).columns if c.codes), None)
        for code, label in coded.codes.items() if coded and coded.codes else [("AUT", "Autre")]:
            pairs.append((feed, code, label))
    n_days, n_hours, n_q, n_p = 365, 24, len(codes), len(pairs)
    picked = rng.choice(n_days * n_hours * n_q * n_p, size=min(rows, n_days * n_hours * n_q * n_p), replace=False)
    day, rest = np.divmod(picked, n_hours * n_q * n_p)
    hour, rest = np.divmod(rest, n_q * n_p)
    q, p = np.divmod(rest, n_p)
    days = pd.to_datetime(start) + pd.to_timedelta(day, unit="D")
    frame = pd.DataFrame(
        {
            "jour": days.date,
            "heure": hour.astype("int32"),
            "jour_nuit": (days - pd.to_timedelta((hour < 12).astype(int), unit="D")).date,
            "code_quartier": [codes[i][0] for i in q],
            "nom_quartier": [codes[i][1][0] for i in q],
            "flux": [pairs[i][0] for i in p],
            "code_categorie": [pairs[i][1] for i in p],
            "categorie": [pairs[i][2] for i in p],
            "nb_incidents": 1 + rng.poisson(0.6, len(picked)),
        }
    ).sort_values(["jour", "heure", "code_quartier", "flux", "code_categorie"])
    schema = arrow_schema(mart)
    table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    write_deltalake(str(lake / "gold" / mart), table, mode="overwrite")
    record = {
        "mart": mart,
        "published_at": "2026-01-01T00:00:00+00:00",
        "delta_version": 0,
        "rows": table.num_rows,
        "data_window": {"start": str(frame["jour"].min()), "end": str(frame["jour"].max())},
        "gate": {"success": True, "note": "benchmark data, not gated"},
    }
    (lake / "gold" / "_publications").mkdir(parents=True, exist_ok=True)
    (lake / "gold" / "_publications" / f"{mart}.json").write_text(json.dumps(record), encoding="utf-8")
    return table.num_rows


def largest_published(lake: Path) -> tuple[str, int]:
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (lake / "gold" / "_publications").glob("*.json")]
    best = max(records, key=lambda r: int(r.get("rows") or 0))
    return best["mart"], int(best["rows"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing the Debian package (apt-get install -y wrk)", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not available; install it (Debian: apt-get install wrk)")
    return found


# wrk script: a request's path is ``prefix .. values[k] .. suffix`` for the k-th of the run's
# distinct values, in turn (one thread starts half-way round): one value for a repeated query,
# tens of thousands of filter combinations for the varied one, so that no request repeats one
# already made and no response cache can be what is measured. The summary is printed as one JSON
# line (wrk's own report has no p95).
WRK_SCRIPT = """
local prefix, suffix = %(prefix)s, %(suffix)s
local values = {%(values)s}
local threads = 0
function setup(thread)
  thread:set("offset", threads * math.floor(#values / 2))
  threads = threads + 1
end
local i = 0
wrk.headers["Authorization"] = "Bearer %(token)s"
request = function()
  i = i + 1
  return wrk.format("GET", prefix .. values[((offset or 0) + i - 1) %% #values + 1] .. suffix)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"p50":%%f,"p95":%%f,"p99":%%f,"requests":%%d,"seconds":%%f,"errors":%%d}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and every live descendant (uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == current)
    return total


def run_wrk(
    wrk: str, base: str, path: tuple[str, list[str], str], token: str, seconds: int, concurrency: int, server: int
) -> dict[str, float]:
    """One closed-loop run: ``concurrency`` connections, 2 wrk threads; latency, throughput, CPU.

    ``path`` is (prefix, values, suffix): the requests cycle through ``prefix + value + suffix``.
    """
    prefix, values, suffix = path
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    fields = {"prefix": json.dumps(prefix), "suffix": json.dumps(suffix), "values": ",".join(json.dumps(v) for v in values), "token": token}
    script.write_text(WRK_SCRIPT % fields, encoding="utf-8")
    before = _cpu_seconds(server)
    load = os.getloadavg()[0]
    child = subprocess.Popen(
        [wrk, "-t", "2", "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(script), base],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    server_cpu = _cpu_seconds(server) - before
    script.unlink()
    found = re.search(r"BENCH (\{.*\})", out)
    if child.returncode != 0 or not found:
        raise SystemExit(f"wrk failed:\n{out}")
    figures = {k: float(v) for k, v in json.loads(found.group(1)).items()}
    n = max(1.0, figures["requests"])
    figures["rps"] = figures["requests"] / figures["seconds"]
    figures["server_cpu_ms"] = server_cpu * 1000 / n
    figures["client_cpu_ms"] = (usage.ru_utime + usage.ru_stime) * 1000 / n
    figures["load"] = max(load, os.getloadavg()[0])
    return figures


def varied_queries(mart: str, table: pa.Table, seed: int = 11) -> tuple[str, list[str], str]:
    """``QUERY``'s shape with varied values: every quartier x hour threshold x sort direction x
    page size from 11 to 30 rows (106,000 for the city's 111 quartiers), shuffled."""
    codes = sorted(set(table["code_quartier"].to_pylist()))
    combos = [
        f"code_quartier__exact={code}&heure__greater={hour}&nb_incidents__sort={sort}&page_size={size}"
        for code in codes
        for hour in range(24)
        for sort in ("desc", "asc")
        for size in range(11, 31)
    ]
    np.random.default_rng(seed).shuffle(combos)
    return f"/v1/marts/{mart}/data?", combos, ""


def percentiles(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "rps": 1000 / statistics.mean(samples)}


def floor(lake: Path, mart: str, runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """The same query in-process: DuckDB on the version's Parquet files, and the API's engine."""
    import duckdb
    from deltalake import DeltaTable

    from apps.api.engine import Engine
    from apps.api.query import parse
    from apps.api.resources import Published

    record = json.loads((lake / "gold" / "_publications" / f"{mart}.json").read_text(encoding="utf-8"))
    files = DeltaTable(str(lake / "gold" / mart), version=record["delta_version"]).file_uris()
    grain = list(catalog.marts()[mart].grain)
    order = ", ".join(["nb_incidents DESC", *grain])
    sql = f"SELECT *, count(*) OVER () AS total FROM read_parquet(?) WHERE code_quartier = ? AND heure >= ? ORDER BY {order} LIMIT 20"
    con = duckdb.connect()
    duck = []
    for _ in range(runs):
        t = time.perf_counter()
        con.execute(sql, [files, QUERY["code_quartier__exact"], int(QUERY["heure__greater"])]).to_arrow_table()
        duck.append((time.perf_counter() - t) * 1000)

    published = Published(load_settings(lake, require_key=False))
    snapshot = published.mart_snapshot(mart)
    table = published.table(snapshot)
    query = parse(QUERY.items(), snapshot.columns, 20, 1000)
    engine = Engine()
    own = []
    for _ in range(runs):
        t = time.perf_counter()
        engine.page(table, query)
        own.append((time.perf_counter() - t) * 1000)
    return percentiles(duck), percentiles(own)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lake", type=Path, help="a lake with published marts (default: a synthetic city-year)")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each load run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--floor-runs", type=int, default=200)
    parser.add_argument("--workers", type=int, help="API worker processes (default: OBSERVATOIRE_API_WORKERS or the API's own)")
    args = parser.parse_args()

    wrk = ensure_wrk()
    lake = args.lake or Path(tempfile.mkdtemp(prefix="bench-api-")) / "lake"
    if args.lake:
        mart, rows = largest_published(lake)
    else:
        t = time.perf_counter()
        mart, rows = LARGEST_MART, synthetic_year(lake)
        print(f"synthetic city-year of {mart}: {rows:,} rows published in {time.perf_counter() - t:.1f} s")
    settings = load_settings(lake, require_key=False)
    _, token = TokenStore(store_path(settings)).create("benchmark", ["services", "analyste", "exploitation"], days=1)

    port = free_port()
    env = {**os.environ, "OBSERVATOIRE_API_RATE": "1000000", "OBSERVATOIRE_API_BURST": "1000000", "OBSERVATOIRE_OIDC_ISSUER": ""}
    if args.workers:
        env["OBSERVATOIRE_API_WORKERS"] = str(args.workers)
    log = (lake / "bench-api.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "api", "--lake", str(lake), "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    query_path = f"/v1/marts/{mart}/data?" + "&".join(f"{k}={v}" for k, v in QUERY.items())
    meta_path = f"/v1/marts/{mart}"
    import deltalake

    varied = varied_queries(mart, deltalake.DeltaTable(str(lake / "gold" / mart)).to_pyarrow_table(columns=["code_quartier"]))
    try:
        for _ in range(120):
            try:
                opener.open(f"{base}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.5)
        for _ in range(20):  # warm the table cache, its indexes and the code paths (of every worker)
            for path in (query_path, meta_path, varied[0] + varied[1][-1] + varied[2]):
                request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
                opener.open(request, timeout=30).read()
        common = (token, args.seconds, args.concurrency, server.pid)
        runs = {
            "API filtered query, repeated (HTTP)": run_wrk(wrk, base, (query_path, [""], ""), *common),
            "API filtered query, varied values (HTTP)": run_wrk(wrk, base, varied, *common),
            "API metadata call (HTTP)": run_wrk(wrk, base, (meta_path, [""], ""), *common),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    duck, own = floor(lake, mart, args.floor_runs)
    floor_load = os.getloadavg()[0]

    print(f"mart {mart}: {rows:,} rows; query {QUERY}; {args.concurrency} connections x {args.seconds} s on loopback, wrk -t 2")
    print(f"machine: {os.cpu_count()} cores (shared); load average (1 min) printed beside each run")
    print(f"{'measure':<48}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>8}{'srv cpu':>9}{'wrk cpu':>9}{'errors':>7}{'load':>6}")
    for name, fig in runs.items():
        print(
            f"{name:<48}{fig['p50']:>8.1f}{fig['p95']:>8.1f}{fig['p99']:>8.1f}{fig['rps']:>8.0f}"
            f"{fig['server_cpu_ms']:>7.2f}ms{fig['client_cpu_ms']:>7.2f}ms{fig['errors']:>7.0f}{fig['load']:>6.1f}"
        )
    for name, fig in (("floor: DuckDB on the version's Parquet files", duck), ("API engine alone, in-memory table", own)):
        print(
            f"{name + ' (1 thread)':<48}{fig['p50']:>8.1f}{fig['p95']:>8.1f}{fig['p99']:>8.1f}{fig['rps']:>8.0f}{'':>25}{floor_load:>6.1f}"
        )
    print("srv cpu / wrk cpu: CPU time of the API processes / of the load generator per request (less sensitive to load)")
    data = runs["API filtered query, varied values (HTTP)"]
    print(f"target p95 <= 50 ms for the filtered query (varied values): {'met' if data['p95'] <= 50 else 'NOT met'} ({data['p95']:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
