"""The audit trail's declared retention (``core/transparency.yaml``, ``audit.retention_days``), applied nightly.

The same deletion as ``observatoire retention`` (``core/audit.apply_retention``): audit rows and
public read counts older than the declared days, then vacuumed so time travel cannot bring them
back. Scheduled after the feeds' retention (03:00) so the two vacuums never overlap.
"""

import dagster as dg

from orchestration.core import audit
from orchestration.factories.resources import ObservatoireResource

AUDIT_RETENTION_JOB = "apply_audit_retention"
AUDIT_RETENTION_CRON = "30 3 * * *"  # Europe/Paris


@dg.op(pool="delta_writes")  # vacuum must never race a writer's uncommitted files (within Dagster)
def audit_retention_op(context: dg.OpExecutionContext, observatoire: ObservatoireResource) -> None:
    """Delete and vacuum audit rows and public counts older than the declared retention."""
    removed = audit.apply_retention(observatoire.settings().audit)
    context.log.info(f"audit retention ({audit.retention_days()} days): " + ", ".join(f"{n} row(s) from {t}" for t, n in removed.items()))


@dg.job(name=AUDIT_RETENTION_JOB, description="Apply the audit trail's declared retention (core/transparency.yaml), vacuumed.")
def apply_audit_retention() -> None:
    audit_retention_op()


@dg.definitions
def audit_retention() -> dg.Definitions:
    return dg.Definitions(
        jobs=[apply_audit_retention],
        schedules=[
            dg.ScheduleDefinition(
                job=apply_audit_retention,
                cron_schedule=AUDIT_RETENTION_CRON,
                execution_timezone="Europe/Paris",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            )
        ],
    )
