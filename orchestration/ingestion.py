"""Ingestion of one partner delivery: parse -> contract -> privacy -> bronze / quarantine / ledger.

Pure of Dagster: the ingest assets call :func:`ingest_delivery` per file, tests call it directly.
Promises kept here:

* nothing is dropped silently: a bad row goes to ``quarantine/rows`` with its reason, source file
  and line; an unreadable file goes to ``quarantine/deliveries`` and is copied aside;
* a rerun never duplicates: bronze and quarantine are merged on keys, and a delivery whose
  checksum is already in the ledger is skipped without writing anything;
* no raw identifier or free text reaches a table: treatments from the catalog run before any write.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa

from orchestration import lake
from orchestration.catalog import ColumnSpec, FeedSpec
from orchestration.privacy import apply_treatments
from orchestration.settings import Settings
from quality.contracts import contract_for

LINEAGE_COLUMNS = ("_source_file", "_source_checksum", "_source_line", "_ingested_at")

QUARANTINE_SCHEMA = pa.schema(
    [
        ("feed", pa.string()),
        ("source_file", pa.string()),
        ("source_checksum", pa.string()),
        ("line_number", pa.int64()),
        ("reason_codes", pa.string()),
        ("reasons", pa.string()),
        ("record", pa.string()),  # JSON of the row after privacy treatment
        ("quarantined_at", pa.timestamp("us", tz="UTC")),
    ]
)
REJECTED_SCHEMA = pa.schema(
    [
        ("feed", pa.string()),
        ("file_name", pa.string()),
        ("checksum", pa.string()),
        ("size_bytes", pa.int64()),
        ("reason_code", pa.string()),
        ("reason", pa.string()),
        ("kept_at", pa.string()),
        ("detected_at", pa.timestamp("us", tz="UTC")),
    ]
)
LEDGER_SCHEMA = pa.schema(
    [
        ("feed", pa.string()),
        ("file_name", pa.string()),
        ("checksum", pa.string()),
        ("delivery_date", pa.date32()),
        ("status", pa.string()),  # ingested | rejected
        ("rows_read", pa.int64()),
        ("rows_written", pa.int64()),
        ("rows_quarantined", pa.int64()),
        ("schema_note", pa.string()),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)
_ARROW_TYPES = {
    "string": pa.string(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "float": pa.float64(),
    "int": pa.int64(),
    "date": pa.date32(),
}


class DeliveryRejected(Exception):
    """The whole delivery is unreadable or breaks the declared schema; it is kept, not ingested."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(f"{reason_code}: {message}")
        self.reason_code = reason_code
        self.message = message


@dataclass
class DeliveryResult:
    """What happened to one delivery; becomes Dagster metadata and ledger rows."""

    feed: str
    file_name: str
    checksum: str
    status: str  # ingested | rejected | already_processed
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    message: str = ""


# ---------------------------------------------------------------------------------------------
# Table locations


def bronze_path(settings: Settings, spec: FeedSpec) -> Path:
    return settings.bronze / spec.name


def quarantine_rows_path(settings: Settings) -> Path:
    return settings.quarantine / "rows"


def rejected_deliveries_path(settings: Settings) -> Path:
    return settings.quarantine / "deliveries"


def ledger_path(settings: Settings) -> Path:
    return settings.meta / "deliveries"


def bronze_schema(spec: FeedSpec) -> pa.Schema:
    """Arrow schema of a feed's bronze table, derived from its declaration."""
    fields = [pa.field(c.name, _ARROW_TYPES[c.type]) for c in spec.kept_columns]
    if any(c.codes for c in spec.kept_columns):
        fields.append(pa.field("categorie", pa.string()))
    fields.append(pa.field(spec.partition_by, pa.date32()))
    fields += [
        pa.field("_source_file", pa.string()),
        pa.field("_source_checksum", pa.string()),
        pa.field("_source_line", pa.int64()),
        pa.field("_ingested_at", pa.timestamp("us", tz="UTC")),
    ]
    return pa.schema(fields)


def ensure_tables(settings: Settings, spec: FeedSpec) -> None:
    """Create the feed's bronze table and the shared tables before any run fans out."""
    lake.ensure_table(bronze_path(settings, spec), bronze_schema(spec), [spec.partition_by])
    lake.ensure_table(quarantine_rows_path(settings), QUARANTINE_SCHEMA, ["feed"])
    lake.ensure_table(rejected_deliveries_path(settings), REJECTED_SCHEMA)
    lake.ensure_table(ledger_path(settings), LEDGER_SCHEMA)


# ---------------------------------------------------------------------------------------------
# Parsing


def file_checksum(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of a delivery."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode_delivery(data: bytes, encoding: str) -> str:
    """Decode a delivery in its declared encoding, refusing empty files and wrong encodings."""
    if not data.strip():
        raise DeliveryRejected("empty_file", "the file is empty")
    if encoding.lower().replace("_", "-") in ("latin-1", "iso-8859-1", "latin1"):
        # Latin-1 decodes any byte string, so a UTF-8 export would turn into mojibake silently:
        # a file that is valid UTF-8 *and* has non-ASCII bytes was not exported in Latin-1.
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


@dataclass
class RawDelivery:
    """Rows of a delivery as strings under our column names, plus what parsing noticed."""

    frame: pd.DataFrame  # columns: declared names + _source_line
    malformed: dict[int, str]  # line number -> reason (wrong field count)
    extra_columns: list[str]


def read_delivery(path: Path, spec: FeedSpec) -> RawDelivery:
    """Parse a CSV delivery into strings, checking its header against the declaration.

    Raises :class:`DeliveryRejected` for an empty, wrongly encoded or truncated file, or for a
    breaking schema change (a declared column is missing, e.g. renamed).
    """
    fmt = spec.format
    text = decode_delivery(path.read_bytes(), fmt["encoding"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt["separator"])
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:  # pragma: no cover - decode_delivery refuses empty files
        raise DeliveryRejected("empty_file", "no header line") from None
    declared = {c.source: c for c in spec.columns}
    missing = [h for h in declared if h not in header]
    extra = [h for h in header if h not in declared]
    if missing:
        raise DeliveryRejected(
            "breaking_schema_change",
            f"declared column(s) missing: {missing}; unexpected column(s): {extra}. "
            "Update the feed declaration (and its contract) or ask the partner to restore the layout.",
        )
    positions = {declared[h].name: header.index(h) for h in declared}
    rows: list[list[str]] = []
    lines: list[int] = []
    malformed: dict[int, str] = {}
    previous_end = reader.line_num
    records = list(reader)  # materialise to know which record is last
    for index, record in enumerate(records):
        start = previous_end + 1
        previous_end += 1 + sum(field.count("\n") for field in record)
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        if len(record) != len(header):
            if index == len(records) - 1 and not text.endswith(("\n", "\r")):
                raise DeliveryRejected(
                    "truncated_file",
                    f"the last record (line {start}) has {len(record)} of {len(header)} fields and "
                    "the file does not end with a line break: the export was cut off",
                )
            malformed[start] = f"malformed_row: {len(record)} fields, expected {len(header)}"
            continue
        rows.append([record[positions[c.name]] for c in spec.columns])
        lines.append(start)
    frame = pd.DataFrame(rows, columns=[c.name for c in spec.columns], dtype="str")
    frame["_source_line"] = pd.Series(lines, dtype="int64")
    return RawDelivery(frame=frame, malformed=malformed, extra_columns=extra)


def _typed_column(raw: pd.Series, col: ColumnSpec, fmt: dict) -> pd.Series:
    stripped = raw.str.strip()
    blank = stripped == ""
    if col.type == "datetime":
        return pd.to_datetime(stripped.where(~blank), format=fmt["datetime_format"], errors="coerce").astype(
            "datetime64[us]"
        )
    if col.type in ("float", "int"):
        numeric = stripped.where(~blank)
        if fmt.get("decimal", ".") != ".":
            numeric = numeric.str.replace(fmt["decimal"], ".", regex=False)
        return pd.to_numeric(numeric, errors="coerce").astype("float64" if col.type == "float" else "Int64")
    if col.type == "date":
        return pd.to_datetime(stripped.where(~blank), errors="coerce").dt.date
    return stripped.where(~blank)


def parse_types(raw: pd.DataFrame, spec: FeedSpec) -> pd.DataFrame:
    """Typed frame from the raw strings; unparseable values become null for the contract to catch."""
    typed = pd.DataFrame(index=raw.index)
    for col in spec.columns:
        typed[col.name] = _typed_column(raw[col.name], col, spec.format)
    return typed


# ---------------------------------------------------------------------------------------------
# Validation


def validate(typed: pd.DataFrame, raw: pd.DataFrame, spec: FeedSpec) -> dict[int, list[tuple[str, str]]]:
    """Run the feed's pandera contract; return row index -> [(reason code, explanation)].

    Table-level failures (no row index: missing column, wrong dtype) reject the whole delivery.
    Within the valid rows, a natural key seen twice keeps its first occurrence.
    """
    contract = contract_for(spec.name)
    failures: dict[int, list[tuple[str, str]]] = {}
    try:
        contract.schema.validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        table_level = cases[cases["index"].isna()]
        if not table_level.empty:
            raise DeliveryRejected(
                "contract_table_failure",
                "; ".join(f"{r.column}: {r.check}" for r in table_level.itertuples()),
            ) from None
        for case in cases.itertuples():
            # A dataframe-wide check is reported once per column: name it by the check instead.
            wide = case.schema_context == "DataFrameSchema"
            column = str(case.check) if wide or not isinstance(case.column, str) else case.column
            code = contract.REASONS.get(column, "contract_violation")
            shown = raw.at[case.index, column] if column in raw.columns and _is_public(spec, column) else None
            detail = f"row fails check {case.check!r}" if wide else f"{column} fails {case.check}"
            detail += f" (value {shown!r})" if shown is not None else ""
            reasons = failures.setdefault(int(case.index), [])
            if (code, detail) not in reasons:
                reasons.append((code, detail))
    valid = typed.drop(index=list(failures))
    keys = list(spec.natural_key)
    repeated = valid[valid.duplicated(subset=keys, keep="first")]
    for index in repeated.index:
        failures.setdefault(int(index), []).append(
            ("duplicate_id", f"{'/'.join(keys)} already delivered earlier in this file")
        )
    return failures


def _is_public(spec: FeedSpec, column: str) -> bool:
    """May a raw value of ``column`` be quoted in a quarantine reason? Only non-personal ones."""
    try:
        col = spec.column(column)
    except KeyError:
        return False
    return col.privacy == "keep" and not col.restricted


# ---------------------------------------------------------------------------------------------
# Shaping for bronze


def to_bronze(typed: pd.DataFrame, spec: FeedSpec, key: bytes, lineage: dict[str, object]) -> pa.Table:
    """Apply the privacy treatments and derived columns; return rows in the bronze schema."""
    treated = apply_treatments(typed, spec, key)
    tz = spec.format.get("timezone", "UTC")
    for col in spec.kept_columns:
        if col.type == "datetime":
            local = treated[col.name]
            treated[spec.partition_by] = local.dt.date
            # Partner times are local; bronze stores UTC. An ambiguous autumn hour is read as
            # winter time, a non-existent spring hour is shifted forward: documented, not guessed.
            treated[col.name] = local.dt.tz_localize(
                tz, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward"
            ).dt.tz_convert("UTC")
        if col.codes:
            treated["categorie"] = treated[col.name].map(col.codes)
    for name, value in lineage.items():
        treated[name] = value
    schema = bronze_schema(spec)
    return pa.Table.from_pandas(treated[schema.names], schema=schema, preserve_index=False)


def quarantine_records(
    raw: pd.DataFrame,
    failures: dict[int, list[tuple[str, str]]],
    malformed: dict[int, str],
    spec: FeedSpec,
    key: bytes,
    lineage: dict[str, object],
) -> pa.Table:
    """Rejected rows with their reasons; their content is privacy-treated like bronze."""
    now = lineage["_ingested_at"]
    records: list[dict[str, object]] = []
    if failures:
        bad = raw.loc[sorted(failures)]
        treated = apply_treatments(bad.drop(columns="_source_line"), spec, key)
        for index, row in treated.iterrows():
            reasons = failures[int(index)]
            records.append(
                {
                    "line_number": int(raw.at[index, "_source_line"]),
                    "reason_codes": ",".join(sorted({code for code, _ in reasons})),
                    "reasons": "; ".join(detail for _, detail in reasons),
                    "record": json.dumps({k: (None if pd.isna(v) else v) for k, v in row.items()}, ensure_ascii=False),
                }
            )
    for line, reason in malformed.items():
        records.append({"line_number": line, "reason_codes": "malformed_row", "reasons": reason, "record": None})
    frame = pd.DataFrame(records, columns=["line_number", "reason_codes", "reasons", "record"])
    frame["feed"] = spec.name
    frame["source_file"] = lineage["_source_file"]
    frame["source_checksum"] = lineage["_source_checksum"]
    frame["quarantined_at"] = now
    return pa.Table.from_pandas(frame[QUARANTINE_SCHEMA.names], schema=QUARANTINE_SCHEMA, preserve_index=False)


# ---------------------------------------------------------------------------------------------
# The whole delivery


def processed_checksums(settings: Settings, spec: FeedSpec) -> set[str]:
    """Checksums of this feed's deliveries already ingested or rejected (the ledger)."""
    table = lake.open_table(ledger_path(settings))
    if table is None:
        return set()
    rows = table.to_pyarrow_table(columns=["feed", "checksum"], filters=[("feed", "=", spec.name)])
    return set(rows.column("checksum").to_pylist())


def _ledger_row(result: DeliveryResult, delivery_date: object, note: str, now: datetime) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "feed": result.feed,
                "file_name": result.file_name,
                "checksum": result.checksum,
                "delivery_date": delivery_date,
                "status": result.status,
                "rows_read": result.rows_read,
                "rows_written": result.rows_written,
                "rows_quarantined": result.rows_quarantined,
                "schema_note": note,
                "ingested_at": now,
            }
        ],
        schema=LEDGER_SCHEMA,
    )


def reject_delivery(path: Path, spec: FeedSpec, settings: Settings, checksum: str, error: DeliveryRejected) -> DeliveryResult:
    """Keep an unreadable delivery aside and record why, so the partner can be asked to resend."""
    now = datetime.now(UTC)
    kept = settings.quarantine / "files" / spec.name / f"{checksum[:12]}_{path.name}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if not kept.exists():
        shutil.copy2(path, kept)
    row = pa.Table.from_pylist(
        [
            {
                "feed": spec.name,
                "file_name": path.name,
                "checksum": checksum,
                "size_bytes": path.stat().st_size,
                "reason_code": error.reason_code,
                "reason": error.message,
                "kept_at": str(kept.relative_to(settings.lake)),
                "detected_at": now,
            }
        ],
        schema=REJECTED_SCHEMA,
    )
    lake.upsert(rejected_deliveries_path(settings), row, ["feed", "checksum"])
    result = DeliveryResult(spec.name, path.name, checksum, "rejected", message=str(error))
    result.reasons[error.reason_code] += 1
    lake.upsert(ledger_path(settings), _ledger_row(result, spec.delivery_date(path.name), error.reason_code, now), ["feed", "checksum"])
    return result


def ingest_delivery(path: Path, spec: FeedSpec, settings: Settings, known: set[str] | None = None) -> DeliveryResult:
    """Ingest one delivery file end to end; idempotent on the file's checksum."""
    checksum = file_checksum(path)
    if checksum in (processed_checksums(settings, spec) if known is None else known):
        return DeliveryResult(spec.name, path.name, checksum, "already_processed", message="same bytes already processed")
    if spec.delivery_date(path.name) is None:
        return reject_delivery(
            path, spec, settings, checksum,
            DeliveryRejected("unexpected_file_name", f"{path.name!r} does not match {spec.delivery['file_pattern']!r}"),
        )
    try:
        delivery = read_delivery(path, spec)
        typed = parse_types(delivery.frame, spec)
        failures = validate(typed, delivery.frame, spec)
    except DeliveryRejected as error:
        return reject_delivery(path, spec, settings, checksum, error)

    now = datetime.now(UTC)
    lineage: dict[str, object] = {"_source_file": path.name, "_source_checksum": checksum, "_ingested_at": now}
    good = typed.drop(index=list(failures))
    lines = delivery.frame.loc[good.index, "_source_line"].to_numpy()
    bronze_rows = to_bronze(good, spec, settings.key, {**lineage, "_source_line": lines})
    quarantined = quarantine_records(delivery.frame, failures, delivery.malformed, spec, settings.key, lineage)

    lake.upsert(bronze_path(settings, spec), bronze_rows, list(spec.natural_key), [spec.partition_by])
    lake.upsert(quarantine_rows_path(settings), quarantined, ["source_checksum", "line_number"], ["feed"])

    note = f"additive schema change, undeclared column(s) ignored: {delivery.extra_columns}" if delivery.extra_columns else ""
    result = DeliveryResult(
        spec.name, path.name, checksum, "ingested",
        rows_read=len(delivery.frame) + len(delivery.malformed),
        rows_written=bronze_rows.num_rows,
        rows_quarantined=quarantined.num_rows,
        message=note,
    )
    for reasons in failures.values():
        result.reasons.update({code for code, _ in reasons})
    result.reasons.update(["malformed_row"] * len(delivery.malformed))
    lake.upsert(ledger_path(settings), _ledger_row(result, spec.delivery_date(path.name), note, now), ["feed", "checksum"])
    return result


def landing_files(settings: Settings, spec: FeedSpec) -> list[Path]:
    """Every file delivered for ``spec`` in landing, oldest name first."""
    folder = settings.landing / spec.name
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
