"""Generic expectations of a mart, generated from its declared columns and grain.

The gate prepends them to the mart's own suite, which keeps only domain rules (value sets,
ranges, patterns, comparisons between columns). Generated here: the exact column set, not-null
for every non-nullable column, uniqueness of the grain, and each column's type family.
"""

from __future__ import annotations

from typing import Any

import great_expectations as gx
from pandas.api import types as pdt

from orchestration.core.catalog.mart_schema import MartColumn, spec

# Python type names accepted per declared type when pandas holds the column as ``object``
# (dates, flags or counts with missing values); ``datetime`` is not a date here, by name.
_VALUE_TYPES: dict[str, list[str]] = {
    "string": ["str"],
    "int": ["int", "int32", "int64"],
    "float": ["float", "int"],
    "bool": ["bool", "bool_"],
    "date": ["date"],
    "datetime": ["datetime", "Timestamp"],
}


class ExpectColumnValuesToBeInTypeFamily(gx.expectations.ExpectColumnValuesToBeInTypeList):
    """The column's dtype belongs to a declared type family (string, int, float, bool, date, datetime).

    A family, not an exact dtype: pandas holds the same DuckDB type in several dtypes (``str`` or
    ``object`` strings, ``int64`` or ``float64`` counts with missing values). ``object`` columns are
    checked value by value on the names in ``type_list``.
    """

    family: str
    nullable: bool = False

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> Any:
        column = self.configuration.kwargs.get("column")
        dtype = next(t["type"] for t in metrics.get("table.column_types") or [] if t["name"] == column)
        if getattr(getattr(dtype, "type", None), "__name__", "") == "object_":
            return super()._validate(metrics, runtime_configuration, execution_engine)
        return {"success": _dtype_in_family(dtype, self.family, self.nullable), "result": {"observed_value": str(dtype)}}


def _dtype_in_family(dtype: Any, family: str, nullable: bool) -> bool:
    numeric = pdt.is_numeric_dtype(dtype) and not pdt.is_bool_dtype(dtype)
    return bool({
        "string": pdt.is_string_dtype(dtype),
        # A count column with missing values arrives as float64 through Arrow.
        "int": pdt.is_integer_dtype(dtype) or (nullable and pdt.is_float_dtype(dtype)),
        "float": numeric,
        "bool": pdt.is_bool_dtype(dtype),
        "date": False,  # dates are object columns of datetime.date, checked by value
        "datetime": pdt.is_datetime64_any_dtype(dtype),
    }[family])


def type_family(column: MartColumn) -> ExpectColumnValuesToBeInTypeFamily:
    """The type-family expectation of one declared column."""
    return ExpectColumnValuesToBeInTypeFamily(
        column=column.name, family=column.type, nullable=column.nullable, type_list=_VALUE_TYPES[column.type]
    )


def generic_expectations(mart: str) -> list[gx.expectations.Expectation]:
    """Column set, not-null, grain uniqueness and type families, from the mart's declaration."""
    declared = spec(mart)
    if not declared.columns:
        raise ValueError(f"mart {mart!r} declares no columns: add them to its use case")
    grain = list(declared.grain)
    unique = (
        gx.expectations.ExpectColumnValuesToBeUnique(column=grain[0])
        if len(grain) == 1
        else gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=grain)
    )
    return [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=[c.name for c in declared.columns], exact_match=True),
        *[gx.expectations.ExpectColumnValuesToNotBeNull(column=c.name) for c in declared.columns if not c.nullable],
        unique,
        *[type_family(c) for c in declared.columns],
    ]
