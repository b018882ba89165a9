"""What makes the API fast keeps it exact: the hot-path shortcut, the page and principal caches,
and a rate limit shared by worker processes."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apps.api.app import create_app
from apps.api.ratelimit import SharedRateLimiter
from orchestration.core.api_tokens import TokenStore, store_path
from orchestration.core.settings import ApiSettings, load_settings
from tests.api.conftest import GENEROUS, SANTE_MART

MART = "incidents_quartier_jour"
READS = [
    f"/v1/marts/{MART}",
    f"/v1/marts/{MART}/data",
    f"/v1/marts/{MART}/data?code_quartier__exact=1320101&nb_incidents__sort=desc&page_size=3",
    f"/v1/marts/{MART}/data?page=2&page_size=5",
    f"/v1/marts/{MART}/data?code_quartier__exact=1%3B%20DROP",  # 400
    f"/v1/marts/{MART}/data?nope__exact=1",  # 400
    f"/v1/marts/{SANTE_MART}/data",  # 403 for services
    "/v1/marts/inconnu/data",  # 404
    f"/v1/marts/{MART}?version=abc!",  # 400
]


def test_shortcut_answers_exactly_as_the_fastapi_routes(client, bearer) -> None:
    """Same status, body and headers through the shortcut and through FastAPI's own routes."""
    services = bearer(("services",))

    def answers() -> list[tuple[int, Any, str | None]]:
        out = []
        for path in READS:
            for headers in (services, {}):
                response = client.get(path, headers=headers)
                out.append((response.status_code, response.json(), response.headers.get("etag")))
        return out

    fast = answers()
    hot, client.app.hot = client.app.hot, None
    try:
        assert answers() == fast
    finally:
        client.app.hot = hot
    assert [s for s, _, _ in fast[::2]] == [200, 200, 200, 200, 400, 400, 403, 404, 400]
    assert {s for s, _, _ in fast[1::2]} == {401}
    paths = client.get("/openapi.json").json()["paths"]  # the routes are still documented
    assert "/v1/marts/{mart}" in paths and "/v1/marts/{mart}/data" in paths


@pytest.fixture
def own_lake(api_lake: Path, tmp_path: Path) -> Path:
    """A copy of the published lake this test may publish into."""
    return Path(shutil.copytree(api_lake, tmp_path / "lake", symlinks=True))


def test_page_cache_serves_a_new_publication_at_once(own_lake: Path, identity, bearer) -> None:
    from deltalake import DeltaTable, write_deltalake

    settings = load_settings(own_lake, require_key=False)
    with TestClient(create_app(settings, identity, GENEROUS)) as client:
        url = f"/v1/marts/{MART}/data?page_size=1000"
        first = client.get(url, headers=bearer())
        assert client.get(url, headers=bearer()).json() == first.json()
        assert client.app.state.api.pages.hits >= 1  # the second answer came from the cache

        # Publish a new Delta version holding one more row.
        path = own_lake / "gold" / MART
        table = DeltaTable(str(path)).to_pyarrow_table()
        write_deltalake(str(path), table.slice(0, 1), mode="append")
        record_path = own_lake / "gold" / "_publications" / f"{MART}.json"
        record = json.loads(record_path.read_text(encoding="utf-8"))
        record["delta_version"] = DeltaTable(str(path)).version()
        record_path.write_text(json.dumps(record), encoding="utf-8")

        second = client.get(url, headers=bearer())
        assert second.json()["meta"]["version"] == str(record["delta_version"])
        assert second.json()["meta"]["total"] == first.json()["meta"]["total"] + 1
        assert second.headers["etag"] != first.headers["etag"]
        metadata = client.get(f"/v1/marts/{MART}", headers=bearer()).json()
        assert metadata["delta_version"] == record["delta_version"]


def test_a_revoked_token_is_refused_at_the_next_request(client, api_settings) -> None:
    store = TokenStore(store_path(api_settings))
    token, secret = store.create("client-en-cache", ["services"], days=30)
    headers = {"Authorization": f"Bearer {secret}"}
    for _ in range(3):  # verified once, then served from the principal cache
        assert client.get(f"/v1/marts/{MART}", headers=headers).status_code == 200
    TokenStore(store_path(api_settings)).revoke(token.id)  # as `observatoire tokens revoke` would, elsewhere
    response = client.get(f"/v1/marts/{MART}", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"


def test_a_cached_jwt_is_never_trusted_past_its_expiry(client, issuer) -> None:
    from apps.api.auth import JWT_CACHE_SECONDS

    expires = int(time.time()) + 20
    token = issuer.token(("services",), exp=expires)
    assert client.get(f"/v1/marts/{MART}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    [(_, until, principal)] = [v for v in client.app.state.api.auth._verified.values() if v[2].subject == "agent-1" and v[1] <= expires]
    assert until <= min(expires, time.time() + JWT_CACHE_SECONDS) and principal.roles == {"services"}


# -- rate limit shared by workers ----------------------------------------------------------


def test_two_workers_share_one_bucket(make_client, api_settings, bearer, tmp_path) -> None:
    """Two app instances with ``workers=2`` (as two worker processes would be) share the limit."""
    limits = ApiSettings(rate_per_second=0.01, burst=3, audit_flush_seconds=3600, workers=2)
    first, second = make_client(limits), make_client(limits)
    assert isinstance(first.app.state.api.limiter, SharedRateLimiter)
    headers = bearer(sub=f"agent-{uuid.uuid4().hex[:8]}")
    statuses = [(first if i % 2 else second).get(f"/v1/marts/{MART}", headers=headers).status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert second.get(f"/v1/marts/{MART}", headers=bearer(sub="another-agent")).status_code == 200
    stored = (api_settings.meta / "api_rate_limit.sqlite").read_bytes()
    assert b"agent-" not in stored and b"127.0.0.1" not in stored and b"testclient" not in stored  # hashed keys only


def _take(path: str, key: str, count: int, results: Any) -> None:
    limiter = SharedRateLimiter(0.001, 10, Path(path))
    results.put(sum(limiter.acquire(key) == 0.0 for _ in range(count)))


def test_processes_hammering_one_key_never_exceed_the_burst(tmp_path) -> None:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_take, args=(str(tmp_path / "rl.sqlite"), "token:x", 25, results)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert results.get(timeout=5) + results.get(timeout=5) == 10  # the burst, in total, not per process


def test_shared_and_memory_limiters_agree(tmp_path) -> None:
    from apps.api.ratelimit import RateLimiter

    shared, memory = SharedRateLimiter(2.0, 3, tmp_path / "rl.sqlite"), RateLimiter(2.0, 3)
    times = [0.0, 0.0, 0.0, 0.0, 0.2, 0.5, 0.6, 2.0, 2.0, 2.0, 2.0, 2.0]
    assert [round(shared.acquire("k", 100 + t), 6) for t in times] == [round(memory.acquire("k", 100 + t), 6) for t in times]


def test_keycloak_nested_roles_claim(api_settings, identity, issuer) -> None:
    from dataclasses import replace

    keycloak = replace(identity, roles_claim="realm_access.roles")
    with TestClient(create_app(api_settings, keycloak, GENEROUS)) as client:
        token = issuer.token((), realm_access={"roles": ["services", "offline_access"]})  # top-level "roles": []
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get(f"/v1/marts/{MART}", headers=headers).status_code == 200
        assert client.get(f"/v1/marts/{SANTE_MART}", headers=headers).status_code == 403
