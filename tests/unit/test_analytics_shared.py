"""``orchestration.analytics.shared``: a helper several marts call is computed once per argument content,
and the Python marts of a use case are one subsettable step."""

from __future__ import annotations

import pandas as pd

from orchestration.analytics import shared


def test_same_content_is_computed_once_and_each_caller_gets_its_own_copy() -> None:
    calls: list[int] = []

    @shared
    def total(frame: pd.DataFrame, factor: int) -> pd.DataFrame:
        calls.append(1)
        return frame * factor

    first = total(pd.DataFrame({"a": [1, 2]}), 3)
    first.loc[0, "a"] = 99  # a caller modifying its result changes nobody else's
    again = total(pd.DataFrame({"a": [1, 2]}), 3)  # another object, the same content
    assert len(calls) == 1
    assert again["a"].tolist() == [3, 6]
    total(pd.DataFrame({"a": [1, 3]}), 3)  # other values
    total(pd.DataFrame({"a": [1, 2]}), 4)  # other parameters
    total(pd.DataFrame({"a": [1, 2]}, index=[5, 6]), 3)  # other index
    assert len(calls) == 4


def test_an_argument_without_a_content_digest_is_simply_computed() -> None:
    calls: list[int] = []

    @shared
    def size(thing: object) -> int:
        calls.append(1)
        return 1

    size(object())
    size(object())
    assert len(calls) == 2


def test_the_python_marts_of_a_use_case_are_one_subsettable_step_with_an_asset_per_mart() -> None:
    from orchestration.core.catalog import marts
    from orchestration.factories.analytics import STEP_PREFIX, build_all_python_marts

    python = {name: spec for name, spec in marts().items() if spec.built_by == "python"}
    steps = build_all_python_marts(list(marts().values()))
    assert sorted(s.op.name for s in steps) == sorted(STEP_PREFIX + uc for uc in {spec.use_case for spec in python.values()})
    assert all(s.can_subset for s in steps)
    keys = {key.path[-1] for s in steps for key in s.keys}
    assert keys == set(python)
