"""Delta Lake writes with the guarantees the observatory promises: no loss, no duplicates.

Every write goes through :func:`upsert` (merge on a key, so a rerun never duplicates a row) or
:func:`overwrite` (whole-table replace for published marts). Concurrent committers lose the race
with ``CommitFailedError`` and nothing is written; we retry a bounded number of times.

Callers name tables by their path under the lake root; :func:`location` resolves it to where the
table really is (the same path in the embedded profile, ``s3://...`` plus storage options in the
cluster profile), so every Delta read and write in the project goes through this module.
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

from orchestration.core.settings import TableLocation, table_location

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


def location(path: Path | str) -> TableLocation:
    """Where the table named by ``path`` lives (local path or ``s3://`` URI) and its storage options."""
    return table_location(path)


def _prepare(path: Path | str) -> TableLocation:
    """The table's location, with its local folder created when it is on the local disk."""
    where = location(path)
    if where.is_local:
        Path(where.uri).mkdir(parents=True, exist_ok=True)
    return where


def table(path: Path | str, version: int | None = None) -> DeltaTable:
    """The Delta table at ``path`` (optionally an older ``version``); raises if there is none."""
    where = location(path)
    return DeltaTable(where.uri, version=version, storage_options=where.storage_options)


def table_exists(path: Path | str) -> bool:
    """True when ``path`` holds a Delta table (has a transaction log)."""
    where = location(path)
    if where.is_local:
        return (Path(where.uri) / "_delta_log").is_dir()
    return DeltaTable.is_deltatable(where.uri, storage_options=where.storage_options)


def open_table(path: Path | str) -> DeltaTable | None:
    """The Delta table at ``path``, or ``None`` if there is none yet."""
    try:
        return table(path)
    except TableNotFoundError:
        return None


def append(path: Path | str, rows: pa.Table) -> None:
    """Append ``rows`` to the table at ``path`` (for logs: every row is a new fact), retrying conflicts."""
    where = _prepare(path)
    with_commit_retry(lambda: write_deltalake(where.uri, rows, mode="append", storage_options=where.storage_options))


def delete(path: Path | str, predicate: str) -> dict[str, int]:
    """Delete the rows matching ``predicate`` (a new version; the files go at the next vacuum)."""
    return with_commit_retry(lambda: table(path).delete(predicate))


def vacuum_all(path: Path | str) -> list[str]:
    """Physically remove every file no longer in the current version (time travel to them ends)."""
    return table(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)


def ensure_table(path: Path | str, schema: pa.Schema, partition_by: Sequence[str] | None = None) -> DeltaTable:
    """Create an empty table with ``schema`` if it does not exist (done before any fan-out)."""
    table_now = open_table(path)
    if table_now is not None:
        return table_now
    where = _prepare(path)

    def create() -> None:
        write_deltalake(
            where.uri,
            schema.empty_table(),
            mode="append",
            partition_by=list(partition_by or []) or None,
            storage_options=where.storage_options,
        )

    try:
        with_commit_retry(create)
    except Exception:
        # A concurrent creator may have won: that is fine as long as the table now exists.
        if open_table(path) is None:
            raise
    return table(path)


def upsert(path: Path | str, rows: pa.Table, keys: Sequence[str], partition_by: Sequence[str] | None = None) -> dict[str, int]:
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
            table(path)
            .merge(rows, predicate=predicate, source_alias="s", target_alias="t", merge_schema=True)
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )

    return with_commit_retry(merge)


def overwrite(path: Path | str, rows: pa.Table, partition_by: Sequence[str] | None = None) -> int:
    """Replace the whole table at ``path`` with ``rows``; returns the new table version."""
    where = _prepare(path)

    def write() -> None:
        write_deltalake(
            where.uri,
            rows,
            mode="overwrite",
            schema_mode="overwrite",
            partition_by=list(partition_by or []) or None,
            storage_options=where.storage_options,
        )

    with_commit_retry(write)
    return table(path).version()


def read(path: Path | str, columns: Sequence[str] | None = None) -> pa.Table:
    """The current version of a Delta table as Arrow (empty table if it does not exist)."""
    current = open_table(path)
    if current is None:
        return pa.table({})
    return current.to_pyarrow_table(columns=list(columns) if columns else None)
