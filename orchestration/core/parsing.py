"""Reading partner deliveries as their declarations say: CSV, JSON lines or JSON, any encoding.

A reader returns every record as strings under our column names, with the physical line (CSV,
JSON lines) or record number (JSON array) it came from, so a quarantined row can be found in the
partner's file. Whole-file problems raise :class:`DeliveryRejected` with a reason code.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from orchestration.core.catalog import ColumnSpec, FeedFormat, FeedSpec

LINE_COLUMN = "_source_line"
_TRUE = {"1", "true", "vrai", "oui", "o", "y", "yes"}
_FALSE = {"0", "false", "faux", "non", "n", "no"}


class DeliveryRejected(Exception):
    """The whole delivery is unreadable or breaks the declared schema; it is kept, not ingested."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(f"{reason_code}: {message}")
        self.reason_code = reason_code
        self.message = message


@dataclass
class RawDelivery:
    """Records of a delivery as strings under our column names, plus what parsing noticed."""

    frame: pd.DataFrame  # declared column names + LINE_COLUMN
    malformed: dict[int, str] = field(default_factory=dict)  # line -> reason (kept for quarantine)
    extra_columns: list[str] = field(default_factory=list)  # additive schema change


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Control bytes no text export holds (tab, line feed, carriage return and form feed excepted).
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1c-\x1f]")


def sniff_text(data: bytes, encoding: str) -> None:
    """Refuse a file that is not text in the declared encoding with a diagnosis that says so.

    A single-byte codec decodes any bytes, so without this a UTF-16 export or a binary file
    would come out as mojibake and be reported as a breaking schema change.
    """
    declared = encoding.lower().replace("_", "-")
    if data.startswith(_UTF16_BOMS) and not declared.startswith("utf-16"):
        raise DeliveryRejected("wrong_encoding", f"expected {encoding}, the file is UTF-16 (byte order mark)")
    head = data[:65536]
    if head.count(b"\x00") > len(head) // 8 and not declared.startswith("utf-16"):
        # Every other byte NUL: UTF-16 without its byte order mark.
        odd = head[1::2].count(b"\x00") if len(head) > 1 else 0
        if odd > len(head) // 4 or head[0::2].count(b"\x00") > len(head) // 4:
            raise DeliveryRejected("wrong_encoding", f"expected {encoding}, the file looks like UTF-16 (no byte order mark)")
    if _BINARY_BYTES.search(head):
        raise DeliveryRejected("not_text", "the file holds binary bytes (control characters): it is not a text export")


def decode_delivery(data: bytes, encoding: str) -> str:
    """Decode a delivery in its declared encoding, refusing empty, binary and wrongly encoded files."""
    if not data.strip():
        raise DeliveryRejected("empty_file", "the file is empty")
    sniff_text(data, encoding)
    if encoding.lower().replace("_", "-") in ("latin-1", "iso-8859-1", "latin1", "cp1252", "windows-1252"):
        # A single-byte codec decodes any bytes, so a UTF-8 export would turn into mojibake
        # silently: a file that is valid UTF-8 *and* has non-ASCII bytes was not exported so.
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if any(b > 0x7F for b in data):
                raise DeliveryRejected("wrong_encoding", f"expected {encoding}, the file is UTF-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DeliveryRejected("wrong_encoding", f"not valid {encoding}: {exc}") from exc


def _check_header(found: list[str], spec: FeedSpec) -> list[str]:
    """Missing declared columns reject the delivery; extra ones are returned (additive change)."""
    declared = [c.source for c in spec.columns]
    missing = [h for h in declared if h not in found]
    extra = [h for h in found if h not in declared]
    if missing:
        # The first line of a wrong file may be data (names, e-mails): quote only header-shaped
        # names, so a rejection reason never carries a raw personal value into logs or tables.
        shown = [h for h in extra if _HEADER_SHAPED.fullmatch(h)]
        hidden = len(extra) - len(shown)
        raise DeliveryRejected(
            "breaking_schema_change",
            f"declared column(s) missing: {missing}; unexpected column(s): {shown}"
            + (f" and {hidden} value(s) not shaped like a column name" if hidden else "")
            + ". Update the feed declaration (and its contract) or ask the partner to restore the layout.",
        )
    return extra


_HEADER_SHAPED = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def _frame(rows: list[list[str]], lines: list[int], spec: FeedSpec) -> pd.DataFrame:
    names = [c.name for c in spec.columns]
    if not rows:
        frame = pd.DataFrame([], columns=names, dtype="str")
    else:
        # Column by column: transposing in C and building each string array at once (in Arrow:
        # every value is already a string) is several times faster than pandas inferring a frame
        # from a list of row lists.
        frame = pd.DataFrame(
            {
                name: pd.array(pa.array(values, type=pa.string()), dtype="str")
                for name, values in zip(names, zip(*rows, strict=True), strict=True)
            }
        )
    frame[LINE_COLUMN] = pd.Series(lines, dtype="int64")
    return frame


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _read_csv(text: str, spec: FeedSpec) -> RawDelivery:
    """Split a CSV delivery, accounting for every physical line (row, blank, or malformed).

    Unless the format declares ``multiline_fields: true``, a record spanning several lines is an
    unbalanced quote that swallowed the lines after it: its first line is quarantined and each
    swallowed line is read again on its own, so no valid row vanishes inside a quoted field.
    """
    fmt = spec.format
    separator = fmt.separator
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    extra = _check_header(header, spec)
    positions = [header.index(c.source) for c in spec.columns]
    width = len(header)
    pick = operator.itemgetter(*positions) if len(positions) > 1 else (lambda record: (record[positions[0]],))
    physical: list[str] | None = None  # split into lines only when a record spans several
    rows: list[list[str] | tuple[str, ...]] = []
    lines: list[int] = []
    malformed: dict[int, str] = {}
    end = reader.line_num
    # With each record, how many source lines the reader took: a record of one line (the usual
    # case) holds no line break, so its fields need no scanning for one.
    records: list[list[str]] = []
    spans: list[int] = []
    consumed = reader.line_num
    for record in reader:
        records.append(record)
        spans.append(reader.line_num - consumed)
        consumed = reader.line_num

    def accept(record: list[str], line: int) -> None:
        if not record or (len(record) == 1 and not record[0].strip()):
            return  # blank line
        if len(record) != width:
            malformed[line] = f"malformed_row: {len(record)} fields, expected {width}"
            return
        rows.append(pick(record))
        lines.append(line)

    last_index = len(records) - 1
    for index, record in enumerate(records):
        start = end + 1
        if spans[index] == 1 and len(record) == width:  # one physical line, the right width: a row
            end = start
            rows.append(pick(record))
            lines.append(start)
            continue
        end += 1 + sum(value.count("\n") for value in record)
        if len(record) != width and index == last_index and not text.endswith(("\n", "\r")) and record and record != [""]:
            raise DeliveryRejected(
                "truncated_file",
                f"the last record (line {start}) has {len(record)} of {width} fields and the "
                "file does not end with a line break: the export was cut off",
            )
        if end > start and not fmt.multiline_fields:
            malformed[start] = "malformed_row: unbalanced quote (the field runs past the end of the line)"
            if physical is None:
                physical = _LINE_BREAK.split(text)
            for line in range(start + 1, min(end, len(physical)) + 1):
                content = physical[line - 1]
                if content.count('"') % 2:
                    malformed[line] = "malformed_row: unbalanced quote"
                    continue
                accept(next(csv.reader([content], delimiter=separator), []), line)
            continue
        accept(record, start)
    return RawDelivery(_frame(rows, lines, spec), malformed, extra)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _records_to_raw(records: list[tuple[int, Any]], malformed: dict[int, str], spec: FeedSpec) -> RawDelivery:
    keys: set[str] = set()
    for _, record in records:
        keys.update(record)
    extra = _check_header(sorted(keys), spec) if records else []
    sources = [c.source for c in spec.columns]
    rows = [[_as_text(record.get(s)) for s in sources] for _, record in records]
    return RawDelivery(_frame(rows, [n for n, _ in records], spec), malformed, extra)


def _read_jsonl(text: str, spec: FeedSpec) -> RawDelivery:
    physical = text.splitlines()
    records: list[tuple[int, Any]] = []
    malformed: dict[int, str] = {}
    for number, line in enumerate(physical, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(physical) and not text.endswith(("\n", "\r")):
                raise DeliveryRejected("truncated_file", f"line {number} is cut off and the file does not end with a line break") from exc
            malformed[number] = f"malformed_row: not valid JSON ({exc.msg})"
            continue
        if not isinstance(record, dict):
            malformed[number] = "malformed_row: not a JSON object"
            continue
        records.append((number, record))
    return _records_to_raw(records, malformed, spec)


def _read_json(text: str, spec: FeedSpec) -> RawDelivery:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = "truncated_file" if exc.pos >= len(text.rstrip()) - 1 else "malformed_file"
        raise DeliveryRejected(reason, f"not valid JSON: {exc.msg} at character {exc.pos}") from exc
    path = spec.format.records_path
    for key in path.split(".") if path else []:
        if not isinstance(document, dict) or key not in document:
            raise DeliveryRejected("breaking_schema_change", f"no {path!r} in the document")
        document = document[key]
    if not isinstance(document, list):
        raise DeliveryRejected("breaking_schema_change", "expected an array of records")
    records: list[tuple[int, Any]] = []
    malformed: dict[int, str] = {}
    for number, record in enumerate(document, start=1):  # "line" = record number in the array
        if isinstance(record, dict):
            records.append((number, record))
        else:
            malformed[number] = "malformed_row: not a JSON object"
    return _records_to_raw(records, malformed, spec)


READERS = {"csv": _read_csv, "jsonl": _read_jsonl, "json": _read_json}


def read_delivery(path: Path, spec: FeedSpec) -> RawDelivery:
    """Parse a delivery into strings, checking its layout against the declaration."""
    text = decode_delivery(path.read_bytes(), spec.format.encoding)
    return READERS[spec.format.type](text, spec)


def _local_datetimes(values: pd.Series, pattern: str | None, timezone: str) -> pd.Series:
    """Naive local times (the feed's time zone), whether the partner wrote offsets or not.

    Offsets (ISO 8601 ``+01:00``/``+02:00``, mixed across a DST change) are honoured: the
    instant is converted to local time, so every datetime column means the same thing.
    """
    try:
        parsed = pd.to_datetime(values, format=pattern, errors="coerce")
    except ValueError:  # mixed offsets: parse as instants
        parsed = pd.to_datetime(values, format=pattern, errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
    return parsed.astype("datetime64[us]")


def normalise_text(raw: pd.Series, col: ColumnSpec, fmt: FeedFormat) -> pd.Series:
    """Apply the declared normalisations to raw strings: trim, remove characters, zero-pad.

    ``remove_characters`` (column) drops digit-group spaces inside identifiers ("138\u00a0306"),
    ``format.group_separators`` does the same inside numbers, and ``zero_pad`` turns an unpadded
    code ("7") into its declared form ("07"); blank values become null.
    """
    values = raw.str.strip()
    removed = list(col.remove_characters)
    if col.type in ("int", "float"):
        removed += list(fmt.group_separators)
    for char in removed:
        values = values.str.replace(char, "", regex=False)
    if col.zero_pad:
        digits = values.str.fullmatch(r"[0-9]+", na=False)
        values = values.where(~digits, values.str.zfill(col.zero_pad))
    return values.where(values != "")


_INT64_MAX = 2**63 - 1


def _typed_column(raw: pd.Series, col: ColumnSpec, fmt: FeedFormat) -> pd.Series:
    values = normalise_text(raw, col, fmt)
    if col.type == "datetime":
        return _local_datetimes(values, col.datetime_format or fmt.datetime_format, fmt.timezone)
    if col.type == "date":
        pattern = col.datetime_format or fmt.date_format or "%Y-%m-%d"
        return pd.to_datetime(values, format=pattern, errors="coerce").astype("datetime64[us]")
    if col.type in ("float", "int"):
        if fmt.decimal != ".":
            values = values.str.replace(fmt.decimal, ".", regex=False)
        numbers = pd.to_numeric(values, errors="coerce")
        if col.type == "float":
            return numbers.astype("float64")
        if numbers.dtype.kind == "u":  # a value above int64's range made the column unsigned
            return numbers.astype("UInt64").mask(numbers > _INT64_MAX).astype("Int64")
        whole = numbers.where(numbers == numbers.round())  # 2.5 is not an int: null -> quarantined
        if whole.dtype.kind == "f":  # 1e30 is whole but no int64: null -> quarantined, not a crash
            whole = whole.where(whole.abs() < 2.0**63)
        return whole.astype("Int64")
    if col.type == "bool":
        lowered = values.str.lower()
        return lowered.map(lambda v: True if v in _TRUE else (False if v in _FALSE else pd.NA)).astype("boolean")
    return values


def parse_types(raw: pd.DataFrame, spec: FeedSpec) -> pd.DataFrame:
    """Typed frame from the raw strings; unparseable values become null for the contract to catch."""
    return pd.DataFrame({col.name: _typed_column(raw[col.name], col, spec.format) for col in spec.columns}, index=raw.index)


def outside_perimeter(raw: pd.DataFrame, spec: FeedSpec) -> pd.Series:
    """Rows outside the feed's declared ``perimeter`` (column -> regex, all must match).

    Only rows whose perimeter columns are well-formed (non-empty, matching the column's declared
    pattern and codes) can be outside: a malformed code is a defect for the contract to
    quarantine, never a reason to drop a row silently.
    """
    outside = pd.Series(False, index=raw.index)
    if not spec.perimeter:
        return outside
    well_formed = pd.Series(True, index=raw.index)
    for name, regex in spec.perimeter.items():
        col = spec.column(name)
        values = normalise_text(raw[name], col, spec.format)
        valid = values.notna()
        if col.pattern:
            valid &= values.str.match(col.pattern, na=False)
        if col.codes:
            valid &= values.isin(list(col.codes))
        well_formed &= valid
        outside |= ~values.str.match(regex, na=False)
    return well_formed & outside
