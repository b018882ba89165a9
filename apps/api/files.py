"""Open-data files at their stable addresses: ``<route>/<dataset>/<version>/<file>``, as the catalogue lists them.

The DCAT catalogue's download URLs are ``<base_url>/<dataset>/<version>/<file>`` (``base_url`` in
``orchestration/core/opendata/catalogue.yaml``); a reverse proxy maps ``base_url`` to this route,
whose path is the last segment of ``base_url`` (``/open_data``). Files are served byte for byte
from the release folder: a version never changes once written, so it is cacheable for ever;
``latest`` follows the newest release. Nothing is built from the request: the dataset must be
declared, the version one of its release folders and the file one of that folder's files, each
matched by exact name. The catalogue (``catalogue.ttl``, ``catalogue.jsonld``) and the register
are served at the route's root.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from orchestration.core import catalog
from orchestration.core.dcat import catalogue_facts
from orchestration.core.opendata import releases
from orchestration.core.register import REGISTER_NAME
from orchestration.core.settings import Settings

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".ttl": "text/turtle; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}
ROOT_FILES = ("catalogue.ttl", "catalogue.jsonld", f"{REGISTER_NAME}.json", f"{REGISTER_NAME}.md")
IMMUTABLE = "public, max-age=31536000, immutable"
FRESH = "public, max-age=300"


def files_route() -> str:
    """The API path the catalogue's ``base_url`` maps to: its last segment (``/open_data``)."""
    segment = urlparse(str(catalogue_facts()["base_url"])).path.rstrip("/").rsplit("/", 1)[-1]
    return f"/{segment or 'open_data'}"


def public_to_local(url: str) -> str:
    """A catalogue download URL as a path on this server (for tests and local links)."""
    base = str(catalogue_facts()["base_url"]).rstrip("/")
    if not url.startswith(base + "/"):
        raise ValueError(f"{url} is not under the catalogue's base URL {base}")
    return files_route() + url[len(base) :]


def _not_found(message: str) -> Response:
    return Response(content=f'{{"error": "not_found", "message": "{message}"}}', status_code=404, media_type="application/json")


def _send(request: Request, path: Path, cache: str) -> Response:
    body = path.read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": cache}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"), headers=headers)


def install_file_routes(app: FastAPI, settings: Settings) -> None:
    """``GET <route>/{dataset}/{version}/{file}`` and ``GET <route>/{file}`` (catalogue, register)."""
    route = files_route()

    @app.get(f"{route}/{{dataset}}/{{version}}/{{file_name}}", tags=["données ouvertes"], summary="Fichier d'une version publiée")
    def release_file(request: Request, dataset: str, version: str, file_name: str) -> Response:
        if dataset not in catalog.open_datasets():
            return _not_found(f"jeu de données inconnu : {dataset}")
        folder = releases.dataset_folder(settings.open_data, dataset)
        if version == releases.LATEST:
            chosen = releases.latest(folder)
        else:
            chosen = {p.name: p for p in releases.versions(folder)}.get(version)
        if chosen is None:
            return _not_found(f"version inconnue : {version}")
        files = {p.name: p for p in chosen.iterdir() if p.is_file() and not p.name.startswith(".")}
        if file_name not in files:
            return _not_found(f"fichier inconnu : {file_name}")
        return _send(request, files[file_name], FRESH if version == releases.LATEST else IMMUTABLE)

    @app.get(f"{route}/{{file_name}}", tags=["données ouvertes"], summary="Catalogue DCAT-AP et registre des traitements")
    def root_file(request: Request, file_name: str) -> Response:
        if file_name not in ROOT_FILES or not (settings.open_data / file_name).is_file():
            return _not_found(f"fichier inconnu : {file_name}")
        return _send(request, settings.open_data / file_name, FRESH)
