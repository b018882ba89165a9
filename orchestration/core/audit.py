"""The audit trail: every authenticated read, appended to a Delta table in the restricted layer.

One row per read (app page or API call): who (user subject or token id, kind, roles), what
(resource, filters), how much (rows returned), when, from where (client), and the HTTP status.
Public open-data downloads are not audited row by row (anyone may read them).

Writes are batched: callers that serve many reads (the API) collect :class:`AuditEvent` objects
and :func:`append` them together, since each append is one Delta commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from orchestration.core import lake
from orchestration.core.access import Principal

AUDIT_SCHEMA = pa.schema(
    [
        pa.field("read_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("channel", pa.string(), nullable=False),  # "app" or "api"
        pa.field("principal_kind", pa.string(), nullable=False),  # "user" or "token"
        pa.field("subject", pa.string(), nullable=False),
        pa.field("roles", pa.string(), nullable=False),  # space-separated, sorted
        pa.field("resource", pa.string(), nullable=False),  # page or dataset read
        pa.field("filters", pa.string(), nullable=False),  # JSON object, keys sorted
        pa.field("rows_returned", pa.int64(), nullable=False),
        pa.field("client", pa.string(), nullable=False),  # address (and agent) of the caller
        pa.field("status", pa.int32(), nullable=False),  # 200, 403, 404...
    ]
)


@dataclass(frozen=True)
class AuditEvent:
    """One authenticated read."""

    principal: Principal
    channel: str
    resource: str
    rows_returned: int
    filters: Mapping[str, Any] = field(default_factory=dict)
    client: str = ""
    status: int = 200
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> dict[str, Any]:
        """The event as one row of :data:`AUDIT_SCHEMA`."""
        return {
            "read_at": self.read_at,
            "channel": self.channel,
            "principal_kind": self.principal.kind,
            "subject": self.principal.subject,
            "roles": " ".join(sorted(self.principal.roles)),
            "resource": self.resource,
            "filters": json.dumps(dict(self.filters), sort_keys=True, ensure_ascii=False, default=str),
            "rows_returned": int(self.rows_returned),
            "client": self.client,
            "status": int(self.status),
        }


def append(path: Path, events: Sequence[AuditEvent]) -> int:
    """Append ``events`` to the audit table at ``path`` in one commit; returns the rows written."""
    lake.ensure_table(path, AUDIT_SCHEMA)
    if not events:
        return 0
    rows = pa.Table.from_pylist([e.row() for e in events], schema=AUDIT_SCHEMA)
    lake.append(path, rows)
    return rows.num_rows


def read(path: Path) -> pa.Table:
    """The whole audit trail (empty table with the schema when nothing was read yet)."""
    table = lake.read(path)
    return table if table.num_columns else AUDIT_SCHEMA.empty_table()


# ---------------------------------------------------------------------------------------------
# Public open-data reads: counts only (who read is nobody's business, how much is the portal's)

PUBLIC_READS_SCHEMA = pa.schema(
    [
        pa.field("counted_from", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("counted_to", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("format", pa.string(), nullable=False),  # json, csv, geojson, metadata
        pa.field("reads", pa.int64(), nullable=False),
    ]
)


def public_reads_path(audit_path: Path) -> Path:
    """The counts table, beside the audit trail in the restricted layer."""
    return audit_path.parent / "open_data_reads"


def append_public_counts(path: Path, counted_from: datetime, counted_to: datetime, counts: Mapping[tuple[str, str], int]) -> int:
    """Append one row per (dataset, format) read in ``[counted_from, counted_to)``, in one commit."""
    lake.ensure_table(path, PUBLIC_READS_SCHEMA)
    rows = [
        {"counted_from": counted_from, "counted_to": counted_to, "dataset": dataset, "format": fmt, "reads": int(n)}
        for (dataset, fmt), n in sorted(counts.items())
        if n
    ]
    if not rows:
        return 0
    lake.append(path, pa.Table.from_pylist(rows, schema=PUBLIC_READS_SCHEMA))  # local or the bucket
    return len(rows)


# ---------------------------------------------------------------------------------------------
# Retention: declared in core/transparency.yaml (``audit.retention_days``), applied by `observatoire retention`


def retention_days() -> int:
    """How long audit rows are kept, as declared in ``transparency.yaml``."""
    from orchestration.core.register import transparency

    return int(transparency()["audit"]["retention_days"])


def apply_retention(audit_path: Path, days: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """Delete audit rows and public counts older than the declared retention, then vacuum.

    Returns rows removed per table. Vacuum has no grace period, so older versions holding the
    removed rows cannot be read back by time travel.
    """
    days = retention_days() if days is None else days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    removed: dict[str, int] = {}
    for path, column in ((audit_path, "read_at"), (public_reads_path(audit_path), "counted_to")):
        table = lake.open_table(path)
        if table is None:
            removed[path.name] = 0
            continue
        predicate = f"{column} < '{cutoff.strftime('%Y-%m-%dT%H:%M:%S')}Z'"  # a computed timestamp, no user input
        # Through lake.py, so the audit tables are found where the profile keeps them (object store).
        metrics = lake.delete(path, predicate)
        removed[path.name] = int(metrics.get("num_deleted_rows", 0))
        lake.vacuum_all(path)
    return removed
