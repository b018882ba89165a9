"""Python analytics of the use cases: pure functions from dbt models to marts.

Each ``compute`` function named by a ``built_by: python`` mart in a use-case declaration takes
``(inputs, params)``: the dbt models it reads, as DataFrames keyed by model name, and the use
case's declared ``parameters`` (its typed model, ``orchestration/core/catalog/parameters.py``);
it returns the mart as a DataFrame. It reads nothing else, so it is tested without Dagster and
the asset factory (``orchestration/defs/transform/analytics.py``) stays the only place that
touches the build database.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.core import duck

Compute = Callable[[Mapping[str, pd.DataFrame], Mapping[str, Any]], pd.DataFrame]


def resolve(reference: str) -> Compute:
    """``"package.module:function"`` -> the function."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def read_relations(build_db: Path, relations: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """``schema.model`` relations from the build database, keyed by model name (read-only)."""
    con = duck.connect(build_db, read_only=True, extensions=())  # dbt models of plain types: no spatial to load
    try:
        # Through Arrow so DATE stays a date; order by all so the output does not depend on scan order.
        return {rel.split(".")[-1]: con.sql(f"select * from {rel} order by all").to_arrow_table().to_pandas() for rel in relations}
    finally:
        con.close()


def write_mart(build_db: Path, name: str, frame: pd.DataFrame) -> int:
    """Replace ``marts.<name>`` in the build database with ``frame``; returns its row count."""
    con = duck.connect(build_db, extensions=())
    try:
        con.execute("create schema if not exists marts")
        con.register("_mart_frame", _declared_arrow(name, frame))
        con.execute(f"create or replace table marts.{name} as select * from _mart_frame")
        con.unregister("_mart_frame")
        return int(con.sql(f"select count(*) from marts.{name}").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


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
