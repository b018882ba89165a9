"""Start and stop local Celery workers for the cluster executor (tests, benchmarks, a dev node).

Each worker is ``python -m celery -A infra.cluster.celery_worker worker`` with the solo pool (one
step at a time per worker process: start as many workers as cores); ``start_workers`` returns
once every one of them answers a ping on the broker, so a run submitted afterwards is shared out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from infra.cluster.celery_executor import BROKER_VARIABLE, QUEUE
from infra.cluster.processes import stop_process_group
from orchestration.core.settings import REPO_ROOT


def worker_command(name: str) -> list[str]:
    """The command line of one solo-pool worker named ``name`` on the ``dagster`` queue."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "infra.cluster.celery_worker",
        "worker",
        "-Q",
        QUEUE,
        "--pool",
        "solo",
        "-n",
        f"{name}@localhost",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "WARNING",
    ]


class WorkerNames(list[str]):
    """The workers' Celery names (``name@localhost``), with their process ids (to measure their CPU)."""

    pids: list[int]


@contextmanager
def celery_workers(environ: Mapping[str, str], count: int = 2, logs: Path | None = None, timeout: float = 300.0) -> Iterator[WorkerNames]:
    """``count`` workers with ``environ`` (cluster variables, broker URL, OBSERVATOIRE_LAKE); yields their names."""
    names = [f"observatoire{i}" for i in range(1, count + 1)]
    processes = []
    try:
        for name in names:
            log = (logs / f"{name}.log").open("wb") if logs else subprocess.DEVNULL
            processes.append(
                subprocess.Popen(
                    worker_command(name),
                    cwd=REPO_ROOT,
                    env={**os.environ, **environ},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait_until_ready(environ[BROKER_VARIABLE], names, processes, timeout)
        started = WorkerNames(f"{name}@localhost" for name in names)
        started.pids = [p.pid for p in processes]
        yield started
    finally:
        for process in processes:
            stop_process_group(process, timeout=30)


def _wait_until_ready(url: str, names: list[str], processes: list[subprocess.Popen], timeout: float) -> None:
    """Ping until every worker answers (each imports Dagster and the code location first)."""
    from celery import Celery

    app = Celery("observatoire-ping", broker=url, backend=url)
    wanted = {f"{name}@localhost" for name in names}
    deadline = time.monotonic() + timeout
    try:
        while True:
            if failed := [p.args for p in processes if p.poll() is not None]:
                raise RuntimeError(f"a Celery worker exited before it was ready: {failed}")
            answered = {name for reply in app.control.ping(timeout=1.0) or [] for name in reply}
            if wanted <= answered:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"Celery workers not ready after {timeout:.0f} s: {sorted(wanted - answered)}")
    finally:
        app.close()
