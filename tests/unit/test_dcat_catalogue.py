"""The DCAT-AP catalogue: generated from the declarations, valid against the DCAT-AP 2.1.1 shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, RDF

from orchestration.core.catalog import open_datasets
from orchestration.core.dcat import SPDX, write_catalogue
from orchestration.core.opendata.publish import publish_open_dataset
from orchestration.core.settings import load_settings
from tests.unit.test_open_data_formats import gate, synthetic_mart

SHAPES = Path(__file__).resolve().parents[2] / "quality" / "shapes" / "dcat-ap"
PUBLISHED = [
    "espace-public-conflits-arrondissement-semaine",
    "sante-observatoire-lignes-flux-semaine",
    "accidents-corporels-facteurs-annee",  # a row table (kind: table)
    "sante-observatoire-fraicheur-quarantaine-flux-semaine",
]


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[Graph, Graph]:
    lake = tmp_path_factory.mktemp("lake")
    settings = load_settings(lake, require_key=False)
    for name in PUBLISHED:  # a zoned and a city-wide dataset published; the others only declared
        dataset = open_datasets()[name]
        publish_open_dataset(settings, dataset, synthetic_mart(dataset), gate(dataset.from_mart))
    paths = write_catalogue(settings.open_data)
    turtle = Graph().parse(paths["turtle"], format="turtle")
    jsonld = Graph().parse(paths["json-ld"], format="json-ld")
    return turtle, jsonld


def test_catalogue_conforms_to_dcat_ap_shapes(catalogue: tuple[Graph, Graph]) -> None:
    shapes = Graph()
    for path in sorted(SHAPES.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    for graph in catalogue:
        conforms, _, text = validate(graph, shacl_graph=shapes, inference="none", allow_warnings=True)
        assert conforms, text


def test_every_declared_dataset_is_listed_with_its_files(catalogue: tuple[Graph, Graph]) -> None:
    turtle, jsonld = catalogue
    assert len(turtle) == len(jsonld)
    datasets = set(turtle.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == len(open_datasets())
    for name in PUBLISHED:
        node = next(d for d in datasets if str(d).endswith("/" + name))
        distributions = list(turtle.objects(node, DCAT.distribution))
        formats = {str(turtle.value(d, DCAT.downloadURL)).rsplit(".", 1)[-1] for d in distributions}
        zoned = open_datasets()[name].spatial_level != "commune"
        assert formats == ({"csv", "parquet", "geojson"} if zoned else {"csv", "parquet"})
        for d in distributions:
            assert "/latest/" not in str(turtle.value(d, DCAT.downloadURL))  # versioned, stable URL
            assert turtle.value(d, DCAT.byteSize) is not None and turtle.value(d, SPDX.checksum) is not None
            assert turtle.value(d, DCTERMS.license) is not None
        assert any(str(turtle.value(d, DCTERMS.conformsTo)).endswith("tableschema.json") for d in distributions)
        assert turtle.value(node, DCTERMS.temporal) is not None and turtle.value(node, DCTERMS.accrualPeriodicity) is not None
