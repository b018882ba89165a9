"""Where simulated incidents happen: the 111 quartiers of Marseille and their weights.

Weight of a quartier = population share of its arrondissement x area share of the quartier
within its arrondissement x a boost for the hyper-centre (1er, 2e, 6e arrondissements).

- Population share (legal population, 886,040 in all) because most incidents follow residents.
- Area share inside an arrondissement because we have no population per quartier; it is a crude
  proxy (it over-weights large, empty quartiers such as Les Îles, Les Goudes or Arenc).
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

from orchestration.settings import REFERENCE_DIR

QUARTIERS_FILE = REFERENCE_DIR / "quartiers-marseille.geojson"
ARRONDISSEMENTS_FILE = REFERENCE_DIR / "arrondissements-marseille.json"

CENTRE_ARRONDISSEMENTS: tuple[str, ...] = ("13201", "13202", "13206")
CENTRE_BOOST = 2.0


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
    bounds = shapely.bounds(geoms)
    bbox_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])

    population = _arrondissement_population()
    total_population = sum(population.values())
    weights = np.empty(len(features))
    for code in np.unique(arr):
        members = arr == code
        weights[members] = population[code] / total_population * area[members] / area[members].sum()
    weights[np.isin(arr, CENTRE_ARRONDISSEMENTS)] *= CENTRE_BOOST
    weights /= weights.sum()

    return CityGeography(
        codes=np.array([f["properties"]["code_qua"] for f in features]),
        names=np.array([f["properties"]["nom"] for f in features]),
        arrondissements=arr,
        geometries=geoms,
        bounds=bounds,
        fill=area / bbox_area,
        weights=weights,
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
