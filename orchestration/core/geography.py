"""Reference geography of Marseille (real, Licence Ouverte 2.0), loaded once per process."""

from __future__ import annotations

import json
import math
from functools import cache

import numpy as np
import shapely

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
    # GEOS reads the 2 MB FeatureCollection itself: the same 111 geometries, coordinate for
    # coordinate, as json + shape() (tests/unit/test_ingest_geography.py), at half the cost.
    quartiers = shapely.get_parts(shapely.from_geojson(QUARTIERS_GEOJSON.read_text(encoding="utf-8")))
    # The quartiers tile the commune edge to edge (a coverage): their coverage union is the same
    # polygon as a general union, ten times cheaper to compute (tests/unit/test_geography.py).
    union = shapely.coverage_union_all(quartiers)
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


# The INSEE grid (carroyage) cells that marts and open data name, e.g. CRS3035RES200mN...E...
# EPSG:3035 (ETRS89-LAEA Europe) on the GRS80 ellipsoid: inverse projection of the INSEE grid.
_A = 6378137.0
_E2 = 0.0066943800229
_E = math.sqrt(_E2)
_LAT0, _LON0, _FE, _FN = math.radians(52.0), math.radians(10.0), 4321000.0, 3210000.0


def _q(phi: float) -> float:
    s = math.sin(phi)
    return (1 - _E2) * (s / (1 - _E2 * s * s) - (1 / (2 * _E)) * math.log((1 - _E * s) / (1 + _E * s)))


_QP = _q(math.pi / 2)
_BETA0 = math.asin(_q(_LAT0) / _QP)
_RQ = _A * math.sqrt(_QP / 2)
_D = _A * math.cos(_LAT0) / (math.sqrt(1 - _E2 * math.sin(_LAT0) ** 2) * _RQ * math.cos(_BETA0))


def laea_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """EPSG:3035 metres -> (latitude, longitude) in degrees (EPSG guidance note 7-2, 3.2.4)."""
    x, y = easting - _FE, northing - _FN
    rho = math.hypot(x / _D, _D * y)
    if rho == 0:
        return math.degrees(_LAT0), math.degrees(_LON0)
    c = 2 * math.asin(rho / (2 * _RQ))
    beta = math.asin(math.cos(c) * math.sin(_BETA0) + _D * y * math.sin(c) * math.cos(_BETA0) / rho)
    lon = _LON0 + math.atan2(x * math.sin(c), _D * rho * math.cos(_BETA0) * math.cos(c) - _D * _D * y * math.sin(_BETA0) * math.sin(c))
    e4, e6 = _E2 * _E2, _E2**3
    lat = (
        beta
        + (_E2 / 3 + 31 * e4 / 180 + 517 * e6 / 5040) * math.sin(2 * beta)
        + (23 * e4 / 360 + 251 * e6 / 3780) * math.sin(4 * beta)
        + (761 * e6 / 45360) * math.sin(6 * beta)
    )
    return math.degrees(lat), math.degrees(lon)


def parse_cell(cell_id: str) -> tuple[int, int, int]:
    """``"CRS3035RES200mN2246200E3947000"`` -> (size in m, northing, easting) of its SW corner."""
    text = str(cell_id)
    size = int(text.split("RES", 1)[1].split("m", 1)[0])
    northing, easting = text.split("mN", 1)[1].split("E", 1)
    return size, int(northing), int(easting)


def cell_polygon(cell_id: str, closed: bool = False) -> list[list[float]]:
    """The cell's square as a [lon, lat] ring: four corners (pydeck), or ``closed`` with the
    first corner repeated at the end, as a GeoJSON linear ring must be (RFC 7946, 3.1.6)."""
    size, north, east = parse_cell(cell_id)
    corners = [(east, north), (east + size, north), (east + size, north + size), (east, north + size)]
    ring = [[lon, lat] for lat, lon in (laea_to_wgs84(e, n) for e, n in corners)]
    return [*ring, ring[0]] if closed else ring


def cell_centre(cell_id: str) -> tuple[float, float]:
    """(latitude, longitude) of the centre of an INSEE grid cell."""
    size, north, east = parse_cell(cell_id)
    return laea_to_wgs84(east + size / 2, north + size / 2)
