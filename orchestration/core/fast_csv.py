"""The CSV fast path: pyarrow splits a clean delivery, Python's ``csv`` keeps every other one.

:func:`orchestration.core.parsing.read_delivery` splits a CSV with Python's ``csv`` module,
accounting for every physical line (blank, malformed, swallowed by an unbalanced quote). That
costs about 2.5 s per million rows. Most deliveries have nothing to account for: every physical
line is one record of the header's width. For those, pyarrow's reader (C++) gives the very same
strings; :func:`read_clean_csv` uses it and returns ``None`` whenever it cannot prove the file is
one of those, and the caller then reads the file the careful way. So quarantine reasons, line
numbers and rejections never depend on which reader ran.

The proof: the header is one physical line; pyarrow (quotes as Python reads them, values may
hold line breaks, blank lines skipped) parses the body with no row of another width; and it
returns exactly one record per physical line of the body. A blank line, a record spanning two
lines or a malformed row makes the counts differ or pyarrow fail: fallback. So do the rare
inputs where ``csv`` itself would behave differently (a NUL character, a field longer than
``csv.field_size_limit()``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from orchestration.core.catalog import FeedSpec
from orchestration.core.parsing import LINE_COLUMN, decode_delivery
from orchestration.core.parsing import _check_header as check_header  # the careful reader's own header rule

__all__ = ["CleanCsv", "read_clean_csv"]


@dataclass
class CleanCsv:
    """A delivery every line of which is a record: the declared columns as strings, and their lines."""

    table: pa.Table  # declared column names (strings) + LINE_COLUMN (int64)
    malformed: dict[int, str] = field(default_factory=dict)  # line -> reason, as the careful reader words it
    extra_columns: list[str] = field(default_factory=list)  # additive schema change


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _line_count(text: str) -> int:
    """Physical lines of ``text`` as Python's universal newlines count them (``\\r\\n``, ``\\r``, ``\\n``)."""
    if not text:
        return 0
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (0 if text.endswith(("\n", "\r")) else 1)


def _header_end(text: str) -> int:
    """Offset just past the first physical line's line break (or the end of ``text``)."""
    ends = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
    if not ends:
        return len(text)
    end = min(ends)
    return end + 2 if text.startswith("\r\n", end) else end + 1


def _empty_lines(body: str) -> np.ndarray:
    """1-based numbers of the body's empty physical lines (only computed when it has some)."""
    if not body.startswith(("\n", "\r")) and "\n\n" not in body and "\n\r" not in body and "\r\r" not in body:
        return np.empty(0, dtype=np.int64)
    lines = _LINE_BREAK.split(body)
    if body.endswith(("\n", "\r")):
        lines.pop()  # what follows the last line break is no line
    return np.array([number for number, line in enumerate(lines, start=1) if not line], dtype=np.int64)


def read_clean_csv(data: bytes, spec: FeedSpec) -> CleanCsv | None:
    """The delivery's rows read by pyarrow, or ``None`` when only the careful reader may read it.

    Raises :class:`~orchestration.core.parsing.DeliveryRejected` exactly as the careful reader does
    for a file it rejects before its rows (empty, not text, wrong encoding, breaking schema change).
    """
    fmt = spec.format
    separator = fmt.separator
    text = decode_delivery(data, fmt.encoding)
    if "\x00" in text:  # csv refuses NUL characters: let it say so
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    extra = check_header(header, spec)
    width = len(header)
    if reader.line_num != 1 or width < 2:  # a header over several lines, a single column: not proven here
        return None
    body = text[_header_end(text) :]
    lines = _line_count(body)
    positions = [header.index(c.source) for c in spec.columns]
    names = [c.name for c in spec.columns]
    if lines == 0:
        columns = {name: pa.array([], pa.string()) for name in names}
        return CleanCsv(pa.table({**columns, LINE_COLUMN: pa.array([], pa.int64())}), {}, extra)
    generated = [f"f{i}" for i in range(width)]
    quoted = '"' in body
    invalid: list[tuple[int, str]] = []  # (number among non-empty lines, text) of rows of another width

    def other_width(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=generated, use_threads=False, block_size=len(body) + 1),
            parse_options=pacsv.ParseOptions(
                delimiter=separator, newlines_in_values=True, ignore_empty_lines=True, invalid_row_handler=other_width
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(generated, pa.string()),
                # With quotes about, every column is read: none may hold a line break (see below).
                include_columns=generated if quoted else list(dict.fromkeys(generated[p] for p in positions)),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeError):  # an unbalanced quote at the end of the file...
        return None
    empty = _empty_lines(body)
    if quoted and (
        len(empty)
        or any('"' in row_text for _, row_text in invalid)
        or any(pc.any(pc.match_substring_regex(c, "[\r\n]")).as_py() for c in table.columns)
    ):
        # A quoted value may hold a line break, or run to the end of the file (an unbalanced quote):
        # the careful reader accounts for those lines.
        return None
    # One record per non-empty physical line, else a record spans lines: account for it carefully.
    if table.num_rows + len(invalid) != lines - len(empty) or any(n is None or not 1 <= n <= lines for n, _ in invalid):
        return None
    if len(body) > csv.field_size_limit() and any(
        pc.max(pc.binary_length(column)).as_py() > csv.field_size_limit() for column in table.columns
    ):
        return None  # csv refuses such a field: let it say so
    # Physical line (in the file: the header is line 1) of each non-empty line, by its number.
    physical = np.setdiff1d(np.arange(1, lines + 1, dtype=np.int64), empty, assume_unique=True) + 1
    malformed: dict[int, str] = {}
    for number, row_text in invalid:
        line = int(physical[number - 1])
        if line == lines + 1 and not body.endswith(("\n", "\r")):
            return None  # a cut-off last record: the careful reader says the file is truncated
        record = next(csv.reader([row_text], delimiter=separator), [])
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line, as the careful reader sees it
        malformed[line] = f"malformed_row: {len(record)} fields, expected {width}"
    keep = np.ones(len(physical), dtype=bool)
    keep[[number - 1 for number, _ in invalid]] = False
    if int(keep.sum()) != table.num_rows:  # cannot happen once the counts agree; never guess
        return None
    columns = {name: table.column(generated[p]).combine_chunks() for name, p in zip(names, positions, strict=True)}
    return CleanCsv(pa.table({**columns, LINE_COLUMN: pa.array(physical[keep])}), malformed, extra)
