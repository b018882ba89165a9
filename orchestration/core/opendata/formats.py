"""Open-data file formats: Table Schema (schema.data.gouv.fr conventions), CSV, Parquet, GeoJSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.core.catalog import OpenDataset
from orchestration.core.disclosure import MASKED, PUBLISHED
from orchestration.core.geography import cell_polygon
from orchestration.core.opendata.periods import PERIOD_COLUMNS, period_column
from orchestration.core.opendata.zones import NAME_COLUMNS, ZONE_COLUMNS, geometry, zone_column

TABLE_SCHEMA_PROFILE = "https://frictionlessdata.io/schemas/table-schema.json"
PERIOD_PATTERNS = {
    "day": r"^\d{4}-\d{2}-\d{2}$",
    "week": r"^\d{4}-W\d{2}$",
    "month": r"^\d{4}-\d{2}$",
    "year": r"^\d{4}$",
}
ZONE_PATTERNS = {"quartier": r"^132\d{4}$", "arrondissement": r"^132(0[1-9]|1[0-6])$"}
MEDIA_TYPES = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "geojson": "application/geo+json",
    "json": "application/json",
}


def table_schema(dataset: OpenDataset, k: int, example: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Table Schema of an open dataset, every field titled, described and constrained."""
    example = example or {}
    fields: list[dict[str, Any]] = []
    zone = zone_column(dataset.spatial_level)
    if zone:
        fields.append({
            "name": zone, "title": "Code de la zone", "type": "string",
            "description": ZONE_COLUMNS[dataset.spatial_level][1],
            "constraints": {"required": True, "pattern": ZONE_PATTERNS[dataset.spatial_level]},
        })
        fields.append({
            "name": NAME_COLUMNS[dataset.spatial_level], "title": "Nom de la zone", "type": "string",
            "description": f"Nom du {dataset.spatial_level} (référentiel géographique de l'observatoire).",
            "constraints": {"required": True},
        })
    period = period_column(dataset.temporal_level)
    fields.append({
        "name": period, "title": "Période", "type": "string",
        "description": PERIOD_COLUMNS[dataset.temporal_level][1] + " Seules les périodes closes sont publiées.",
        "constraints": {"required": True, "pattern": PERIOD_PATTERNS[dataset.temporal_level]},
    })
    if dataset.breakdown_column:
        fields.append({
            "name": dataset.breakdown_column, "title": dataset.breakdown_title or dataset.breakdown_column, "type": "string",
            "description": f"{dataset.breakdown_title or dataset.breakdown_column} : chaque valeur présente dans les données "
            "a une ligne par période et par catégorie (zéros compris).",
            "constraints": {"required": True},
        })
    fields.append({
        "name": dataset.category_column, "title": "Catégorie", "type": "string",
        "description": f"Catégorie ; « {dataset.total_label} » pour le total du groupe (zone, période)."
        if dataset.total_label else "Catégorie (les catégories se recouvrent : pas de total publié).",
        "constraints": {"required": True},
    })
    unit = dataset.count_description or "Effectif"
    fields.append({
        "name": dataset.output_count_column, "title": unit, "type": "integer",
        "description": f"{unit} ; vide quand la case est masquée (secret statistique, k = {k}).",
        "constraints": {"minimum": 0},
    })
    fields.append({
        "name": "diffusion", "title": "Diffusion", "type": "string",
        "description": f"« {PUBLISHED} », ou « {MASKED} » quand l'effectif est masqué (inférieur à k, ou "
        "masqué pour qu'aucune case ne se déduise par différence).",
        "constraints": {"required": True, "enum": [PUBLISHED, MASKED]},
    })
    for f in fields:
        if f["name"] in example and example[f["name"]] is not None:
            f["example"] = str(example[f["name"]])
    key = [f["name"] for f in fields if f["name"] in (zone, period, dataset.breakdown_column, dataset.category_column)]
    return {
        "$schema": TABLE_SCHEMA_PROFILE,
        "name": dataset.dataset,
        "title": dataset.title,
        "description": dataset.description,
        "countryCode": "FR",
        "keywords": list(dataset.keywords),
        "licenses": [dataset.licence],
        "fields": fields,
        "missingValues": [""],
        "primaryKey": key,
    }


def write_csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, encoding="utf-8")


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), path)


def write_geojson(table: pd.DataFrame, dataset: OpenDataset, path: Path) -> bool:
    """One feature per (zone, period): the zone's polygon, one property per category (null when
    masked); for a row table with a grid cell column, one square per row with the row as its
    properties. ``False`` (nothing written) if the dataset is neither zoned nor gridded."""
    if dataset.kind == "table" and dataset.table is not None and dataset.table.cell_column:
        return _write_cells_geojson(table, dataset.table.cell_column, path)
    zone = zone_column(dataset.spatial_level)
    if not zone or zone not in table:
        return False
    name, period = NAME_COLUMNS[dataset.spatial_level], period_column(dataset.temporal_level)
    keys = [zone, name, period] + ([dataset.breakdown_column] if dataset.breakdown_column else [])
    features = []
    for values, group in table.groupby(keys, sort=True):
        properties: dict[str, Any] = dict(zip(keys, values, strict=True))
        code = values[0]
        for category, value in zip(group[dataset.category_column], group[dataset.output_count_column], strict=True):
            properties[category] = None if pd.isna(value) else int(value)
        features.append({"type": "Feature", "geometry": geometry(dataset.spatial_level, str(code)), "properties": properties})
    collection = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return True


def _write_cells_geojson(table: pd.DataFrame, cell_column: str, path: Path) -> bool:
    """One feature per row: the INSEE cell's square in WGS 84 (closed ring), the row as properties."""
    features = []
    for row in table.to_dict(orient="records"):
        properties = {k: (None if _missing(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        ring = cell_polygon(str(row[cell_column]), closed=True)
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": properties})
    collection = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":"), default=str), encoding="utf-8")
    return True


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT
