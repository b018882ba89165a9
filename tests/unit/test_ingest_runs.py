"""Ingest runs: not day-partitioned in Dagster, one run for every pending feed, a day range for backfills."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from orchestration.core import lake
from orchestration.core.catalog import feed
from orchestration.core.ingest_runs import DayRange, delivery_days, in_day_range
from orchestration.core.ingestion import bronze_path, ledger_path
from orchestration.core.settings import load_settings
from orchestration.factories.ingest import (
    INGEST_FEEDS_JOB,
    INGESTED,
    build_ingest_definitions,
    day_range_of,
    day_range_tags,
    ingest_job_name,
    landing_sensor_name,
)
from orchestration.factories.resources import ObservatoireResource
from orchestration.runner import QUIET_LOGS, RunSummary, _run_landing_sensors
from simulator import simulate

SPEC = feed("police_mains_courantes")
OTHER = feed("marins_pompiers_interventions")
START = date(2026, 3, 2)


@pytest.fixture
def ingest_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dg.Definitions]:
    """Three days of two feeds in landing, and the ingest definitions bound to that lake."""
    monkeypatch.delenv("OBSERVATOIRE_KEY", raising=False)
    root = tmp_path / "lake"
    simulate(root / "landing", start=START, days=3, seed=3, scale=0.1, feeds=[SPEC.name, OTHER.name])
    defs = dg.Definitions.merge(
        build_ingest_definitions([SPEC, OTHER]),
        dg.Definitions(resources={"observatoire": ObservatoireResource(lake=str(root))}),
    )
    return root, defs


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    found = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        found[materialization.asset_key.to_user_string()] = {k: v.value for k, v in materialization.metadata.items()}
    return found


def test_ingest_assets_are_not_partitioned(ingest_lake: tuple[Path, dg.Definitions]) -> None:
    _, defs = ingest_lake
    graph = defs.resolve_asset_graph()
    for spec in (SPEC, OTHER):
        assert graph.get(dg.AssetKey(["bronze", spec.name])).partitions_def is None
    assert {ingest_job_name(SPEC), ingest_job_name(OTHER), INGEST_FEEDS_JOB} <= {j.name for j in defs.resolve_all_job_defs()}


def test_one_run_ingests_every_pending_delivery_then_nothing(ingest_lake: tuple[Path, dg.Definitions]) -> None:
    root, defs = ingest_lake
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(INGEST_FEEDS_JOB).execute_in_process(instance=instance, run_config=QUIET_LOGS)
        assert result.success
        found = _metadata(result)
        for spec in (SPEC, OTHER):
            meta = found[f"bronze/{spec.name}"]
            assert meta["deliveries_ingested"] == 3 and meta["deliveries_already_processed"] == 0
            assert (meta["first_day"], meta["last_day"]) == ("2026-03-02", "2026-03-04")
            assert meta["rows_written"] > 0
        # The marker downstream automation reacts to: one per ingest asset, in the same run.
        marker = [e for e in result.get_asset_materialization_events() if e.asset_key == INGESTED]
        assert len(marker) == 2
        # Dagster's bookkeeping no longer grows with the days covered: no per-day event.
        assert len(instance.all_logs(result.run_id)) < 60
        versions = {spec.name: lake.open_table(bronze_path(load_settings(root), spec)).version() for spec in (SPEC, OTHER)}

        again = defs.resolve_job_def(INGEST_FEEDS_JOB).execute_in_process(instance=instance, run_config=QUIET_LOGS)
        for spec in (SPEC, OTHER):
            meta = _metadata(again)[f"bronze/{spec.name}"]
            assert meta["deliveries_ingested"] == 0 and meta["deliveries_already_processed"] == 3
            assert meta["first_day"] == meta["last_day"] == ""
            assert lake.open_table(bronze_path(load_settings(root), spec)).version() == versions[spec.name]


def test_a_day_range_restricts_a_run_to_its_deliveries(ingest_lake: tuple[Path, dg.Definitions]) -> None:
    root, defs = ingest_lake
    job = defs.resolve_job_def(ingest_job_name(SPEC))
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, run_config=QUIET_LOGS, tags=day_range_tags("2026-03-03", "2026-03-03"))
        meta = _metadata(result)[f"bronze/{SPEC.name}"]
        assert meta["deliveries_ingested"] == 1 and (meta["first_day"], meta["last_day"]) == ("2026-03-03", "2026-03-03")
        ledger = lake.read(ledger_path(load_settings(root))).to_pylist()
        assert [row["delivery_date"] for row in ledger] == [date(2026, 3, 3)]
        # A backfill over everything skips the day already ingested.
        whole = job.execute_in_process(instance=instance, run_config=QUIET_LOGS, tags=day_range_tags(START, "2026-03-04"))
        meta = _metadata(whole)[f"bronze/{SPEC.name}"]
        assert (meta["deliveries_ingested"], meta["deliveries_already_processed"]) == (2, 1)


def test_the_runner_ingests_every_pending_feed_in_one_run(ingest_lake: tuple[Path, dg.Definitions]) -> None:
    """Feeds whose deliveries cover different days still share one run; the cursors move on after it."""
    root, defs = ingest_lake
    # One more day of one feed only: the two feeds' pending days differ.
    simulate(root / "landing", start=date(2026, 3, 5), days=1, seed=4, scale=0.1, feeds=[SPEC.name])
    lines: list[str] = []
    with dg.DagsterInstance.ephemeral() as instance:
        summary = RunSummary()
        _run_landing_sensors(defs, instance, lines.append, summary)
        assert [run.job for run in summary.runs] == [INGEST_FEEDS_JOB] and summary.success
        assert {f"bronze/{SPEC.name}", f"bronze/{OTHER.name}"} <= set(summary.runs[0].metadata)
        assert summary.runs[0].metadata[f"bronze/{SPEC.name}"]["last_day"] == "2026-03-05"
        again = RunSummary()
        _run_landing_sensors(defs, instance, lines.append, again)
        assert again.runs == []  # the sensors' cursors moved forward: nothing pending


def test_the_landing_sensor_requests_a_run_without_partition_tags(ingest_lake: tuple[Path, dg.Definitions]) -> None:
    _, defs = ingest_lake
    sensor = defs.resolve_sensor_def(landing_sensor_name(SPEC))
    with dg.DagsterInstance.ephemeral() as instance:
        with dg.build_sensor_context(instance=instance, definitions=defs, resources=dict(defs.resources or {})) as context:
            (request,) = sensor.evaluate_tick(context).run_requests
        assert not any(tag.startswith("dagster/asset_partition") for tag in request.tags)
        assert day_range_of(request.tags) is None  # every pending delivery of the feed
        with dg.build_sensor_context(instance=instance, definitions=defs, resources=dict(defs.resources or {})) as context:
            again = sensor.evaluate_tick(context)
        assert again.run_requests[0].run_key == request.run_key  # same files: Dagster dedupes the run


def test_day_ranges() -> None:
    today = date(2026, 3, 10)
    days = DayRange(date(2026, 3, 2), date(2026, 3, 3))
    assert in_day_range(Path(SPEC.file_name(date(2026, 3, 3))), SPEC, days, today)
    assert not in_day_range(Path(SPEC.file_name(date(2026, 3, 4))), SPEC, days, today)
    assert in_day_range(Path("unexpected.csv"), SPEC, days, today)  # undated: swept (and rejected) by every run
    assert in_day_range(Path(SPEC.file_name(date(2026, 4, 1))), SPEC, days, today)  # dated in the future: idem
    assert day_range_of(day_range_tags("2026-03-02", date(2026, 3, 3))) == days
    assert day_range_of({}) is None
    names = [SPEC.file_name(date(2026, 3, 3)), "unexpected.csv", SPEC.file_name(date(2026, 3, 2))]
    assert delivery_days(names, SPEC) == days and delivery_days(["unexpected.csv"], SPEC) is None


def test_backfill_refuses_a_reversed_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.cli import main

    monkeypatch.delenv("OBSERVATOIRE_KEY", raising=False)
    assert main(["backfill", SPEC.name, "--from", "2026-03-05", "--to", "2026-03-01", "--lake", str(tmp_path / "lake")]) == 2
