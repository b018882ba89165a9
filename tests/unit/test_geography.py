"""The commune's boundary used by the ``inside_city`` contract check."""

import json

import shapely
from shapely.geometry import shape

from orchestration.core.geography import QUARTIERS_GEOJSON, city_boundary, inside_city


def test_coverage_union_is_the_same_polygon_as_a_general_union() -> None:
    # city_boundary() uses the cheaper coverage union: valid only because the quartiers tile the city.
    with QUARTIERS_GEOJSON.open(encoding="utf-8") as handle:
        geometries = [shape(f["geometry"]) for f in json.load(handle)["features"]]
    assert city_boundary().equals(shapely.union_all(geometries))


def test_inside_city() -> None:
    inside = inside_city([43.2965, 43.2965, float("nan")], [5.3698, 2.3522, 5.37])  # Vieux-Port, Paris's longitude, no latitude
    assert inside.tolist() == [True, False, False]
