"""Child processes of ``serve`` are stopped together: whole trees, stubborn ones, within 10 s."""

from __future__ import annotations

import sys
import time

import pytest

from orchestration.core.supervisor import Children, descendants, process_table

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process tree from /proc")


def _wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_stop_ends_children_grandchildren_and_escaped_sessions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    children = Children(grace=0.5)  # the stubborn pair is SIGKILLed after it
    # A grandchild in the child's session, one in a session of its own, one ignoring SIGTERM.
    children.start("tree", ["sh", "-c", "sleep 300 & setsid sleep 300 & wait"], log=tmp_path / "tree.log")
    children.start("stubborn", ["sh", "-c", "trap '' TERM; sleep 300 & wait"], log=tmp_path / "stubborn.log")
    assert _wait_for(lambda: len(children.pids()) >= 5)
    pids = children.pids()
    started = time.monotonic()
    children.stop()
    assert time.monotonic() - started < 10
    table = process_table()
    assert not pids & set(table), {pid: table[pid] for pid in pids & set(table)}  # with their states, if any is left
    children.stop()  # idempotent


def test_exited_names_the_children_that_stopped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with Children(grace=1.0) as children:
        children.start("quick", ["true"])
        children.start("slow", ["sleep", "300"])
        assert _wait_for(lambda: children.exited() == ["quick"])


def test_descendants_follow_parents_and_sessions() -> None:
    from orchestration.core.supervisor import ProcessInfo

    table = {
        10: ProcessInfo(10, 1, 10, "S"),
        11: ProcessInfo(11, 10, 10, "S"),
        12: ProcessInfo(12, 11, 12, "S"),  # started its own session, still our descendant
        13: ProcessInfo(13, 1, 10, "S"),  # re-parented to init, still in our session
        14: ProcessInfo(14, 1, 14, "S"),  # unrelated
    }
    assert descendants([10], table) == {11, 12, 13}


def test_sigterm_unwinds_like_ctrl_c_and_handlers_are_restored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal

    from orchestration.core.supervisor import Terminated, terminating_on_signals

    before = signal.getsignal(signal.SIGTERM)
    children = Children(grace=1.0)
    with pytest.raises(Terminated) as stopped, terminating_on_signals():
        try:
            children.start("server", ["sleep", "300"])
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # interrupted by the signal
        finally:
            children.stop()
    assert stopped.value.code == 128 + signal.SIGTERM
    assert not children.pids()
    assert signal.getsignal(signal.SIGTERM) is before
