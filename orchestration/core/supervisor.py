"""The server processes a command starts, stopped together however the command ends.

``observatoire serve`` starts servers (``dagster dev``, which starts a webserver, a daemon and a
code server; Streamlit; whatever else is added with one ``start`` call). Each child gets a
session of its own, so a Ctrl-C in the terminal reaches only ``observatoire``, which then stops
every child in order: SIGTERM to each child's session and to every descendant, a grace period,
then SIGKILL to whatever is left. The stop runs on a normal return, an exception, Ctrl-C,
SIGTERM/SIGHUP (``terminate_on_signals``) and at interpreter exit (``atexit``); each child also
gets SIGTERM from the kernel if ``observatoire`` itself is killed outright (Linux parent-death
signal), so no server outlives the command that started it.

Linux only (``/proc``); kept free of Dagster so it is unit-testable.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

GRACE_SECONDS = 5.0  # SIGTERM -> SIGKILL; with the final wait, everything is gone within 10 s
KILL_WAIT_SECONDS = 2.0  # after SIGKILL, at most this long until the killed processes are gone
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ProcessInfo:
    """One line of ``/proc/<pid>/stat``: what a process tree walk needs."""

    pid: int
    ppid: int
    session: int
    state: str


def process_table() -> dict[int, ProcessInfo]:
    """Every live process (zombies excluded: they are dead, only waiting to be reaped)."""
    table: dict[int, ProcessInfo] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        info = ProcessInfo(pid=int(entry), ppid=int(fields[1]), session=int(fields[3]), state=fields[0])
        if info.state not in {"Z", "X"}:
            table[info.pid] = info
    return table


def descendants(roots: Sequence[int], table: Mapping[int, ProcessInfo] | None = None) -> set[int]:
    """The processes started (directly or not) by ``roots``, or living in one of their sessions."""
    table = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    # A process re-parented to init after its parent exited is still in the child's session.
    found |= {info.pid for info in table.values() if info.session in set(roots)}
    return found - set(roots)


def die_with_parent() -> None:
    """In the child, before exec: the kernel sends it SIGTERM if ``observatoire`` dies (Linux; a no-op elsewhere)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes] | None = None


@dataclass
class Children:
    """A command's child processes: ``start`` them, ``stop`` them all (idempotent, also at exit)."""

    grace: float = GRACE_SECONDS
    children: list[Child] = field(default_factory=list)
    _registered: bool = False

    def start(
        self, name: str, argv: Sequence[str], *, log: Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a session of its own, output to ``log`` (else inherited)."""
        if not self._registered:
            atexit.register(self.stop)
            self._registered = True
        out = log.open("wb") if log else None
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,  # a terminal's Ctrl-C reaches observatoire only; it stops the rest
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        self.children.append(Child(name, process, out))
        return process

    def exited(self) -> list[str]:
        """Names of the children that have stopped on their own."""
        return [c.name for c in self.children if c.process.poll() is not None]

    def pids(self) -> set[int]:
        """Every live process of this command's children: the children and all their descendants."""
        roots = [c.process.pid for c in self.children]
        table = process_table()
        return ({pid for pid in roots if pid in table} | descendants(roots, table)) if roots else set()

    def stop(self) -> None:
        """SIGTERM every child's session and descendants, wait ``grace`` seconds, SIGKILL the rest
        and wait (at most ``KILL_WAIT_SECONDS``) until they are gone."""
        if not self.children:
            return
        with _signals_ignored():
            targets = self.pids()
            self._signal(targets, signal.SIGTERM)
            deadline = time.monotonic() + self.grace
            while time.monotonic() < deadline and self._alive(targets):
                time.sleep(0.1)
            left = self._alive(targets | self.pids())
            if left:
                self._signal(left, signal.SIGKILL)
                # SIGKILL is delivered asynchronously: return once the processes are gone, not before.
                deadline = time.monotonic() + KILL_WAIT_SECONDS
                while time.monotonic() < deadline and self._alive(left):
                    time.sleep(0.05)
            for child in self.children:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=2)
                if child.log:
                    child.log.close()
            self.children.clear()

    def _alive(self, pids: set[int]) -> set[int]:
        for child in self.children:
            child.process.poll()  # reap our own children, or they linger as zombies
        table = process_table()
        return {pid for pid in pids if pid in table}

    def _signal(self, pids: set[int], signum: int) -> None:
        for child in self.children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signum)  # its session's group, even what we have not seen yet
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM/SIGHUP, so that ``finally`` blocks and ``atexit`` run."""


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """A second Ctrl-C or SIGTERM while stopping does not interrupt the stop."""
    names = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    try:
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in names}
    except ValueError:  # not the main thread: signals cannot be touched, nothing to protect against
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def terminating_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise ``Terminated`` (exit 128 + signal), as Ctrl-C raises ``KeyboardInterrupt``.

    So ``finally`` blocks (``Children.stop``) run on a ``kill`` too. Previous handlers are restored
    on exit (``main()`` may be called in-process, by a test). Outside the main thread: no change.
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Terminated(128 + signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
