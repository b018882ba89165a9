"""pandera contracts of the partner feeds, generated from their catalog declarations.

A declaration's types, ``nullable``, ``codes``, ``pattern`` and ``min``/``max`` become pandera
column checks; named row checks (``checks: [inside_city]``) come from :data:`ROW_CHECKS`. A feed
that needs more adds ``orchestration/core/contracts/<feed>.py`` exposing ``extra_checks: list[pa.Check]``
(dataframe-level). Every failure maps to one quarantine reason code (:func:`reason_code`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from orchestration.core.catalog import ColumnSpec, FeedSpec, feed
from orchestration.core.geography import inside_city

# Plausible calendar of any partner's timestamps: earlier or later is a typo, not history.
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2100, 1, 1)

_DTYPES = {
    "string": str,
    "datetime": "datetime64[us]",
    "date": "datetime64[us]",
    "float": float,
    "int": "Int64",
    "bool": "boolean",
}


def _inside_city(frame: pd.DataFrame) -> pd.Series:
    lat = frame["latitude"].to_numpy(dtype="float64", na_value=np.nan)
    lon = frame["longitude"].to_numpy(dtype="float64", na_value=np.nan)
    # A row with no position at all is not "outside": nullability is the column check's job.
    missing = np.isnan(lat) | np.isnan(lon)
    return pd.Series(inside_city(lat, lon) | missing, index=frame.index)


ROW_CHECKS: dict[str, tuple[pa.Check, str]] = {
    "inside_city": (pa.Check(_inside_city, name="inside_city"), "outside_city"),
}


def _column_checks(col: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.type in ("datetime", "date"):
        checks.append(pa.Check.in_range(EARLIEST, LATEST))
    if col.codes:
        checks.append(pa.Check.isin(sorted(col.codes)))
    if col.pattern:
        checks.append(pa.Check.str_matches(col.pattern))
    if col.min is not None:
        checks.append(pa.Check.ge(col.min))
    if col.max is not None:
        checks.append(pa.Check.le(col.max))
    return checks


@dataclass(frozen=True)
class Contract:
    """A feed's pandera schema and how its failures read in quarantine."""

    spec: FeedSpec
    schema: pa.DataFrameSchema
    row_check_reasons: dict[str, str]

    def reason_code(self, column: str | None, check: str, raw_blank: bool) -> str:
        """Quarantine reason for one failure (see orchestration/core/catalog/README.md)."""
        if column is None or column not in {c.name for c in self.spec.columns}:
            return self.row_check_reasons.get(check, "contract_violation")
        col = self.spec.column(column)
        if col.type in ("datetime", "date"):
            return "bad_date"  # unparseable, empty or implausible: the partner's date is unusable
        if check.startswith("isin"):
            return "unknown_code"
        if check.startswith("str_matches"):
            return "bad_format"
        if check.startswith(("greater_than", "less_than", "in_range")):
            return "out_of_range"
        if check == "not_nullable":
            return "missing_value" if raw_blank else ("bad_number" if col.type in ("float", "int") else "bad_value")
        return "contract_violation"


def build_contract(spec: FeedSpec) -> Contract:
    """Generate the pandera contract of ``spec`` (plus its optional extra-checks module)."""
    columns = {
        col.name: pa.Column(_DTYPES[col.type], _column_checks(col), nullable=col.nullable)
        for col in spec.columns
        if col.privacy != "drop"  # dropped columns are never read past parsing
    }
    checks = []
    reasons = {}
    for name in spec.checks:
        check, reason = ROW_CHECKS[name]
        checks.append(check)
        reasons[name] = reason
    try:
        extra = importlib.import_module(f"{__name__}.{spec.name}")
    except ModuleNotFoundError:
        extra = None
    for check in getattr(extra, "extra_checks", []):
        checks.append(check)
        reasons[check.name] = getattr(extra, "REASONS", {}).get(check.name, "contract_violation")
    schema = pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False, name=spec.name)
    return Contract(spec=spec, schema=schema, row_check_reasons=reasons)


@cache
def contract_for(feed_name: str) -> Contract:
    """The (cached) contract of a declared feed."""
    return build_contract(feed(feed_name))
