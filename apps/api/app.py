"""The observatory's read-only API (FastAPI): published marts for services, open data for all.

Routes (OpenAPI document at ``/openapi.json``; no Swagger UI page, it would load assets from a CDN):

- ``GET /health``
- ``GET /v1/datasets``: what the caller may read (marts of their roles, every open dataset)
- ``GET /v1/marts/{mart}``, ``/v1/open-data/{dataset}``: metadata (schema with labels and units
  from the declarations, gate verdict, data window, version, model card or disclosure report)
- ``GET .../data``: a JSON page; ``.../data.csv``, ``.../data.json``: every matching row,
  streamed; ``.../data.geojson``: a page of rows with their zone's polygon
- ``GET /open_data/{dataset}/{version}/{file}``: the release's files at the catalogue's stable
  addresses (``apps/api/files.py``), and ``/open_data/catalogue.ttl``, ``.jsonld``, the register

Marts need a bearer token (OIDC JWT or machine token) whose roles the use case allows
(``core/access.py``); open data is public. Every authenticated read is audited (batched);
public reads are only counted. Query parameters follow data.gouv.fr's tabular API
(``apps/api/query.py``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import unquote_plus

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from apps.api import formats
from apps.api.auditing import AuditWriter
from apps.api.auth import Authenticator, Unauthorized
from apps.api.engine import Engine
from apps.api.files import install_file_routes
from apps.api.page_cache import PageCache
from apps.api.query import BadQuery, Query, parse
from apps.api.ratelimit import RateLimiter, SharedRateLimiter, retry_after
from apps.api.resources import NotFound, Published, Snapshot
from orchestration.core import access, catalog
from orchestration.core.api_tokens import TokenStore, store_path
from orchestration.core.audit import AuditEvent
from orchestration.core.opendata.zones import zone_column
from orchestration.core.settings import ApiSettings, IdentitySettings, Settings, load_api_settings, load_identity, load_settings

Format = Literal["page", "csv", "json", "geojson"]
MEDIA = {"page": "application/json", "json": "application/json", "csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}
EXPORT_SUFFIX = {"csv": "csv", "json": "json", "geojson": "geojson"}
RATE_LIMIT_FILE = "api_rate_limit.sqlite"  # in the restricted layer: buckets shared by worker processes


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__("rate limited")
        self.wait = wait


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "parameter": None}}, status_code=status, headers=headers)


@dataclass
class Api:
    """Everything one API process holds: the lake's published side, auth, limits, audit buffer."""

    settings: Settings
    limits: ApiSettings
    published: Published
    engine: Engine
    auth: Authenticator
    limiter: RateLimiter | SharedRateLimiter
    audit: AuditWriter
    pages: PageCache


def create_app(settings: Settings | None = None, identity: IdentitySettings | None = None, limits: ApiSettings | None = None) -> FastAPI:
    """Build the API for one lake (settings, identity and limits from the environment by default)."""
    settings = settings or load_settings(require_key=False)  # the API never needs the pseudonymisation key
    identity = identity or load_identity()
    limits = limits or load_api_settings()
    api = Api(
        settings=settings,
        limits=limits,
        published=Published(settings),
        engine=Engine(),
        auth=Authenticator(identity, TokenStore(store_path(settings))),
        limiter=(
            SharedRateLimiter(limits.rate_per_second, limits.burst, settings.meta / RATE_LIMIT_FILE)
            if limits.workers > 1
            else RateLimiter(limits.rate_per_second, limits.burst)
        ),
        audit=AuditWriter(settings.audit, limits.audit_flush_seconds, limits.audit_flush_events),
        pages=PageCache(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Few worker threads: Arrow kernels release the GIL many times per request, and with
        # Starlette's default 40 threads each release became a wait behind 39 others
        # (measured: 5x less throughput at 50 clients). Requests beyond these wait in the loop.
        anyio.to_thread.current_default_thread_limiter().total_tokens = limits.worker_threads
        api.audit.start()
        try:
            yield
        finally:
            api.audit.close()  # nothing read is left unaudited at shutdown
            if isinstance(api.limiter, SharedRateLimiter):
                api.limiter.close()

    app = ObservatoireApi(
        title="API de l'Observatoire de la tranquillité publique",
        description=(
            "Marts publiés (services de la ville, jeton requis) et données ouvertes (publiques). "
            "Filtres de l'API tabulaire de data.gouv.fr : `col__exact`, `col__differs`, `col__in`, `col__notin`, "
            "`col__less`, `col__greater`, `col__strictly_less`, `col__strictly_greater`, `col__contains`, "
            "`col__notcontains`, `col__isnull`, `col__isnotnull`, `col__sort=asc|desc`, `columns`, `page`, "
            f"`page_size` (au plus {limits.page_size_max}, au-delà la page est réduite et la réponse le dit), `version`."
        ),
        version="1",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load their assets from a CDN: no third-party calls
        redoc_url=None,
    )
    app.state.api = api
    _install_errors(app)
    _install_routes(app, api)
    install_file_routes(app, settings)  # the catalogue's download URLs, served as files
    return app


REFUSALS = (Unauthorized, access.Forbidden, BadQuery, NotFound, RateLimited)


def refusal_response(exc: Exception) -> JSONResponse:
    """The HTTP answer to a refused request (401, 403, 400, 404, 429), wherever it was raised."""
    if isinstance(exc, Unauthorized):
        return _error(
            401, exc.code, exc.message, headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{exc.code}"'}
        )
    if isinstance(exc, access.Forbidden):
        return _error(403, "forbidden", str(exc))
    if isinstance(exc, BadQuery):
        return JSONResponse(exc.body(), status_code=400)
    if isinstance(exc, NotFound):
        return _error(404, "not_found", str(exc))
    if isinstance(exc, RateLimited):
        retry = retry_after(exc.wait)
        return _error(429, "rate_limited", f"trop de requêtes : réessayez dans {retry} s", headers={"Retry-After": retry})
    raise TypeError(f"not a refusal: {type(exc).__name__}") from exc


def _install_errors(app: FastAPI) -> None:
    async def _refused(_request: Request, exc: Exception) -> JSONResponse:
        return refusal_response(exc)

    for kind in REFUSALS:
        app.add_exception_handler(kind, _refused)


# GET /v1/marts/{mart} and /v1/marts/{mart}/data: the reads services make in loops.
_HOT_PATH = re.compile(r"/v1/marts/(?P<mart>[^/]+)(?P<data>/data)?")
HotHandler = Callable[[Request, str, bool], Response]


class ObservatoireApi(FastAPI):
    """FastAPI, with a mart's metadata and JSON page answered before the middleware stack.

    Same handlers, same refusals (``refusal_response``), same audit: only FastAPI's generic layers
    (middleware chain, route matching, parameter injection) are skipped for these two reads, which
    cost more CPU than the query itself (measured). Their routes stay declared for the OpenAPI
    document, and serve any request this shortcut does not take (a ``root_path``, HEAD...).
    """

    hot: HotHandler | None = None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if self.hot is not None and scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            match = _HOT_PATH.fullmatch(scope["path"])
            if match:
                scope["app"] = self
                request = Request(scope, receive)
                try:
                    response = self.hot(request, match["mart"], match["data"] is not None)
                except REFUSALS as exc:
                    response = refusal_response(exc)
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _client(request: Request) -> str:
    host = request.client.host if request.client else "?"
    agent = request.headers.get("user-agent", "")[:120]
    return f"{host} {agent}".strip()


def _etag(snapshot: Snapshot, fmt: str, query: Query) -> str:
    canonical = "&".join(f"{k}={v}" for k, v in sorted(query.raw.items()))
    digest = hashlib.sha256(f"{snapshot.kind}|{snapshot.dataset}|{snapshot.stamp}|{fmt}|{canonical}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _page_link(request: Request, page: int) -> str:
    """The same request on another page (absolute, as data.gouv.fr's links are).

    Built from the request's scope: Starlette's ``base_url`` and ``url`` objects cost more than
    the query itself (measured).
    """
    scope = request.scope
    host = request.headers.get("host") or "{}:{}".format(*scope.get("server") or ("localhost", 80))
    # The caller's own query string (already URL-encoded) with only ``page`` replaced.
    kept = [p for p in scope.get("query_string", b"").decode("latin-1").split("&") if p and unquote_plus(p.split("=", 1)[0]) != "page"]
    query = "&".join([*kept, f"page={page}"])
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}{scope['path']}?{query}"


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in candidates or "*" in candidates


def _install_routes(app: FastAPI, api: Api) -> None:
    def enter(request: Request, need_auth: bool) -> access.Principal | None:
        """Authenticate, then rate-limit per caller; 401 when a mart is asked without credentials."""
        principal = api.auth.principal(request.headers.get("authorization"))
        key = principal.subject if principal else f"ip:{request.client.host if request.client else '?'}"
        wait = api.limiter.acquire(key)
        if wait > 0:
            raise RateLimited(wait)
        if need_auth and principal is None:
            raise Unauthorized(
                "missing_token", "authentification requise : en-tête « Authorization: Bearer <jeton> » (OIDC ou jeton d'API)"
            )
        return principal

    def audit(request: Request, principal: access.Principal, resource: str, rows: int, status: int, filters: dict[str, str]) -> None:
        api.audit.record(
            AuditEvent(
                principal=principal,
                channel="api",
                resource=resource,
                rows_returned=rows,
                filters=filters,
                client=_client(request),
                status=status,
            )
        )

    allowed: set[tuple[frozenset[str], str]] = set()  # (roles, mart) pairs already found readable

    def guard_mart(request: Request, mart: str) -> access.Principal:
        principal = enter(request, need_auth=True)
        assert principal is not None
        spec = catalog.marts().get(mart)
        if spec is None or not spec.published:
            raise NotFound(f"jeu de données inconnu : {mart}")
        try:
            if (principal.roles, mart) not in allowed:  # the declarations do not change while the API runs
                access.require_mart(principal, mart)
                allowed.add((principal.roles, mart))
        except access.Forbidden:
            audit(request, principal, f"mart:{mart}", 0, 403, dict(request.query_params))
            raise
        return principal

    def version_of(request: Request) -> str | None:
        # Read before the rest of the query: it picks the snapshot whose columns validate the rest.
        version = request.query_params.get("version")
        if version is not None:
            parse([("version", version)], [], api.limits.page_size_default, api.limits.page_size_max)
        return version

    def snapshot_of(kind: str, name: str, version: str | None) -> Snapshot:
        try:
            return api.published.mart_snapshot(name, version) if kind == "mart" else api.published.open_snapshot(name, version)
        except ValueError as exc:
            raise BadQuery("unknown_version", str(exc), "version") from exc

    def serve_data(request: Request, snapshot: Snapshot, fmt: Format, done: Callable[[int, int], None]) -> Response:
        table = api.published.table(snapshot)
        present = [c for c in snapshot.columns if c.name in table.names]
        query = parse(request.query_params.multi_items(), present, api.limits.page_size_default, api.limits.page_size_max)
        etag = _etag(snapshot, fmt, query)
        headers = {
            "ETag": etag,
            "Cache-Control": "private, no-cache" if snapshot.kind == "mart" else "public, no-cache",
            "X-Dataset-Version": snapshot.version,
        }
        if query.clamped:
            headers["X-Page-Size-Clamped"] = f"{query.page_size_requested}->{query.page_size}"
        if _not_modified(request, etag):
            done(0, 304)
            return Response(status_code=304, headers=headers)
        meta = {
            "dataset": snapshot.dataset,
            "version": snapshot.version,
            "page": query.page,
            "page_size": query.page_size,
            "page_size_max": api.limits.page_size_max,
        }
        if query.clamped:
            meta["page_size_requested"] = query.page_size_requested
            meta["notice"] = f"page_size limité à {api.limits.page_size_max} (demandé : {query.page_size_requested})"
        if fmt == "page":
            key = (snapshot.kind, snapshot.dataset, snapshot.stamp, request.headers.get("host", ""), request.scope.get("query_string", b""))
            cached = api.pages.get(key)
            if cached is None:
                page, total = api.engine.page(table, query)
                meta["total"] = total
                links = {
                    "next": _page_link(request, query.page + 1) if query.page * query.page_size < total else None,
                    "prev": _page_link(request, query.page - 1) if query.page > 1 else None,
                }
                cached = (formats.dumps({"data": formats.rows(page), "links": links, "meta": meta}), page.num_rows)
                api.pages.put(key, *cached)
            done(cached[1], 200)
            return Response(cached[0], media_type=MEDIA["page"], headers=headers)
        names = list(query.columns or [c.name for c in present])
        filename = f"{snapshot.dataset}-{snapshot.version}.{EXPORT_SUFFIX[fmt]}"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        body: Iterator[bytes]
        if fmt == "geojson":
            level = snapshot.zone_level
            if level is None:
                raise BadQuery("no_zone", f"{snapshot.dataset} n'a pas de colonne de zone (quartier ou arrondissement) : pas de GeoJSON")
            zone = zone_column(level)
            assert zone is not None
            if query.columns and zone not in query.columns:
                query = replace(query, columns=(*query.columns, zone))
            batches = api.engine.stream(table, query, paged=True)
            body = formats.geojson_stream(batches, level, zone, meta, lambda n: done(n, 200))
        elif fmt == "csv":
            body = formats.csv_stream(api.engine.stream(table, query, paged="page" in query.raw), names, lambda n: done(n, 200))
        else:
            body = formats.json_stream(api.engine.stream(table, query, paged="page" in query.raw), lambda n: done(n, 200))
        return StreamingResponse(body, media_type=MEDIA[fmt], headers=headers)

    # -- routes ---------------------------------------------------------------------------------

    @app.get("/health", tags=["service"], summary="État du service")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "marts_published": len(api.published.published_marts()),
            "open_datasets_published": len(api.published.published_open_datasets()),
        }

    @app.get("/v1/datasets", tags=["catalogue"], summary="Jeux de données accessibles à l'appelant")
    def index(request: Request) -> dict[str, Any]:
        principal = enter(request, need_auth=False)
        readable = {m.name for m in access.readable_marts(principal.roles)} if principal else set()
        marts = [
            {
                "dataset": m,
                "kind": "mart",
                "title": catalog.marts()[m].description,
                "use_case": catalog.marts()[m].use_case,
                "href": f"/v1/marts/{m}",
            }
            for m in api.published.published_marts()
            if m in readable
        ]
        open_data = [
            {"dataset": d, "kind": "open", "title": catalog.open_datasets()[d].title, "href": f"/v1/open-data/{d}"}
            for d in api.published.published_open_datasets()
        ]
        if principal:
            audit(request, principal, "index", len(marts), 200, {})
        else:
            api.audit.count_public("index", "metadata")
        result: dict[str, Any] = {"marts": marts, "open_data": open_data}
        if principal is None:
            result["notice"] = "Marts des services : authentifiez-vous (Authorization: Bearer <jeton>)."
        return result

    def mart_read(request: Request, mart: str, fmt: Format) -> Response:
        principal = guard_mart(request, mart)
        filters = dict(request.query_params)
        try:
            snapshot = snapshot_of("mart", mart, version_of(request))
            return serve_data(request, snapshot, fmt, lambda n, status: audit(request, principal, f"mart:{mart}", n, status, filters))
        except BadQuery:
            audit(request, principal, f"mart:{mart}", 0, 400, filters)
            raise

    def open_read(request: Request, dataset: str, fmt: Format) -> Response:
        enter(request, need_auth=False)
        snapshot = snapshot_of("open", dataset, version_of(request))
        return serve_data(request, snapshot, fmt, lambda n, status: api.audit.count_public(dataset, fmt) if status == 200 else None)

    # A JSON page (at most page_size_max rows, the query on an in-memory indexed table: well
    # under a millisecond) is computed on the event loop: handing it to a worker thread and back
    # cost more CPU than the query itself (measured 0.27 ms of 1.1 ms per request). Exports,
    # which may stream a whole table, stay in worker threads.
    def mart_route(fmt: Format) -> Callable[..., Any]:
        if fmt == "page":

            async def page_handler(request: Request, mart: str) -> Response:
                return mart_read(request, mart, fmt)

            return page_handler

        def handler(request: Request, mart: str) -> Response:
            return mart_read(request, mart, fmt)

        return handler

    def open_route(fmt: Format) -> Callable[..., Any]:
        if fmt == "page":

            async def page_handler(request: Request, dataset: str) -> Response:
                return open_read(request, dataset, fmt)

            return page_handler

        def handler(request: Request, dataset: str) -> Response:
            return open_read(request, dataset, fmt)

        return handler

    def mart_metadata_read(request: Request, mart: str) -> Response:
        principal = guard_mart(request, mart)
        try:
            snapshot = snapshot_of("mart", mart, version_of(request))
        except BadQuery:
            audit(request, principal, f"mart:{mart}", 0, 400, dict(request.query_params))
            raise
        audit(request, principal, f"mart:{mart}:metadata", 0, 200, dict(request.query_params))
        return _metadata_response(request, snapshot)

    @app.get("/v1/marts/{mart}", tags=["marts"], summary="Métadonnées d'un mart publié")
    async def mart_metadata(request: Request, mart: str) -> Response:
        return mart_metadata_read(request, mart)

    app.hot = lambda request, mart, data: mart_read(request, mart, "page") if data else mart_metadata_read(request, mart)

    @app.get("/v1/open-data/{dataset}", tags=["données ouvertes"], summary="Métadonnées d'un jeu de données ouvert")
    async def open_metadata(request: Request, dataset: str) -> Response:
        enter(request, need_auth=False)
        snapshot = snapshot_of("open", dataset, version_of(request))
        api.audit.count_public(dataset, "metadata")
        return _metadata_response(request, snapshot)

    for fmt, suffix in (("page", ""), ("csv", ".csv"), ("json", ".json"), ("geojson", ".geojson")):
        app.add_api_route(
            f"/v1/marts/{{mart}}/data{suffix}",
            mart_route(fmt),
            methods=["GET"],
            tags=["marts"],
            summary=f"Lignes d'un mart ({fmt})",  # type: ignore[arg-type]
        )
        app.add_api_route(
            f"/v1/open-data/{{dataset}}/data{suffix}",
            open_route(fmt),  # type: ignore[arg-type]
            methods=["GET"],
            tags=["données ouvertes"],
            summary=f"Lignes d'un jeu de données ouvert ({fmt})",
        )


def _metadata_response(request: Request, snapshot: Snapshot) -> Response:
    if "metadata" not in snapshot.memo:  # the same bytes for every caller of this published state
        payload = _metadata_payload(snapshot)
        snapshot.memo["metadata"] = (payload, '"' + hashlib.sha256(payload).hexdigest()[:32] + '"')
    payload, etag = snapshot.memo["metadata"]  # the etag: the model card can change without a new version
    headers = {"ETag": etag, "Cache-Control": "private, no-cache" if snapshot.kind == "mart" else "public, no-cache"}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(payload, media_type="application/json", headers=headers)


def _metadata_payload(snapshot: Snapshot) -> bytes:
    base = f"/v1/{'marts' if snapshot.kind == 'mart' else 'open-data'}/{snapshot.dataset}"
    body = {
        **snapshot.metadata,
        "version": snapshot.version,
        "zone_level": snapshot.zone_level,
        "columns": [
            {"name": c.name, "type": c.kind, "label": c.label, "unit": c.unit, "description": c.description} for c in snapshot.columns
        ],
        "links": {"data": f"{base}/data", "csv": f"{base}/data.csv", "json": f"{base}/data.json"}
        | ({"geojson": f"{base}/data.geojson"} if snapshot.zone_level else {}),
    }
    return formats.dumps(body)
