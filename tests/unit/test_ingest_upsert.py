"""lake.upsert: a batch no key of which can match is appended, anything else merged; never a duplicate."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from orchestration.core import lake

SCHEMA = pa.schema([("id", pa.string()), ("n", pa.int64()), ("day", pa.date32())])


def rows(ids: list[str | None], n: int) -> pa.Table:
    return pa.table({"id": ids, "n": [n] * len(ids), "day": pa.array([0] * len(ids), pa.int32()).cast(pa.date32())}, schema=SCHEMA)


def operations(path: Path) -> list[str]:
    """Operations of the table's commits, oldest first (the creation excluded)."""
    return [h["operation"] for h in reversed(DeltaTable(str(path)).history())][1:]


def content(path: Path) -> list[tuple[object, ...]]:
    table = DeltaTable(str(path)).to_pyarrow_table()
    return sorted(zip(table["id"].to_pylist(), table["n"].to_pylist(), strict=True), key=str)


def test_disjoint_keys_are_appended_overlapping_keys_merged(tmp_path: Path) -> None:
    path = tmp_path / "t"
    lake.upsert(path, rows(["a", "b"], 1), ["id"], ["day"])
    lake.upsert(path, rows(["c"], 1), ["id"], ["day"])  # c sorts after every file's max: no read at all
    lake.upsert(path, rows(["b", "d"], 2), ["id"], ["day"])  # b exists: a merge updates it
    lake.upsert(path, rows(["b", "d"], 2), ["id"], ["day"])  # a rerun changes nothing
    assert operations(path) == ["WRITE", "WRITE", "MERGE", "MERGE"]
    assert content(path) == [("a", 1), ("b", 2), ("c", 1), ("d", 2)]


def test_null_keys_behave_as_in_a_merge(tmp_path: Path) -> None:
    """The merge's ``t.id = s.id`` never matches a null: a null-keyed row is inserted each time."""
    path = tmp_path / "t"
    lake.upsert(path, rows([None, "a"], 1), ["id"])
    lake.upsert(path, rows([None], 1), ["id"])
    assert content(path) == [("a", 1), (None, 1), (None, 1)]


def test_composite_keys(tmp_path: Path) -> None:
    path = tmp_path / "t"
    lake.upsert(path, rows(["a", "b"], 1), ["id", "n"])
    lake.upsert(path, rows(["a", "b"], 2), ["id", "n"])  # same ids, other n: no match, appended
    lake.upsert(path, rows(["a"], 2), ["id", "n"])  # (a, 2) exists
    assert operations(path) == ["WRITE", "WRITE", "MERGE"]
    assert content(path) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]


def test_a_new_column_takes_the_merge(tmp_path: Path) -> None:
    path = tmp_path / "t"
    lake.upsert(path, rows(["a"], 1), ["id"])
    wider = rows(["b"], 1).append_column("extra", pa.array(["x"]))
    lake.upsert(path, wider, ["id"])
    assert operations(path) == ["WRITE", "MERGE"]
    assert "extra" in DeltaTable(str(path)).to_pyarrow_table().column_names


def test_a_concurrent_upsert_of_the_same_keys_never_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two appends would both commit (Delta does not see blind appends conflict): the upserts' shared
    application transaction makes the later one fail and retry, and the retry merges."""
    path = tmp_path / "t"
    lake.upsert(path, rows(["a"], 1), ["id"])
    stale = DeltaTable(str(path))  # what a concurrent writer read before the other committed
    lake.upsert(path, rows(["b"], 1), ["id"])
    opened = iter([stale])
    real_table = lake.table
    monkeypatch.setattr(lake, "table", lambda p, version=None: next(opened, None) or real_table(p, version))
    monkeypatch.setattr(lake.time, "sleep", lambda _s: None)
    lake.upsert(path, rows(["b"], 2), ["id"])
    assert content(path) == [("a", 1), ("b", 2)]


def test_statistics_prune_only_files_that_cannot_hold_a_key() -> None:
    adds = pa.table({"min.id": ["a", "m", None, "q"], "max.id": ["f", "p", None, "r"]})
    held = lake._may_hold(adds, "id", pa.chunked_array([["g", "pz"]]))
    # [a, f] is below g; [m, p] may hold "pz" (a truncated maximum "p"); no statistics: read; [q, r] above.
    assert held.tolist() == [False, True, True, False]
    timestamps = pa.chunked_array([pa.array([1], pa.timestamp("us"))])
    assert lake._may_hold(adds, "id", timestamps).tolist() == [True] * 4  # only string/int statistics trusted
    assert isinstance(held, np.ndarray)


def test_timestamp_and_date_statistics_keep_a_margin() -> None:
    stamp = pa.timestamp("us", tz="UTC")
    adds = pa.table({"min.t": pa.array([1_000_000, 5_000_000], stamp), "max.t": pa.array([2_000_000, 6_000_000], stamp)})
    # 2.0005 s is beyond the first file's maximum, but within the millisecond a stored statistic may lose.
    assert lake._may_hold(adds, "t", pa.chunked_array([pa.array([2_000_500], stamp)])).tolist() == [True, False]
    assert lake._may_hold(adds, "t", pa.chunked_array([pa.array([3_000_000], stamp)])).tolist() == [False, False]
    days = pa.table({"min.d": pa.array([10, 20], pa.int32()).cast(pa.date32()), "max.d": pa.array([12, 22], pa.int32()).cast(pa.date32())})
    assert lake._may_hold(days, "d", pa.chunked_array([pa.array([13], pa.int32()).cast(pa.date32())])).tolist() == [False, False]
