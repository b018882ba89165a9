"""``lake.read_current``: the columns of a table's current version, read file by file (cached) or all at once."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from orchestration.core import lake


def _sorted(table: pa.Table) -> list[dict[str, object]]:
    return sorted(table.to_pylist(), key=lambda row: tuple(str(v) for v in row.values()))


@pytest.mark.parametrize("cache", [True, False])
def test_the_current_version_is_read_as_delta_reads_it(tmp_path: Path, cache: bool) -> None:
    path = tmp_path / "t"
    for day in range(5):  # one file per commit, as a feed's daily deliveries
        write_deltalake(str(path), pa.table({"k": [f"{day}-a", f"{day}-b"], "n": pa.array([day, day * 10], pa.int32())}), mode="append")
    lake.delete(path, "k = '2-a'")  # a version that removes a file and adds its rewrite
    current = lake.table(path)
    got = lake.read_current(current, ["k", "n"], cache=cache)
    assert got.schema == pa.schema([("k", pa.string()), ("n", pa.int32())])
    assert _sorted(got) == _sorted(current.to_pyarrow_table(columns=["k", "n"]))
    assert got.num_rows == 9


@pytest.mark.parametrize("cache", [True, False])
def test_files_older_than_a_column_read_it_as_nulls(tmp_path: Path, cache: bool) -> None:
    path = tmp_path / "t"
    write_deltalake(str(path), pa.table({"k": ["a"]}), mode="append")
    write_deltalake(str(path), pa.table({"k": ["b"], "extra": ["x"]}), mode="append", schema_mode="merge")
    got = lake.read_current(lake.table(path), ["k", "extra"], cache=cache)
    assert _sorted(got) == [{"k": "a", "extra": None}, {"k": "b", "extra": "x"}]


def test_an_empty_table_reads_as_no_rows_with_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "t"
    write_deltalake(str(path), pa.table({"k": pa.array([], pa.string())}), mode="append")
    got = lake.read_current(lake.table(path), ["k"], cache=False)
    assert got.num_rows == 0 and got.schema.names == ["k"]
