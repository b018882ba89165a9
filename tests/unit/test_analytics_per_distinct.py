"""``per_distinct``: a per-row function evaluated once per distinct tuple of values, with the per-row result."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from orchestration.analytics import per_distinct


def _columns() -> tuple[pd.Series, ...]:
    rng = np.random.default_rng(3)
    n = 500
    days = [date(2026, 1, 1 + int(i)) for i in rng.integers(0, 9, n)]
    days[7] = None  # a missing day, as a DATE column read with nulls
    levels = pd.Series(rng.choice(["maternelle", "elementaire", "college"], n))
    weekdays = pd.Series(rng.integers(0, 7, n))  # int64: iterated as Python ints
    counts = pd.Series(rng.integers(0, 4, n), dtype="Int64")
    counts[11] = pd.NA
    shares = pd.Series(rng.choice([0.5, 1.0, np.nan], n))
    return pd.Series(days, dtype=object), levels, weekdays, counts, shares


def test_the_result_of_every_row_is_that_of_the_function_on_its_values() -> None:
    columns = _columns()
    calls: list[tuple[object, ...]] = []

    def described(*values: object) -> str:
        calls.append(values)
        return repr(values)  # the exact values and their types, as the function received them

    assert per_distinct(described, *columns).tolist() == [repr(values) for values in zip(*columns, strict=True)]
    assert len(calls) == len(set(calls)) < len(columns[0])  # once per distinct tuple, far fewer than rows


def test_one_column_no_row_and_a_dtype() -> None:
    days = pd.Series([date(2026, 3, 2), date(2026, 3, 7), date(2026, 3, 2)], dtype=object)
    weekdays = per_distinct(lambda d: d.weekday(), days, dtype=np.int64)
    assert weekdays.dtype == np.int64 and weekdays.tolist() == [0, 5, 0]
    assert per_distinct(lambda d: d.weekday() > 4, days, dtype=bool).tolist() == [False, True, False]
    assert per_distinct(lambda d: d.weekday(), days.iloc[:0]).tolist() == []
    assert per_distinct(lambda: 1).tolist() == []


def test_a_result_that_is_a_sequence_stays_one_value() -> None:
    got = per_distinct(lambda d: (d.year, d.month), pd.Series([date(2026, 3, 2), date(2026, 4, 1)], dtype=object))
    assert got.shape == (2,) and got.tolist() == [(2026, 3), (2026, 4)]
