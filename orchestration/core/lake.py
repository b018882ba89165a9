"""Delta Lake writes with the guarantees the observatory promises: no loss, no duplicates.

Every write goes through :func:`upsert` (merge on a key, so a rerun never duplicates a row) or
:func:`overwrite` (whole-table replace for published marts). Concurrent committers lose the race
with ``CommitFailedError`` and nothing is written; we retry a bounded number of times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError

T = TypeVar("T")
MAX_ATTEMPTS = 8


def with_commit_retry(operation: Callable[[], T], attempts: int = MAX_ATTEMPTS) -> T:
    """Run a Delta commit, retrying with jittered back-off when another writer won the race."""
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except CommitFailedError:
            if attempt == attempts:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def table_exists(path: Path) -> bool:
    """True when ``path`` holds a Delta table (has a transaction log)."""
    return (path / "_delta_log").is_dir()


def open_table(path: Path) -> DeltaTable | None:
    """The Delta table at ``path``, or ``None`` if there is none yet."""
    try:
        return DeltaTable(str(path))
    except TableNotFoundError:
        return None


def ensure_table(path: Path, schema: pa.Schema, partition_by: Sequence[str] | None = None) -> DeltaTable:
    """Create an empty table with ``schema`` if it does not exist (done before any fan-out)."""
    table = open_table(path)
    if table is not None:
        return table
    path.mkdir(parents=True, exist_ok=True)

    def create() -> None:
        write_deltalake(str(path), schema.empty_table(), mode="append", partition_by=list(partition_by or []) or None)

    try:
        with_commit_retry(create)
    except Exception:
        # A concurrent creator may have won: that is fine as long as the table now exists.
        if open_table(path) is None:
            raise
    return DeltaTable(str(path))


def upsert(path: Path, rows: pa.Table, keys: Sequence[str], partition_by: Sequence[str] | None = None) -> dict[str, int]:
    """Merge ``rows`` into the table at ``path`` on ``keys``: update matches, insert the rest.

    New columns in ``rows`` are added to the table (additive schema evolution). Returns delta-rs
    merge metrics (``num_target_rows_inserted``, ``num_target_rows_updated``...).
    """
    ensure_table(path, rows.schema, partition_by)
    if rows.num_rows == 0:
        return {"num_target_rows_inserted": 0, "num_target_rows_updated": 0}
    predicate = " AND ".join(f"t.{k} = s.{k}" for k in keys)

    def merge() -> dict[str, int]:
        return (
            DeltaTable(str(path))
            .merge(rows, predicate=predicate, source_alias="s", target_alias="t", merge_schema=True)
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )

    return with_commit_retry(merge)


def overwrite(path: Path, rows: pa.Table, partition_by: Sequence[str] | None = None) -> int:
    """Replace the whole table at ``path`` with ``rows``; returns the new table version."""
    path.mkdir(parents=True, exist_ok=True)

    def write() -> None:
        write_deltalake(
            str(path), rows, mode="overwrite", schema_mode="overwrite", partition_by=list(partition_by or []) or None
        )

    with_commit_retry(write)
    return DeltaTable(str(path)).version()


def read(path: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """The current version of a Delta table as Arrow (empty table if it does not exist)."""
    table = open_table(path)
    if table is None:
        return pa.table({})
    return table.to_pyarrow_table(columns=list(columns) if columns else None)
