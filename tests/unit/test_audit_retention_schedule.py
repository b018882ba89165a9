"""The audit trail's retention runs nightly as a Dagster job, and the job deletes what it should."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from orchestration.core import audit
from orchestration.core.access import Principal
from orchestration.core.audit import AuditEvent
from orchestration.core.settings import load_settings
from orchestration.defs.governance.audit_retention import AUDIT_RETENTION_JOB, apply_audit_retention, audit_retention
from orchestration.factories.resources import ObservatoireResource


def test_a_running_nightly_schedule_targets_the_audit_retention_job() -> None:
    defs = audit_retention()
    [schedule] = list(defs.schedules or [])
    assert schedule.job_name == AUDIT_RETENTION_JOB
    assert schedule.cron_schedule == "30 3 * * *" and schedule.execution_timezone == "Europe/Paris"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_the_job_applies_the_declared_retention(tmp_path) -> None:
    path = load_settings(tmp_path / "lake", require_key=False).audit
    who = Principal("agent-x", frozenset({"services"}))
    old = datetime.now(UTC) - timedelta(days=audit.retention_days() + 30)
    audit.append(path, [AuditEvent(who, "api", "mart:x", 1, read_at=old), AuditEvent(who, "api", "mart:x", 2)])
    result = apply_audit_retention.execute_in_process(resources={"observatoire": ObservatoireResource(lake=str(tmp_path / "lake"))})
    assert result.success
    assert [r["rows_returned"] for r in audit.read(path).to_pylist()] == [2]
