"""Where simulated incidents happen: the 111 quartiers of Marseille and their weights.

Weight of a quartier = population share of its arrondissement x area share of the quartier
within its arrondissement x a boost for the hyper-centre (1er, 2e, 6e arrondissements).

- Population share (legal population, 886,040 in all) because most incidents follow residents.
- Area share inside an arrondissement because we have no population per quartier; it is a crude
  proxy, corrected by land use: ``LAND_USE`` scales the area of quartiers that are mostly
  hills, calanques, islands or a military camp (Vaufrèges, Sormiou, Carpiagne, Les Îles...),
  which would otherwise take a large share of their arrondissement.
- ``CENTRE_BOOST`` = 2: the 1er, 2e and 6e concentrate shops, night life, the Vieux-Port, the
  Saint-Charles station and tourists, so their daytime and evening population far exceeds
  their residents. With the boost they take ~20 % of incidents for ~11 % of residents.

Positions are drawn uniformly inside a quartier's polygon by rejection sampling in its bounding
box, vectorised with ``shapely.contains_xy`` over all pending points at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from shapely.geometry import shape

from orchestration.core.settings import REFERENCE_DIR

QUARTIERS_FILE = REFERENCE_DIR / "quartiers-marseille.geojson"
ARRONDISSEMENTS_FILE = REFERENCE_DIR / "arrondissements-marseille.json"

CENTRE_ARRONDISSEMENTS: tuple[str, ...] = ("13201", "13202", "13206")
CENTRE_BOOST = 2.0
# Share of a quartier's area that is built-up enough to count (1 when absent). Judgement calls from
# the map: the Calanques massif, the Étoile and Garlaban hills, the Frioul islands, Carpiagne camp.
LAND_USE: dict[str, float] = {
    "1320201": 0.5,  # Arenc (port docks)
    "1320703": 0.05,  # Les Îles (Frioul)
    "1320802": 0.15,  # Les Goudes
    "1320803": 0.5,  # Montredon
    "1320901": 0.5,  # Les Baumettes
    "1320903": 0.05,  # Carpiagne (military camp)
    "1320906": 0.3,  # Le Redon
    "1320907": 0.1,  # Sormiou
    "1320909": 0.15,  # Vaufrèges
    "1321102": 0.7,  # La Barasse
    "1321103": 0.6,  # Les Camoins
    "1321104": 0.4,  # Éoures
    "1321109": 0.5,  # La Treille
    "1321305": 0.5,  # Les Mourets
    "1321307": 0.6,  # Palama
    "1321510": 0.5,  # Verduron
    "1321602": 0.5,  # Les Riaux
}
KM_PER_DEGREE_LAT = 111.32
KM_PER_DEGREE_LON = KM_PER_DEGREE_LAT * 0.7278  # cos(43.3 degrees)


@dataclass(frozen=True)
class CityGeography:
    """Quartiers as parallel arrays (index i is one quartier), with their sampling weights."""

    codes: np.ndarray  # code_qua, e.g. "1320101"
    names: np.ndarray
    arrondissements: np.ndarray  # DEPCO, "13201".."13216"
    geometries: np.ndarray  # prepared shapely geometries, WGS 84
    bounds: np.ndarray  # (n, 4): min lon, min lat, max lon, max lat
    fill: np.ndarray  # polygon area / bounding-box area: rejection sampling acceptance rate
    weights: np.ndarray  # sums to 1
    area_km2: np.ndarray
    tree: shapely.STRtree  # quartier lookup of points
    city: shapely.Geometry  # union of the quartiers, prepared

    @property
    def density(self) -> np.ndarray:
        """Share of events per km² in each quartier (``weights / area``)."""
        return self.weights / self.area_km2

    def __len__(self) -> int:
        return len(self.codes)


def _arrondissement_population() -> dict[str, int]:
    records = json.loads(ARRONDISSEMENTS_FILE.read_text(encoding="utf-8"))
    # The file also holds the commune itself (13055); keep the 16 arrondissements only.
    return {r["code"]: int(r["population"]) for r in records if r.get("type") == "arrondissement-municipal"}


@cache
def marseille() -> CityGeography:
    """The reference geography, loaded once per process."""
    features = json.loads(QUARTIERS_FILE.read_text(encoding="utf-8"))["features"]
    features = sorted(features, key=lambda f: f["properties"]["code_qua"])  # stable order, not file order
    geoms = np.array([shape(f["geometry"]) for f in features], dtype=object)
    shapely.prepare(geoms)
    arr = np.array([f["properties"]["DEPCO"] for f in features])
    # Areas in square degrees: only ratios within one arrondissement are used, and the cosine of
    # latitude is constant to 0.1 % across the city, so no projection is needed.
    area = shapely.area(geoms)
    area_km2 = area * KM_PER_DEGREE_LAT * KM_PER_DEGREE_LON
    bounds = shapely.bounds(geoms)
    bbox_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])

    population = _arrondissement_population()
    total_population = sum(population.values())
    codes = np.array([f["properties"]["code_qua"] for f in features])
    lived = area * np.array([LAND_USE.get(str(code), 1.0) for code in codes])
    weights = np.empty(len(features))
    for code in np.unique(arr):
        members = arr == code
        weights[members] = population[code] / total_population * lived[members] / lived[members].sum()
    weights[np.isin(arr, CENTRE_ARRONDISSEMENTS)] *= CENTRE_BOOST
    weights /= weights.sum()

    city = shapely.union_all(geoms)
    shapely.prepare(city)
    return CityGeography(
        codes=codes,
        names=np.array([f["properties"]["nom"] for f in features]),
        arrondissements=arr,
        geometries=geoms,
        bounds=bounds,
        fill=area / bbox_area,
        weights=weights,
        area_km2=area_km2,
        tree=shapely.STRtree(geoms),
        city=city,
    )


def sample_points(geo: CityGeography, quartier: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random (lon, lat) inside the given quartier of each row."""
    n = len(quartier)
    lon = np.empty(n)
    lat = np.empty(n)
    pending = np.arange(n)
    while len(pending):
        q = quartier[pending]
        # Enough candidates per point that most points succeed in one round (~86 % at worst).
        per_point = np.clip(np.ceil(2.0 / geo.fill[q]), 2, 60).astype(np.int64)
        owner = np.repeat(np.arange(len(pending)), per_point)
        box = geo.bounds[q[owner]]
        xs = box[:, 0] + rng.random(len(owner)) * (box[:, 2] - box[:, 0])
        ys = box[:, 1] + rng.random(len(owner)) * (box[:, 3] - box[:, 1])
        inside = shapely.contains_xy(geo.geometries[q[owner]], xs, ys)
        hit_owner, first = np.unique(owner[inside], return_index=True)  # first success per point
        hits = np.flatnonzero(inside)[first]
        lon[pending[hit_owner]] = xs[hits]
        lat[pending[hit_owner]] = ys[hits]
        pending = np.delete(pending, hit_owner)
    return lon, lat


def quartier_of(geo: CityGeography, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Index of the quartier holding each point, -1 outside the city."""
    points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    found = np.full(len(points), -1)
    point_index, quartier = geo.tree.query(points, predicate="within")
    found[point_index] = quartier
    return found


def points_in_disc(
    geo: CityGeography, lon0: float, lat0: float, radius_m: float, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform points within ``radius_m`` of (lon0, lat0) and inside the city (not at sea)."""
    lon = np.empty(n)
    lat = np.empty(n)
    pending = np.arange(n)
    for _ in range(50):
        if not len(pending):
            break
        k = 2 * len(pending) + 4
        r = radius_m / 1000 * np.sqrt(rng.random(k))
        theta = 2 * np.pi * rng.random(k)
        xs = lon0 + r * np.cos(theta) / KM_PER_DEGREE_LON
        ys = lat0 + r * np.sin(theta) / KM_PER_DEGREE_LAT
        ok = np.flatnonzero(shapely.contains_xy(geo.city, xs, ys))[: len(pending)]
        lon[pending[: len(ok)]] = xs[ok]
        lat[pending[: len(ok)]] = ys[ok]
        pending = pending[len(ok) :]
    if len(pending):  # a disc almost entirely at sea: fall back to its centre
        lon[pending], lat[pending] = lon0, lat0
    return lon, lat


def distance_m(lon0: float | np.ndarray, lat0: float | np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Equirectangular distance in metres (exact enough within a city)."""
    dx = (np.asarray(lon) - lon0) * KM_PER_DEGREE_LON
    dy = (np.asarray(lat) - lat0) * KM_PER_DEGREE_LAT
    return 1000 * np.hypot(dx, dy)
