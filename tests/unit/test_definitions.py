"""The code location: names kept, the lake bound explicitly, and when downstream assets rebuild."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from orchestration.core.catalog import feeds, marts
from orchestration.factories.automation import (
    AUTOMATION_SENSOR,
    DOWNSTREAM,
    rebuild_after_every_ingest,
    rebuild_on_upstream_change,
)
from orchestration.factories.ingest import INGESTED, ingested_marker_spec, mark_ingested
from orchestration.runner import evaluate_in_own_thread


@pytest.fixture(scope="module")
def lake_defs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dg.Definitions]:
    from orchestration.definitions import build_definitions

    lake = tmp_path_factory.mktemp("lake")
    return lake, build_definitions(lake)


def test_the_lake_is_bound_to_the_resource_not_the_environment(lake_defs: tuple[Path, dg.Definitions]) -> None:
    lake, defs = lake_defs
    before = os.environ.get("OBSERVATOIRE_LAKE")
    assert defs.resources["observatoire"].settings().lake == lake
    assert os.environ.get("OBSERVATOIRE_LAKE") == before


def test_names_the_cli_tests_and_ui_rely_on(lake_defs: tuple[Path, dg.Definitions]) -> None:
    _, defs = lake_defs
    graph = defs.resolve_asset_graph()
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    sensors = {s.name for s in defs.sensors or []}
    for name in feeds():
        assert dg.AssetKey(["bronze", name]) in graph.get_all_asset_keys()
        assert f"ingest_{name}" in jobs and f"{name}_landing" in sensors
        assert dg.AssetCheckKey(dg.AssetKey(["bronze", name]), "freshness") in graph.asset_check_keys
    for name in marts():
        assert dg.AssetCheckKey(dg.AssetKey(["marts", name]), "great_expectations_gate") in graph.asset_check_keys
    assert {"refresh_marts", "check_freshness", "apply_retention_job", "apply_audit_retention"} <= jobs
    assert AUTOMATION_SENSOR in sensors and "bronze_updated" not in sensors


def test_everything_downstream_of_bronze_is_automated(lake_defs: tuple[Path, dg.Definitions]) -> None:
    _, defs = lake_defs
    graph = defs.resolve_asset_graph()
    downstream = DOWNSTREAM.resolve(graph)
    assert len(downstream) > 100
    assert all(graph.get(key).automation_condition is not None for key in downstream)
    ingest = dg.AssetSelection.groups("ingest").resolve(graph)
    assert all(graph.get(key).automation_condition is None for key in ingest)


def test_automation_asks_one_ingest_marker_not_every_feed(lake_defs: tuple[Path, dg.Definitions]) -> None:
    """Each condition queries the storage per key it names: one marker, not one key per feed."""
    _, defs = lake_defs
    graph = defs.resolve_asset_graph()
    assert INGESTED in graph.get_all_asset_keys()
    condition = graph.get(dg.AssetKey(["gold", next(n for n, s in marts().items() if s.published)])).automation_condition
    named = {str(key) for key in _keys_named(condition)}
    assert named == {str(INGESTED)}


def _keys_named(condition: dg.AutomationCondition) -> list[dg.AssetKey]:
    """Asset keys that ``asset_matches`` sub-conditions of ``condition`` point to."""
    found = [condition.key] if isinstance(getattr(condition, "key", None), dg.AssetKey) else []
    for child in condition.children:
        found += _keys_named(child)
    return found


MARKER = dg.AssetKey(["ingest", "test_ingested"])
marker = ingested_marker_spec(MARKER)


@dg.asset(key=["bronze", "feed"])
def bronze(context) -> None:  # type: ignore[no-untyped-def]  # dagster refuses a string annotation
    mark_ingested(context, "feed", MARKER)  # as every feed's ingest asset does


@dg.asset(key=["bronze", "silent"])
def silent() -> None: ...  # a feed that never delivers


@dg.asset(key=["marts", "silent_mart"], deps=[silent], automation_condition=rebuild_on_upstream_change(MARKER))
def silent_mart() -> None: ...


@dg.asset(key=["marts", "mart"], deps=[bronze], automation_condition=rebuild_on_upstream_change(MARKER))
def mart() -> None: ...


@dg.asset_check(asset=mart, blocking=True)
def gate() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(key=["gold", "mart"], deps=[mart], automation_condition=rebuild_on_upstream_change(MARKER))
def gold() -> None: ...


@dg.asset(key=["staging", "ledger"], automation_condition=rebuild_after_every_ingest(MARKER))
def ledger() -> None: ...


@dg.asset(key=["staging", "reference"], automation_condition=rebuild_on_upstream_change(MARKER))
def reference() -> None: ...


@dg.asset(key=["intermediate", "by_area"], deps=[reference], automation_condition=rebuild_on_upstream_change(MARKER))
def by_area() -> None: ...


DOWNSTREAM_ASSETS = [mart, gold, ledger, reference, by_area, silent_mart]


def _requested(result: dg.EvaluateAutomationConditionsResult) -> set[str]:
    return {a.key.to_user_string() for a in DOWNSTREAM_ASSETS if result.get_num_requested(a.key)}


def test_rebuild_only_after_new_bronze_data() -> None:
    """First evaluation: nothing; an ingest (another feed's bronze still missing): all, the marts of a feed
    that never delivered included; its own run: nothing; a later ingest: what reads its bronze or
    the ledgers, not what was built and reads only reference files or the silent feed."""
    defs = dg.Definitions(assets=[bronze, silent, marker, *DOWNSTREAM_ASSETS], asset_checks=[gate])
    with dg.DagsterInstance.ephemeral() as instance:
        first = evaluate_in_own_thread(defs=defs, instance=instance)
        assert _requested(first) == set()  # like the daemon's first tick: serve starts no rebuild

        assert dg.materialize([bronze], instance=instance).success
        after_ingest = evaluate_in_own_thread(defs=defs, instance=instance, cursor=first.cursor)
        assert _requested(after_ingest) == {a.key.to_user_string() for a in DOWNSTREAM_ASSETS}
        assert dg.materialize([*DOWNSTREAM_ASSETS, gate], instance=instance).success
        idle = evaluate_in_own_thread(defs=defs, instance=instance, cursor=after_ingest.cursor)
        assert _requested(idle) == set()  # its own run's updates do not trigger it again

        assert dg.materialize([bronze], instance=instance).success
        again = evaluate_in_own_thread(defs=defs, instance=instance, cursor=idle.cursor)
        assert _requested(again) == {"marts/mart", "gold/mart", "staging/ledger"}
