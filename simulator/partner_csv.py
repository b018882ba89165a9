"""Write a delivery the way the partner's software exports it: the CSV writer.

Separator and encoding come from the feed declaration. Line endings are ``\\r\\n`` by default
because most partners export from Windows desktops (server exports pass ``\\n``); fields holding
the separator or a quote are quoted (RFC 4180 style, quotes doubled), as spreadsheet exports do,
or every field is quoted (``quote_all``, ONISR's 2019+ files). A record never spans two lines,
so a truth ``line`` is always a physical line.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestration.core.catalog import FeedSpec
from simulator.dirt import Malformed

LINE_TERMINATOR = "\r\n"  # Windows export


def _writer(buffer: io.StringIO, separator: str, quote_all: bool, terminator: str) -> Any:
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    return csv.writer(buffer, delimiter=separator, quotechar='"', quoting=quoting, lineterminator=terminator)


def render_csv(
    spec: FeedSpec, header: Sequence[str], rows: Sequence[Any], *, quote_all: bool = False, terminator: str = LINE_TERMINATOR
) -> str:
    """Header + records as text; a :class:`Malformed` record is written broken as its variant says."""
    separator = spec.format.separator
    buffer = io.StringIO(newline="")
    writer = _writer(buffer, separator, quote_all, terminator)
    writer.writerow(header)
    for row in rows:
        if isinstance(row, Malformed):
            # missing_field: a separator was lost between the 2nd and 3rd fields (content kept,
            # one field short); extra_field: a stray separator at the end (one field too many).
            v = list(row.values)
            writer.writerow([v[0], f"{v[1]}{v[2]}", *v[3:]] if row.variant == "missing_field" else [*v, "?"])
        else:
            writer.writerow(row)
    text = buffer.getvalue()
    # The truth file names defects by physical line, so a record must never span two lines.
    if text.count("\n") != len(rows) + 1:
        raise ValueError(f"{spec.name}: a field holds a line break; truth line numbers would be wrong")
    return text


def write_partner_csv(path: Path, spec: FeedSpec, rows: Sequence[Sequence[str]]) -> None:
    """Write header + rows in the declared encoding; strict, so a character the partner cannot export fails loudly."""
    data = render_csv(spec, spec.source_headers, rows).encode(spec.format.encoding, errors="strict")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside then rename: a landing sensor must never pick up half a file. The temporary
    # name starts with a dot so it never matches the feed's file pattern.
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
