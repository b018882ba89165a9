"""Freshness and retention, computed from the feed declarations (SLA, retention days).

Pure of Dagster: the governance definitions wrap these in asset checks and a scheduled job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from orchestration.core import lake
from orchestration.core.catalog import FeedSpec
from orchestration.core.evidence import evidence_folder
from orchestration.core.ingestion import bronze_path, ledger_path, quarantine_rows_path, regular_landing_files, rejected_deliveries_path
from orchestration.core.settings import Settings

CADENCE_DAYS = {"hourly": 1, "daily": 1, "weekly": 7, "monthly": 31, "yearly": 366}

RETENTION_LOG_SCHEMA = pa.schema(
    [
        ("feed", pa.string()),
        ("layer", pa.string()),  # landing | bronze | quarantine
        ("cutoff", pa.date32()),  # everything dated before this day was removed
        ("removed", pa.int64()),  # files or rows
        ("vacuumed_files", pa.int64()),
        ("applied_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class Freshness:
    """How late a feed is against its SLA."""

    feed: str
    last_delivery: date | None
    age_hours: float | None  # hours since the period of the last delivery ended (0 while it is open)
    sla_hours: float | None  # None: an archive feed, nothing can be late

    @property
    def fresh(self) -> bool:
        if self.sla_hours is None:
            return True
        return self.age_hours is not None and self.age_hours <= self.sla_hours

    def describe(self) -> str:
        if self.sla_hours is None:
            return f"{self.feed}: archive feed, no freshness expectation"
        if self.last_delivery is None:
            return f"{self.feed}: no delivery ever ingested (SLA {self.sla_hours:.0f} h)"
        state = "on time" if self.fresh else "LATE"
        return f"{self.feed}: last delivery covers {self.last_delivery}, {self.age_hours:.0f} h ago (SLA {self.sla_hours:.0f} h): {state}"


def freshness(settings: Settings, spec: FeedSpec, now: datetime | None = None) -> Freshness:
    """Age of the newest ingested delivery, counted from the end of the period it covers."""
    now = now or datetime.now(UTC)
    table = lake.open_table(ledger_path(settings))
    last: date | None = None
    if table is not None:
        rows = table.to_pyarrow_table(columns=["delivery_date", "status"], filters=[("feed", "=", spec.name)])
        days = [d for d, s in zip(rows.column("delivery_date").to_pylist(), rows.column("status").to_pylist(), strict=True) if s == "ingested" and d]
        last = max(days) if days else None
    return freshness_from_last(spec, last, now)


def freshness_from_last(spec: FeedSpec, last: date | None, now: datetime) -> Freshness:
    """Freshness of ``spec`` when its newest ingested delivery covers ``last`` (pure)."""
    declared = spec.delivery.freshness_sla_hours
    sla = None if declared is None else float(declared)
    if last is None:
        return Freshness(spec.name, None, None, sla)
    tz = ZoneInfo(spec.format.timezone)
    period_end = datetime.combine(last + timedelta(days=CADENCE_DAYS.get(spec.delivery.cadence, 1)), time(), tz)
    # A period still open (this year's yearly file, next month's events calendar) is age 0.
    return Freshness(spec.name, last, max(0.0, (now - period_end).total_seconds() / 3600), sla)


@dataclass(frozen=True)
class RetentionReport:
    feed: str
    landing_files_removed: int
    bronze_rows_removed: int
    quarantine_rows_removed: int
    vacuumed_files: int


def _delete_before(path: Path, column: str, cutoff: date, extra: str = "") -> tuple[int, int]:
    """Delete rows dated before ``cutoff`` and vacuum, so the bytes are really gone."""
    table = lake.open_table(path)
    if table is None:
        return 0, 0
    predicate = f"{column} < '{cutoff.isoformat()}'" + (f" AND {extra}" if extra else "")
    metrics = lake.delete(path, predicate)
    removed = int(metrics.get("num_deleted_rows", 0))
    # Vacuum with no grace period: time travel to the versions that held the rows must fail.
    vacuumed = lake.vacuum_all(path)
    return removed, len(vacuumed)


def evidence_received(settings: Settings, spec: FeedSpec) -> dict[str, date]:
    """Kept evidence file (lake-relative path) -> the first day it was received."""
    table = lake.open_table(rejected_deliveries_path(settings))
    if table is None:
        return {}
    rows = table.to_pyarrow_table(columns=["kept_at", "detected_at"], filters=[("feed", "=", spec.name)]).to_pylist()
    received: dict[str, date] = {}
    for row in rows:
        if row["kept_at"]:
            day = row["detected_at"].date()
            received[row["kept_at"]] = min(day, received.get(row["kept_at"], day))
    return received


def apply_retention(settings: Settings, spec: FeedSpec, today: date | None = None) -> RetentionReport:
    """Remove landing files, bronze rows and quarantined rows older than the feed's retention."""
    today = today or datetime.now(ZoneInfo(spec.format.timezone)).date()
    landing_cutoff = today - timedelta(days=int(spec.retention.landing_days))
    bronze_cutoff = today - timedelta(days=int(spec.retention.bronze_days))
    removed_files = 0
    for path in regular_landing_files(settings, spec):
        day = spec.delivery_date(path.name)
        if day is not None and day < landing_cutoff:
            path.unlink()
            removed_files += 1
    kept_aside = evidence_folder(settings, spec.name)
    if kept_aside.is_dir():
        # A rejected file is a raw file: it follows the landing retention, counted from the day
        # it was received (recorded in quarantine/deliveries), whatever its name says.
        received = evidence_received(settings, spec)
        for path in kept_aside.iterdir():
            day = received.get(str(path.relative_to(settings.lake)))
            if day is None:  # kept by an older version, or a stray file: by when it was written
                day = datetime.fromtimestamp(path.lstat().st_mtime, UTC).date()
            if day < landing_cutoff:
                path.unlink()
                removed_files += 1
    bronze_rows, vacuumed = _delete_before(bronze_path(settings, spec), spec.partition_by, bronze_cutoff)
    # Quarantined rows are dated by when they were quarantined, and follow the bronze retention.
    quarantine_rows, vacuumed_q = _delete_before(
        quarantine_rows_path(settings), "quarantined_at", bronze_cutoff, extra=f"feed = '{spec.name}'"
    )
    now = datetime.now(UTC)
    log = pa.Table.from_pylist(
        [
            {"feed": spec.name, "layer": "landing", "cutoff": landing_cutoff, "removed": removed_files, "vacuumed_files": 0, "applied_at": now},
            {"feed": spec.name, "layer": "bronze", "cutoff": bronze_cutoff, "removed": bronze_rows, "vacuumed_files": vacuumed, "applied_at": now},
            {"feed": spec.name, "layer": "quarantine", "cutoff": bronze_cutoff, "removed": quarantine_rows, "vacuumed_files": vacuumed_q, "applied_at": now},
        ],
        schema=RETENTION_LOG_SCHEMA,
    )
    log_path = settings.meta / "retention_log"
    lake.ensure_table(log_path, RETENTION_LOG_SCHEMA)
    lake.append(log_path, log)
    return RetentionReport(spec.name, removed_files, bronze_rows, quarantine_rows, vacuumed + vacuumed_q)


# ---------------------------------------------------------------------------------------------
# Gate verdicts over time (observatory health): every evaluation of a mart's blocking suite.

GATE_LOG_SCHEMA = pa.schema(
    [
        ("mart", pa.string()),
        ("success", pa.bool_()),
        ("evaluated_expectations", pa.int64()),
        ("unsuccessful_expectations", pa.int64()),
        ("rows", pa.int64()),
        ("fingerprint", pa.string()),
        ("failed_expectations", pa.string()),  # names of the failed expectations, comma separated
        ("evaluated_at", pa.timestamp("us", tz="UTC")),
    ]
)


def gate_log_path(settings: Settings) -> Path:
    return settings.meta / "quality_gates"


def ensure_gate_log(settings: Settings) -> None:
    """Create the gate log before dbt reads it (an empty table on a new lake).

    A folder check once it exists: opening it would replay its log, and every gate of every run
    appends to it (one commit per verdict).
    """
    lake.ensure_exists(gate_log_path(settings), GATE_LOG_SCHEMA)


def log_gate_verdict(settings: Settings, verdict: dict[str, object]) -> None:
    """Append one gate verdict (``GateResult.to_json()``) to ``meta/quality_gates``."""
    ensure_gate_log(settings)
    stats = verdict["statistics"]  # type: ignore[index]
    failed = verdict.get("failed") or []
    row = {
        "mart": verdict["mart"],
        "success": bool(verdict["success"]),
        "evaluated_expectations": int(stats["evaluated_expectations"]),  # type: ignore[index]
        "unsuccessful_expectations": int(stats["unsuccessful_expectations"]),  # type: ignore[index]
        "rows": int(verdict.get("rows") or 0),  # type: ignore[arg-type]
        "fingerprint": str(verdict.get("fingerprint") or ""),
        "failed_expectations": ",".join(sorted({str(f["expectation"]) for f in failed})),  # type: ignore[index,union-attr]
        "evaluated_at": datetime.fromisoformat(str(verdict["evaluated_at"])),
    }
    table = pa.Table.from_pylist([row], schema=GATE_LOG_SCHEMA)
    lake.append(gate_log_path(settings), table)
