"""``lake.append``: an append-only log is compacted every ``COMPACT_EVERY`` commits, its rows unchanged.

Without it, a log written once per gate of every run (``meta/quality_gates``) holds one small file
per verdict: after 3,000 appends a DuckDB scan took 280 ms and an append 75 ms, growing with every run.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from orchestration.core import lake


def _rows(path: Path) -> list[tuple[int, str]]:
    return sorted((row["i"], row["who"]) for row in lake.read(path).to_pylist())


def test_every_nth_commit_compacts_the_log_without_changing_its_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lake, "COMPACT_EVERY", 5)
    path = tmp_path / "log"
    versions = [lake.append(path, pa.table({"i": [i], "who": [f"w{i}"]})) for i in range(12)]
    # Versions 0..11 are the appends, but 5 and 10 land compactions, which push the later ones on.
    assert versions[:6] == [0, 1, 2, 3, 4, 5]
    assert lake.table(path).version() == 13  # 12 appends and 2 compactions
    assert _rows(path) == [(i, f"w{i}") for i in range(12)]
    history = [entry["operation"] for entry in lake.table(path).history()]
    assert history.count("OPTIMIZE") == 2
    # One file per compaction plus the appends since the last one, not one per append.
    assert len(lake.table(path).file_uris()) < 12


def test_a_log_below_the_threshold_is_left_as_written(tmp_path: Path) -> None:
    path = tmp_path / "log"
    for i in range(3):
        lake.append(path, pa.table({"i": [i], "who": ["x"]}))
    assert [entry["operation"] for entry in lake.table(path).history()].count("OPTIMIZE") == 0
    assert len(lake.table(path).file_uris()) == 3


def test_compaction_keeps_merged_files_for_readers_of_an_older_snapshot(tmp_path: Path) -> None:
    """The files merged away stay on disk within the retention: an older version still reads."""
    path = tmp_path / "log"
    for i in range(4):
        lake.append(path, pa.table({"i": [i], "who": ["x"]}))
    before = lake.table(path).version()
    report = lake.compact(path)
    assert report == {"merged": 4, "written": 1, "removed": 0}
    assert lake.table(path, version=before).to_pyarrow_table().num_rows == 4
    assert _rows(path) == [(i, "x") for i in range(4)]


def test_a_failed_compaction_leaves_the_append_committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Housekeeping never fails the writer: its row is in (a gate would otherwise log its verdict twice on retry)."""
    monkeypatch.setattr(lake, "COMPACT_EVERY", 2)

    def broken(_path: object) -> dict[str, int]:
        raise OSError("bucket unreachable")

    monkeypatch.setattr(lake, "compact", broken)
    path = tmp_path / "log"
    assert [lake.append(path, pa.table({"i": [i], "who": ["x"]})) for i in range(3)] == [0, 1, 2]
    assert _rows(path) == [(i, "x") for i in range(3)]
    assert "compaction of" in caplog.text and "bucket unreachable" in caplog.text
