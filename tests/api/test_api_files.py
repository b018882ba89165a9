"""Every download URL of the DCAT catalogue answers on the API server, with its declared size and checksum."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.namespace import DCAT

from apps.api.files import files_route, public_to_local
from orchestration.core.catalog import open_datasets
from orchestration.core.dcat import SPDX, write_catalogue
from orchestration.core.opendata.publish import publish_open_dataset
from orchestration.core.register import write_register
from orchestration.core.settings import ApiSettings, IdentitySettings, load_settings
from tests.unit.test_open_data_formats import gate, synthetic_mart, synthetic_table_marts

DATASETS = [
    "espace-public-conflits-arrondissement-semaine",  # zoned counts (GeoJSON)
    "accidents-corporels-facteurs-annee",  # a row table
    "evenements-publics-faits-attendus-observes-jour",  # a row table joining two marts
    "sante-observatoire-fraicheur-quarantaine-flux-semaine",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, Graph, Path]:
    from apps.api.app import create_app

    lake = tmp_path_factory.mktemp("files-lake")
    settings = load_settings(lake, require_key=False)
    for name in DATASETS:
        dataset = open_datasets()[name]
        mart, others = synthetic_table_marts(dataset) if dataset.kind == "table" else (synthetic_mart(dataset), {})
        publish_open_dataset(settings, dataset, mart, gate(dataset.from_mart), others)
    paths = write_catalogue(settings.open_data)
    write_register(settings.open_data)
    identity = IdentitySettings(issuer="", client_id="tests", client_secret="")  # open data needs no sign-in
    client = TestClient(create_app(settings, identity, ApiSettings(rate_per_second=1000.0, burst=1000)))
    return client, Graph().parse(paths["turtle"], format="turtle"), settings.open_data


def test_every_distribution_url_answers_with_its_checksum(served: tuple[TestClient, Graph, Path]) -> None:
    client, graph, _ = served
    distributions = list(graph.subjects(DCAT.downloadURL, None))
    assert len(distributions) >= 2 * len(DATASETS)
    for node in distributions:
        url = str(graph.value(node, DCAT.downloadURL))
        response = client.get(public_to_local(url))
        assert response.status_code == 200, url
        assert len(response.content) == int(graph.value(node, DCAT.byteSize).toPython())
        checksum = graph.value(node, SPDX.checksum)
        assert hashlib.sha1(response.content).hexdigest() == str(graph.value(checksum, SPDX.checksumValue)), url
        assert "immutable" in response.headers["cache-control"]
        again = client.get(public_to_local(url), headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304


def test_latest_catalogue_register_and_refusals(served: tuple[TestClient, Graph, Path]) -> None:
    client, _, _ = served
    route = files_route()
    name = DATASETS[1]
    latest = client.get(f"{route}/{name}/latest/datapackage.json")
    assert latest.status_code == 200 and latest.json()["name"] == name
    assert client.get(f"{route}/catalogue.jsonld").status_code == 200
    assert client.get(f"{route}/registre-des-traitements.md").text.startswith("#")
    for path in (
        f"{route}/{name}/1999/{name}.csv",  # unknown version
        f"{route}/inconnu/latest/x.csv",  # undeclared dataset
        f"{route}/{name}/latest/..%2F..%2Fsecrets.toml",  # never a path from the request
        f"{route}/{name}/latest/.staging",
        f"{route}/settings.py",
    ):
        assert client.get(path).status_code == 404, path
