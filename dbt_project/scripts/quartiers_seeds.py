"""Write the quartier reference files the Spark target reads instead of DuckDB's ``st_read``.

Spark (LakeSail) has no spatial functions and cannot parse the GeoJSON (mixed Polygon and
MultiPolygon), so the same polygons are loaded as plain rows: one row per vertex
(``quartiers_sommets.csv``: quartier, polygon, ring, order, lon, lat) and one row per quartier
(``quartiers_noms.csv``). The DuckDB targets keep reading the GeoJSON; this file is derived from
it and checked against it by ``tests/cluster/test_spark_reference.py``.

    .venv/bin/python dbt_project/scripts/quartiers_seeds.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
GEOJSON = PROJECT.parent / "reference" / "quartiers-marseille.geojson"
SEEDS = PROJECT / "spark_reference"


def polygons(geometry: dict) -> list[list[list[list[float]]]]:
    """The polygons of a Polygon or MultiPolygon geometry, each a list of rings."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def vertex_rows(geojson: Path = GEOJSON) -> list[tuple[str, int, int, int, float, float]]:
    """(code_quartier, polygone, anneau, ordre, lon, lat) for every vertex of every ring, rings closed."""
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    rows = []
    for feature in features:
        code = str(feature["properties"]["code_qua"])
        for p, rings in enumerate(polygons(feature["geometry"])):
            for r, ring in enumerate(rings):
                rows.extend((code, p, r, i, float(lon), float(lat)) for i, (lon, lat) in enumerate(ring))
    return rows


def name_rows(geojson: Path = GEOJSON) -> list[tuple[str, str, str]]:
    """(code_quartier, nom_quartier, arrondissement) per quartier, as ``stg_reference__quartiers`` reads them."""
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    return [(str(f["properties"]["code_qua"]), str(f["properties"]["nom"]), str(f["properties"]["DEPCO"])) for f in features]


def write_seeds(target: Path = SEEDS) -> None:
    """Write both CSV seeds (floats in their shortest round-tripping form: the same doubles as the GeoJSON)."""
    target.mkdir(parents=True, exist_ok=True)
    with (target / "quartiers_sommets.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code_quartier", "polygone", "anneau", "ordre", "lon", "lat"])
        writer.writerows((c, p, r, i, repr(x), repr(y)) for c, p, r, i, x, y in vertex_rows())
    with (target / "quartiers_noms.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code_quartier", "nom_quartier", "arrondissement"])
        writer.writerows(name_rows())


if __name__ == "__main__":
    write_seeds()
