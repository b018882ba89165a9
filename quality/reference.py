"""Reference values the suites share, read once per process (the gates of a run share one process)."""

from __future__ import annotations

import json
from functools import cache

from orchestration.core.geography import QUARTIERS_GEOJSON


@cache
def _codes() -> tuple[str, ...]:
    with QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:  # 2 MB of GeoJSON: parsed once, not once per suite
        return tuple(sorted(f["properties"]["code_qua"] for f in json.load(handle)["features"]))


def quartier_codes() -> list[str]:
    """The 111 quartier codes of the reference geography, sorted (a new list: callers may keep it)."""
    return list(_codes())
