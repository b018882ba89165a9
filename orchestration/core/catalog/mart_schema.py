"""Each mart's columns and grain, declared once in its use-case YAML, and what is generated from them.

A mart entry of ``catalog/use_cases/<use_case>.yaml`` carries ``grain: [col, ...]`` (the columns
that identify a row) and ``columns:`` (name, type, nullable, French label, unit, description).
From that one declaration come:

- :func:`conform`: what a Python mart's ``compute`` returns (declared columns, in order, cast);
- :func:`pandera_schema`: a pandera schema of the declared dtypes, nullability and grain;
- :func:`arrow_schema`: the Arrow schema of the published table;
- :func:`table_schema`: a Table Schema (Frictionless / schema.data.gouv.fr) for open data and the API;
- :func:`labels`: the French label per column for page headings and chart axes;
- the generic gate expectations (``quality/generic.py``) and the dbt contracts and sources
  (``orchestration/core/catalog/dbt_sync.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pandera.pandas as pa
    import pyarrow

    from orchestration.core.catalog import MartSpec

ColumnType = Literal["string", "int", "float", "date", "datetime", "bool"]

# The physical (DuckDB / dbt) type of each declared type, unless a column says otherwise in `sql_type`.
SQL_TYPES: dict[str, str] = {
    "string": "varchar",
    "int": "bigint",
    "float": "double",
    "date": "date",
    "datetime": "timestamp",
    "bool": "boolean",
}
# Table Schema field types (https://specs.frictionlessdata.io/table-schema/#types-and-formats).
TABLE_SCHEMA_TYPES: dict[str, str] = {
    "string": "string",
    "int": "integer",
    "float": "number",
    "date": "date",
    "datetime": "datetime",
    "bool": "boolean",
}


class MartColumn(BaseModel):
    """One column of a mart, as declared in its use case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: ColumnType
    label: str = Field(min_length=1)  # short French label for headings and axes
    description: str = Field(min_length=1)  # one French sentence
    nullable: bool = False
    unit: str | None = None  # e.g. "accidents", "km²", "accidents/km²/an", "%"
    # Physical type when it is not the default of `type` (e.g. integer, timestamp with time zone).
    sql_type: str | None = None
    # Stored code -> French label, for columns whose values are codes (pages show the label).
    codes: dict[str, str] | None = None

    @property
    def physical_type(self) -> str:
        """The DuckDB / dbt data type of the column."""
        return self.sql_type or SQL_TYPES[self.type]

    @property
    def has_time_zone(self) -> bool:
        return "time zone" in self.physical_type


class MartShapeError(ValueError):
    """A mart's declared grain or columns are inconsistent."""


def check_shape(mart: str, grain: Iterable[str], columns: Iterable[MartColumn]) -> None:
    """Refuse duplicate column names or labels, and a grain that is not a subset of the columns."""
    columns = list(columns)
    names = [c.name for c in columns]
    for what, values in (("column", names), ("label", [c.label for c in columns])):
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise MartShapeError(f"{mart}: duplicate {what}s {dupes}")
    missing = [g for g in grain if g not in names]
    if missing:
        raise MartShapeError(f"{mart}: grain columns {missing} are not declared columns")
    if columns and not list(grain):
        raise MartShapeError(f"{mart}: columns are declared but no grain")


def spec(mart: str | MartSpec) -> MartSpec:
    """The mart declaration, by name or as given."""
    if isinstance(mart, str):
        from orchestration.core.catalog import marts  # late: the catalog loader imports this module

        return marts()[mart]
    return mart


def columns(mart: str | MartSpec) -> tuple[MartColumn, ...]:
    """The declared columns of ``mart``, in order."""
    return spec(mart).columns


def column_names(mart: str | MartSpec) -> list[str]:
    """The declared column names of ``mart``, in order."""
    return [c.name for c in columns(mart)]


def labels(mart: str | MartSpec) -> dict[str, str]:
    """French label per column of ``mart``, for headings and chart axes."""
    return {c.name: c.label for c in columns(mart)}


def code_labels(mart: str | MartSpec) -> dict[str, dict[str, str]]:
    """Per coded column of ``mart``, the declared French label of each stored code."""
    return {c.name: dict(c.codes) for c in columns(mart) if c.codes}


# -- data window -------------------------------------------------------------------------------

DATED_TYPES = ("date", "datetime")


def data_window(table: pd.DataFrame | pyarrow.Table, mart: str | MartSpec) -> tuple[date | None, date | None]:
    """First and last day ``table`` covers, over EVERY declared date or timestamp column of
    ``mart`` present in it: a mart dated by the end of its period (``fin``, ``derniere_nuit``)
    also has a start column, so one column alone gives "from d to d" for months of data.

    The one computation behind the publication record (model cards, API metadata) and the
    pages. Timestamps with a time zone are read in UTC; ``(None, None)`` when nothing is dated."""
    days: list[date] = []
    for declared in columns(mart):
        if declared.type not in DATED_TYPES or declared.name not in _column_names(table):
            continue
        values = _as_series(table, declared.name)
        stamps = pd.to_datetime(values, errors="coerce", utc=declared.has_time_zone).dropna()
        if not stamps.empty:
            days += [stamps.min().date(), stamps.max().date()]
    return (min(days), max(days)) if days else (None, None)


def _column_names(table: pd.DataFrame | pyarrow.Table) -> list[str]:
    return list(table.columns) if isinstance(table, pd.DataFrame) else list(table.column_names)


def _as_series(table: pd.DataFrame | pyarrow.Table, name: str) -> pd.Series:
    """The column, or for an Arrow table only its extremes (no copy of a large column to pandas)."""
    if isinstance(table, pd.DataFrame):
        return table[name]
    import pyarrow.compute as pc

    extremes = pc.min_max(table.column(name))
    return pd.Series([extremes["min"].as_py(), extremes["max"].as_py()], dtype=object)


# -- conform -----------------------------------------------------------------------------------


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, datetime):  # a Timestamp is a date too, but DuckDB would store a TIMESTAMP
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def _cast(series: pd.Series, column: MartColumn) -> pd.Series:
    if column.type == "string":
        return series.astype(str)
    if column.type == "int":
        dtype = "int32" if column.physical_type == "integer" else "int64"
        return series.astype(dtype.capitalize() if column.nullable and series.isna().any() else dtype)
    if column.type == "float":
        return series.astype("float64")
    if column.type == "bool":
        return series.astype("boolean" if column.nullable and series.isna().any() else bool)
    if column.type == "date":
        # A Series, not a list: an empty list would come out float64. DuckDB stores date objects as DATE.
        return pd.Series([_as_date(v) for v in series], index=series.index, dtype=object)
    return pd.to_datetime(series, utc=True) if column.has_time_zone else pd.to_datetime(series)


def conform(frame: pd.DataFrame, mart: str | MartSpec) -> pd.DataFrame:
    """``frame`` as the declared mart: exactly its columns, in declared order, cast to their types.

    Counts become int64 (``int32`` for ``sql_type: integer``), labels ``str``, dates ``datetime.date``
    objects (DuckDB writes them as DATE), floats float64, flags bool. An empty frame gets the same
    dtypes, so an empty mart has the contract of a full one. A missing column raises ``KeyError``.
    """
    declared = columns(mart)
    if not declared:
        raise KeyError(f"{spec(mart).name} declares no columns")
    missing = [c.name for c in declared if c.name not in frame.columns]
    if missing:
        raise KeyError(f"{spec(mart).name}: frame lacks declared columns {missing}")
    out = pd.DataFrame({c.name: _cast(frame[c.name], c) for c in declared}, index=frame.index)
    return out.reset_index(drop=True)


# -- generated schemas -------------------------------------------------------------------------


def pandera_schema(mart: str | MartSpec) -> pa.DataFrameSchema:
    """A pandera schema: declared columns only, in order, their dtypes and nullability, a unique grain."""
    import pandera.pandas as pa

    def dtype(column: MartColumn) -> Any:
        if column.type == "date":
            return None  # object column of datetime.date: checked by value below
        if column.type == "datetime":
            return pd.DatetimeTZDtype(unit="us", tz="UTC") if column.has_time_zone else "datetime64[us]"
        if column.type == "int":
            return "int32" if column.physical_type == "integer" else "int64"
        return {"string": "str", "float": "float64", "bool": "bool"}[column.type]

    def checks(column: MartColumn) -> list[pa.Check]:
        if column.type == "date":
            return [pa.Check(lambda s: s.map(lambda v: isinstance(v, date) and not isinstance(v, datetime)),
                             element_wise=False, ignore_na=True, name="is_date")]
        return []

    the_spec = spec(mart)
    return pa.DataFrameSchema(
        {c.name: pa.Column(dtype(c), checks=checks(c), nullable=c.nullable, coerce=False) for c in the_spec.columns},
        strict=True,
        ordered=True,
        unique=list(the_spec.grain),
        name=the_spec.name,
    )


def arrow_schema(mart: str | MartSpec) -> pyarrow.Schema:
    """The Arrow schema of the mart (types, nullability, labels and units as field metadata)."""
    import pyarrow as pa

    def arrow_type(column: MartColumn) -> pa.DataType:
        if column.type == "int":
            return pa.int32() if column.physical_type == "integer" else pa.int64()
        if column.type == "datetime":
            return pa.timestamp("us", tz="UTC" if column.has_time_zone else None)
        return {"string": pa.string(), "float": pa.float64(), "date": pa.date32(), "bool": pa.bool_()}[column.type]

    fields = []
    for c in columns(mart):
        metadata = {"label": c.label, "description": c.description, **({"unit": c.unit} if c.unit else {})}
        fields.append(pa.field(c.name, arrow_type(c), nullable=c.nullable, metadata=metadata))
    return pa.schema(fields, metadata={"primary_key": ",".join(spec(mart).grain)})


def table_schema(mart: str | MartSpec) -> dict[str, Any]:
    """A Table Schema descriptor (Frictionless, as schema.data.gouv.fr publishes them).

    ``title`` is the French label; the unit, which the specification has no field for, is the
    custom property ``unit``; ``primaryKey`` is the grain.
    """
    fields = []
    for c in columns(mart):
        field: dict[str, Any] = {
            "name": c.name,
            "type": TABLE_SCHEMA_TYPES[c.type],
            "title": c.label,
            "description": c.description,
            "constraints": {"required": not c.nullable},
        }
        if c.type == "datetime":
            field["format"] = "default"
        if c.unit:
            field["unit"] = c.unit
        fields.append(field)
    return {"fields": fields, "primaryKey": list(spec(mart).grain), "missingValues": [""]}
