"""The full ``run`` writes no settled stamp when an automation condition could become due by time alone."""

from __future__ import annotations

import dagster as dg

from orchestration.factories.automation import build_automation_sensor, rebuild_after_every_ingest, rebuild_on_upstream_change
from orchestration.factories.ingest import INGESTED, ingested_marker_spec
from orchestration.runner import time_dependent_automation


def _mart(name: str, condition: dg.AutomationCondition, partitions: dg.PartitionsDefinition | None) -> dg.AssetsDefinition:
    @dg.asset(name=name, deps=[INGESTED], group_name="transform", automation_condition=condition, partitions_def=partitions)
    def mart() -> None:
        return None

    return mart


def _defs(*conditions: dg.AutomationCondition, partitioned: bool = False) -> dg.Definitions:
    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01") if partitioned else None
    assets = [_mart(f"mart_{i}", c, daily) for i, c in enumerate(conditions)]
    return dg.Definitions(assets=[ingested_marker_spec(), *assets], sensors=[build_automation_sensor()])


def test_the_projects_conditions_do_not_depend_on_time() -> None:
    assert time_dependent_automation(_defs(rebuild_on_upstream_change(), rebuild_after_every_ingest())) == []


def test_a_cron_or_time_window_condition_is_found() -> None:
    found = time_dependent_automation(_defs(rebuild_on_upstream_change(), dg.AutomationCondition.on_cron("0 3 * * *")))
    assert any("mart_1: CronTickPassedCondition" in f for f in found), found
    found = time_dependent_automation(_defs(dg.AutomationCondition.eager()))
    assert any("InLatestTimeWindowCondition" in f for f in found), found


def test_a_time_partitioned_automated_asset_is_found() -> None:
    assert time_dependent_automation(_defs(rebuild_on_upstream_change(), partitioned=True)) == ["mart_0 is partitioned"]
