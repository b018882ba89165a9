"""The engine's NumPy path (integer filters and sorts on indexed rows) answers exactly as its Arrow path."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from apps.api import engine as engine_module
from apps.api.engine import Engine
from apps.api.query import parse
from apps.api.resources import Column, Loaded

COLUMNS = (Column("zone", "string", "Zone"), Column("heure", "int", "Heure"), Column("n", "int", "N"), Column("x", "float", "X"))


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    rng = np.random.default_rng(3)
    size = 5_000
    return Loaded(
        pa.table(
            {
                "zone": pa.array(rng.choice(["a", "b", "c"], size)),
                "heure": pa.array(rng.integers(0, 24, size), type=pa.int32()),
                "n": pa.array(rng.integers(-3, 4, size), type=pa.int64()),  # many ties, negatives
                "x": pa.array(rng.random(size)),
            }
        )
    )


QUERIES = [
    [("zone__exact", "b"), ("heure__greater", "20")],
    [("zone__exact", "a"), ("n__sort", "desc")],
    [("zone__in", "a,c"), ("heure__strictly_less", "5"), ("n__sort", "asc"), ("heure__sort", "desc")],
    [("zone__exact", "c"), ("n__differs", "0"), ("heure__exact", "7"), ("n__sort", "desc")],
    [("zone__exact", "a"), ("heure__less", "3"), ("n__strictly_greater", "-2"), ("page", "2"), ("page_size", "7")],
    [("zone__exact", "b"), ("x__sort", "desc")],  # a float sort: Arrow path
    [("zone__exact", "b"), ("heure__greater", "99999999999")],  # beyond int32: refused the same way
]


@pytest.mark.parametrize("params", QUERIES)
def test_numpy_path_matches_arrow_path(loaded: Loaded, params: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    query = parse(params, COLUMNS, 20, 1000)

    def run() -> tuple[list[dict], int] | str:
        try:
            page, total = Engine().page(loaded, query)
        except Exception as exc:  # the refusal itself must match
            return type(exc).__name__
        return page.to_pylist(), total

    fast = run()
    monkeypatch.setattr(engine_module, "_narrow_with_numpy", lambda *_: None)
    assert fast == run()


def test_numpy_path_is_taken_for_integer_filters(loaded: Loaded) -> None:
    positions = pa.array(loaded.positions("zone", ("a",)), type=pa.int64())
    query = parse([("zone__exact", "a"), ("heure__greater", "12"), ("n__sort", "desc")], COLUMNS, 20, 1000)
    rest = [c for c in query.filters if c.column != "zone"]
    assert engine_module._narrow_with_numpy(loaded, positions, rest, query.sort) is not None
    assert engine_module._narrow_with_numpy(loaded, positions, rest, (("x", "asc"),)) is None  # float: Arrow
