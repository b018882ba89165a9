"""Serialising query results: a JSON page, and streamed CSV, JSON and GeoJSON."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from functools import cache
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from orchestration.core.opendata import zones


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def rows(batch: pa.RecordBatch | pa.Table) -> list[dict[str, Any]]:
    """Rows as Python dicts, for :func:`dumps` (which writes NaN as null).

    Column by column, dates cast to ISO text in Arrow: Arrow's row-wise ``to_pylist`` and its
    ``datetime.date`` objects took most of a 20-row page's serialisation (measured).
    """
    names = batch.schema.names
    columns = [(pc.cast(c, pa.string()) if pa.types.is_date(c.type) else c).to_pylist() for c in batch.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def dumps(payload: Any) -> bytes:
    """Compact UTF-8 JSON (accents kept as they are; NaN as null).

    orjson: a 20-row page serialises in 3 µs against 120 µs with the standard library (measured).
    """
    return orjson.dumps(payload, default=_default, option=orjson.OPT_NON_STR_KEYS)


def csv_stream(batches: Iterable[pa.RecordBatch], names: list[str], on_rows: Callable[[int], None]) -> Iterator[bytes]:
    """CSV (UTF-8, comma, header, empty for null) batch by batch; ``on_rows`` gets the row count at the end."""
    count = 0
    header = True
    try:
        for batch in batches:
            sink = io.BytesIO()
            pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=header, quoting_style="needed"))
            header = False
            count += batch.num_rows
            yield sink.getvalue()
        if header:  # no rows: the header alone
            yield (",".join(names) + "\n").encode("utf-8")
    finally:  # also when the client goes away mid-download: what was sent is audited
        on_rows(count)


def json_stream(batches: Iterable[pa.RecordBatch], on_rows: Callable[[int], None]) -> Iterator[bytes]:
    """A JSON array of row objects, batch by batch."""
    count = 0
    try:
        yield b"["
        for batch in batches:
            for row in rows(batch):
                yield (b"," if count else b"") + dumps(row)
                count += 1
        yield b"]"
    finally:
        on_rows(count)


@cache
def _geometry_json(level: str, code: str) -> bytes:
    geometry = zones.geometry(level, code)
    return dumps(geometry) if geometry is not None else b"null"


def geojson_stream(
    batches: Iterable[pa.RecordBatch], level: str, zone_column: str, meta: dict[str, Any], on_rows: Callable[[int], None]
) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection: one feature per row, its zone's polygon as geometry (WGS 84)."""
    count = 0
    try:
        yield b'{"type":"FeatureCollection","meta":' + dumps(meta) + b',"features":['
        for batch in batches:
            for row in rows(batch):
                geometry = _geometry_json(level, str(row.get(zone_column)))
                yield (b"," if count else b"") + b'{"type":"Feature","geometry":' + geometry + b',"properties":' + dumps(row) + b"}"
                count += 1
        yield b"]}"
    finally:
        on_rows(count)
