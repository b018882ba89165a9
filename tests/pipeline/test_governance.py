"""Freshness from the SLA, retention that really deletes, and concurrent writers."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from deltalake import DeltaTable

from orchestration.core import lake
from orchestration.core.catalog import feed, feeds
from orchestration.core.governance import apply_retention, freshness
from orchestration.core.ingestion import bronze_path, ensure_tables, ingest_deliveries, landing_files, ledger_path
from orchestration.core.settings import load_settings
from simulator import simulate

pytestmark = pytest.mark.pipeline
SPEC = feed("police_mains_courantes")


def freshness_verdict(lake_root: Path) -> bool:
    """Run the real Dagster freshness check job on ``lake_root``; True when green."""
    from orchestration.definitions import build_definitions
    from orchestration.runner import QUIET_LOGS, prepare_instance

    settings = load_settings(lake_root)
    with prepare_instance(settings) as instance:
        result = build_definitions(settings.lake).resolve_job_def("check_freshness").execute_in_process(instance=instance, run_config=QUIET_LOGS)
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    (police,) = [e for e in evaluations if e.asset_key == dg.AssetKey(["bronze", SPEC.name])]
    assert police.check_name == "freshness" and len(evaluations) == len(feeds())
    return police.passed


def _ingest_landing(lake_root: Path) -> int:
    """Ingest the feed's deliveries waiting in landing; how many were new. Freshness reads only
    the ingest ledger, so the rest of the graph (minutes of dbt and gates) is not run here."""
    settings = load_settings(lake_root)
    ensure_tables(settings, SPEC)
    results = ingest_deliveries(landing_files(settings, SPEC), SPEC, settings)
    return sum(r.status == "ingested" for r in results)


def test_a_feed_that_stops_delivering_turns_red(tmp_path: Path) -> None:
    today = date.today()
    simulate(tmp_path / "landing", start=today - timedelta(days=8), days=3, seed=5, scale=0.1, feeds=[SPEC.name])
    assert _ingest_landing(tmp_path) == 3
    assert freshness_verdict(tmp_path) is False  # last file covers 6 days ago: SLA is 36 h
    # The partner resumes: yesterday's file arrives.
    simulate(tmp_path / "landing", start=today - timedelta(days=1), days=1, seed=5, scale=0.1, feeds=[SPEC.name])
    assert _ingest_landing(tmp_path) == 1
    assert freshness_verdict(tmp_path) is True
    state = freshness(load_settings(tmp_path), SPEC)
    assert state.last_delivery == today - timedelta(days=1) and state.age_hours < 36


def test_retention_deletes_the_bytes(tmp_path: Path) -> None:
    start = date(2026, 1, 5)
    simulate(tmp_path / "landing", start=start, days=4, seed=9, scale=0.2, feeds=[SPEC.name])
    settings = load_settings(tmp_path)
    ensure_tables(settings, SPEC)
    ingest_deliveries(landing_files(settings, SPEC), SPEC, settings)
    path = bronze_path(settings, SPEC)
    before = lake.open_table(path).version()
    rows_before = lake.read(path).num_rows
    assert rows_before > 0

    # Pretend the whole window is past bronze retention (five years after its last day).
    later = start + timedelta(days=4 + int(SPEC.retention.bronze_days))
    report = apply_retention(settings, SPEC, today=later)
    assert report.landing_files_removed == 4 and landing_files(settings, SPEC) == []
    old_days = lake.read(path).to_pandas()
    assert old_days.empty and report.bronze_rows_removed == rows_before
    with pytest.raises(OSError):  # the vacuumed files are gone: time travel cannot bring them back
        DeltaTable(str(path), version=before).to_pyarrow_table()
    log = lake.read(settings.meta / "retention_log").to_pandas()
    assert set(log["layer"]) == {"landing", "bronze", "quarantine"}


def test_retention_keeps_what_is_young(tmp_path: Path) -> None:
    today = date.today()
    simulate(tmp_path / "landing", start=today - timedelta(days=40), days=40, seed=2, scale=0.05, feeds=[SPEC.name])
    settings = load_settings(tmp_path)
    ensure_tables(settings, SPEC)
    ingest_deliveries(landing_files(settings, SPEC), SPEC, settings)
    rows = lake.read(bronze_path(settings, SPEC)).num_rows
    report = apply_retention(settings, SPEC, today=today)
    kept = [SPEC.delivery_date(p.name) for p in landing_files(settings, SPEC)]
    assert report.landing_files_removed == 40 - len(kept)
    assert min(kept) >= today - timedelta(days=int(SPEC.retention.landing_days))
    assert lake.read(bronze_path(settings, SPEC)).num_rows == rows  # bronze keeps five years


def _writer(lake_root: str, names: list[str], queue: multiprocessing.Queue) -> None:
    """One process ingesting its share of the deliveries, two files per commit batch."""
    settings = load_settings(lake_root)
    paths = [settings.landing / SPEC.name / n for n in names]
    results = ingest_deliveries(paths, SPEC, settings, batch_size=2)
    queue.put(sum(r.rows_written for r in results))


def test_concurrent_writers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    simulate(tmp_path / "landing", start=date(2026, 2, 2), days=12, seed=4, scale=0.2, feeds=[SPEC.name])
    settings = load_settings(tmp_path)
    ensure_tables(settings, SPEC)  # tables exist before the fan-out
    versions_before = {p: lake.open_table(p).version() for p in (bronze_path(settings, SPEC), ledger_path(settings))}
    names = [p.name for p in landing_files(settings, SPEC)]
    shares = [names[0::3], names[1::3], names[2::3]]
    context = multiprocessing.get_context("spawn")  # real, independent processes
    queue = context.Queue()
    workers = [context.Process(target=_writer, args=(str(tmp_path), share, queue)) for share in shares]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
        assert worker.exitcode == 0
    written = sum(queue.get(timeout=5) for _ in workers)

    bronze = lake.read(bronze_path(settings, SPEC)).to_pandas()
    assert len(bronze) == written and bronze["incident_id"].is_unique
    ledger = lake.read(ledger_path(settings)).to_pandas()
    assert sorted(ledger["file_name"]) == sorted(names)
    # Every batch of every writer committed exactly once to each table: 3 writers x 2 batches.
    batches = sum((len(share) + 1) // 2 for share in shares)
    for path, before in versions_before.items():
        assert lake.open_table(path).version() == before + batches
