"""The city boundary read by GEOS is the one json + shapely's shape() built (coordinate for coordinate)."""

import json

import shapely
from shapely.geometry import shape

from orchestration.core import geography


def test_boundary_is_the_coverage_union_of_the_quartiers_as_json_reads_them() -> None:
    with geography.QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    expected = shapely.coverage_union_all([shape(f["geometry"]) for f in features])
    assert shapely.to_wkb(geography.city_boundary()) == shapely.to_wkb(expected)
