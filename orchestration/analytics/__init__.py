"""Python analytics of the use cases: pure functions from dbt models to marts.

Each ``compute`` function named by a ``built_by: python`` mart in a use-case declaration takes
``(inputs, params)``: the dbt models it reads, as DataFrames keyed by model name, and the use
case's declared ``parameters`` (its typed model, ``orchestration/core/catalog/parameters.py``);
it returns the mart as a DataFrame. It reads nothing else, so it is tested without Dagster and
the asset factory (``orchestration/defs/transform/analytics.py``) stays the only place that
touches the build database.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import importlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from orchestration.core import duck

Compute = Callable[[Mapping[str, pd.DataFrame], Mapping[str, Any]], pd.DataFrame]
F = TypeVar("F", bound=Callable[..., Any])
# Results kept per shared function: the current refresh's and, at most, the previous one's.
SHARED_MEMO_SIZE = 2


class _Unhashable(Exception):
    """An argument whose content cannot be digested: the call is not shared."""


def _digest(value: Any, into: Any) -> None:
    """Feed the content of ``value`` (frames, series, mappings, sequences, pydantic models, scalars) into ``into``."""
    if isinstance(value, pd.DataFrame | pd.Series):
        shape = list(value.dtypes.items()) if isinstance(value, pd.DataFrame) else [(value.name, value.dtype)]
        into.update(repr((type(value).__name__, [(str(c), str(t)) for c, t in shape], len(value))).encode())
        try:
            into.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        except TypeError as error:  # e.g. lists in cells
            raise _Unhashable from error
    elif isinstance(value, Mapping):
        into.update(b"{")
        for key in sorted(value, key=str):
            into.update(repr(key).encode())
            _digest(value[key], into)
        into.update(b"}")
    elif isinstance(value, list | tuple):
        into.update(b"[")
        for item in value:
            _digest(item, into)
        into.update(b"]")
    elif hasattr(value, "model_dump_json"):  # typed parameters (pydantic)
        into.update(f"{type(value).__qualname__}:{value.model_dump_json()}".encode())
    elif value is None or isinstance(value, str | int | float | bool):
        into.update(repr(value).encode())
    else:
        raise _Unhashable(type(value).__name__)


def shared(function: F) -> F:
    """Compute ``function`` once per argument content: for helpers several marts of a use case call.

    Marts of one use case often need the same intermediate result (a fit, the hotspots), each from
    its own ``compute``; with this, the second caller gets a copy of the first one's result when the
    arguments have the same content (a digest of every frame's values, index and dtypes and of the
    parameters), so the outputs are exactly those of computing it again. A call with an argument
    that cannot be digested is simply computed.
    """
    memo: OrderedDict[str, Any] = OrderedDict()

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        digest = hashlib.sha256()
        try:
            _digest([list(args), dict(kwargs)], digest)
        except _Unhashable:
            return function(*args, **kwargs)
        key = digest.hexdigest()
        if key not in memo:
            memo[key] = function(*args, **kwargs)
            while len(memo) > SHARED_MEMO_SIZE:
                memo.popitem(last=False)
        memo.move_to_end(key)
        return copy.deepcopy(memo[key])  # callers may modify what they get: never the kept result

    wrapper.clear_memo = memo.clear  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def per_distinct(function: Callable[..., Any], *columns: pd.Series, dtype: Any = object) -> np.ndarray:
    """``np.array([function(*values) for values in zip(*columns)], dtype)``, ``function`` called once per distinct tuple of values.

    A day's type, a weekday or a schedule repeat over millions of rows: a Python call per row was
    most of some marts' time. ``function`` must depend on its arguments only. It receives the values
    a Series yields when iterated (Python scalars), those of the tuple's first row; missing values
    form a group of their own. A ``dtype`` other than ``object`` keeps the result unboxed
    (``bool`` masks, ``int64`` numbers), the rows taken from the distinct results in one step.
    """
    if not columns or not len(columns[0]):
        return np.empty(0, dtype=dtype)
    # One code per row for its tuple of values, compacted column after column (no overflow). Codes
    # number the tuples in order of first appearance (``pd.factorize``), so a tuple first appears
    # where its code exceeds every code before it.
    group, _ = pd.factorize(columns[0], use_na_sentinel=False)
    for column in columns[1:]:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        group, _ = pd.factorize(group.astype(np.int64) * len(uniques) + codes)
    first = np.flatnonzero(np.r_[True, group[1:] > np.maximum.accumulate(group)[:-1]])
    results = [function(*values) for values in zip(*(list(column.iloc[first]) for column in columns), strict=True)]
    distinct = np.empty(len(results), dtype=dtype)
    distinct[:] = results  # element by element: a result that is itself a sequence stays one value
    return distinct[group]


def resolve(reference: str) -> Compute:
    """``"package.module:function"`` -> the function."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def read_relations(build_db: Path, relations: tuple[str, ...], con: Any = None) -> dict[str, pd.DataFrame]:
    """``schema.model`` relations from the build database, keyed by model name (read-only).

    ``con``: an open connection to the build database to read through (else one is opened and closed).
    """
    with _connection(build_db, con, read_only=True) as db:
        # Through Arrow so DATE stays a date; order by all so the output does not depend on scan order.
        return {rel.split(".")[-1]: db.sql(f"select * from {rel} order by all").to_arrow_table().to_pandas() for rel in relations}


def write_mart(build_db: Path, name: str, frame: pd.DataFrame, con: Any = None) -> int:
    """Replace ``marts.<name>`` in the build database with ``frame``; returns its row count.

    ``con``: an open read-write connection to the build database (else one is opened and closed).
    """
    with _connection(build_db, con, read_only=False) as db:
        db.execute("create schema if not exists marts")
        db.register("_mart_frame", _declared_arrow(name, frame))
        db.execute(f"create or replace table marts.{name} as select * from _mart_frame")
        db.unregister("_mart_frame")
        return int(db.sql(f"select count(*) from marts.{name}").fetchone()[0])  # type: ignore[index]


@contextlib.contextmanager
def _connection(build_db: Path, con: Any, read_only: bool) -> Iterator[Any]:
    """``con`` as is, or a connection of our own (dbt models and marts are plain types: no extension to load)."""
    if con is not None:
        yield con
        return
    own = duck.connect(build_db, read_only=read_only, extensions=())
    try:
        yield own
    finally:
        own.close()


def mart_table(name: str, frame: pd.DataFrame) -> Any:
    """``frame`` as an Arrow table with the mart's declared column types (see :func:`_declared_arrow`)."""
    import pyarrow as pa

    table = _declared_arrow(name, frame)
    return table if isinstance(table, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)


def _declared_arrow(name: str, frame: pd.DataFrame) -> Any:
    """``frame`` as Arrow with the mart's declared column types, when it has exactly the declared columns.

    Without it an empty mart loses its types: DuckDB stores an empty object column (no date to
    look at) as INTEGER. Every field is nullable here: judging nulls is the gate's job.
    """
    import pyarrow as pa

    from orchestration.core.catalog import marts
    from orchestration.core.catalog.mart_schema import arrow_schema

    spec = marts().get(name)
    if spec is None or [c.name for c in spec.columns] != list(frame.columns):
        return frame
    schema = pa.schema([f.with_nullable(True) for f in arrow_schema(spec)])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
