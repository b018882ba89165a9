"""Fixtures for the app tests: a synthetic *published* lake and a real Streamlit server.

The apps are tested against the publication contract, not against the pipeline: this module
writes, in a temporary directory, exactly what the publisher is specified to write (gold Delta
mart + publication record, gate result, open-data folder), so these tests run in seconds and
keep pinning the contract the publisher must honour. The tests that check pages against what
the real pipeline published use ``published_pipeline_lake`` (below) instead.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "apps" / "streamlit_app.py"

MART = "incidents_quartier_jour"
DATASET = "interventions-police-municipale-arrondissement-mois"
DATASET_TITLE = "Interventions de la police municipale par arrondissement et par mois"
K_MIN = 11
TOTAL_LABEL = "Toutes natures"
# category -> mean incidents per quartier and day. "Dépôts sauvages" is rare on purpose, so
# that monthly arrondissement counts fall below K_MIN and the disclosure control has work.
CATEGORIES = {
    "Tapage et nuisances sonores": 1.2,
    "Stationnement gênant": 0.9,
    "Dépôts sauvages": 0.04,
}
# Two real quartiers in each of three arrondissements (codes must match the reference geojson).
QUARTIERS = (
    ("1320101", "Belsunce", "13201"),
    ("1320103", "Noailles", "13201"),
    ("1320201", "Arenc", "13202"),
    ("1320204", "La Joliette", "13202"),
    ("1320601", "Castellane", "13206"),
    ("1320604", "Palais de Justice", "13206"),
)
ARRONDISSEMENT_NAMES = {
    "13201": "Marseille 1er Arrondissement",
    "13202": "Marseille 2e Arrondissement",
    "13206": "Marseille 6e Arrondissement",
}
WINDOW = (date(2026, 1, 1), date(2026, 2, 28))
PUBLISHED_AT = "2026-11-22T21:03:04+00:00"  # 22:03 in Marseille
PREVIOUS_PUBLISHED_AT = "2026-11-20T06:30:00+00:00"

LakeVariant = Literal["ok", "gate_failed"]
# The labelled sign-in bypass (refused in prod) the app tests run under unless they test sign-in:
# ``analyste`` sees every analyst page; the sign-in tests remove it (``env_overrides`` / delenv).
DEV_ROLES = "analyste"


# ----------------------------------------------------------------------------------------------
# Writing a published lake
# ----------------------------------------------------------------------------------------------


def synthetic_incidents(seed: int = 20260101, end: date = WINDOW[1]) -> pd.DataFrame:
    """Gold rows (quartier x day x category, non-zero counts only), deterministic."""
    rng = np.random.default_rng(seed)
    rows = []
    day = WINDOW[0]
    while day <= end:
        for code, name, arrondissement in QUARTIERS:
            for category, rate in CATEGORIES.items():
                count = int(rng.poisson(rate))
                if count:
                    rows.append((day, code, name, arrondissement, category, count))
        day += timedelta(days=1)
    return pd.DataFrame(rows, columns=["jour", "code_quartier", "nom_quartier", "arrondissement", "categorie", "nb_incidents"])


def gold_arrow(frame: pd.DataFrame) -> pa.Table:
    """The gold mart with the contract's Arrow types (date32, string, int64)."""
    schema = pa.schema(
        [
            ("jour", pa.date32()),
            ("code_quartier", pa.string()),
            ("nom_quartier", pa.string()),
            ("arrondissement", pa.string()),
            ("categorie", pa.string()),
            ("nb_incidents", pa.int64()),
        ]
    )
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def write_gold_version(lake: Path, frame: pd.DataFrame) -> int:
    """Overwrite the gold mart with ``frame``; returns the new Delta version."""
    from deltalake import DeltaTable, write_deltalake

    path = lake / "gold" / MART
    write_deltalake(str(path), gold_arrow(frame), mode="overwrite")
    return DeltaTable(str(path)).version()


def gate_json(success: bool, evaluated_at: str) -> dict:
    """A gate result in the contract's shape (``latest.json`` / publication ``gate`` block)."""
    failed = (
        []
        if success
        else [
            {
                "expectation": "expect_column_values_to_not_be_null",
                "column": "code_quartier",
                "observed": "12 valeurs nulles sur 1034",
            }
        ]
    )
    return {
        "mart": MART,
        "suite": MART,
        "success": success,
        "evaluated_at": evaluated_at,
        "statistics": {
            "evaluated_expectations": 9,
            "successful_expectations": 9 - len(failed),
            "unsuccessful_expectations": len(failed),
        },
        "failed": failed,
    }


def write_publication(lake: Path, frame: pd.DataFrame, version: int, published_at: str) -> None:
    """The publication record (written only after the gate passed) and the gate result."""
    gate = gate_json(True, published_at)
    record = {
        "mart": MART,
        "published_at": published_at,
        "delta_version": version,
        "rows": len(frame),
        "data_window": {"start": str(frame["jour"].min()), "end": str(frame["jour"].max())},
        "gate": gate,
    }
    write_json(lake / "gold" / "_publications" / f"{MART}.json", record)
    write_json(lake / "quality" / MART / "latest.json", gate)


def write_json(path: Path, data: dict) -> None:
    """Write JSON the way a careful publisher does: to a temp file, then an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def open_data_table(frame: pd.DataFrame, k_min: int = K_MIN) -> tuple[pd.DataFrame, dict]:
    """Arrondissement x month x category (+ total) with primary and secondary suppression."""
    monthly = frame.assign(mois=pd.to_datetime(frame["jour"]).dt.strftime("%Y-%m"))
    grid = pd.MultiIndex.from_product(
        [sorted(monthly["arrondissement"].unique()), sorted(monthly["mois"].unique()), list(CATEGORIES)],
        names=["arrondissement", "mois", "categorie"],
    )
    counts = monthly.groupby(["arrondissement", "mois", "categorie"])["nb_incidents"].sum().reindex(grid, fill_value=0)
    cells = counts.reset_index()
    totals = cells.groupby(["arrondissement", "mois"], as_index=False)["nb_incidents"].sum()
    totals["categorie"] = TOTAL_LABEL
    table = pd.concat([cells, totals], ignore_index=True).sort_values(["arrondissement", "mois", "categorie"])
    table = table.rename(columns={"nb_incidents": "nb_interventions"}).reset_index(drop=True)
    table["diffusion"] = "publié"
    table.loc[table["nb_interventions"] < k_min, "diffusion"] = "masqué (secret primaire)"
    # Secondary suppression: a lone masked category could be recovered as total minus the others,
    # so the smallest other published category of the same arrondissement x month is masked too.
    for _, group in table[table["categorie"] != TOTAL_LABEL].groupby(["arrondissement", "mois"]):
        masked = group["diffusion"] != "publié"
        if masked.sum() == 1:
            candidates = group[~masked].sort_values("nb_interventions")
            if not candidates.empty:
                table.loc[candidates.index[0], "diffusion"] = "masqué (secret secondaire)"
    table["nb_interventions"] = table["nb_interventions"].astype("Int64")
    table.loc[table["diffusion"] != "publié", "nb_interventions"] = pd.NA
    table.insert(1, "nom_arrondissement", table["arrondissement"].map(ARRONDISSEMENT_NAMES))
    report = {
        "k_min": k_min,
        "method": (
            "Secret primaire : toute case inférieure à 11 est masquée. Secret secondaire : quand une "
            "seule case d'un arrondissement et d'un mois est masquée, la plus petite autre case l'est aussi."
        ),
        "cells": len(table),
        "primary_suppressed": int((table["diffusion"] == "masqué (secret primaire)").sum()),
        "secondary_suppressed": int((table["diffusion"] == "masqué (secret secondaire)").sum()),
        "published_at": PUBLISHED_AT,
    }
    return table[["arrondissement", "nom_arrondissement", "mois", "categorie", "nb_interventions", "diffusion"]], report


def write_open_data(lake: Path, frame: pd.DataFrame) -> Path:
    """The open-data folder: CSV, Parquet, datapackage.json, disclosure.json."""
    folder = lake / "open_data" / DATASET
    folder.mkdir(parents=True, exist_ok=True)
    table, report = open_data_table(frame)
    # Suppressed counts are EMPTY in the CSV (na_rep=""), null in Parquet.
    table.to_csv(folder / f"{DATASET}.csv", index=False, encoding="utf-8", na_rep="", quoting=csv.QUOTE_MINIMAL)
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), folder / f"{DATASET}.parquet")
    fields = [
        {"name": "arrondissement", "type": "string", "description": "Code INSEE de l'arrondissement (13201 à 13216)."},
        {"name": "nom_arrondissement", "type": "string", "description": "Nom de l'arrondissement."},
        {"name": "mois", "type": "yearmonth", "description": "Mois (AAAA-MM)."},
        {"name": "categorie", "type": "string", "description": "Nature d'intervention, ou « Toutes natures »."},
        {"name": "nb_interventions", "type": "integer", "description": "Nombre d'interventions ; vide si masqué."},
        {"name": "diffusion", "type": "string", "description": "publié, ou motif du masquage."},
    ]
    package = {
        "name": DATASET,
        "title": DATASET_TITLE,
        "description": "Nombre d'interventions de la police municipale par arrondissement, mois et nature.",
        "licenses": [
            {
                "name": "etalab-2.0",
                "title": "Licence Ouverte 2.0",
                "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            }
        ],
        "sources": [{"title": "Ville de Marseille, police municipale (mains courantes)"}],
        "created": PUBLISHED_AT,
        "version": "2026-11-22",
        "resources": [
            {
                "name": f"{DATASET}-csv",
                "path": f"{DATASET}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "schema": {"fields": fields},
            },
            {
                "name": f"{DATASET}-parquet",
                "path": f"{DATASET}.parquet",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "schema": {"fields": fields},
            },
        ],
        "disclosure": report,
    }
    write_json(folder / "datapackage.json", package)
    write_json(folder / "disclosure.json", report)
    return folder


def write_published_lake(lake: Path, variant: LakeVariant = "ok") -> Path:
    """Write a small lake holding exactly what the publisher publishes.

    ``ok``: two gold versions, the second one published, gate passed.
    ``gate_failed``: one gold version published on 20/11; the latest gate run (22/11) failed, so
    the gold table kept that version and ``latest.json`` reports the failure.
    """
    lake.mkdir(parents=True, exist_ok=True)
    if variant == "ok":
        # An older, shorter version first, so reading "the published version" is meaningful.
        write_gold_version(lake, synthetic_incidents(end=date(2026, 1, 15)))
        frame = synthetic_incidents()
        version = write_gold_version(lake, frame)
        write_publication(lake, frame, version, PUBLISHED_AT)
    else:
        frame = synthetic_incidents(seed=7)
        version = write_gold_version(lake, frame)
        write_publication(lake, frame, version, PREVIOUS_PUBLISHED_AT)
        write_json(lake / "quality" / MART / "latest.json", gate_json(False, PUBLISHED_AT))
    write_open_data(lake, frame)
    return lake


def published_total(lake: Path) -> int:
    """Independent oracle: incidents in the gold version named by the publication record."""
    from deltalake import DeltaTable

    record = json.loads((lake / "gold" / "_publications" / f"{MART}.json").read_text(encoding="utf-8"))
    table = DeltaTable(str(lake / "gold" / MART), version=record["delta_version"]).to_pyarrow_table()
    return int(pa.compute.sum(table["nb_incidents"]).as_py())


class LakeWriter:
    """What tests need from this module, handed out by the ``lake_writer`` fixture.

    Test modules do not ``import conftest``: the pipeline's own ``tests/conftest.py`` would
    make that name ambiguous. Constants and helpers travel through this fixture instead.
    """

    APP = APP
    MART = MART
    DATASET = DATASET
    DATASET_TITLE = DATASET_TITLE
    K_MIN = K_MIN
    PUBLISHED_AT = PUBLISHED_AT
    synthetic_incidents = staticmethod(synthetic_incidents)
    write_gold_version = staticmethod(write_gold_version)
    write_publication = staticmethod(write_publication)
    write_published_lake = staticmethod(write_published_lake)
    published_total = staticmethod(published_total)


@pytest.fixture(scope="session")
def lake_writer() -> type[LakeWriter]:
    """Constants and helpers of the synthetic published lake (see :class:`LakeWriter`)."""
    return LakeWriter


@pytest.fixture(scope="session")
def synthetic_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published lake where the last gate passed."""
    return write_published_lake(tmp_path_factory.mktemp("lake_ok") / "lake", "ok")


@pytest.fixture(scope="session")
def failed_gate_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published lake whose latest gate run failed (the previous publication stays shown)."""
    return write_published_lake(tmp_path_factory.mktemp("lake_failed") / "lake", "gate_failed")


@pytest.fixture(scope="session")
def empty_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake where nothing has been published yet (the folder does not even have layers)."""
    return tmp_path_factory.mktemp("lake_empty") / "lake"


@pytest.fixture(scope="session")
def published_pipeline_lake(request: pytest.FixtureRequest) -> Path:
    """The folder of a lake the real pipeline published: the session's ``pipeline_lake`` (three
    simulated weeks, tests/conftest.py). While developing, point ``OBSERVATOIRE_TEST_PUBLISHED_LAKE``
    (or ``OBSERVATOIRE_BROWSER_LAKE``) at a lake already built with ``observatoire run`` to skip
    building it. Read-only, like every shared lake."""
    for variable in ("OBSERVATOIRE_TEST_PUBLISHED_LAKE", "OBSERVATOIRE_BROWSER_LAKE"):
        if given := os.environ.get(variable):
            return Path(given)
    return Path(request.getfixturevalue("pipeline_lake").settings.lake)


# Days of synthetic mart per released dataset, by its period: weeks and months need not span the
# format tests' 400 days for a page to explain its release, and the joint audit of a mart's weekly
# and monthly series grows with their length (67 -> 20 CPU-s for the whole release). Years keep
# the 400 days: only closed years are published.
RELEASED_DAYS = {"day": 200, "week": 200, "month": 200}


@pytest.fixture(scope="session")
def released_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every declared open dataset released once by the real publisher, from the synthetic marts the
    format tests validate (tests/unit/test_open_data_formats.py; shorter: ``RELEASED_DAYS``). Built
    once per session, across xdist workers too (a file lock, like the built lakes), for the portal's
    AppTest and browser tests (about 20 s of CPU). Read-only."""
    from filelock import FileLock

    from orchestration.core.catalog import open_datasets
    from orchestration.core.opendata.publish import publish_open_dataset
    from orchestration.core.settings import load_settings
    from tests.conftest import _shared_root
    from tests.unit.test_open_data_formats import DAYS, gate, synthetic_mart, synthetic_table_marts

    root = _shared_root(tmp_path_factory)
    lake = root / "released-open-data"
    with FileLock(str(root / "released-open-data.lock")):
        if not (lake / "released.json").exists():
            shutil.rmtree(lake, ignore_errors=True)  # a release that failed half-way
            settings = load_settings(lake, require_key=False)
            for dataset in open_datasets().values():
                days = RELEASED_DAYS.get(dataset.temporal_level, DAYS)
                mart, others = (
                    synthetic_table_marts(dataset, days=days) if dataset.kind == "table" else (synthetic_mart(dataset, days=days), {})
                )
                publish_open_dataset(settings, dataset, mart, gate(dataset.from_mart), others)
            (lake / "released.json").write_text(json.dumps(sorted(open_datasets())), encoding="utf-8")  # last: complete
    return lake


@pytest.fixture
def fresh_lake(tmp_path: Path) -> Path:
    """A published lake a single test may modify (new publications, unpublished versions)."""
    return write_published_lake(tmp_path / "lake", "ok")


# ----------------------------------------------------------------------------------------------
# A real Streamlit server
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamlitServer:
    """A running ``streamlit run`` subprocess serving the app for one lake."""

    url: str
    lake: Path
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# No proxy for loopback, whatever the environment says.
_LOCAL_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _healthy(url: str) -> bool:
    try:
        with _LOCAL_OPENER.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start_streamlit(
    lake: Path,
    log_dir: Path,
    timeout: float = 60.0,
    *,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    env_overrides: dict[str, str | None] | None = None,
) -> StreamlitServer:
    """Start ``streamlit run apps/streamlit_app.py`` on a free loopback port and wait until healthy.

    The quiet/offline flags are repeated on the command line because ``.streamlit/config.toml``
    is only read from the working directory. ``env_overrides`` sets (or, with ``None``, removes)
    variables; ``extra_args`` are appended (``--secrets.files`` for the sign-in tests).
    """
    port = port or _free_port()
    url = f"http://127.0.0.1:{port}"
    log = log_dir / f"streamlit-{port}.log"
    env = {
        **os.environ,
        "OBSERVATOIRE_LAKE": str(lake),
        "DO_NOT_TRACK": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.setdefault("OBSERVATOIRE_DEV_ROLES", DEV_ROLES)  # even when started by a module-scoped fixture
    for name, value in (env_overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        *extra_args,
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        if _healthy(url):
            return StreamlitServer(url=url, lake=lake, process=process, log=log)
        time.sleep(0.25)
    stop_streamlit(process)
    raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s:\n{log.read_text(errors='replace')}")


def stop_streamlit(process: subprocess.Popen[bytes]) -> None:
    """Stop the server we started (by its own handle: never by process name)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], StreamlitServer]]:
    """Factory: ``streamlit_server(lake)`` -> a running server for that lake (one per lake).

    Servers are reused within the session and all stopped at teardown.
    """
    log_dir = tmp_path_factory.mktemp("streamlit_logs")
    servers: dict[Path, StreamlitServer] = {}

    def start(lake: Path) -> StreamlitServer:
        key = lake.resolve()
        if key not in servers or servers[key].process.poll() is not None:
            servers[key] = start_streamlit(key, log_dir)
        return servers[key]

    yield start
    for server in servers.values():
        stop_streamlit(server.process)


@pytest.fixture(autouse=True)
def _dev_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Analyst pages are served to signed-in users only. Tests that do not test sign-in use the
    labelled dev bypass (refused in prod) as an ``analyste``; sign-in tests remove it, and
    AppTests of a role set ``at.user = {"is_logged_in": True, "sub": ..., "roles": [...]}``."""
    monkeypatch.setenv("OBSERVATOIRE_DEV_ROLES", DEV_ROLES)


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """AppTest runs the script as ``sys.modules["__main__"]`` and leaves it there; a later test that
    spawns processes (multiprocessing "spawn" re-runs ``__main__`` in the child) would run the app."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


# ----------------------------------------------------------------------------------------------
# The browser: ONE Playwright (sync API) per session for every browser test module. A second
# ``sync_playwright()`` started while another is alive fails ("Sync API inside the asyncio loop"),
# which is what happened when each module defined or imported its own fixture.
# ----------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing resolves but loopback, names and IP addresses alike (checked: a fetch of either fails
    # with ERR_NAME_NOT_RESOLVED): a page cannot reach the internet, even on a runner that can.
    # What it tried is still recorded (record_requests_leaving_loopback) and fails the test.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def leaves_loopback(url: str) -> bool:
    """True for a request a page must not make: anything but loopback, ``data:`` and ``blob:``."""
    return not (url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOCAL_HOSTS)


def record_requests_leaving_loopback(context: object, blocked: list[str], counts: Callable[[object], bool] = lambda _request: True) -> None:
    """Append to ``blocked`` the URL of every request of ``context`` that leaves loopback (and ``counts``).

    A listener, not ``context.route``: a route sends every request through this process and turns
    off the browser's HTTP cache, so each page load fetched and compiled Streamlit's scripts again
    (measured: the analyst pages at two widths took 80.7 s with a route, 66.2 s with this). The
    request still fails: Chromium resolves nothing outside loopback (``CHROMIUM_ARGS``).
    """

    def record(request: object) -> None:
        if leaves_loopback(request.url) and counts(request):  # type: ignore[attr-defined]
            blocked.append(request.url)  # type: ignore[attr-defined]

    context.on("request", record)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (no browser download, ever)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class OfflinePage:
    """A Playwright page whose requests outside loopback fail (nothing resolves) and are recorded in ``blocked``."""

    page: object
    blocked: list[str] = field(default_factory=list)


def new_offline_page(browser: object, viewport: dict[str, int] | None, contexts: list[object]) -> OfflinePage:
    """A page in a new browser context (appended to ``contexts``, for closing) that records what leaves loopback."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000}, locale="fr-FR")  # type: ignore[attr-defined]
    contexts.append(context)
    offline = OfflinePage(page=context.new_page())
    record_requests_leaving_loopback(context, offline.blocked)
    return offline


@pytest.fixture
def open_page(browser: object) -> Iterator[Callable[..., OfflinePage]]:
    """Factory: ``open_page(viewport={"width": ..., "height": ...})`` -> an offline page."""
    contexts: list[object] = []
    yield lambda viewport=None: new_offline_page(browser, viewport, contexts)
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def module_page(browser: object) -> Iterator[Callable[..., OfflinePage]]:
    """Factory like ``open_page``, but one page for the whole module, handed back to each test at
    ``viewport`` with an empty record of requests that left loopback.

    For tests that leave no state in the page (no sign-in, no cookie): a browser context starts with
    an empty HTTP cache, so a new context per test fetched and compiled Streamlit's scripts again
    (measured on four public pages: 40 CPU-s of Chromium with a context each, 26 with one).
    """
    contexts: list[object] = []
    shared: list[OfflinePage] = []

    def reuse(viewport: dict[str, int] | None = None) -> OfflinePage:
        if not shared:
            shared.append(new_offline_page(browser, viewport, contexts))
        offline = shared[0]
        offline.page.set_viewport_size(viewport or {"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        offline.blocked.clear()
        return offline

    yield reuse
    for context in contexts:
        context.close()
