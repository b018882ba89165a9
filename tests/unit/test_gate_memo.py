"""The gate's speed-ups change no verdict: the configuration memo and the background warm-up."""

from __future__ import annotations

import contextlib
import threading

import dagster as dg
import great_expectations as gx
import pandas as pd
import pytest

import quality.gate as gate
from orchestration.factories import gates


def test_the_memo_was_checked_against_the_installed_great_expectations() -> None:
    # Another version: read Expectation.configuration, to_domain_obj, get_metric_kwargs and the
    # validator's graph again (do they mutate a configuration they read?), then move the pin.
    assert gx.__version__ == gate.MEMO_CHECKED_WITH
    gate.prepare()
    assert gate.configuration_memo_installed()


def test_inside_a_validation_a_configuration_is_built_once_and_forgotten_on_assignment() -> None:
    gate.prepare()
    expectation = gx.expectations.ExpectColumnValuesToBeBetween(column="a", min_value=0)
    assert expectation.configuration is not expectation.configuration  # outside: as Great Expectations does
    with gate._configurations_memoised():
        first = expectation.configuration
        assert expectation.configuration is first
        expectation.max_value = 5
        assert expectation.configuration is not first
        assert expectation.configuration.kwargs["max_value"] == 5
    assert gate._memo is None
    assert expectation.configuration.kwargs == {"column": "a", "min_value": 0, "max_value": 5}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2, 3, None], "b": ["x", "y", "z", "x"], "c": [0.5, 1.5, -2.0, 3.0]})


def _suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="memo",
        expectations=[
            gx.expectations.ExpectTableColumnsToMatchSet(column_set=["a", "b", "c"], exact_match=True),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="a"),  # fails
            gx.expectations.ExpectColumnValuesToBeInSet(column="b", value_set=["x", "y"]),  # fails
            gx.expectations.ExpectColumnValuesToBeBetween(column="c", min_value=-1),  # fails
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(column_A="c", column_B="a", or_equal=True),
            gx.expectations.ExpectColumnValuesToMatchRegex(column="b", regex="^[a-z]$"),
            gx.expectations.ExpectColumnValuesToBeInTypeList(column="c", type_list=["float64"]),
            gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=["a", "b"]),
        ],
    )


@pytest.mark.parametrize("result_format", ["BOOLEAN_ONLY", "SUMMARY", "COMPLETE"])
def test_results_are_the_same_with_and_without_the_memo(result_format: str) -> None:
    gate.prepare()
    source = gate._context().data_sources.add_or_update_pandas(name="memo_source")
    batch = source.add_dataframe_asset(name="memo").add_batch_definition_whole_dataframe("memo_batch").get_batch(
        batch_parameters={"dataframe": _frame()}
    )

    def run(memo: contextlib.AbstractContextManager[None]) -> dict:
        with memo:
            outcome = batch.validate(_suite(), result_format=result_format).to_json_dict()
        outcome.pop("meta", None)
        for result in outcome["results"]:
            result["expectation_config"].pop("id", None)
        return outcome

    plain, memoised = run(contextlib.nullcontext()), run(gate._configurations_memoised())
    assert memoised == plain
    stats = memoised["statistics"]
    assert 0 < stats["unsuccessful_expectations"] < stats["evaluated_expectations"] == 8  # passes and failures


def _reset_warm_up(monkeypatch: pytest.MonkeyPatch, in_background: bool = False) -> list[list[str]]:
    """``started``: each warm-up's modules, and whether it imported the suites here (last item)."""
    started: list[list[str]] = []
    monkeypatch.setattr(gates, "_warm_up", None)
    monkeypatch.setattr(gates, "_warm", lambda computes, validation: started.append([*computes, f"suites here: {validation}"]))
    monkeypatch.setattr(gates.background, "start", lambda: object() if in_background else None)
    monkeypatch.setattr(gates.background, "stop", lambda: None)
    return started


def test_no_warm_up_when_no_mart_is_requested(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _reset_warm_up(monkeypatch)
    gates.warm_up_gates([dg.AssetKey(["bronze", "baac_lieux"]), dg.AssetKey(["open_data", "catalogue_dcat"])])
    assert gates._warm_up is None and started == []


def test_one_warm_up_per_process_and_the_gates_wait_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _reset_warm_up(monkeypatch)
    gates.warm_up_gates([dg.AssetKey(["marts", "securite_routiere_facteurs"]), dg.AssetKey(["marts", "incidents_quartier_jour"])])
    thread = gates._warm_up
    assert isinstance(thread, threading.Thread)
    gates.wait_for_warm_up()
    assert not thread.is_alive()
    gates.warm_up_gates([dg.AssetKey(["marts", "vie_nocturne_zones"])])
    assert gates._warm_up is thread
    assert started == [["orchestration.analytics.securite_routiere:compute_facteurs", "suites here: True"]]


def test_with_a_validation_process_the_suites_are_not_imported_here(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _reset_warm_up(monkeypatch, in_background=True)
    gates.warm_up_gates([dg.AssetKey(["marts", "incidents_quartier_jour"])], in_background=True)
    gates.wait_for_warm_up()
    assert started == [["suites here: False"]]


def test_the_validation_process_is_started_for_each_run_that_asks_and_ended_for_one_that_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _reset_warm_up(monkeypatch, in_background=True)
    asked: list[str] = []
    monkeypatch.setattr(gates.background, "start", lambda: asked.append("start"))  # started again if it ended
    monkeypatch.setattr(gates.background, "stop", lambda: asked.append("stop"))
    for _ in range(2):
        gates.warm_up_gates([dg.AssetKey(["marts", "incidents_quartier_jour"])], in_background=True)
    gates.warm_up_gates([dg.AssetKey(["marts", "incidents_quartier_jour"])])  # not asked: ended
    gates.warm_up_gates([dg.AssetKey(["bronze", "baac_lieux"])], in_background=True)  # no mart: nothing
    gates.wait_for_warm_up()
    assert asked == ["start", "start", "stop"]
    assert len(started) == 1
