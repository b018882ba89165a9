"""Freshness checks (one per feed, from its SLA) and the retention job (from its retention days)."""

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg

from orchestration.core import lake
from orchestration.core.catalog import FeedSpec, feeds
from orchestration.core.governance import Freshness, apply_retention, freshness, freshness_from_last
from orchestration.core.ingestion import ledger_path
from orchestration.core.settings import Settings
from orchestration.factories.resources import ObservatoireResource

# The delivery ledger's newest ingested day per feed, by ledger folder: (its newest commit, the days).
_LAST_DELIVERIES: dict[str, tuple[str, dict[str, date]]] = {}


def _newest_commit(table: Path) -> str | None:
    """The ledger's newest commit file, with its modification time (a table made again at the same path differs)."""
    commits = [p for p in (table / "_delta_log").glob("*.json") if p.name[:-5].isdigit()]
    if not commits:
        return None
    newest = max(commits, key=lambda p: p.name)
    try:
        return f"{newest.name}@{newest.stat().st_mtime_ns}"
    except FileNotFoundError:  # removed meanwhile (the table dropped): nothing to keep
        return None


def _last_deliveries(settings: Settings) -> dict[str, date] | None:
    """Each feed's newest ingested delivery day, the ledger read once per version of it (local lake only).

    Every feed's check (23 in a run, and each ingested feed's in the ingest run) asked the ledger
    for its own rows: one read per version answers them all. The newest commit is looked up
    before the read, so the days kept are never older than the commit they are kept under.
    ``None`` when the ledger is not on the local disk (each check then reads it, as before).
    """
    path = ledger_path(settings)
    if not lake.location(path).is_local:
        return None
    commit = _newest_commit(Path(path))
    kept = _LAST_DELIVERIES.get(str(path))
    if commit is not None and kept is not None and kept[0] == commit:
        return kept[1]
    table = lake.open_table(path)
    last: dict[str, date] = {}
    if table is not None:
        rows = table.to_pyarrow_table(columns=["feed", "delivery_date", "status"]).to_pydict()
        for feed, day, status in zip(rows["feed"], rows["delivery_date"], rows["status"], strict=True):
            if status == "ingested" and day and (feed not in last or day > last[feed]):
                last[feed] = day
    if commit is not None:
        _LAST_DELIVERIES[str(path)] = (commit, last)
    return last


def feed_freshness(settings: Settings, spec: FeedSpec) -> Freshness:
    """:func:`~orchestration.core.governance.freshness` of ``spec``, from one read of the ledger per version."""
    last = _last_deliveries(settings)
    if last is None:
        return freshness(settings, spec)
    return freshness_from_last(spec, last.get(spec.name), datetime.now(UTC))


def build_freshness_check(spec: FeedSpec) -> dg.AssetChecksDefinition:
    """Red when the feed's newest delivery is older than its declared SLA."""

    @dg.asset_check(
        asset=dg.AssetKey(["bronze", spec.name]),
        name="freshness",
        description=f"Newest delivery of {spec.name} younger than its SLA ({spec.delivery.freshness_sla_hours} h).",
    )
    def check(observatoire: ObservatoireResource) -> dg.AssetCheckResult:
        state = feed_freshness(observatoire.settings(), spec)
        return dg.AssetCheckResult(
            passed=state.fresh,
            severity=dg.AssetCheckSeverity.ERROR,
            description=state.describe(),
            metadata={
                "last_delivery": str(state.last_delivery),
                "age_hours": round(state.age_hours, 1) if state.age_hours is not None else -1.0,
                "sla_hours": state.sla_hours if state.sla_hours is not None else -1.0,
            },
        )

    return check


@dg.op(pool="delta_writes")  # vacuum must never race a writer's uncommitted files
def retention_op(context: dg.OpExecutionContext, observatoire: ObservatoireResource) -> None:
    """Delete and vacuum what every feed's retention says has expired; log it in meta/retention_log."""
    settings = observatoire.settings()
    for spec in feeds().values():
        report = apply_retention(settings, spec)
        context.log.info(f"retention {report}")


@dg.job(description="Apply each feed's retention: landing files, bronze and quarantined rows, vacuumed.")
def apply_retention_job() -> None:
    retention_op()


def build_freshness_and_retention(specs: Iterable[FeedSpec]) -> dg.Definitions:
    """A freshness check per feed, ``check_freshness`` every 30 min, ``apply_retention_job`` nightly."""
    checks = [build_freshness_check(spec) for spec in specs]
    check_keys = [key for c in checks for key in c.check_keys]
    freshness_job = dg.define_asset_job(
        "check_freshness", selection=dg.AssetSelection.checks(*check_keys), executor_def=dg.in_process_executor
    )
    return dg.Definitions(
        asset_checks=checks,
        jobs=[freshness_job, apply_retention_job],
        schedules=[
            dg.ScheduleDefinition(job=freshness_job, cron_schedule="*/30 * * * *", default_status=dg.DefaultScheduleStatus.RUNNING),
            dg.ScheduleDefinition(
                job=apply_retention_job, cron_schedule="0 3 * * *", execution_timezone="Europe/Paris",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            ),
        ],
    )
