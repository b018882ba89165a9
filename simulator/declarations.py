"""What the simulator reads from the feed declarations beyond :class:`FeedSpec`'s typed fields.

The catalog README documents column keys (``pattern``, ``min``, ``max``, ``datetime_format``)
and feed keys (``event_time``, ``checks``, ``format.records_path``) that the loader may or may
not expose as attributes. The simulator reads them here, from the loaded spec when it has them
and from the same YAML file otherwise, so the declaration stays the single source either way.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from orchestration.core.catalog import CATALOG_DIR, FeedSpec


@cache
def raw_declaration(feed_name: str) -> dict[str, Any]:
    """The feed's YAML document, as written."""
    with (CATALOG_DIR / "feeds" / f"{feed_name}.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _raw_column(spec: FeedSpec, name: str) -> dict[str, Any]:
    for column in raw_declaration(spec.name)["columns"]:
        if column["name"] == name:
            return column
    raise KeyError(f"{spec.name} has no column {name!r}")


def column_key(spec: FeedSpec, name: str, key: str) -> Any:
    """A column key (``min``, ``max``, ``pattern``, ``datetime_format``...), ``None`` if absent."""
    value = getattr(spec.column(name), key, None)
    return value if value is not None else _raw_column(spec, name).get(key)


def bounds(spec: FeedSpec, name: str) -> tuple[float | None, float | None]:
    """Declared inclusive ``(min, max)`` of a numeric column."""
    return column_key(spec, name, "min"), column_key(spec, name, "max")


def time_format(spec: FeedSpec, name: str) -> str:
    """The strftime format of a ``datetime`` or ``date`` column (column override, else feed)."""
    own = column_key(spec, name, "datetime_format")
    if own:
        return own
    kind = spec.column(name).type
    return spec.format.date_format if kind == "date" else spec.format.datetime_format


def records_path(spec: FeedSpec) -> str | None:
    """For ``json`` feeds: the key of the object holding the records array (``None``: top-level array)."""
    return spec.format.records_path


def feed_key(spec: FeedSpec, key: str, default: Any = None) -> Any:
    """A feed-level key (``event_time``, ``checks``...), from the spec or its YAML."""
    value = getattr(spec, key, None)
    return value if value is not None else raw_declaration(spec.name).get(key, default)


def codes(spec: FeedSpec, name: str) -> list[str]:
    """The declared codes of a column, in catalog order (the catalog is the only list)."""
    return [str(code) for code in (spec.column(name).codes or {})]
