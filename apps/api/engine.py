"""Runs a validated :class:`~apps.api.query.Query` on a published table with Arrow compute kernels.

The table is an in-memory Arrow table (one immutable published version, sorted by its grain
once when loaded, see resources.py). Filters are boolean masks built by typed kernels
(``equal``, ``is_in``, ``match_substring``...) from the declared column and the converted value:
no text from the request is ever interpreted as code. Measured on a city-year of the largest
mart (311,000 rows, ``infra/benchmarks/bench_api.py``): about 4x faster than DuckDB on the same
in-memory table for the API's small filtered pages (1.8 ms against 7 ms), with nothing to
inject into.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import reduce
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from apps.api.query import BadQuery, Condition, Query
from apps.api.resources import Loaded

STREAM_BATCH_ROWS = 10_000


def _scalar(value: Any, type_: pa.DataType, column: str) -> pa.Scalar:
    try:
        return pa.scalar(value, type=type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
        raise BadQuery("invalid_value", f"valeur invalide pour {column}", column) from None


def _mask(table: pa.Table, cond: Condition) -> pa.ChunkedArray:
    column = table[cond.column]
    op, values = cond.operator, cond.values
    if op == "isnull":
        return pc.is_null(column)
    if op == "isnotnull":
        return pc.is_valid(column)
    if op in ("in", "notin"):
        members = pa.array([_scalar(v, column.type, cond.column).as_py() for v in values], type=column.type)
        found = pc.is_in(column, value_set=members)
        return found if op == "in" else pc.invert(found)
    if op in ("contains", "notcontains"):
        found = pc.match_substring(column, pattern=str(values[0]))  # literal substring, not a regex
        return found if op == "contains" else pc.invert(found)
    value = _scalar(values[0], column.type, cond.column)
    if op == "differs":
        return pc.fill_null(pc.not_equal(column, value), True)  # an empty cell differs from any value
    kernel = {
        "exact": pc.equal,
        "less": pc.less_equal,
        "greater": pc.greater_equal,
        "strictly_less": pc.less,
        "strictly_greater": pc.greater,
    }[op]
    return kernel(column, value)


class Engine:
    """Filter, sort, page and project one published table (thread-safe: no shared state but a counter)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.queries_run = 0  # tests check that a refused request ran nothing

    def _matching(self, loaded: Loaded, query: Query) -> pa.Table:
        """Matching rows in the requested order (the table's grain order otherwise: it is stored sorted)."""
        with self._lock:
            self.queries_run += 1
        table, filters = loaded.table, list(query.filters)
        for cond in filters:  # one equality filter on an indexed column narrows the rows by position first
            if cond.operator in ("exact", "in"):
                positions = loaded.positions(cond.column, cond.values)
                if positions is not None:
                    table = table.take(positions)
                    filters.remove(cond)
                    break
        if filters:
            mask = reduce(pc.and_kleene, (_mask(table, c) for c in filters))
            table = table.filter(mask)  # null in the mask drops the row, as SQL's WHERE does
        if query.sort and table.num_rows > 1:
            keys = [(c, "ascending" if d == "asc" else "descending", "at_end") for c, d in query.sort]
            table = table.take(pc.sort_indices(table, sort_keys=keys))  # stable: grain breaks ties
        return table

    def _project(self, table: pa.Table, query: Query) -> pa.Table:
        return table.select(list(query.columns)) if query.columns else table

    def page(self, loaded: Loaded, query: Query) -> tuple[pa.Table, int]:
        """One page of matching rows and the number of matching rows."""
        matching = self._matching(loaded, query)
        start = (query.page - 1) * query.page_size
        return self._project(matching.slice(start, query.page_size), query), matching.num_rows

    def stream(self, loaded: Loaded, query: Query, paged: bool) -> Iterator[pa.RecordBatch]:
        """Matching rows in batches (all of them, or the requested page when ``paged``).

        The selection runs now, before the response starts, so a refusal is still a clean 400.
        """
        matching = self._matching(loaded, query)
        if paged:
            matching = matching.slice((query.page - 1) * query.page_size, query.page_size)
        return iter(self._project(matching, query).to_batches(max_chunksize=STREAM_BATCH_ROWS))
