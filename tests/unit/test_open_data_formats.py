"""Every declared open dataset publishes valid files: frictionless finds 0 errors, GeoJSON for zones."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from frictionless import Package, Schema, validate

from orchestration.core.catalog import OpenDataset, marts, open_datasets, use_cases
from orchestration.core.catalog.mart_schema import MartColumn
from orchestration.core.opendata import releases
from orchestration.core.opendata.publish import feed_categories, publish_open_dataset
from orchestration.core.opendata.zones import quartiers
from orchestration.core.settings import load_settings
from orchestration.core.verdicts import GateResult

START = date(2025, 1, 1)
DAYS = 400  # 2025 closes (year datasets), many weeks and months too


def _value(rng: np.random.Generator, column: MartColumn, i: int, day: date) -> object:
    if column.type == "int":  # mostly above k, one in four small
        return int(rng.poisson(2) if rng.random() < 0.25 else rng.poisson(40))
    if column.type == "float":
        return float(rng.gamma(2.0, 2.0))
    if column.type == "date":
        return day
    if column.type == "datetime":
        return pd.Timestamp(day)
    if column.type == "bool":
        return False
    if column.name == "carreau_200m":  # a real INSEE grid id: pages draw the square
        return f"CRS3035RES200mN{2247000 + 200 * i}E{3946000 + 200 * (day.toordinal() % 20)}"
    if column.name == "code_quartier":
        return sorted(quartiers())[i * 9]
    return f"{column.name}_{i}"


def synthetic_table_marts(dataset: OpenDataset, seed: int = 2, days: int = DAYS) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """For a ``kind: table`` dataset: its mart (every declared column, two values per grain column
    per day, small counts) and the joined mart, if any, on the same keys."""
    rng = np.random.default_rng(seed)
    spec = marts()[dataset.from_mart]
    by_name = {c.name: c for c in spec.columns}
    grain = [c for c in spec.grain if c != dataset.date_column]
    rows = []
    for d in range(0, days, 3):
        day = START + timedelta(days=d)
        for combo in itertools.product(range(2), repeat=len(grain)):
            chosen = dict(zip(grain, combo, strict=True))
            row = {c.name: _value(rng, c, chosen.get(c.name, 0), day) for c in spec.columns}
            if dataset.table and dataset.table.join:  # a joined mart's keys name one day's rows (e.g. an event)
                row.update({c: f"{row[c]}_{d}" for c in grain if by_name[c].type == "string"})
            if dataset.date_column in by_name and by_name[dataset.date_column].type == "string":
                row[dataset.date_column] = f"BAAC {day.year}"  # a label naming its year, like BAAC "perimetre"
            rows.append(row)
    mart = pd.DataFrame(rows).drop_duplicates([*grain, dataset.date_column]).reset_index(drop=True)  # one per BAAC year
    others: dict[str, pd.DataFrame] = {}
    join = dataset.table.join if dataset.table else None
    if join:
        joined = {c.name: c for c in marts()[join.mart].columns}
        other = mart[list(join.keys)].copy()
        for column in join.columns:
            other[column] = [_value(rng, joined[column], 0, START) for _ in range(len(other))]
        others[join.mart] = other
    nest = dataset.table.nested_in if dataset.table else None
    if nest:  # the other dataset's totals: the rows' own sums, one more in some nests (cells straddle quartiers)
        totals = mart.groupby(list(nest.keys), as_index=False)[dataset.count_column].sum()
        others[nest.mart] = totals.rename(columns={dataset.count_column: nest.column}).assign(
            **{nest.column: lambda f: f[nest.column] + (f.index % 2)}
        )
    return mart, others


def synthetic_mart(dataset: OpenDataset, seed: int = 2, days: int = DAYS) -> pd.DataFrame:
    """A mart with the columns the declaration reads, sparse small counts over some quartiers."""
    if dataset.kind == "table":
        return synthetic_table_marts(dataset, seed, days)[0]
    rng = np.random.default_rng(seed)
    codes = sorted(quartiers())[::9]
    categories = feed_categories(dataset)[:4] if not dataset.measures else [None]
    rows = []
    for d in range(0, days, 3):
        day = START + timedelta(days=d)
        for code in codes:
            for category in categories:
                row: dict[str, object] = {"code_quartier": code, dataset.date_column: day}
                if dataset.breakdown_column:  # e.g. three partner feeds
                    row[dataset.breakdown_column] = f"{dataset.breakdown_column}_{codes.index(code) % 3}"
                if dataset.measures:
                    row.update({column: int(rng.poisson(4)) for column in dataset.measures.values()})
                else:
                    row[dataset.category_column] = category
                    row.update(scoped_columns(dataset, category, d))
                    if dataset.count_column:
                        row[dataset.count_column] = int(rng.poisson(2))
                if dataset.as_of_column:
                    row[dataset.as_of_column] = START + timedelta(days=days)
                rows.append(row)
    frame = pd.DataFrame(rows)
    if dataset.source_periods_closed:  # a label naming its year, like BAAC "perimetre"
        frame[dataset.date_column] = frame[dataset.date_column].map(lambda v: f"BAAC {v.year}")
    return frame


def scoped_columns(dataset: OpenDataset, category: str, n: int) -> dict[str, object]:
    """The columns a dataset's declared row filter reads (``rows:``), with values it counts: a night hour, a declared code."""
    from orchestration.core.opendata import overlap

    rows, out = dataset.rows, {}
    if rows is None:
        return out
    found = overlap.scope(dataset)
    if rows.hour_column:
        hours = sorted(found.hours) if found.hours is not None else [12]
        out[rows.hour_column] = hours[n % len(hours)]
    if rows.feed_column and rows.code_column:
        out[rows.feed_column], out[rows.code_column] = overlap.code_labels(dataset)[category][0]
    return out


def gate(mart: str) -> GateResult:
    return GateResult(mart=mart, suite=mart, success=True, evaluated_at="2026-01-01T00:00:00+00:00", statistics={}, fingerprint="x")


def test_every_use_case_declares_open_data_or_says_why() -> None:
    for uc in use_cases().values():
        assert uc.open_data or len(uc.open_data_withheld) > 40, uc.name
    assert not use_cases()["signaux_faibles"].open_data


@pytest.mark.parametrize("name", sorted(open_datasets()))
def test_declared_dataset_publishes_valid_files(tmp_path: Path, name: str) -> None:
    dataset = open_datasets()[name]
    settings = load_settings(tmp_path, require_key=False)
    mart, others = synthetic_table_marts(dataset) if dataset.kind == "table" else (synthetic_mart(dataset), {})
    package = publish_open_dataset(settings, dataset, mart, gate(dataset.from_mart), others)
    assert not package.get("unchanged"), package
    folder = settings.open_data / name / "latest"
    assert releases.latest(settings.open_data / name) == (settings.open_data / name / package["version"]).resolve()
    report = validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    schema_report = Schema.validate_descriptor(json.loads((folder / "tableschema.json").read_text(encoding="utf-8")))
    assert schema_report.valid, schema_report.flatten(["type", "note"])
    for resource in Package(str(folder / "datapackage.json")).resources:
        assert resource.read_rows()  # both formats readable through the package
    disclosure = json.loads((folder / "disclosure.json").read_text(encoding="utf-8"))
    assert disclosure["audit"]["passed"] and disclosure["version"] == package["version"]
    assert disclosure["register_entry"].endswith(f"#{next(u.name for u in use_cases().values() if dataset in u.open_data)}")
    geojson = folder / f"{name}.geojson"
    gridded = dataset.table is not None and dataset.table.cell_column is not None
    if dataset.spatial_level == "commune" and not gridded:
        assert not geojson.exists()
    else:
        features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
        assert features and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


def test_a_breakdown_is_a_full_grid_and_part_of_the_key() -> None:
    """Observatory health per partner feed: every feed x closed week x measure, zeros included."""
    from orchestration.core.opendata.formats import table_schema
    from orchestration.core.opendata.publish import generalise

    dataset = next(d for d in open_datasets().values() if d.breakdown_column)
    mart = synthetic_mart(dataset)
    cells, groups = generalise(mart, dataset)
    assert groups[-1] == dataset.breakdown_column
    sizes = [cells[c].nunique() for c in [*groups, dataset.category_column]]
    assert len(cells) == int(np.prod(sizes)) and sizes[-1] == len(dataset.measures)
    assert set(cells[dataset.breakdown_column]) == set(mart[dataset.breakdown_column])
    # Per feed, deliveries only: a feed's weekly lines would be the city total of the datasets
    # published by arrondissement (a zone margin giving a masked cell back).
    assert set(cells[dataset.category_column]) == {"Livraisons reçues", "Livraisons rejetées"}
    assert dataset.breakdown_column in table_schema(dataset, 11)["primaryKey"]


def test_a_use_case_may_publish_some_datasets_and_say_why_not_the_others() -> None:
    road = use_cases()["securite_routiere"]
    assert road.open_data and "carreaux de 200 m" in road.open_data_withheld
    assert any(d.kind == "table" and d.from_mart == "securite_routiere_facteurs" for d in road.open_data)
