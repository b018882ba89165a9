"""Freshness checks (one per feed, from its SLA) and the retention job (from its retention days)."""

from collections.abc import Iterable

import dagster as dg

from orchestration.core.catalog import FeedSpec, feeds
from orchestration.core.governance import apply_retention, freshness
from orchestration.factories.resources import ObservatoireResource


def build_freshness_check(spec: FeedSpec) -> dg.AssetChecksDefinition:
    """Red when the feed's newest delivery is older than its declared SLA."""

    @dg.asset_check(
        asset=dg.AssetKey(["bronze", spec.name]),
        name="freshness",
        description=f"Newest delivery of {spec.name} younger than its SLA ({spec.delivery.freshness_sla_hours} h).",
    )
    def check(observatoire: ObservatoireResource) -> dg.AssetCheckResult:
        state = freshness(observatoire.settings(), spec)
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
