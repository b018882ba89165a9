"""Reading partner deliveries as their declarations say: CSV, JSON lines or JSON, any encoding.

A reader returns every record as strings under our column names, with the physical line (CSV,
JSON lines) or record number (JSON array) it came from, so a quarantined row can be found in the
partner's file. Whole-file problems raise :class:`DeliveryRejected` with a reason code.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

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


def decode_delivery(data: bytes, encoding: str) -> str:
    """Decode a delivery in its declared encoding, refusing empty files and wrong encodings."""
    if not data.strip():
        raise DeliveryRejected("empty_file", "the file is empty")
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
        raise DeliveryRejected(
            "breaking_schema_change",
            f"declared column(s) missing: {missing}; unexpected column(s): {extra}. Update the feed "
            "declaration (and its contract) or ask the partner to restore the layout.",
        )
    return extra


def _frame(rows: list[list[str]], lines: list[int], spec: FeedSpec) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c.name for c in spec.columns], dtype="str")
    frame[LINE_COLUMN] = pd.Series(lines, dtype="int64")
    return frame


def _read_csv(text: str, spec: FeedSpec) -> RawDelivery:
    fmt = spec.format
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.separator)
    header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    extra = _check_header(header, spec)
    positions = [header.index(c.source) for c in spec.columns]
    rows: list[list[str]] = []
    lines: list[int] = []
    malformed: dict[int, str] = {}
    end = reader.line_num
    records = list(reader)
    for index, record in enumerate(records):
        start = end + 1
        end += 1 + sum(value.count("\n") for value in record)
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        if len(record) != len(header):
            if index == len(records) - 1 and not text.endswith(("\n", "\r")):
                raise DeliveryRejected(
                    "truncated_file",
                    f"the last record (line {start}) has {len(record)} of {len(header)} fields and the "
                    "file does not end with a line break: the export was cut off",
                )
            malformed[start] = f"malformed_row: {len(record)} fields, expected {len(header)}"
            continue
        rows.append([record[p] for p in positions])
        lines.append(start)
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
                raise DeliveryRejected(
                    "truncated_file", f"line {number} is cut off and the file does not end with a line break"
                ) from exc
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


def _typed_column(raw: pd.Series, col: ColumnSpec, fmt: FeedFormat) -> pd.Series:
    stripped = raw.str.strip()
    values = stripped.where(stripped != "")
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
        whole = numbers.where(numbers == numbers.round())  # 2.5 is not an int: null -> quarantined
        return whole.astype("Int64")
    if col.type == "bool":
        lowered = values.str.lower()
        return lowered.map(lambda v: True if v in _TRUE else (False if v in _FALSE else pd.NA)).astype("boolean")
    return values


def parse_types(raw: pd.DataFrame, spec: FeedSpec) -> pd.DataFrame:
    """Typed frame from the raw strings; unparseable values become null for the contract to catch."""
    return pd.DataFrame({col.name: _typed_column(raw[col.name], col, spec.format) for col in spec.columns}, index=raw.index)
