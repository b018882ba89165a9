"""Delta Lake writes with the guarantees the observatory promises: no loss, no duplicates.

Every write goes through :func:`upsert` (merge on a key, so a rerun never duplicates a row) or
:func:`overwrite` (whole-table replace for published marts). Concurrent committers lose the race
with ``CommitFailedError`` and nothing is written; we retry a bounded number of times.

Callers name tables by their path under the lake root; :func:`location` resolves it to where the
table really is (the same path in the embedded profile, ``s3://...`` plus storage options in the
cluster profile), so every Delta read and write in the project goes through this module.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlparse

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from orchestration.core.settings import TableLocation, table_location

T = TypeVar("T")
MAX_ATTEMPTS = 8
UPSERT_APP_ID = "observatoire-upsert"  # the application transaction of every upsert (see upsert)


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


# An append-only log gets a small file per commit (a gate verdict, a batch of audited reads): after
# a year of daily runs, thousands of files that every scan opens, every checkpoint lists and every
# append replays. Every COMPACT_EVERY-th commit of a log merges them (rows unchanged).
COMPACT_EVERY = 100
# Files merged away stay this long for readers of an older snapshot (Delta's default retention).
MERGED_FILES_RETENTION_HOURS = 168


def append(path: Path | str, rows: pa.Table) -> int:
    """Append ``rows`` to the table at ``path`` (for logs: every row is a new fact), retrying conflicts.

    Returns the table's new version; every :data:`COMPACT_EVERY`-th one, the log is compacted
    (:func:`compact`), so the cost of a log stays flat however many runs it has recorded.
    """
    where = _prepare(path)

    def write() -> int:
        current = open_table(path)
        if current is None:  # the first append creates the table
            write_deltalake(where.uri, rows, mode="append", storage_options=where.storage_options)
            return 0
        write_deltalake(current, rows, mode="append")  # the same log replay as by URI, and the version after it
        return current.version()

    version = with_commit_retry(write)
    if version and version % COMPACT_EVERY == 0:
        try:
            compact(path)
        except Exception as error:  # housekeeping: the rows are committed; the 100th commit after tries again
            logging.getLogger(__name__).warning("compaction of %s failed, left for later: %s", path, error)
    return version


def compact(path: Path | str) -> dict[str, int]:
    """Merge the table's small files (same rows) and remove those merged away over the retention ago.

    Appends committed meanwhile do not conflict with it (they touch other files). Returns how many
    files were merged, written and removed from disk.
    """
    metrics = with_commit_retry(lambda: table(path).optimize.compact())  # a lost race retries on the new version
    removed = table(path).vacuum(retention_hours=MERGED_FILES_RETENTION_HOURS, dry_run=False)
    return {"merged": int(metrics.get("numFilesRemoved", 0)), "written": int(metrics.get("numFilesAdded", 0)), "removed": len(removed)}


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


def ensure_exists(path: Path | str, schema: pa.Schema, partition_by: Sequence[str] | None = None) -> None:
    """:func:`ensure_table` without opening an existing table (a local one is a folder check).

    Opening a Delta table replays its log (~10 ms for a ledger of a few dozen commits); an ingest
    ensures four tables per feed before writing, and only the first run of a lake creates them.
    """
    if not table_exists(path):
        ensure_table(path, schema, partition_by)


def upsert(path: Path | str, rows: pa.Table, keys: Sequence[str], partition_by: Sequence[str] | None = None) -> dict[str, int]:
    """Merge ``rows`` into the table at ``path`` on ``keys``: update matches, insert the rest.

    New columns in ``rows`` are added to the table (additive schema evolution). Returns delta-rs
    merge metrics (``num_target_rows_inserted``, ``num_target_rows_updated``...).

    When no key of ``rows`` can match a row of the table (the table is empty, or its key columns
    hold none of them) and the schemas are the same, the merge would only insert: ``rows`` are
    appended instead, the same rows in one commit, without the merge's join (most of its cost on
    a small batch). Any doubt (a possible match, another schema) takes the merge.
    """
    ensure_exists(path, rows.schema, partition_by)
    if rows.num_rows == 0:
        return {"num_target_rows_inserted": 0, "num_target_rows_updated": 0}
    predicate = " AND ".join(f"t.{k} = s.{k}" for k in keys)

    def merge() -> dict[str, int]:
        target = table(path)
        # Every upsert of a table declares the same application transaction: two concurrent ones
        # conflict (CommitFailedError, retried) even when both are appends, which Delta would
        # otherwise commit side by side; the retry then sees the other's keys and merges.
        serialised = CommitProperties(app_transactions=[Transaction(UPSERT_APP_ID, target.version() + 1)])
        if _insert_only(target, rows, keys, location(path).is_local):
            # Written against the snapshot just checked (the table object, not its URI).
            write_deltalake(target, rows, mode="append", commit_properties=serialised)
            return {"num_target_rows_inserted": rows.num_rows, "num_target_rows_updated": 0}
        return (
            target.merge(rows, predicate=predicate, source_alias="s", target_alias="t", merge_schema=True, commit_properties=serialised)
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )

    return with_commit_retry(merge)


def append_unchanged(read: DeltaTable, rows: pa.Table) -> bool:
    """Append ``rows`` to the table at ``path`` as of the snapshot ``read`` (what the caller checked).

    Declares the upserts' application transaction: when an upsert committed since ``read``, the
    commit fails and nothing is written (``False``; the caller then takes the merge path).
    """
    serialised = CommitProperties(app_transactions=[Transaction(UPSERT_APP_ID, read.version() + 1)])
    try:
        write_deltalake(read, rows, mode="append", commit_properties=serialised)
    except CommitFailedError:
        return False
    return True


def _insert_only(target: DeltaTable, rows: pa.Table, keys: Sequence[str], local: bool) -> bool:
    """Can no row of ``rows`` match a row of ``target`` on ``keys``, with the same schema on both sides?

    The files whose min/max statistics cannot hold an incoming key are skipped; the key columns of
    the others are read and compared. Conservative throughout: a file without statistics is read,
    a null key counts as a possible match (the merge's ``=`` never matches a null), a table on an
    object store or keyed on a partition column with candidate files is left to the merge.
    """
    if not pa.schema(target.schema().to_arrow()).equals(rows.schema):
        return False
    adds = pa.table(target.get_add_actions(flatten=True))
    if adds.num_rows == 0:  # an empty table (just created): nothing to match
        return True
    incoming = rows.select(list(keys))
    candidates = np.ones(adds.num_rows, dtype=bool)
    for key in keys:
        candidates &= _may_hold(adds, key, incoming.column(key))
    if not candidates.any():
        return True
    if not local or set(keys) & set(target.metadata().partition_columns):
        return False
    root = Path(unquote(urlparse(target.table_uri).path))
    paths = [root / unquote(p) for p in adds.column("path").filter(pa.array(candidates)).to_pylist()]
    try:
        existing = pa.concat_tables([pq.read_table(p, columns=list(keys)) for p in paths]).cast(incoming.schema)
    except (OSError, KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False  # a file or key type not readable here: let the merge decide
    matched = keys_in(incoming, existing)
    return matched is not None and not pc.any(matched).as_py()


def keys_in(rows: pa.Table, keys: pa.Table) -> pa.Array | None:
    """Per row of ``rows``: is its key (all its columns) among ``keys``'s, as a merge's ``=`` matches?

    A null never matches (as in a merge). ``None`` when it cannot be told here (a composite key
    with a null, a key type Arrow cannot compare or join): callers then take the merge.
    """
    try:
        if rows.num_columns == 1:
            return pc.is_in(rows.column(0), value_set=keys.column(0).combine_chunks(), skip_nulls=True)
        if any(rows.column(i).null_count or keys.column(i).null_count for i in range(rows.num_columns)):
            return None
        names = rows.column_names
        numbered = rows.append_column("_row", pa.array(np.arange(rows.num_rows, dtype=np.int64)))
        found = numbered.join(keys.group_by(names).aggregate([]), keys=names, join_type="inner").column("_row")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    mask = np.zeros(rows.num_rows, dtype=bool)
    mask[found.to_numpy()] = True
    return pa.array(mask)


def _may_hold(adds: pa.Table, key: str, values: pa.ChunkedArray) -> np.ndarray:
    """Per file of ``adds``: could it hold one of ``values`` in column ``key``, by its min/max statistics?

    Strings, integers, dates and microsecond timestamps only. A string maximum may be a truncated
    prefix of the true one, so a value that starts with it is kept; timestamps get a millisecond
    of margin (statistics may be stored at millisecond precision).
    """
    everywhere = np.ones(adds.num_rows, dtype=bool)
    kind = values.type
    if f"min.{key}" not in adds.column_names or adds.schema.field(f"min.{key}").type != kind:
        return everywhere
    margin = 0
    if pa.types.is_timestamp(kind) and kind.unit == "us":
        margin = 1000
    elif not (pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_date32(kind)):
        return everywhere
    mins, maxs = adds.column(f"min.{key}"), adds.column(f"max.{key}")
    if margin or pa.types.is_date32(kind):  # compared as integers (microseconds, days)
        whole = pa.int64() if margin else pa.int32()
        values, mins, maxs = (pc.cast(c, whole) for c in (values, mins, maxs))
    bounds = pc.min_max(values).as_py()
    low, high = bounds["min"], bounds["max"]
    if low is None:  # every incoming key is null: the merge's = matches none, but stay conservative
        return everywhere
    result = everywhere.copy()
    for i, (file_min, file_max) in enumerate(zip(mins.to_pylist(), maxs.to_pylist(), strict=True)):
        if file_min is None or file_max is None:
            continue
        if margin:
            file_min, file_max = file_min - margin, file_max + margin
        above = low > file_max and not (isinstance(low, str) and low.startswith(file_max))
        if high < file_min or above:
            result[i] = False
    return result


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


# Columns of data files already read by :func:`read_current` (a Delta data file never changes once
# written: a new version adds files and removes others, it never rewrites one in place).
_FILE_COLUMNS: dict[tuple[str, tuple[str, ...]], pa.Table] = {}
_FILE_CACHE_LIMIT = 20_000


def read_current(current: DeltaTable, columns: Sequence[str], cache: bool = True) -> pa.Table:
    """``columns`` of the current version of an open table, its files read once per process.

    For a small table committed to often (the deliveries ledger: a commit per feed and run), the
    read is mostly per-file overhead, paid again at every version; here only the files a version
    added are read (unless ``cache`` is false: a large table read once). A table on an object
    store, or a partition column asked for, is read the ordinary way.
    """
    wanted = tuple(columns)
    where = location(current.table_uri)
    if not where.is_local or set(wanted) & set(current.metadata().partition_columns):
        return current.to_pyarrow_table(columns=list(wanted))
    root = Path(unquote(urlparse(current.table_uri).path))
    pieces = []
    try:
        files = [str(root / unquote(relative)) for relative in pa.table(current.get_add_actions(flatten=False)).column("path").to_pylist()]
        full = pa.schema(current.schema().to_arrow())
        schema = pa.schema([full.field(name) for name in wanted])
        if not cache:
            # Every file once, read on Arrow's threads: a snapshot feed's year is hundreds of small
            # files, and a read per file from Python was a millisecond each (about 3x slower).
            return ds.dataset(files, schema=full, format="parquet").to_table(columns=list(wanted)).cast(schema)
        for file in files:
            piece = _FILE_COLUMNS.get((file, wanted))
            if piece is None:
                piece = pq.read_table(file, columns=list(wanted))
                if len(_FILE_COLUMNS) >= _FILE_CACHE_LIMIT:
                    _FILE_COLUMNS.clear()
                _FILE_COLUMNS[(file, wanted)] = piece
            pieces.append(piece)
        return pa.concat_tables([piece.cast(schema) for piece in pieces]) if pieces else schema.empty_table()
    except (OSError, KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return current.to_pyarrow_table(columns=list(wanted))  # e.g. a file older than a column


def read(path: Path | str, columns: Sequence[str] | None = None) -> pa.Table:
    """The current version of a Delta table as Arrow (empty table if it does not exist)."""
    current = open_table(path)
    if current is None:
        return pa.table({})
    return current.to_pyarrow_table(columns=list(columns) if columns else None)
