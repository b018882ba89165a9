"""Reference geography of Marseille (real, Licence Ouverte 2.0), loaded once per process."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import shapely
from shapely.geometry import shape

from orchestration.core.settings import REFERENCE_DIR

QUARTIERS_GEOJSON = REFERENCE_DIR / "quartiers-marseille.geojson"
ARRONDISSEMENTS_JSON = REFERENCE_DIR / "arrondissements-marseille.json"
ATTRIBUTION = (
    "Quartiers de Marseille : Joël Gombin, data.gouv.fr (décret 46-2285), Licence Ouverte 2.0 ; "
    "arrondissements et populations : INSEE via @etalab/decoupage-administratif, Licence Ouverte."
)


@cache
def city_boundary() -> shapely.Geometry:
    """Union of the 111 quartiers, prepared for fast point-in-polygon tests."""
    with QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    union = shapely.union_all([shape(f["geometry"]) for f in features])
    shapely.prepare(union)
    return union


def inside_city(latitude: np.ndarray, longitude: np.ndarray) -> np.ndarray:
    """Boolean mask: which (lat, lon) points fall inside the commune (NaN counts as outside)."""
    lat = np.asarray(latitude, dtype="float64")
    lon = np.asarray(longitude, dtype="float64")
    ok = np.isfinite(lat) & np.isfinite(lon)
    result = np.zeros(lat.shape, dtype=bool)
    result[ok] = shapely.contains_xy(city_boundary(), lon[ok], lat[ok])
    return result


@cache
def arrondissement_names() -> dict[str, str]:
    """INSEE code of each municipal arrondissement -> its name."""
    with ARRONDISSEMENTS_JSON.open(encoding="utf-8") as handle:
        rows = json.load(handle)
    return {r["code"]: r["nom"] for r in rows if r.get("type") == "arrondissement-municipal"}
