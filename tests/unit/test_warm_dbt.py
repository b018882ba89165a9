"""dbt run in a process started ahead: the same command, streams, environment and exit status as dbt itself."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.core import warm_dbt
from tests.unit.mini_dbt import dbt_build, mini_project

ENTRY = "tests.unit.warm_dbt_entry:main"


@pytest.fixture
def cold_dbt(tmp_path: Path) -> str:
    """What the launcher runs when no process waits: a script that says so."""
    script = tmp_path / "cold-dbt"
    script.write_text('#!/bin/sh\necho "cold $*"\n', encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def warm(cold_dbt: str) -> Iterator[warm_dbt.WarmDbt]:
    process = warm_dbt.WarmDbt(cold_dbt, entry=ENTRY, preload=())
    yield process
    process.close()


def _launch(launcher: str, *args: str, cwd: Path, exit_status: int = 0, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WARM_DBT_MARKER": "from-the-launcher", "WARM_DBT_EXIT": str(exit_status)}
    return subprocess.run([launcher, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def test_the_command_runs_in_the_process_with_the_launchers_streams_and_status(warm: warm_dbt.WarmDbt, tmp_path: Path) -> None:
    launcher = warm.take()
    assert launcher is not None
    done = _launch(launcher, "build", "--select", "x", cwd=tmp_path, exit_status=3, stdin="hello")
    assert done.returncode == 3
    assert f"argv=['build', '--select', 'x'] cwd={tmp_path} marker=from-the-launcher" in done.stdout
    assert "stdin=hello" in done.stdout
    assert done.stderr.strip() == "to stderr"
    assert warm.process.poll() is not None  # it had exited when the launcher returned
    assert warm.take() is None  # one command per process


def test_without_a_waiting_process_the_launcher_runs_dbt_itself(warm: warm_dbt.WarmDbt, tmp_path: Path) -> None:
    launcher = warm.take()
    assert launcher is not None
    warm.process.terminate()
    warm.process.wait(timeout=10)
    done = _launch(launcher, "build", "--select", "x", cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "cold build --select x")


def test_an_interrupt_reaches_the_command(warm: warm_dbt.WarmDbt, tmp_path: Path) -> None:
    launcher = warm.take()
    assert launcher is not None
    running = subprocess.Popen([launcher, "--wait"], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert running.stdout is not None
    assert running.stdout.readline().strip() == "waiting"
    started = time.monotonic()
    running.send_signal(signal.SIGINT)  # as dagster-dbt cancels a dbt command
    assert running.wait(timeout=10) == 130
    assert time.monotonic() - started < 10
    running.stdout.close()
    warm.process.wait(timeout=10)


def test_close_ends_a_process_never_used(cold_dbt: str) -> None:
    process = warm_dbt.WarmDbt(cold_dbt, entry=ENTRY, preload=())
    directory = process.directory
    process.close()
    assert process.process.poll() is not None
    assert not directory.exists()


def test_a_real_dbt_build_leaves_the_build_database_free(tmp_path: Path) -> None:
    from orchestration.factories.resources import dbt_executable

    project, build_db = mini_project(tmp_path, [], {"answer": "select 42 as value"}, "version: 2\n")
    process = warm_dbt.WarmDbt(dbt_executable())
    try:
        launcher = process.take()
        assert launcher is not None
        done = dbt_build(project, launcher)
        assert done.returncode == 0, done.stdout[-2000:]
        assert "Completed successfully" in done.stdout
        # The launcher returned: dbt-duckdb's database is closed, a writer gets in at once.
        with duckdb.connect(str(build_db)) as con:
            assert con.execute("select value from main.answer").fetchone() == (42,)
    finally:
        process.close()


def test_a_new_start_leaves_a_process_taken_by_a_build_alone(cold_dbt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warm_dbt, "WarmDbt", functools.partial(warm_dbt.WarmDbt, entry=ENTRY, preload=()))
    first = warm_dbt.start(cold_dbt)
    try:
        assert first is not None
        assert warm_dbt.start(cold_dbt) is first  # still waiting: the same one
        assert warm_dbt.take_launcher("/another/dbt") is None  # started for another executable
        assert warm_dbt.take_launcher(cold_dbt) == str(first.launcher)
        assert warm_dbt.take_launcher(cold_dbt) is None  # one build each
        second = warm_dbt.start(cold_dbt)
        assert second is not None and second is not first
        assert first.process.poll() is None  # its build goes on
    finally:
        warm_dbt.stop()
        if first is not None:
            first.close()


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_the_process_does_not_outlive_a_run_killed_outright(tmp_path: Path, cold_dbt: str) -> None:
    script = tmp_path / "killed_run.py"
    script.write_text(
        "import os, signal, sys\n"
        f"sys.path.insert(0, {str(Path.cwd())!r})\n"
        "from orchestration.core import warm_dbt\n"
        f"warm = warm_dbt.WarmDbt({cold_dbt!r}, entry={ENTRY!r}, preload=())\n"
        "print(warm.process.pid, warm.directory, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)  # no finally, no atexit\n",
        encoding="utf-8",
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    pid_text, directory = run.stdout.split()
    pid = int(pid_text)
    shutil.rmtree(directory)  # its parent was killed before it could remove it
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()  # ended with its parent, not left waiting in accept()
