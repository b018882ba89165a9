"""Every Python mart reads back the same from its Delta table (cluster profile) as from the build database.

No server needed: the profile is switched on a local lake (``dataclasses.replace``), so the Delta
tables are local. For each of the Python marts declared in the catalog, a few rows of every declared
type (nulls and out-of-order rows included) are written both ways, through the asset factory's two
writers, and ``publishing.read_mart`` must give the same frame: same columns, dtypes, values and
order, so the gate's fingerprint and the gold table cannot tell the two storages apart.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from orchestration.analytics import mart_table, write_mart
from orchestration.core import lake
from orchestration.core.catalog import marts
from orchestration.core.catalog.mart_schema import arrow_schema
from orchestration.core.publishing import python_mart_path, python_marts_in_delta, read_mart
from orchestration.core.settings import load_settings

pytestmark = [pytest.mark.cluster]

PYTHON_MARTS = sorted(name for name, spec in marts().items() if spec.built_by == "python")


def _values(kind: pa.DataType) -> list[object]:
    """Three values of ``kind``, one null, not in sorted order."""
    if pa.types.is_boolean(kind):
        return [True, None, False]
    if pa.types.is_integer(kind):
        return [3, None, -1]
    if pa.types.is_floating(kind):
        return [2.5, None, -0.125]
    if pa.types.is_date(kind):
        return [date(2026, 3, 4), None, date(2026, 3, 2)]
    if pa.types.is_timestamp(kind):
        return [datetime(2026, 3, 4, 23, 30), None, datetime(2026, 3, 2, 0, 15)]
    return ["é b", None, "a"]


def _frame(name: str) -> pd.DataFrame:
    schema = pa.schema([f.with_nullable(True) for f in arrow_schema(marts()[name])])
    return pa.table({f.name: pa.array(_values(f.type), type=f.type) for f in schema}, schema=schema).to_pandas()


@pytest.mark.parametrize("name", PYTHON_MARTS)
def test_a_python_mart_reads_back_the_same_from_delta_as_from_the_build_database(name: str, tmp_path: Path) -> None:
    embedded = load_settings(tmp_path / "lake")
    cluster = dataclasses.replace(embedded, profile="cluster")
    assert not python_marts_in_delta(embedded) and python_marts_in_delta(cluster)
    frame = _frame(name)

    embedded.build_db.parent.mkdir(parents=True, exist_ok=True)
    write_mart(embedded.build_db, name, frame)
    lake.overwrite(python_mart_path(cluster, name), mart_table(name, frame))

    from_build_db, from_delta = read_mart(embedded, name), read_mart(cluster, name)
    pd.testing.assert_frame_equal(from_delta, from_build_db, check_exact=True)
    assert len(from_delta) == 3
