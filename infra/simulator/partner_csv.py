"""Write a delivery the way the partner's software exports it.

Separator and encoding come from the feed declaration. Line endings are ``\\r\\n`` because the
partners export from Windows desktops; fields holding the separator or a quote are quoted
(RFC 4180 style, quotes doubled), as spreadsheet exports do.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from orchestration.catalog import FeedSpec

LINE_TERMINATOR = "\r\n"  # Windows export


def write_partner_csv(path: Path, spec: FeedSpec, rows: Sequence[Sequence[str]]) -> None:
    """Write header + rows; encode strictly, so a character the partner cannot export fails loudly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=spec.format["separator"],
        quotechar='"',
        quoting=csv.QUOTE_MINIMAL,
        lineterminator=LINE_TERMINATOR,
    )
    writer.writerow(spec.source_headers)
    writer.writerows(rows)
    data = buffer.getvalue().encode(spec.format["encoding"], errors="strict")
    # The truth file names defects by physical line, so a record must never span two lines.
    if data.count(b"\n") != len(rows) + 1:
        raise ValueError(f"{path.name}: a field holds a line break; truth line numbers would be wrong")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside then rename: a landing sensor must never pick up half a file. The temporary
    # name starts with a dot so it never matches the feed's file pattern.
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
