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

import errno
import hashlib
import json
import os
import stat
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.core import lake
from orchestration.core.catalog import ColumnSpec, FeedSpec
from orchestration.core.catalog.models import EventDateParts
from orchestration.core.contracts import contract_for
from orchestration.core.evidence import keep_evidence
from orchestration.core.fast_csv import read_clean_csv
from orchestration.core.parsing import (
    LINE_COLUMN,
    DeliveryRejected,
    normalise_text,
    outside_perimeter,
    parse_types,
    read_delivery,
)
from orchestration.core.parsing import _typed_column as typed_column  # one column parsed as declared
from orchestration.core.privacy import apply_treatments
from orchestration.core.settings import Settings

__all__ = [
    "DeliveryRejected",
    "DeliveryResult",
    "LakeFullError",
    "ingest_deliveries",
    "ingest_delivery",
    "parse_types",
    "read_delivery",
    "validate",
]

# Every bronze row says where it came from: the file, its checksum, its line, when it was ingested.
LINEAGE_FIELDS = pa.schema(
    [
        ("_source_file", pa.string()),
        ("_source_checksum", pa.string()),
        ("_source_line", pa.int64()),
        ("_ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)
# Feeds whose simulator writes its own file names also record which kind of file a row came from.
PROVENANCE_FIELD = pa.field("_provenance", pa.string())  # partenaire | simule
QUARANTINE_KEY = ["source_file", "source_checksum", "line_number"]

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
        ("rows_out_of_perimeter", pa.int64()),  # outside the declared perimeter: counted, not kept
        ("rows_withdrawn", pa.int64()),  # rows of an earlier version this full snapshot no longer holds
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
    "bool": pa.bool_(),
}


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
    rows_out_of_perimeter: int = 0
    rows_withdrawn: int = 0
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
    fields = []
    for col in spec.kept_columns:
        fields.append(pa.field(col.name, _ARROW_TYPES[col.type]))
        if col.codes:
            fields.append(pa.field(f"{col.name}_libelle", pa.string()))
    if spec.partition_by not in {c.name for c in spec.kept_columns}:  # else the date column is it
        fields.append(pa.field(spec.partition_by, pa.date32()))
    provenance = [PROVENANCE_FIELD] if records_provenance(spec) else []
    return pa.schema([*fields, *LINEAGE_FIELDS, *provenance])


def records_provenance(spec: FeedSpec) -> bool:
    """Does bronze say whether a row came from a partner's file or the simulator's?"""
    return bool(spec.delivery.simulated_file_pattern)


def ensure_tables(settings: Settings, spec: FeedSpec) -> None:
    """Create the feed's bronze table and the shared tables before any run fans out."""
    lake.ensure_exists(bronze_path(settings, spec), bronze_schema(spec), [spec.partition_by])
    lake.ensure_exists(quarantine_rows_path(settings), QUARANTINE_SCHEMA, ["feed"])
    lake.ensure_exists(rejected_deliveries_path(settings), REJECTED_SCHEMA)
    lake.ensure_exists(ledger_path(settings), LEDGER_SCHEMA)


# ---------------------------------------------------------------------------------------------
# Validation


def validate(typed: pd.DataFrame, raw: pd.DataFrame, spec: FeedSpec, within: str | None = None) -> dict[int, list[tuple[str, str]]]:
    """Run the feed's pandera contract; return row index -> [(reason code, explanation)].

    Table-level failures (no row index: missing column, wrong dtype) reject the whole delivery.
    Within the valid rows of one delivery (``raw[within]`` tells deliveries apart when several
    are validated together), a natural key seen twice keeps its first occurrence.
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
        # The raw values the reasons quote, fetched per column at once (a lookup per failure is slow).
        quoted: dict[str, dict[int, object]] = {}
        for column, group in cases[cases["schema_context"] != "DataFrameSchema"].groupby("column", sort=False):
            if isinstance(column, str) and column in raw.columns:
                indices = group["index"].astype("int64").unique()
                quoted[column] = dict(zip(indices.tolist(), raw[column].loc[indices].tolist(), strict=True))
        for case in cases.itertuples():
            # A dataframe-wide check is reported once per column: name it by the check instead.
            wide = case.schema_context == "DataFrameSchema"
            column = None if wide or not isinstance(case.column, str) else case.column
            index = int(case.index)
            blank = column is not None and column in raw.columns and not str(quoted[column][index]).strip()
            code = contract.reason_code(column, str(case.check), blank)
            detail = f"row fails check {case.check!r}" if column is None else f"{column} fails {case.check}"
            if column is not None and _is_public(spec, column):
                detail += f" (value {quoted[column][index]!r})"
            reasons = failures.setdefault(index, [])
            if (code, detail) not in reasons:
                reasons.append((code, detail))
    keys = list(spec.natural_key)
    # Only the key columns, filtered by a mask: taking every column by label costs more than the check.
    valid = typed[keys]
    if within is not None:
        valid = valid.assign(_delivery=raw[within])
        keys_within = [*keys, "_delivery"]
    else:
        keys_within = keys
    if failures:
        valid = valid[~valid.index.isin(list(failures))]
    for index in valid.index[valid.duplicated(subset=keys_within, keep="first")]:
        failures.setdefault(int(index), []).append(("duplicate_id", f"{'/'.join(keys)} already delivered earlier in this file"))
    return failures


def _is_public(spec: FeedSpec, column: str) -> bool:
    """May a raw value of ``column`` be quoted in a quarantine reason? Only non-personal ones."""
    col = spec.column(column)
    return col.privacy == "keep" and not col.restricted


# ---------------------------------------------------------------------------------------------
# Shaping for bronze


def to_bronze(typed: pd.DataFrame, spec: FeedSpec, key: bytes, lineage: dict[str, object]) -> pa.Table:
    """Apply the privacy treatments and derived columns; return rows in the bronze schema."""
    treated = apply_treatments(typed, spec, key)
    # A row is partitioned by its own (local) day; a row without one (a feed with no date column,
    # or an optional event time left empty) by the day its delivery covers.
    days = pd.Series(lineage["_delivery_date"], index=treated.index, dtype="object")
    event = spec.event_column
    if event is not None:
        own = treated[event.name].dt.date
        days = own.where(own.notna(), days)
    elif spec.event_date_parts:
        own = _date_from_parts(treated, spec.event_date_parts)
        days = own.where(own.notna(), days)
    tz = spec.format.timezone
    for col in spec.kept_columns:
        if col.type == "datetime":
            # Partner times are local; bronze stores UTC. An ambiguous autumn hour is read as
            # winter time, a non-existent spring hour is shifted forward: documented, not guessed.
            treated[col.name] = (
                treated[col.name]
                .dt.tz_localize(tz, ambiguous=np.zeros(len(treated), dtype=bool), nonexistent="shift_forward")
                .dt.tz_convert("UTC")
            )
        elif col.type == "date":
            treated[col.name] = treated[col.name].dt.date
        if col.codes:
            treated[f"{col.name}_libelle"] = treated[col.name].map(col.codes)
    treated[spec.partition_by] = days
    for name, value in lineage.items():
        if name != "_delivery_date":
            treated[name] = value
    schema = bronze_schema(spec)
    return pa.Table.from_pandas(treated[schema.names], schema=schema, preserve_index=False)


def _date_from_parts(frame: pd.DataFrame, parts: EventDateParts) -> pd.Series:
    """The day rebuilt from declared year/month/day columns (``century`` added to a short year)."""
    year = frame[parts.year].astype("Int64") + parts.century
    stamp = pd.DataFrame({"year": year, "month": frame[parts.month], "day": frame[parts.day]}).astype("float64")
    return pd.to_datetime(stamp, errors="coerce").dt.date.astype("object").where(lambda d: d.notna(), None)


def quarantine_records(
    raw: pd.DataFrame,
    failures: dict[int, list[tuple[str, str]]],
    malformed: list[tuple[str, str, int, str]],
    spec: FeedSpec,
    key: bytes,
    now: datetime,
) -> pa.Table:
    """Rejected rows with their reasons; their content is privacy-treated like bronze.

    ``raw`` carries per-row lineage (``_source_file``, ``_source_checksum``, ``_source_line``);
    ``malformed`` lists (file, checksum, line, reason) of records that could not even be split.
    """
    records: list[dict[str, object]] = []
    if failures:
        bad = raw.loc[sorted(failures)]
        treated = apply_treatments(bad[[c.name for c in spec.columns]], spec, key)
        lineage = zip(bad["_source_file"].tolist(), bad["_source_checksum"].tolist(), bad[LINE_COLUMN].tolist(), strict=True)
        for index, row, (source_file, source_checksum, line) in zip(bad.index, treated.to_dict("records"), lineage, strict=True):
            reasons = failures[int(index)]
            records.append(
                {
                    "source_file": source_file,
                    "source_checksum": source_checksum,
                    "line_number": int(line),
                    "reason_codes": ",".join(sorted({code for code, _ in reasons})),
                    "reasons": "; ".join(detail for _, detail in reasons),
                    "record": json.dumps({k: (None if pd.isna(v) else v) for k, v in row.items()}, ensure_ascii=False),
                }
            )
    for file_name, checksum, line, reason in malformed:
        records.append(
            {
                "source_file": file_name,
                "source_checksum": checksum,
                "line_number": line,
                "reason_codes": "malformed_row",
                "reasons": reason,
                "record": None,
            }
        )
    frame = pd.DataFrame(records, columns=["source_file", "source_checksum", "line_number", "reason_codes", "reasons", "record"])
    frame["feed"] = spec.name
    frame["quarantined_at"] = now
    return pa.Table.from_pandas(frame[QUARANTINE_SCHEMA.names], schema=QUARANTINE_SCHEMA, preserve_index=False)


# ---------------------------------------------------------------------------------------------
# The whole delivery


def file_checksum(path: Path) -> str:
    """SHA-256 of the file's bytes: the identity of a delivery."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entry_problem(path: Path) -> tuple[str, str] | None:
    """Why a landing entry is refused without being read, or ``None`` for a regular file.

    Landing accepts regular files only: a symbolic link could point anywhere (``/etc/shadow``, a
    file outside the lake), a device or a pipe could block or never end, and a dot-file is
    usually a tool's temporary file; none of them is opened, all are recorded as rejected.
    """
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "vanished", "the entry disappeared before it could be examined"
    if stat.S_ISLNK(mode):
        return "not_regular_file", "a symbolic link: landing accepts regular files only, links are never followed"
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a device, pipe or socket"
        return "not_regular_file", f"{kind}: landing accepts regular files only"
    if path.name.startswith("."):
        return "hidden_file", "a dot-file (temporary or hidden file): not read; rename it if it is a delivery"
    return None


def delivery_checksum(path: Path) -> str:
    """SHA-256 of a regular file; for a refused entry, of its description (it is never read)."""
    if entry_problem(path) is None:
        return file_checksum(path)
    info = path.lstat()
    return hashlib.sha256(f"refused:{path.name}:{info.st_mode}:{info.st_size}:{info.st_mtime_ns}".encode()).hexdigest()


Delivery = tuple[str, str]  # (file name, SHA-256): a delivery's identity


def processed_deliveries(settings: Settings, spec: FeedSpec) -> set[Delivery]:
    """(file name, checksum) of this feed's deliveries already ingested or rejected (the ledger).

    The name is part of the identity: two days' header-only files have the same bytes, yet they
    are two deliveries. The same name with other bytes is a corrected re-delivery.
    """
    return {(r["file_name"], r["checksum"]) for r in _ledger_rows(settings, spec)}


def ingested_contents(settings: Settings, spec: FeedSpec, rows: list[dict[str, str]] | None = None) -> dict[str, str]:
    """Checksum -> file name of this feed's deliveries already ingested (not rejected).

    ``rows``: the feed's ledger rows when already read (:func:`_ledger_rows`).
    """
    rows = _ledger_rows(settings, spec) if rows is None else rows
    return {r["checksum"]: r["file_name"] for r in sorted(rows, key=lambda r: r["file_name"], reverse=True) if r["status"] == "ingested"}


def _ledger_rows(settings: Settings, spec: FeedSpec) -> list[dict[str, str]]:
    """File name, checksum and status of this feed's deliveries in the ledger."""
    table = lake.open_table(ledger_path(settings))
    if table is None:
        return []
    # The whole ledger's few columns, its files read once per process (a sensor tick and an ingest
    # read it for every feed), then this feed's rows.
    ledger = lake.read_current(table, ["feed", "file_name", "checksum", "status"])
    return ledger.filter(pc.equal(ledger.column("feed"), spec.name)).drop_columns(["feed"]).to_pylist()


@dataclass
class Batch:
    """Deliveries parsed, validated and treated together in memory, not yet committed."""

    results: list[DeliveryResult] = field(default_factory=list)
    dates: list[object] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bronze: pa.Table | None = None
    quarantine: pa.Table | None = None
    rejected: list[dict[str, object]] = field(default_factory=list)

    def add(self, result: DeliveryResult, delivery_date: object, note: str) -> None:
        self.results.append(result)
        self.dates.append(delivery_date)
        self.notes.append(note)


def _reject(batch: Batch, path: Path, spec: FeedSpec, settings: Settings, checksum: str, error: DeliveryRejected, now: datetime) -> None:
    """Keep an unreadable delivery aside (encrypted) and record why, so the partner can be asked to resend.

    A refused landing entry (link, device, dot-file) is recorded but never opened nor kept.
    """
    readable = entry_problem(path) is None
    kept = keep_evidence(settings, spec.name, path.read_bytes(), checksum) if readable else None
    batch.rejected.append(
        {
            "feed": spec.name,
            "file_name": path.name,
            "checksum": checksum,
            "size_bytes": path.lstat().st_size,
            "reason_code": error.reason_code,
            "reason": error.message,
            "kept_at": str(kept.relative_to(settings.lake)) if kept else "",
            "detected_at": now,
        }
    )
    result = DeliveryResult(spec.name, path.name, checksum, "rejected", message=str(error))
    result.reasons[error.reason_code] += 1
    batch.add(result, spec.delivery_date(path.name) if readable else None, error.reason_code)


def prepare_batch(items: list[tuple[Path, str]], spec: FeedSpec, settings: Settings, duplicates: dict[str, str] | None = None) -> Batch:
    """Parse, validate and treat deliveries ``(path, checksum)``; writes nothing to the tables.

    ``duplicates`` maps file names whose bytes were already ingested under another name to that
    name: such a delivery is acknowledged in the ledger without its rows being read (or
    quarantined) twice.

    Files are read one by one (a bad file is rejected alone) but validated and treated as one
    frame: pandera and the treatments cost per call, so one call per batch, not per file.
    """
    now = datetime.now(UTC)
    batch = Batch()
    duplicates = duplicates or {}
    pieces: list[pa.Table] = []
    parsed: list[tuple[Path, str, list[str]]] = []
    malformed: list[tuple[str, str, int, str]] = []
    outside: Counter[str] = Counter()
    deferred: list[tuple[Path, str]] = []
    for path, checksum in items:
        if problem := entry_problem(path):
            _reject(batch, path, spec, settings, checksum, DeliveryRejected(*problem), now)
            continue
        if spec.delivery_date(path.name) is None:
            accepted = [r.pattern for r in spec.file_regexes]
            message = f"{path.name!r} matches none of the declared names {accepted!r}"
            _reject(batch, path, spec, settings, checksum, DeliveryRejected("unexpected_file_name", message), now)
            continue
        if path.name in duplicates:
            deferred.append((path, checksum))  # after the loop: its original may be in this batch
            continue
        try:
            rows, bad_lines, extra = _read_rows(path, spec)
        except DeliveryRejected as error:
            _reject(batch, path, spec, settings, checksum, error, now)
            continue
        pieces.append(rows)
        malformed += [(path.name, checksum, line, reason) for line, reason in bad_lines.items()]
        parsed.append((path, checksum, extra))
    refused = {r.file_name: r for r in batch.results if r.status == "rejected"}
    for path, checksum in deferred:
        original = duplicates[path.name]
        if original in refused:  # same bytes as a file rejected just now: same verdict
            first = refused[original]
            reason = next(iter(first.reasons))
            error = DeliveryRejected(reason, f"same content as {original!r}, rejected: {first.message}")
            _reject(batch, path, spec, settings, checksum, error, now)
        else:  # the same bytes were ingested under another name: acknowledge, count the rows once
            note = f"same content as {original!r}, already ingested: rows counted once"
            batch.add(DeliveryResult(spec.name, path.name, checksum, "ingested", message=note), spec.delivery_date(path.name), note)
    if not parsed:
        return batch
    # One frame for the batch, built from Arrow once (a pandas frame per file costs more than its rows).
    table = pa.concat_tables(pieces)
    raw = pd.DataFrame({c.name: pd.array(table.column(c.name), dtype="str") for c in spec.columns})
    raw[LINE_COLUMN] = table.column(LINE_COLUMN).to_numpy()
    # Per-row lineage, set once for the batch (a column per file and per call costs more than the rows).
    sizes = [piece.num_rows for piece in pieces]
    names = [path.name for path, _, _ in parsed]
    raw["_source_file"] = _repeated(names, sizes)
    raw["_source_checksum"] = _repeated([checksum for _, checksum, _ in parsed], sizes)
    raw["_delivery_date"] = np.repeat(np.array([spec.delivery_date(name) for name in names], dtype=object), sizes)
    raw["_provenance"] = _repeated([spec.provenance(name) for name in names], sizes)
    if spec.perimeter:  # out-of-perimeter rows are counted per file, and not kept anywhere
        beyond = outside_perimeter(raw, spec).to_numpy()
        outside.update(raw["_source_file"][beyond].tolist())
        raw = raw[~beyond].reset_index(drop=True) if beyond.any() else raw
    typed = _parse_types(raw, spec)
    try:
        failures = validate(typed, raw, spec, within="_source_file")
    except DeliveryRejected as error:  # table-level: the layout itself is wrong for every file
        for path, checksum, _ in parsed:
            _reject(batch, path, spec, settings, checksum, error, now)
        return batch
    # Rows that passed, aligned on ``typed``'s index; without a failure (the usual case) no copy.
    # (by a mask over the lineage columns only: a take of every raw column by label is slow)
    passed = ~raw.index.isin(list(failures)) if failures else None
    lineage_columns = ["_source_file", "_source_checksum", LINE_COLUMN, "_delivery_date", "_provenance"]
    kept = raw[lineage_columns][passed] if passed is not None else raw
    # Lineage as arrays (positional, like ``typed``'s rows), the strings kept in Arrow: a round
    # trip through a Python object per row costs more than the rows' own parsing.
    lineage: dict[str, object] = {
        "_source_file": kept["_source_file"].array,
        "_source_checksum": kept["_source_checksum"].array,
        LINE_COLUMN: kept[LINE_COLUMN].array,
        "_ingested_at": now,
        "_delivery_date": kept["_delivery_date"].array,
    }
    if records_provenance(spec):
        lineage["_provenance"] = kept["_provenance"].array
    batch.bronze = to_bronze(typed[passed] if passed is not None else typed, spec, settings.key, lineage)
    batch.quarantine = quarantine_records(raw, failures, malformed, spec, settings.key, now)

    rows_read = raw["_source_file"].value_counts()
    written = pd.Series(lineage["_source_file"]).value_counts()
    failures_by_file: dict[str, list[list[tuple[str, str]]]] = {}
    for index, name in raw.loc[list(failures), "_source_file"].items():
        failures_by_file.setdefault(name, []).append(failures[int(index)])
    malformed_by_file = Counter(m[0] for m in malformed)
    for path, checksum, extra in parsed:
        note = f"additive schema change, undeclared column(s) ignored: {extra}" if extra else ""
        file_failures = failures_by_file.get(path.name, [])
        file_malformed = malformed_by_file[path.name]
        result = DeliveryResult(
            spec.name,
            path.name,
            checksum,
            "ingested",
            rows_read=int(rows_read.get(path.name, 0)) + file_malformed + outside[path.name],
            rows_written=int(written.get(path.name, 0)),
            rows_quarantined=len(file_failures) + file_malformed,
            rows_out_of_perimeter=outside[path.name],
            message=note,
        )
        for reasons in file_failures:
            result.reasons.update({code for code, _ in reasons})
        result.reasons.update(["malformed_row"] * file_malformed)
        if outside[path.name]:
            result.reasons["out_of_perimeter"] += outside[path.name]
        batch.add(result, spec.delivery_date(path.name), note)
    return batch


# Plain integers: what pandas' ``to_numeric`` and Arrow's cast read alike (15 digits: exact in float64).
_PLAIN_INT = r"^-?[0-9]{1,15}$"


def _parse_types(raw: pd.DataFrame, spec: FeedSpec) -> pd.DataFrame:
    """:func:`~orchestration.core.parsing.parse_types`, int columns of plain digits cast in Arrow.

    pandas' ``to_numeric`` on strings costs ~0.4 s per million values; when every value of an int
    column is plain digits the result is the same integers, cast in Arrow ten times faster. Any
    other column, or an int column holding a single value that is not plain, is parsed as declared.
    """
    columns: dict[str, pd.Series] = {}
    for col in spec.columns:
        fast = _plain_ints(raw[col.name], col, spec) if col.type == "int" else None
        columns[col.name] = fast if fast is not None else typed_column(raw[col.name], col, spec.format)
    return pd.DataFrame(columns, index=raw.index)


def _plain_ints(raw: pd.Series, col: ColumnSpec, spec: FeedSpec) -> pd.Series | None:
    """An int column as ``Int64`` when every value is plain digits once normalised, else ``None``."""
    values = normalise_text(raw, col, spec.format)
    strings = pa.array(values.array, type=pa.string())
    plain = pc.match_substring_regex(strings, _PLAIN_INT)  # null stays null (an empty value)
    if (pc.sum(plain).as_py() or 0) != len(strings) - strings.null_count:
        return None
    ints = pc.cast(strings, pa.int64())
    data = np.asarray(pc.fill_null(ints, 0), dtype=np.int64)
    return pd.Series(pd.arrays.IntegerArray(data, np.asarray(ints.is_null())), index=raw.index)


def _raw_schema(spec: FeedSpec) -> pa.Schema:
    """A delivery's rows as read: every declared column as a string, and the physical line."""
    return pa.schema([*((c.name, pa.string()) for c in spec.columns), (LINE_COLUMN, pa.int64())])


def _read_rows(path: Path, spec: FeedSpec) -> tuple[pa.Table, dict[int, str], list[str]]:
    """Rows (:func:`_raw_schema`), malformed lines and extra columns of one delivery.

    A CSV every line of which is a record takes the fast path (:mod:`orchestration.core.fast_csv`);
    any other file, or a CSV with a line to account for, is read the careful way.
    """
    if spec.format.type == "csv":
        clean = read_clean_csv(path.read_bytes(), spec)
        if clean is not None:
            return clean.table.cast(_raw_schema(spec)), clean.malformed, clean.extra_columns
    delivery = read_delivery(path, spec)
    rows = pa.Table.from_pandas(delivery.frame, preserve_index=False).cast(_raw_schema(spec))
    return rows, delivery.malformed, delivery.extra_columns


def _repeated(values: list[str], sizes: list[int]) -> pd.api.extensions.ExtensionArray:
    """``values[i]`` repeated ``sizes[i]`` times, as a string column built in Arrow (no Python strings per row)."""
    positions = pa.array(np.repeat(np.arange(len(values), dtype=np.int32), sizes))
    return pd.array(pa.array(values, type=pa.string()).take(positions), dtype="str")


def _ledger(batch: Batch) -> pa.Table:
    now = datetime.now(UTC)
    rows = [
        {
            "feed": r.feed,
            "file_name": r.file_name,
            "checksum": r.checksum,
            "delivery_date": day,
            "status": r.status,
            "rows_read": r.rows_read,
            "rows_written": r.rows_written,
            "rows_quarantined": r.rows_quarantined,
            "rows_out_of_perimeter": r.rows_out_of_perimeter,
            "rows_withdrawn": r.rows_withdrawn,
            "schema_note": note,
            "ingested_at": now,
        }
        for r, day, note in zip(batch.results, batch.dates, batch.notes, strict=True)
    ]
    return pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA)


def commit(batch: Batch, spec: FeedSpec, settings: Settings) -> None:
    """Write a batch: one merge per table, the ledger last.

    The ledger is the commit point: if anything fails before it, the batch is simply retried by
    the next run, and the merges make that retry harmless.
    """
    if not batch.results:
        return
    replaced = False
    if batch.bronze is not None and batch.bronze.num_rows:
        if spec.delivery.full_snapshot:
            batch.bronze = _latest_versions(batch)
        # A later delivery of the same key (a correction) wins, as it would one file at a time.
        keys = list(spec.natural_key)
        last = ~batch.bronze.select(keys).to_pandas().duplicated(keep="last").to_numpy()
        rows = batch.bronze.filter(pa.array(last))
        replaced = spec.delivery.full_snapshot and _replace_snapshot(batch, spec, settings, rows)
        if not replaced:
            lake.upsert(bronze_path(settings, spec), rows, keys, [spec.partition_by])
    if spec.delivery.full_snapshot and not replaced:
        _withdraw_superseded(batch, spec, settings)
    if batch.quarantine is not None and batch.quarantine.num_rows:
        lake.upsert(quarantine_rows_path(settings), batch.quarantine, QUARANTINE_KEY, ["feed"])
    if batch.rejected:
        rejected = pa.Table.from_pylist(batch.rejected, schema=REJECTED_SCHEMA)
        lake.upsert(rejected_deliveries_path(settings), rejected, ["feed", "file_name", "checksum"])
    lake.upsert(ledger_path(settings), _ledger(batch), ["feed", "file_name", "checksum"])


def _latest_versions(batch: Batch) -> pa.Table:
    """Bronze rows of the last version of each file name in the batch (full-snapshot feeds)."""
    latest = {r.file_name: r.checksum for r in batch.results if r.status == "ingested"}
    assert batch.bronze is not None
    frame = batch.bronze.select(["_source_file", "_source_checksum"]).to_pandas()
    keep = frame["_source_checksum"].to_numpy() == frame["_source_file"].map(latest).to_numpy()
    return batch.bronze.filter(pa.array(keep))


def _replace_snapshot(batch: Batch, spec: FeedSpec, settings: Settings, rows: pa.Table) -> bool:
    """A full snapshot re-delivered with rows withdrawn: delete its earlier version's rows, append its rows.

    Two commits and the same rows as the merge then the delete of :func:`_withdraw_superseded`,
    without the merge rewriting every file of the earlier version (a year of BAAC accidents sits
    in a file per day) only for the delete to rewrite them again. Taken only when provably
    equivalent, else ``False`` (the merge path): one file of the batch ingested with rows, no other
    row holding one of its keys, none of its rows already there with its new checksum, and some
    row withdrawn (without any, the merge alone commits once).

    The delete comes first: a process stopped between the two commits leaves the file's rows
    missing while its delivery is still pending in the ledger, and the next run ingests it again
    (by the merge path, nothing of it being there). Appending first would leave the file's rows
    twice, which no rerun undoes (a merge updates every row its key matches).
    """
    ingested = [r for r in batch.results if r.status == "ingested" and r.rows_read]
    if len(ingested) != 1 or len({r.file_name for r in batch.results}) != len(batch.results):
        return False
    result, keys = ingested[0], list(spec.natural_key)
    path = bronze_path(settings, spec)
    table = lake.open_table(path)
    if table is None or not pa.schema(table.schema().to_arrow()).equals(rows.schema):
        return False
    current = lake.read_current(table, [*keys, "_source_file", "_source_checksum"], cache=False)
    same_file = pc.fill_null(pc.equal(current.column("_source_file"), result.file_name), False)
    known_checksum = pc.fill_null(pc.not_equal(current.column("_source_checksum"), result.checksum), False)
    if pc.any(pc.and_(same_file, pc.invert(known_checksum))).as_py():
        return False  # a row of this very version (or without a checksum) is there already
    matched = lake.keys_in(current.select(keys), rows.select(keys))
    if matched is None or pc.any(pc.and_(pc.invert(same_file), matched)).as_py():
        return False  # the merge would move another file's row: leave it to the merge
    withdrawn = int(pc.sum(pc.and_(same_file, pc.invert(matched))).as_py() or 0)
    if not withdrawn:
        return False
    name = result.file_name.replace("'", "''")
    lake.delete(path, f"_source_file = '{name}' AND _source_checksum <> '{result.checksum}'")
    result.rows_withdrawn = withdrawn
    # Against the version the delete made: an upsert committed since then fails the append, and the
    # merge path inserts the rows (its own delete then finds nothing left to withdraw).
    return lake.append_unchanged(lake.table(path), rows)


def _withdraw_superseded(batch: Batch, spec: FeedSpec, settings: Settings) -> None:
    """A full snapshot replaces its earlier versions: delete their rows it no longer holds.

    Rows it still holds were just updated (same natural key, new checksum); what is left with an
    older checksum of the same file name was withdrawn by the partner, and is counted.
    """
    path = bronze_path(settings, spec)
    table = lake.open_table(path)
    if table is None:
        return
    sources: pa.Table | None = None
    for result in batch.results:
        if result.status != "ingested" or not result.rows_read:
            continue
        # A delete scans every file; when no row matches it commits nothing (no new version), so
        # a look at the two lineage columns first decides whether there is anything to delete.
        if sources is None:
            sources = lake.read_current(table, ["_source_file", "_source_checksum"], cache=False)
        older = pc.and_(
            pc.equal(sources.column("_source_file"), result.file_name), pc.not_equal(sources.column("_source_checksum"), result.checksum)
        )
        if not pc.any(older).as_py():
            continue
        name = result.file_name.replace("'", "''")
        predicate = f"_source_file = '{name}' AND _source_checksum <> '{result.checksum}'"
        metrics = lake.delete(path, predicate)
        result.rows_withdrawn = int(metrics.get("num_deleted_rows", 0))
        table, sources = lake.table(path), None  # a new version: look again for the next file


class LakeFullError(RuntimeError):
    """The lake's disk is full: nothing of the batch was committed; free space and rerun."""


def _log_to_lake(settings: Settings, message: str) -> None:
    """Append one line to ``<lake>/logs/ingestion.log`` (best effort: the disk may be full)."""
    try:
        folder = settings.lake / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "ingestion.log").open("a", encoding="utf-8") as handle:
            handle.write(f"{datetime.now(UTC).isoformat()} {message}\n")
    except OSError:
        pass


def prefer_system_allocator() -> None:
    """Have Arrow allocate with the C library's ``malloc`` unless ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise.

    Arrow's default pool (mimalloc) hands freed pages back to the kernel eagerly, and ingestion
    allocates and frees large columns all the time: a year of the largest feed spent ~2 CPU-s in
    the kernel (page faults) with it, ~0.5 s with the system allocator, for the same bytes.
    The pool is per process; buffers already allocated stay with the pool that made them.
    """
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ and pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


def ingest_deliveries(
    paths: list[Path], spec: FeedSpec, settings: Settings, known: set[Delivery] | None = None, batch_size: int = 366
) -> list[DeliveryResult]:
    """Ingest deliveries in order, committing every ``batch_size`` files; idempotent on checksums.

    Batching turns 3 Delta commits per file into 3 per batch (a year of daily files: 3 commits
    instead of 1,095), which is what makes a backfill fast; a year of the largest feed (telecom,
    ~1 M rows) fits in memory comfortably (peak ~1.1 GiB). A full disk stops the run with
    :class:`LakeFullError`, recorded in the lake logs; the ledger being written last, the rerun
    after freeing space redoes the batch.
    """
    if not settings.key:
        raise ValueError("ingestion needs the pseudonymisation key (settings loaded with require_key=False)")
    prefer_system_allocator()
    ledger = _ledger_rows(settings, spec)  # read once: what was processed, and the contents already ingested
    known = {(r["file_name"], r["checksum"]) for r in ledger} if known is None else known
    by_content = ingested_contents(settings, spec, ledger)
    results: list[DeliveryResult] = []
    pending: list[tuple[Path, str]] = []

    def flush() -> None:
        try:
            batch = prepare_batch(pending, spec, settings, duplicates)
            commit(batch, spec, settings)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            message = (
                f"{spec.name}: the lake's disk is full ({settings.lake}); {len(pending)} delivery(ies) "
                "not ingested, nothing committed. Free space (retention, old logs) and rerun."
            )
            _log_to_lake(settings, f"ERROR disk_full {message}")
            raise LakeFullError(message) from error
        results.extend(batch.results)
        pending.clear()
        duplicates.clear()

    duplicates: dict[str, str] = {}
    for path in paths:
        checksum = delivery_checksum(path)
        if (path.name, checksum) in known:
            results.append(DeliveryResult(spec.name, path.name, checksum, "already_processed", message="same bytes already processed"))
            continue
        known.add((path.name, checksum))
        if checksum in by_content and by_content[checksum] != path.name:
            duplicates[path.name] = by_content[checksum]
        else:
            by_content.setdefault(checksum, path.name)
        pending.append((path, checksum))
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return results


def ingest_delivery(path: Path, spec: FeedSpec, settings: Settings, known: set[Delivery] | None = None) -> DeliveryResult:
    """Ingest one delivery file end to end (see :func:`ingest_deliveries`)."""
    return ingest_deliveries([path], spec, settings, known)[0]


def landing_files(settings: Settings, spec: FeedSpec) -> list[Path]:
    """Every entry delivered for ``spec`` in landing, oldest name first.

    Nothing is filtered out silently: links, devices, folders and dot-files are listed too, and
    ingestion records them as rejected without opening them (:func:`entry_problem`). A landing
    folder that is itself a link is one refused entry: its target is never listed.
    """
    folder = settings.landing / spec.name
    if folder.is_symlink():
        return [folder]
    if not folder.is_dir():
        return []
    return sorted(folder.iterdir())


def regular_landing_files(settings: Settings, spec: FeedSpec) -> list[Path]:
    """The regular, non-hidden files of :func:`landing_files` (what retention may delete)."""
    return [p for p in landing_files(settings, spec) if entry_problem(p) is None]
