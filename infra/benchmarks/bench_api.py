"""Benchmark of the API (not a test): latency and throughput at 50 concurrent clients on loopback.

    .venv/bin/python infra/benchmarks/bench_api.py                # a synthetic city-year, 10 s per call
    .venv/bin/python infra/benchmarks/bench_api.py --lake LAKE    # a lake already run (bench_slice.py --days 365)

Measures, with ``hey`` (Debian package, installed with apt-get if absent) against
``observatoire api`` started as its own process on 127.0.0.1:

- a filtered query on the largest mart (``code_quartier__exact``, ``heure__greater``, a sort, a
  20-row page) with a machine token;
- a metadata call on the same mart;

and prints p50/p95/p99 latency and requests/s, next to the floor: the same query run in-process
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
        for code, label in (coded.codes.items() if coded and coded.codes else [("AUT", "Autre")]):
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


def ensure_hey() -> str:
    found = shutil.which("hey")
    if found:
        return found
    print("hey not found: installing the Debian package (apt-get install -y hey)", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", "hey"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("hey")
    if not found:
        raise SystemExit("hey is not available; install it (Debian: apt-get install hey)")
    return found


def run_hey(hey: str, url: str, token: str, seconds: int, concurrency: int) -> dict[str, float]:
    out = subprocess.run(
        [hey, "-z", f"{seconds}s", "-c", str(concurrency), "-H", f"Authorization: Bearer {token}", url],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"},
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in (50, 95, 99):
        figures[f"p{pct}"] = float(re.search(rf"{pct}%+ in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    codes = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    figures["ok"] = float(codes.get("200", 0))
    figures["errors"] = float(sum(int(n) for c, n in codes.items() if c != "200"))
    return figures


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
    args = parser.parse_args()

    hey = ensure_hey()
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
    log = (lake / "bench-api.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "api", "--lake", str(lake), "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        for _ in range(120):
            try:
                opener.open(f"{base}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.5)
        data_url = f"{base}/v1/marts/{mart}/data?" + "&".join(f"{k}={v}" for k, v in QUERY.items())
        meta_url = f"{base}/v1/marts/{mart}"
        for url in (data_url, meta_url):  # warm the table cache and the code paths
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            body = json.loads(opener.open(request, timeout=30).read())
        data = run_hey(hey, data_url, token, args.seconds, args.concurrency)
        meta = run_hey(hey, meta_url, token, args.seconds, args.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    duck, own = floor(lake, mart, args.floor_runs)

    load = os.getloadavg()
    print(f"mart {mart}: {rows:,} rows; query {QUERY}; {args.concurrency} clients x {args.seconds} s on loopback, hey")
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (shared)")
    print(f"{'measure':<52}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>10}")
    rows_out = [
        ("API filtered query (HTTP, 50 concurrent)", data),
        ("API metadata call (HTTP, 50 concurrent)", meta),
        ("floor: DuckDB on the version's Parquet files (1 thread)", duck),
        ("API engine alone, in-memory table (1 thread)", own),
    ]
    for name, fig in rows_out:
        print(f"{name:<52}{fig['p50']:>9.1f}{fig['p95']:>9.1f}{fig['p99']:>9.1f}{fig['rps']:>10.0f}")
    print(f"HTTP responses: query {data['ok']:.0f} ok / {data['errors']:.0f} other; metadata {meta['ok']:.0f} ok / {meta['errors']:.0f} other")
    print(f"target p95 <= 50 ms for the filtered query: {'met' if data['p95'] <= 50 else 'NOT met'} ({data['p95']:.1f} ms)")
    del body
    return 0


if __name__ == "__main__":
    sys.exit(main())
