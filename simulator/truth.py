"""The truth file: what the simulator did on purpose, so tests can check the pipeline caught it.

Schema (JSON, UTF-8)::

    {
      "schema_version": 2,
      "parameters": {"start": "2026-03-02", "days": 7, "seed": 42, "scale": 1.0,
                     "dirt": {"bad_date": 0.005, ..., "file_defects": {...}},
                     "effects_source": "default" | "<path>" | "dict"},
      "files": [{"feed": "police_mains_courantes", "file": "mains_courantes_20260302.csv",
                 "day": "2026-03-02", "period_end": "2026-03-02", "delivered_at": "2026-03-03T02:41:00+01:00",
                 "rows": 178, "defects": 5, "bytes": 41230, "file_defect": null}, ...],
      "rows": {"police_mains_courantes": 1243, ...},
      "defects": [{"feed": "police_mains_courantes", "file": "mains_courantes_20260302.csv",
                   "line": 57, "record": 55, "kind": "bad_date", "column": "occurred_at",
                   "detail": "impossible_date"},
                  {"feed": "rtm_incidents", "file": "rtm_incidents_20260308.csv", "line": null,
                   "record": null, "kind": "empty_file", "column": null, "detail": "...",
                   "delivered_at": "..."}, ...],
      "effects": {"config": {...sizes used...},
                  "instances": {"lighting_outages": [...], "events": [...], "anomalies": [...],
                                "wet_hours_local": [...], "schools": {...}, "night_life": {...}},
                  "realised": {"police_mains_courantes": {"event": 812, "rain": 95, ...}, ...}},
      "calendar": {"public_holidays": [...], "school_holidays_zone_b": [...], "school_calendar": "table"},
      "reference_tables": {"folder": "reference_seed42", "files": {"schools": "schools.csv", ...}},
      "planted": {"names": [...], "phones": [...], "plates": [...], "emails": [...],
                  "agent_ids": [...], "user_ids": [...]}
    }

``line`` is where ingestion reports a record: for CSV the 1-based physical line (the header is
line 1, record i is line i + 2); for JSON lines the physical line (record i is line i + 1); for
JSON documents the 1-based record number in the array (record i is i + 1; the simulator writes
one record per physical line after the opening line, so that is also the physical line - 1).
``record`` is the 0-based index of the record among the file's data records. File-level defects have ``line`` and ``record`` null. ``column`` is our column
name from the feed declaration (null for row-wide defects such as ``malformed_row``); ``detail``
says which variant of the defect was written. Every list is sorted or in generation order, never
in set order, so the bytes are reproducible.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

TRUTH_DIR_NAME = "_simulator"
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Defect:
    """One injected defect, on one physical line of one delivered file."""

    feed: str
    file: str
    line: int | None  # None for file-level defects
    kind: str  # a row-level (dirt.KINDS) or file-level (dirt.FILE_KINDS) kind
    column: str | None
    detail: str
    record: int | None = None
    delivered_at: str | None = None  # file-level defects about timing (late_file, duplicate_delivery)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "feed": self.feed,
            "file": self.file,
            "line": self.line,
            "record": self.record,
            "kind": self.kind,
            "column": self.column,
            "detail": self.detail,
        }
        if self.delivered_at is not None:
            data["delivered_at"] = self.delivered_at
        return data


@dataclass
class Planted:
    """Personal data written into the files, accumulated over a simulation."""

    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    plates: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    agent_ids: set[str] = field(default_factory=set)  # agents', operators' and technicians' matricules
    user_ids: set[str] = field(default_factory=set)  # citizen app account ids

    def merge(self, other: Planted, written: str | None = None) -> None:
        """Add ``other``'s values (only those present in ``written``, when given)."""
        for kind in ("names", "phones", "plates", "emails", "agent_ids", "user_ids"):
            values = getattr(other, kind)
            getattr(self, kind).update(values if written is None else {v for v in values if v in written})

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "names": sorted(self.names),
            "phones": sorted(self.phones),
            "plates": sorted(self.plates),
            "emails": sorted(self.emails),
            "agent_ids": sorted(self.agent_ids),
            "user_ids": sorted(self.user_ids),
        }


def truth_path(landing: Path, start: date, days: int, seed: int) -> Path:
    """Where the truth file of a simulation goes (beside, not inside, the partners' folders)."""
    return landing / TRUTH_DIR_NAME / f"truth_{start:%Y%m%d}_{days}d_seed{seed}.json"


def write_truth(path: Path, document: dict[str, Any]) -> None:
    """Write the truth document atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
