"""Zones of publication (quartier, arrondissement): full lists and polygons from ``reference/``."""

from __future__ import annotations

import csv
import json
from functools import cache
from typing import Any, Literal

import shapely
from shapely.geometry import mapping, shape

from orchestration.core.geography import QUARTIERS_GEOJSON, arrondissement_names
from orchestration.core.settings import REFERENCE_DIR

SpatialLevel = Literal["quartier", "arrondissement", "commune"]

# Column name and French description of each level's zone code in the open files.
ZONE_COLUMNS: dict[str, tuple[str, str]] = {
    "quartier": ("code_quartier", "Code INSEE du quartier de Marseille (7 chiffres)."),
    "arrondissement": ("arrondissement", "Code INSEE de l'arrondissement municipal de Marseille (13201 à 13216)."),
}
NAME_COLUMNS = {"quartier": "nom_quartier", "arrondissement": "nom_arrondissement"}


def zone_column(level: str) -> str | None:
    """The open file's zone column for ``level`` (``None`` for city-wide datasets)."""
    return ZONE_COLUMNS[level][0] if level in ZONE_COLUMNS else None


@cache
def quartiers() -> dict[str, tuple[str, str]]:
    """Quartier code -> (name, arrondissement code), from the reference list."""
    with (REFERENCE_DIR / "quartiers-marseille.csv").open(encoding="utf-8") as handle:
        return {row["code_qua"]: (row["nom"], row["arrondissement"]) for row in csv.DictReader(handle)}


def zone_names(level: str) -> dict[str, str]:
    """Every zone of ``level`` (code -> name): the full grid, so a missing row is never ambiguous."""
    if level == "quartier":
        return {code: name for code, (name, _) in sorted(quartiers().items())}
    if level == "arrondissement":
        return dict(sorted(arrondissement_names().items()))
    raise ValueError(f"{level!r} has no zones")


@cache
def _geometries(level: str) -> dict[str, dict[str, Any]]:
    if level not in ("quartier", "arrondissement"):
        raise ValueError(f"{level!r} has no polygons")
    with QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    parts: dict[str, list[Any]] = {}
    key = {"quartier": "code_qua", "arrondissement": "DEPCO"}[level]
    for f in features:
        parts.setdefault(f["properties"][key], []).append(shape(f["geometry"]))
    # Simplified to about 10 m and rounded to about 1 m: a map needs no more, files stay small.
    return {
        code: mapping(shapely.set_precision(shapely.simplify(shapely.union_all(geoms), 1e-4), 1e-5))
        for code, geoms in parts.items()
    }


def geometry(level: str, code: str) -> dict[str, Any] | None:
    """GeoJSON geometry of one zone (WGS 84), ``None`` if unknown."""
    return _geometries(level).get(code)
