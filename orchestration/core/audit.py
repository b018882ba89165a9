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
from datetime import UTC, datetime
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
