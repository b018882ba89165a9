"""``observatoire serve`` on a built lake: no duplicate rebuild on start, nothing left after SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.core.supervisor import descendants, process_table
from orchestration.factories.automation import AUTOMATION_SENSOR
from tests.conftest import PipelineLake

pytestmark = [pytest.mark.pipeline, pytest.mark.skipif(sys.platform != "linux", reason="process tree from /proc")]
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def _runs(dagster_home: Path) -> int:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return instance.get_runs_count()


def test_serve_starts_no_rebuild_and_sigterm_stops_every_child(pipeline_lake_copy: PipelineLake, tmp_path: Path) -> None:
    lake = pipeline_lake_copy.settings.lake  # a copy: the daemon must not touch the shared lake
    home = lake / ".dagster"
    runs_before = _runs(home)
    out = (tmp_path / "serve.out").open("wb")
    serve = subprocess.Popen(
        [str(Path(sys.executable).parent / "observatoire"), "serve", "--lake", str(lake),
         "--dagster-port", str(_free_port()), "--app-port", str(_free_port()), "--api-port", str(_free_port())],
        cwd=REPO, env={**os.environ, "OBSERVATOIRE_LAKE": str(lake)}, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        banner = tmp_path / "serve.out"
        assert _wait_for(lambda: b"Ctrl-C stops everything" in banner.read_bytes(), 300), banner.read_text()
        # The daemon's first tick of the automation sensor: it must request nothing (the CLI's run built everything).
        daemon_log = lake / "logs" / "dagster.log"
        # The asset daemon evaluates automation sensors; it logs the end of each tick with the sensor's name.
        def ticked() -> bool:
            lines = daemon_log.read_text(errors="replace").splitlines()
            return any("Finished auto-materialization tick" in line and AUTOMATION_SENSOR in line for line in lines)

        assert _wait_for(ticked, 300), daemon_log.read_text()[-3000:]
        # No wait: the daemon submits a tick's runs (each created in the instance) before it logs the
        # tick's end (dagster/_daemon/asset_daemon.py), so a rebuild it requested is counted already.
        assert _runs(home) == runs_before, "serve started a rebuild on a lake that `run` had just built"

        children = descendants([serve.pid])
        assert len(children) >= 4, children  # dagster dev -> webserver, daemon, code server; streamlit
        started = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=15)
        assert time.monotonic() - started < 10
        assert _wait_for(lambda: not children & set(process_table()), 2), children & set(process_table())
    finally:
        if serve.poll() is None:
            serve.kill()
        out.close()
