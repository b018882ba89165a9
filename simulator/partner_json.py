"""The JSON writers: JSON lines (one object per line) and JSON documents (an array, or an object
whose ``records_path`` key holds the array), as partners' APIs and log exporters write them.

Keys follow the declared order (the partner's), values are JSON types (floats already rounded
by the feed, ``null`` for empty), separators compact, non-ASCII kept (UTF-8). A document puts
one record per physical line after its opening line, so defects can be found by line too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from simulator.dirt import Malformed


def _record(header: Sequence[str], row: Sequence[Any]) -> str:
    return json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False, separators=(",", ":"))


def _line(header: Sequence[str], row: Any) -> str:
    if isinstance(row, Malformed):
        if row.variant == "array_instead_of_object":
            return json.dumps(list(row.values), ensure_ascii=False, separators=(",", ":"))
        return _record(header, row.values)[:-1]  # unterminated_json: the closing brace is missing
    return _record(header, row)


def render_jsonl(header: Sequence[str], rows: Sequence[Any]) -> str:
    return "".join(_line(header, row) + "\n" for row in rows)


def render_json(header: Sequence[str], rows: Sequence[Any], records_path: str | None, head: dict[str, Any] | None = None) -> str:
    body = ",\n".join(_line(header, row) for row in rows)
    if records_path is None:
        opening, closing = "[", "]"
    else:
        prefix = json.dumps(head or {}, ensure_ascii=False, separators=(",", ":"))[:-1]
        opening = f'{prefix}{"," if head else ""}"{records_path}":['
        closing = "]}"
    return f"{opening}\n{body}\n{closing}\n" if rows else f"{opening}\n{closing}\n"
