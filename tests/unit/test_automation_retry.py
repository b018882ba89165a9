"""After a failed run, the next ``run`` rebuilds what the failure left behind, not the whole selection.

The runner keeps what a failed automation run did not bring up to date and requests it again
(``runner.unfinished``): the failed asset, what it skipped downstream, and a mart held by a failed
blocking check. Before, it kept the whole selection, so one failed step out of 142 cost the next
run every dbt model, Python mart, gate and release again (30 s on the test suite's lake).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.factories.automation import AUTOMATION_SENSOR, DOWNSTREAM, rebuild_on_upstream_change
from orchestration.factories.ingest import INGESTED, ingested_marker_spec, mark_ingested
from orchestration.runner import AUTOMATION_RETRY, RunSummary, _initialise_automation, _load_keys, _run_automation, unfinished

BUILT: list[str] = []


def _graph(flags: Path) -> dg.Definitions:
    """bronze -> model -> {release, fragile -> after_fragile}; checked (blocking gate on model_b -> gold_b)."""
    condition = rebuild_on_upstream_change()

    @dg.multi_asset(specs=[ingested_marker_spec()], group_name="ingest")
    def bronze(context):  # type: ignore[no-untyped-def]  # (an annotation would be a string here)
        mark_ingested(context, "feed")

    def built(name: str) -> None:
        BUILT.append(name)

    @dg.asset(group_name="transform", deps=[INGESTED], automation_condition=condition)
    def model() -> None:
        built("model")

    @dg.asset(group_name="publish", deps=[model], automation_condition=condition)
    def release() -> None:
        built("release")

    @dg.asset(group_name="publish", deps=[model], automation_condition=condition)
    def fragile() -> None:
        built("fragile")
        if (flags / "fragile_fails").exists():
            raise RuntimeError("a failing step")

    @dg.asset(group_name="publish", deps=[fragile], automation_condition=condition)
    def after_fragile() -> None:
        built("after_fragile")

    @dg.asset(group_name="transform", deps=[INGESTED], automation_condition=condition)
    def model_b() -> None:
        built("model_b")

    @dg.asset_check(asset=model_b, blocking=True)
    def gate() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=not (flags / "gate_fails").exists(), severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset(group_name="publish", deps=[model_b], automation_condition=condition)
    def gold_b() -> None:
        built("gold_b")

    sensor = dg.AutomationConditionSensorDefinition(AUTOMATION_SENSOR, target=DOWNSTREAM)
    return dg.Definitions(assets=[bronze, model, release, fragile, after_fragile, model_b, gold_b], asset_checks=[gate], sensors=[sensor])


def test_unfinished_is_the_failed_the_skipped_and_the_held(tmp_path: Path) -> None:
    (tmp_path / "fragile_fails").touch()
    (tmp_path / "gate_fails").touch()
    defs = _graph(tmp_path)
    requested = sorted(k for k in defs.resolve_asset_graph().get_all_asset_keys() if k != INGESTED)
    with dg.instance_for_test() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, asset_selection=requested, raise_on_error=False)
    assert not result.success
    left = {k.to_user_string() for k in unfinished(requested, result)}
    assert left == {"fragile", "after_fragile", "model_b", "gold_b"}  # model and release were built


@pytest.mark.parametrize("failing", ["fragile_fails", "gate_fails"])
def test_the_next_run_requests_only_what_the_failure_left(tmp_path: Path, failing: str) -> None:
    flags = tmp_path / "flags"
    flags.mkdir()
    defs = _graph(flags)
    lines: list[str] = []
    with dg.instance_for_test() as instance:
        _initialise_automation(defs, instance)
        assert dg.materialize([defs.resolve_assets_def(INGESTED)], instance=instance).success  # a new delivery
        (flags / failing).touch()
        BUILT.clear()
        first = RunSummary()
        _run_automation(defs, instance, lines.append, first)
        assert not first.runs[-1].success
        assert {"model", "release", "model_b"} <= set(BUILT)
        kept = {k.to_user_string() for k in _load_keys(instance, AUTOMATION_RETRY)}
        expected = {"fragile", "after_fragile"} if failing == "fragile_fails" else {"model_b", "gold_b"}
        assert kept == expected

        (flags / failing).unlink()  # mended: the next run, with no new delivery, finishes the job
        BUILT.clear()
        second = RunSummary()
        _run_automation(defs, instance, lines.append, second)
        assert second.runs and all(run.success for run in second.runs)
        assert set(BUILT) == expected  # not model, not release: they were built
        assert _load_keys(instance, AUTOMATION_RETRY) == []
