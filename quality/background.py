"""Marts validated by their Great Expectations suites in a second process while the run goes on.

After dbt, a run that rebuilds marts works one step at a time on one core: the Python marts, then
a gate per mart whose validation is pure Python (about 2.4 s of Great Expectations for the 33
suites of a new day), while the machine's other core waits. ``observatoire run`` starts this
process when a run rebuilds marts (:func:`orchestration.factories.gates.warm_up_gates`). Each mart
is handed to it as soon as it is final (at the end of the dbt step for SQL marts, right after its
write for a Python mart); its gate, which runs after them, takes the verdict reached on exactly
the rows it reads itself (same fingerprint), and otherwise validates as before. The verdict is the
same function's (:func:`quality.gate.validate_mart`) on the same frame; the gate records it and
blocks publication exactly as before.

The process validates with the suites as they were when it started, as the gates of the process
that started it do (their rules digest is computed once per process). It is reused by the next
runs of that process and ends with it (its standard input closes).

Protocol: pickled ``(mart, fingerprint, frame)`` on the process's standard input; pickled
``(mart, fingerprint, GateResult | None)`` back on a pipe of its own (its standard output goes to
standard error, so nothing a library prints can break the stream). ``None``: the validation
raised there; the gate then validates itself and reports the error.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import Any, BinaryIO

import pandas as pd

from orchestration.core.verdicts import GateResult, fingerprint

# How long a gate waits for a verdict it was promised before validating itself (a stuck process).
WAIT_AT_MOST_S = 300.0


class BackgroundValidation:
    """The client side: hands marts to the validation process and gives their verdicts to the gates."""

    def __init__(self) -> None:
        results_read, results_write = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "quality.background", str(results_write)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # a failure comes back as None: the gate validates and reports it
                pass_fds=(results_write,),
            )
        finally:
            os.close(results_write)
        self._results = os.fdopen(results_read, "rb")
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, Future[GateResult | None]]] = {}  # mart -> (fingerprint, verdict)
        self._ended = False  # the replies ended (the process exited): nothing more is promised
        self._outbox: queue.SimpleQueue[tuple[str, str, pd.DataFrame] | None] = queue.SimpleQueue()
        # Writing to the pipe blocks while the process validates: a thread of its own does it.
        threading.Thread(target=self._send, name="gates-background-send", daemon=True).start()
        threading.Thread(target=self._receive, name="gates-background-receive", daemon=True).start()

    def submit(self, mart: str, frame: pd.DataFrame, frame_fingerprint: str | None = None) -> None:
        """Validate ``frame`` (the mart as its gate will read it; ``frame_fingerprint``, if known) in the background."""
        frame_fingerprint = frame_fingerprint or fingerprint(frame)
        with self._lock:  # a later build of the same mart replaces the earlier: its gate takes the newer
            if self._ended:
                return
            self._pending[mart] = (frame_fingerprint, Future())
        self._outbox.put((mart, frame_fingerprint, frame))

    def take(self, mart: str, frame_fingerprint: str) -> GateResult | None:
        """The verdict on exactly these rows, once reached; ``None`` if none was asked or it failed there."""
        with self._lock:
            pending = self._pending.get(mart)
        if pending is None or pending[0] != frame_fingerprint:
            return None
        try:
            return pending[1].result(timeout=WAIT_AT_MOST_S)
        except TimeoutError:  # validated by the gate itself
            return None
        finally:  # taken once (unless a later build of the mart replaced it meanwhile)
            with self._lock:
                if self._pending.get(mart) is pending:
                    del self._pending[mart]

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self._process.poll() is None

    def close(self) -> None:
        """End the process once it has validated what was sent (its standard input closed); killed after 5 s."""
        self._outbox.put(None)
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _send(self) -> None:
        stream = self._process.stdin
        assert stream is not None
        try:
            while (item := self._outbox.get()) is not None:
                pickle.dump(item, stream, protocol=pickle.HIGHEST_PROTOCOL)
                stream.flush()
        except (BrokenPipeError, OSError):
            pass  # the process ended: the receiving side resolves what is pending
        finally:
            with contextlib.suppress(OSError):
                stream.close()

    def _receive(self) -> None:
        try:
            while True:
                mart, frame_fingerprint, result = pickle.load(self._results)
                with self._lock:  # for the submission of these rows (an earlier one of the same rows counts)
                    pending = self._pending.get(mart)
                    if pending is not None and pending[0] == frame_fingerprint and not pending[1].done():
                        pending[1].set_result(result)
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        finally:  # the process ended: every gate still waiting validates itself
            with self._lock:
                self._ended = True
                for _, promised in self._pending.values():
                    if not promised.done():
                        promised.set_result(None)
            self._results.close()


_background: BackgroundValidation | None = None
_background_lock = threading.Lock()


def start() -> BackgroundValidation | None:
    """The process's validation process, started on first call; ``None`` if it cannot start."""
    global _background
    with _background_lock:
        if _background is not None and _background.alive():
            return _background
        try:
            _background = BackgroundValidation()
        except OSError:
            _background = None
            return None
        atexit.register(_background.close)
        return _background


def running() -> BackgroundValidation | None:
    """The validation process if one was started and is alive, else ``None`` (gates validate themselves)."""
    background = _background
    return background if background is not None and background.alive() else None


def stop() -> None:
    """End the validation process, if one runs (before this process goes on to something else)."""
    running_now = running()
    if running_now is not None:
        running_now.close()


def _prepare() -> None:
    """Import Great Expectations, every suite and the reference geography, as the first gate would."""
    import importlib

    from orchestration.core.catalog import marts
    from quality.gate import prepare
    from quality.reference import quartier_codes

    prepare()
    for mart in marts():
        importlib.import_module(f"quality.suites.{mart}")
    quartier_codes()


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Validate each mart read from ``requests``; write its verdict (or ``None``) to ``replies``."""
    from quality.gate import validate_mart

    while True:
        try:
            mart, frame_fingerprint, frame = pickle.load(requests)
        except EOFError:
            return
        result: Any
        try:
            result = validate_mart(mart, frame)
        except Exception:
            result = None
        pickle.dump((mart, frame_fingerprint, result), replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    replies = os.fdopen(int(sys.argv[1]), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to standard error, never into the replies
    _prepare()
    _serve(sys.stdin.buffer, replies)
