"""Delivering a rendered file: the file-level defects that act on bytes (truncation), and the
atomic write with the delivery time as mtime. Rendering lives in ``partner_csv`` (CSV) and
``partner_json`` (JSON lines, JSON documents), re-exported here.

Deterministic: keys in declared order, floats already rounded by the feed, no timestamps taken
from the clock (the mtime is the simulated delivery time). Encoding is strict: a character the
partner's encoding cannot hold fails loudly.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from simulator.partner_csv import render_csv
from simulator.partner_json import render_json, render_jsonl

__all__ = ["render_csv", "render_json", "render_jsonl", "truncate", "write_delivery"]


def _structural_cuts(line: bytes, separator: bytes, json_escapes: bool) -> list[int]:
    """Offsets just after ``separator`` outside quoted text (CSV fields, JSON strings)."""
    cuts, quoted, escaped = [], False, False
    for i, byte in enumerate(line):
        char = bytes([byte])
        if escaped:
            escaped = False
        elif char == b"\\" and json_escapes and quoted:
            escaped = True
        elif char == b'"':
            quoted = not quoted
        elif not quoted and char == separator:
            cuts.append(i + 1)
    return cuts


def truncate(data: bytes, spec_type: str, separator: str, rng: np.random.Generator) -> bytes:
    """Cut the export inside a record, the way an interrupted transfer leaves it: no trailing line
    break, the last record short of fields (CSV) or invalid JSON ending where the cut is."""
    lines = data.splitlines(keepends=True)
    first = 1 if spec_type in ("csv", "json") else 0  # keep the header / the document's opening
    target = first + int((len(lines) - first - 1) * (0.4 + 0.3 * rng.random())) if len(lines) > first + 1 else first
    start = sum(len(line) for line in lines[:target])
    line = lines[target].rstrip(b"\r\n") if target < len(lines) else b""
    is_csv = spec_type == "csv"
    cuts = _structural_cuts(line, separator.encode() if is_csv else b",", json_escapes=not is_csv)
    if cuts:
        return data[: start + cuts[len(cuts) // 2]]  # halfway through the record's fields
    keep = start + max(1, len(line) // 2)
    while keep > 1 and data[keep - 1] >= 0x80:
        keep -= 1  # never cut a multi-byte character in two
    return data[:keep]


def write_delivery(path: Path, data: bytes, delivered_at: datetime) -> None:
    """Write beside then rename (a sensor never sees half a file); mtime = delivery time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")  # a dot name never matches a feed's file pattern
    tmp.write_bytes(data)
    os.replace(tmp, path)
    stamp = delivered_at.astimezone(UTC).timestamp()
    os.utime(path, (stamp, stamp))
