"""A dbt process started ahead of its build, so its start-up overlaps the ingest instead of following it.

dbt spends about 3 s starting before it builds anything: 2.3 s of them importing itself and its
DuckDB adapter (most of it mashumaro compiling its serialisers), the same whatever the build. A
new day runs dbt after the ingest, which keeps one core busy and leaves the other idle. So when
``observatoire run`` has something to ingest, it first starts this process (:func:`start`),
which imports dbt meanwhile and then waits. The dbt step runs its ``dbt build`` through a
launcher (:func:`take_launcher`), an executable written beside the process's socket that
dagster-dbt runs in place of ``dbt``. The launcher hands the process its command line,
environment, working directory and standard streams, and exits with dbt's exit status once the
process has exited. dbt runs as its console script would (same entry point, arguments,
environment and streams), only already imported.

One build per process: dbt-duckdb keeps the build database open until its process ends, so the
process exits right after the build, and the launcher returns only once it is gone. A launcher
that finds no process (it ended, or was never started) runs this virtualenv's ``dbt`` itself.
``Ctrl-C`` or ``SIGTERM`` sent to the launcher (dagster-dbt's cancellation) is passed on; a run
killed outright takes the process with it (the kernel's parent-death signal, as ``serve``'s servers).

Protocol, on a Unix socket in a private directory: the process sends its pid (a line); the
launcher sends one JSON request ``{"argv", "env", "cwd"}`` with its standard input, output and
error attached (``SCM_RIGHTS``); the process answers with the exit status (a line) and exits.

This module imports only the standard library at its top: the launcher runs it without ``site``.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

# What dbt imports before it reads a project: imported by the process while it waits.
PRELOADED = ("dbt.cli.main", "dbt.adapters.factory", "dbt.adapters.duckdb", "dbt.adapters.duckdb.impl", "dbt.task.build")
# The console script's entry point (``dbt = dbt.cli.main:cli``).
ENTRY = "dbt.cli.main:cli"
SOCKET_NAME = "dbt.sock"
LAUNCHER_NAME = "dbt"
REQUEST_LIMIT = 16 * 1024 * 1024  # a command line and an environment
# What the dbt step logs when its build runs in the process started ahead.
STARTED_AHEAD = "dbt build in the process started ahead"


class WarmDbt:
    """The parent side: one waiting process, its socket and launcher, in a private directory."""

    def __init__(self, dbt: str, entry: str = ENTRY, preload: Sequence[str] = PRELOADED) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="observatoire-dbt-"))  # mode 0700: this user only
        self.socket = self.directory / SOCKET_NAME
        self.launcher = self.directory / LAUNCHER_NAME
        self._taken = False
        self.dbt = dbt
        repo = Path(__file__).resolve().parents[2]
        # -IS: no site, no PYTHON* variables (one word: a shebang passes one); it needs only this module.
        self.launcher.write_text(
            f"#!{sys.executable} -IS\n"
            "import sys\n"
            f"sys.path.insert(0, {str(repo)!r})\n"
            "from orchestration.core.warm_dbt import launch\n"
            f"sys.exit(launch({str(self.socket)!r}, {dbt!r}, sys.argv[1:]))\n",
            encoding="utf-8",
        )
        self.launcher.chmod(0o700)
        # Listening before the process starts, so a launcher never misses it; the process holds the
        # only copy afterwards, so a launcher finds the socket closed (and runs dbt itself) once it ended.
        from orchestration.core.supervisor import die_with_parent  # not at the top: the launcher imports this module bare

        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.socket))
            listener.listen(1)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.core.warm_dbt", str(listener.fileno()), dbt, entry, *preload],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # as dagster-dbt runs dbt: its events streamed as written
                cwd=repo,
                pass_fds=(listener.fileno(),),
                # Waiting in accept(), it would outlive a run killed outright (SIGKILL, or SIGTERM
                # with no handler): the kernel ends it with its parent, as serve's servers.
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            listener.close()
        # Reaped as soon as it exits, so that its end is seen (a zombie would still hold the pid).
        threading.Thread(target=self.process.wait, name="warm-dbt-reaper", daemon=True).start()

    def take(self) -> str | None:
        """The launcher for one dbt command, if the process still waits for it (then no longer)."""
        if self._taken or self.process.poll() is not None:
            return None
        self._taken = True
        return str(self.launcher)

    def close(self) -> None:
        """End the process if it still runs, and remove the directory.

        Called when the run is over: a build it ran has ended (the dbt step waited for it), so a
        process still there was never used, or its launcher never came.
        """
        if self.process.poll() is None:
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


_warm: WarmDbt | None = None
_warm_lock = threading.Lock()


def start(dbt: str) -> WarmDbt | None:
    """Start a process importing ``dbt`` (its executable) ahead of a build, if none waits; ``None`` if it cannot start.

    One run at a time per process uses it (``observatoire run``); a process already taken by a
    build is left to that build (and to the exit of this one), never ended here.
    """
    global _warm
    with _warm_lock:
        if _warm is not None and not _warm._taken and _warm.process.poll() is None:
            return _warm
        if _warm is not None and not _warm._taken:
            _warm.close()
        try:
            _warm = WarmDbt(dbt)
        except OSError:
            _warm = None
            return None
        atexit.register(_warm.close)
        return _warm


def take_launcher(dbt: str) -> str | None:
    """The launcher of the process waiting to run ``dbt`` (an executable), for one command; ``None``: run it itself."""
    with _warm_lock:
        return _warm.take() if _warm is not None and _warm.dbt == dbt else None


def stop() -> None:
    """End the waiting process, if any (nothing will use it)."""
    global _warm
    with _warm_lock:
        warm, _warm = _warm, None
    if warm is not None:
        warm.close()


def _read_line(conn: socket.socket) -> str | None:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(64)
        if not chunk:
            return None
        data += chunk
    return data.decode()


def launch(socket_path: str, dbt: str, argv: Sequence[str]) -> int:
    """The launcher's body: run ``argv`` in the waiting process; without one, exec ``dbt`` itself."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(socket_path)
        pid_line = _read_line(conn)
    except OSError:
        pid_line = None
    if pid_line is None:  # no process waits: this virtualenv's dbt, as without it
        conn.close()
        os.execv(dbt, [dbt, *argv])
    pid = int(pid_line)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    request = json.dumps({"argv": list(argv), "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    socket.send_fds(conn, [request], [0, 1, 2])
    conn.shutdown(socket.SHUT_WR)
    status = _read_line(conn)
    if status is None:
        print("warm dbt: the dbt process ended without an exit status", file=sys.stderr)
        return 2
    _wait_gone(pid)  # its files closed: the build database is free for what follows
    return int(status)


def _wait_gone(pid: int) -> None:
    """Return once process ``pid`` has exited (all its files closed)."""
    try:
        handle = os.pidfd_open(pid)  # Linux: readable once the process has exited
    except ProcessLookupError:
        return
    except (AttributeError, OSError):
        while True:  # elsewhere: until its parent (the run, a thread of which waits for it) reaped it
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.005)
    try:
        select.select([handle], [], [])
    finally:
        os.close(handle)


def _serve(listener: int, dbt: str, entry: str, preload: Sequence[str]) -> None:
    """The waiting process: import, take one command on ``listener``, run it, answer its status, exit."""
    server = socket.socket(fileno=listener)  # a launcher may have connected already: it waits for the imports
    for module in preload:
        with contextlib.suppress(Exception):  # dbt imports it again in the build, and reports what fails
            importlib.import_module(module)
    conn, _ = server.accept()
    server.close()
    conn.sendall(f"{os.getpid()}\n".encode())
    data, fds, _flags, _addr = socket.recv_fds(conn, REQUEST_LIMIT, 3)
    while chunk := conn.recv(REQUEST_LIMIT):  # the rest of a request larger than one read
        data += chunk
    request = json.loads(data)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    status = _run(entry, [dbt, *request["argv"]])
    _close_build_database()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    # What the console script's exit runs (multiprocessing's clean-up of dbt's semaphores among
    # them), without tearing the interpreter down (0.3 s of dbt's objects): the process ends next.
    atexit._run_exitfuncs()
    conn.sendall(f"{status}\n".encode())
    os._exit(status)  # the launcher returns once this process has exited


def _run(entry: str, argv: list[str]) -> int:
    """Call ``entry`` as its console script would, with ``argv``; its exit status."""
    module, _, name = entry.partition(":")
    sys.argv = argv
    try:
        result = getattr(importlib.import_module(module), name)()
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        return 130
    except BaseException:
        import traceback

        traceback.print_exc()
        return 1
    return result if isinstance(result, int) else 0


def _close_build_database() -> None:
    """Close dbt-duckdb's database, as the end of dbt's own process would (this one ends with ``os._exit``)."""
    manager = sys.modules.get("dbt.adapters.duckdb.connections")
    env = getattr(getattr(manager, "DuckDBConnectionManager", None), "_ENV", None)
    if env is not None:
        with contextlib.suppress(Exception):
            env.close()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:])
