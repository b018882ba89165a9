"""The truth file: what the simulator did on purpose, so tests can check the pipeline caught it.

Schema (JSON, UTF-8)::

    {
      "schema_version": 1,
      "parameters": {"start": "2026-03-02", "days": 7, "seed": 42, "scale": 1.0,
                     "dirt": {"bad_date": 0.005, "outside_city": 0.005, ...}},
      "files": [{"feed": "police_mains_courantes", "file": "mains_courantes_20260302.csv",
                 "day": "2026-03-02", "rows": 178, "defects": 5}, ...],
      "rows": {"police_mains_courantes": 1243},
      "defects": [{"feed": "police_mains_courantes", "file": "mains_courantes_20260302.csv",
                   "line": 57, "kind": "bad_date", "column": "occurred_at",
                   "detail": "impossible_date"}, ...],
      "planted": {"names": [...], "phones": [...], "plates": [...], "emails": [],
                  "agent_ids": [...]}
    }

``line`` is the 1-based physical line in the file (the header is line 1); ``column`` is our
column name from the feed declaration; ``detail`` says which variant of the defect was written.
Every list is sorted or in generation order, never in set order, so the bytes are reproducible.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

TRUTH_DIR_NAME = "_simulator"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Defect:
    """One injected defect, on one physical line of one delivered file."""

    feed: str
    file: str
    line: int
    kind: str  # bad_date | outside_city | duplicate_id | unknown_code
    column: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "file": self.file,
            "line": self.line,
            "kind": self.kind,
            "column": self.column,
            "detail": self.detail,
        }


@dataclass
class Planted:
    """Personal data written into the files, accumulated over a simulation."""

    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    plates: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    agent_ids: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "names": sorted(self.names),
            "phones": sorted(self.phones),
            "plates": sorted(self.plates),
            "emails": sorted(self.emails),
            "agent_ids": sorted(self.agent_ids),
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
