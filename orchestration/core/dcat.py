"""DCAT-AP catalogue of the open data, generated from the declarations and the published files.

Each declared open dataset is a ``dcat:Dataset`` (title, description, keywords, theme, spatial and
temporal coverage, periodicity, publisher, contact point, licence); each file of its latest
release is a ``dcat:Distribution`` (download URL under the version's stable folder, media type,
size, SHA-256 checksum, ``dct:conformsTo`` its Table Schema). Serialised as Turtle and JSON-LD,
which data.gouv.fr's DCAT harvester reads.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from orchestration.core.catalog import OpenDataset, open_datasets
from orchestration.core.opendata import releases
from orchestration.core.opendata.formats import MEDIA_TYPES
from orchestration.core.opendata.periods import period_bounds

CATALOGUE_FILE = Path(__file__).resolve().parent / "opendata" / "catalogue.yaml"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCIES = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "ANNUAL"}
FILE_TYPES = {"csv": "CSV", "parquet": "PARQUET", "geojson": "GEOJSON"}
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
# French labels of the EU data themes used (authority table data-theme).
THEME_LABELS = {
    "JUST": "Justice, système juridique et sécurité publique",
    "TRAN": "Transports",
    "SOCI": "Population et société",
    "EDUC": "Éducation, culture et sport",
    "GOVE": "Gouvernement et secteur public",
}


@cache
def catalogue_facts() -> dict[str, Any]:
    """Publisher, contact, base URL... (``opendata/catalogue.yaml``)."""
    with CATALOGUE_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _typed(graph: Graph, node: URIRef | BNode, *classes: URIRef) -> URIRef | BNode:
    for cls in classes:
        graph.add((node, RDF.type, cls))
    return node


def _publisher(graph: Graph, facts: dict[str, Any]) -> URIRef:
    agent = _typed(graph, URIRef(facts["publisher"]["uri"]), FOAF.Agent, FOAF.Organization)
    graph.add((agent, FOAF.name, Literal(facts["publisher"]["name"], lang="fr")))
    return agent  # type: ignore[return-value]


def _contact(graph: Graph, facts: dict[str, Any]) -> BNode:
    contact = _typed(graph, BNode(), VCARD.Kind, VCARD.Organization)
    graph.add((contact, VCARD.fn, Literal(facts["contact"]["name"])))
    graph.add((contact, VCARD.hasURL, URIRef(facts["contact"]["url"])))
    return contact  # type: ignore[return-value]


def _distribution(graph: Graph, base: str, dataset: OpenDataset, version: str, file_name: str, fmt: str, checksum: dict[str, Any], schema_url: str) -> BNode:
    url = f"{base}/{dataset.dataset}/{version}/{file_name}"
    node = _typed(graph, URIRef(url + "#distribution"), DCAT.Distribution)
    graph.add((node, DCTERMS.title, Literal(f"{dataset.title} ({fmt.upper()}, version {version})", lang="fr")))
    graph.add((node, DCAT.accessURL, URIRef(url)))
    graph.add((node, DCAT.downloadURL, URIRef(url)))
    graph.add((node, DCAT.mediaType, _typed(graph, URIRef(f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[fmt]}"), DCTERMS.MediaType)))
    graph.add((node, DCTERMS["format"], _typed(graph, URIRef(f"{EU}file-type/{FILE_TYPES[fmt]}"), DCTERMS.MediaTypeOrExtent)))
    graph.add((node, DCAT.byteSize, Literal(checksum["bytes"], datatype=XSD.decimal)))
    check = _typed(graph, BNode(), SPDX.Checksum)
    # DCAT-AP 2.1.1 admits SHA-1 only here; the datapackage carries the SHA-256 of each file.
    graph.add((check, SPDX.algorithm, SPDX.checksumAlgorithm_sha1))
    graph.add((check, SPDX.checksumValue, Literal(checksum["sha1"], datatype=XSD.hexBinary)))
    graph.add((node, SPDX.checksum, check))
    graph.add((node, DCTERMS.license, _typed(graph, URIRef(dataset.licence["path"]), DCTERMS.LicenseDocument)))
    if fmt in ("csv", "parquet"):  # the tabular files follow the Table Schema
        graph.add((node, DCTERMS.conformsTo, _typed(graph, URIRef(schema_url), DCTERMS.Standard)))
    return node  # type: ignore[return-value]


def build_catalogue(open_data: Path) -> Graph:
    """The DCAT-AP graph of every declared open dataset and its latest published files."""
    facts = catalogue_facts()
    base = facts["base_url"].rstrip("/")
    graph = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("spdx", SPDX)):
        graph.bind(prefix, ns)
    catalog = _typed(graph, URIRef(f"{base}/catalogue"), DCAT.Catalog)
    graph.add((catalog, DCTERMS.title, Literal(facts["title"], lang="fr")))
    graph.add((catalog, DCTERMS.description, Literal(" ".join(facts["description"].split()), lang="fr")))
    publisher = _publisher(graph, facts)
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, FOAF.homepage, _typed(graph, URIRef(facts["homepage"]), FOAF.Document)))
    graph.add((catalog, DCTERMS.language, _typed(graph, URIRef(facts["language"]), DCTERMS.LinguisticSystem)))
    graph.add((catalog, DCTERMS.license, _typed(graph, URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/"), DCTERMS.LicenseDocument)))
    for dataset in open_datasets().values():
        node = _typed(graph, URIRef(f"{base}/{dataset.dataset}"), DCAT.Dataset)
        graph.add((catalog, DCAT.dataset, node))
        graph.add((node, DCTERMS.identifier, Literal(dataset.dataset)))
        graph.add((node, DCTERMS.title, Literal(dataset.title, lang="fr")))
        graph.add((node, DCTERMS.description, Literal(dataset.description, lang="fr")))
        for keyword in dataset.keywords:
            graph.add((node, DCAT.keyword, Literal(keyword, lang="fr")))
        if dataset.theme:
            theme = _typed(graph, URIRef(f"{EU}data-theme/{dataset.theme}"), SKOS.Concept)
            graph.add((theme, SKOS.prefLabel, Literal(THEME_LABELS[dataset.theme], lang="fr")))
            graph.add((node, DCAT.theme, theme))
        graph.add((node, DCTERMS.spatial, _typed(graph, URIRef(facts["spatial"]), DCTERMS.Location)))
        graph.add((node, DCTERMS.accrualPeriodicity, _typed(graph, URIRef(f"{EU}frequency/{FREQUENCIES[dataset.temporal_level]}"), DCTERMS.Frequency)))
        graph.add((node, DCTERMS.publisher, publisher))
        graph.add((node, DCAT.contactPoint, _contact(graph, facts)))
        graph.add((node, DCAT.landingPage, _typed(graph, URIRef(f"{base}/{dataset.dataset}/latest/"), FOAF.Document)))
        latest = releases.latest(releases.dataset_folder(open_data, dataset.dataset))
        if latest is None:
            continue  # declared, not yet published (no closed period): no distribution
        package = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
        version = package["version"]
        graph.add((node, URIRef("http://www.w3.org/2002/07/owl#versionInfo"), Literal(version)))
        graph.add((node, DCTERMS.modified, Literal(package["created"][:10], datatype=XSD.date)))
        period = package["disclosure"]["generalisation"]["period"]
        start = period_bounds(package["temporal_coverage"]["start"], period)[0]
        end = period_bounds(package["temporal_coverage"]["end"], period)[1]
        coverage = _typed(graph, BNode(), DCTERMS.PeriodOfTime)
        graph.add((coverage, DCAT.startDate, Literal(start.isoformat(), datatype=XSD.date)))
        graph.add((coverage, DCAT.endDate, Literal(end.isoformat(), datatype=XSD.date)))
        graph.add((node, DCTERMS.temporal, coverage))
        schema_url = f"{base}/{dataset.dataset}/{version}/tableschema.json"
        checksums = package["files"]["checksums"]
        for file_name, checksum in checksums.items():
            fmt = file_name.rsplit(".", 1)[-1]
            if fmt in FILE_TYPES:
                graph.add((node, DCAT.distribution, _distribution(graph, base, dataset, version, file_name, fmt, checksum, schema_url)))
    return graph


CATALOGUE_STATE = ".catalogue-state.json"


def catalogue_state(open_data: Path) -> dict[str, Any]:
    """What the catalogue is built from: the declarations and the version each ``latest`` points at."""
    declared = {name: d.model_dump(mode="json") for name, d in sorted(open_datasets().items())}
    latest = {name: (v.name if (v := releases.latest(releases.dataset_folder(open_data, name))) else None) for name in declared}
    digest = hashlib.sha256(json.dumps([declared, catalogue_facts()], sort_keys=True, default=str).encode()).hexdigest()
    return {"declarations": digest, "latest": latest}


def write_catalogue(open_data: Path, force: bool = True) -> dict[str, Any]:
    """Write ``catalogue.ttl`` and ``catalogue.jsonld`` beside the datasets; returns their paths.

    With ``force=False`` nothing is rewritten when neither a declaration nor a ``latest`` release
    changed since the last write (``unchanged: True``): reruns leave the files byte for byte.
    """
    open_data.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Any] = {"turtle": open_data / "catalogue.ttl", "json-ld": open_data / "catalogue.jsonld"}
    state = catalogue_state(open_data)
    state_file = open_data / CATALOGUE_STATE
    written = all(p.exists() for p in paths.values()) and state_file.exists()
    if not force and written and json.loads(state_file.read_text(encoding="utf-8")) == state:
        return {**paths, "unchanged": True}
    graph = build_catalogue(open_data)
    for fmt, path in [*paths.items(), ("state", state_file)]:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # concurrent writers never share a tmp
        text = json.dumps(state, indent=2) if fmt == "state" else graph.serialize(format=fmt)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return {**paths, "unchanged": False, "datasets": sum(1 for v in state["latest"].values() if v)}
