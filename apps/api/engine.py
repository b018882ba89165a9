"""Runs a validated :class:`~apps.api.query.Query` on a published table with DuckDB.

The table is an in-memory Arrow table (one immutable published version, see resources.py),
registered on a fresh DuckDB cursor per request: column names come from the declarations'
allow-list, values are bound parameters, the connection has no extension and no file access
beyond what Arrow hands it (``enable_external_access`` off).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import duckdb
import pyarrow as pa

from apps.api.query import Query, order_clause, quote, where_clause

STREAM_BATCH_ROWS = 10_000


class Engine:
    """One DuckDB database per API process; a cursor per request (cursors are thread-safe apart)."""

    def __init__(self) -> None:
        self._con = duckdb.connect(":memory:", config={"enable_external_access": "false", "autoinstall_known_extensions": "false"})
        self._lock = threading.Lock()
        self.queries_run = 0  # tests check that a refused request ran nothing

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            self.queries_run += 1
            return self._con.cursor()

    @staticmethod
    def _select(table: pa.Table, query: Query) -> str:
        names = query.columns or tuple(table.column_names)
        return ", ".join(quote(n) for n in names)

    def page(self, table: pa.Table, query: Query, default_order: Sequence[str]) -> tuple[pa.Table, int]:
        """One page of matching rows and the number of matching rows."""
        where, params = where_clause(query)
        order = order_clause(query, [c for c in default_order if c in table.column_names])
        cursor = self._cursor()
        try:
            cursor.register("published", table)
            sql = f"SELECT {self._select(table, query)}, count(*) OVER () AS __total FROM published{where}{order} LIMIT ? OFFSET ?"
            result = cursor.execute(sql, [*params, query.page_size, (query.page - 1) * query.page_size]).fetch_arrow_table()
            if result.num_rows:
                total = int(result.column("__total")[0].as_py())
            else:  # past the last page: count separately
                total = int(cursor.execute(f"SELECT count(*) FROM published{where}", params).fetchone()[0])  # type: ignore[index]
            return result.drop_columns(["__total"]), total
        finally:
            cursor.close()

    def stream(self, table: pa.Table, query: Query, default_order: Sequence[str], paged: bool) -> Iterator[pa.RecordBatch]:
        """Matching rows in batches (all of them, or the requested page when ``paged``)."""
        where, params = where_clause(query)
        order = order_clause(query, [c for c in default_order if c in table.column_names])
        limit = " LIMIT ? OFFSET ?" if paged else ""
        if paged:
            params = [*params, query.page_size, (query.page - 1) * query.page_size]
        cursor = self._cursor()
        try:
            cursor.register("published", table)
            reader = cursor.execute(f"SELECT {self._select(table, query)} FROM published{where}{order}{limit}", params).fetch_record_batch(
                STREAM_BATCH_ROWS
            )
            yield from reader
        finally:
            cursor.close()
