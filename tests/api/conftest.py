"""Fixtures for the API tests: a synthetic published lake, a local OIDC issuer, tokens, clients.

The lake is the apps' synthetic publication (tests/apps/conftest.py: two gold versions of
``incidents_quartier_jour``, the second published, and its monthly open dataset), plus a
published ``sante_flux_jour`` (a mart the ``services`` role may not read) and a second release of
the open dataset, so version pinning and role filtering have something to tell apart.

JWTs are signed with an RSA key generated here and served as a JWKS (with a discovery document)
by a small HTTP server on 127.0.0.1: the API fetches and checks them exactly as it would a
city SSO's, through the real verification path.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pandas as pd
import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from orchestration.core.settings import ApiSettings, IdentitySettings, Settings, load_settings
from tests.apps.conftest import DATASET, write_json, write_published_lake

CLIENT_ID = "observatoire-api-tests"
KID = "test-key-1"
SANTE_MART = "sante_flux_jour"


def _write_sante(lake: Path) -> None:
    """One published version of ``sante_flux_jour`` (roles analyste, exploitation)."""
    from deltalake import DeltaTable, write_deltalake

    from orchestration.core.catalog.mart_schema import arrow_schema

    schema = arrow_schema(SANTE_MART)
    frame = pd.DataFrame(
        {
            "flux": ["police_mains_courantes", "csu_evenements"],
            "jour": [date(2026, 2, 1), date(2026, 2, 1)],
            "nb_livraisons": [1, 1],
            "nb_rejets": [0, 0],
            "lignes_lues": [120, 80],
            "lignes_ecrites": [118, 80],
            "lignes_quarantaine": [2, 0],
            "taux_quarantaine": [2 / 120, 0.0],
        }
    )
    columns = {f.name: pa.array(frame[f.name] if f.name in frame else [None] * len(frame), type=f.type) for f in schema}
    path = lake / "gold" / SANTE_MART
    write_deltalake(str(path), pa.table(columns, schema=schema), mode="overwrite")
    version = DeltaTable(str(path)).version()
    write_json(
        lake / "gold" / "_publications" / f"{SANTE_MART}.json",
        {"mart": SANTE_MART, "published_at": "2026-11-22T21:03:04+00:00", "delta_version": version, "rows": 2,
         "data_window": {"start": "2026-02-01", "end": "2026-02-01"}, "gate": {"success": True}},
    )  # fmt: skip


def _version_open_data(lake: Path) -> None:
    """Turn the flat open-data folder into two releases (2026-01 with January only, 2026-02) + latest."""
    import pyarrow.parquet as pq

    folder = lake / "open_data" / DATASET
    flat = [p for p in folder.iterdir() if p.is_file()]
    for release in ("2026-01", "2026-02"):
        target = folder / release
        target.mkdir()
        for p in flat:
            shutil.copy2(p, target / p.name)
    january = pq.read_table(folder / "2026-01" / f"{DATASET}.parquet").to_pandas()
    january = january[january["mois"] == "2026-01"]
    pq.write_table(pa.Table.from_pandas(january, preserve_index=False), folder / "2026-01" / f"{DATASET}.parquet")
    for p in flat:
        p.unlink()
    (folder / "latest").symlink_to("2026-02", target_is_directory=True)


@pytest.fixture(scope="session")
def api_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published lake the API tests read (never written by the tests, apart from meta/)."""
    lake = write_published_lake(tmp_path_factory.mktemp("api") / "lake", "ok")
    _write_sante(lake)
    _version_open_data(lake)
    return lake


@pytest.fixture(scope="session")
def api_settings(api_lake: Path) -> Settings:
    return load_settings(api_lake, require_key=False)


# -- a local OIDC issuer (discovery + JWKS) -----------------------------------------------------


class Issuer:
    """Signs JWTs with its private key; its public key is served at ``<url>/jwks``."""

    def __init__(self, url: str, key: rsa.RSAPrivateKey) -> None:
        self.url = url
        self.key = key

    def token(self, roles: Any = ("services",), *, sub: str = "agent-1", key: rsa.RSAPrivateKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300, "roles": list(roles), **overrides}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}
    state: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": state["url"], "jwks_uri": state["url"] + "/jwks"}
            elif self.path == "/jwks":
                body = jwks
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Issuer(state["url"], key)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def identity(issuer: Issuer) -> IdentitySettings:
    return IdentitySettings(issuer=issuer.url, client_id=CLIENT_ID, client_secret="test-only", roles_claim="roles")


# -- clients --------------------------------------------------------------------------------


GENEROUS = ApiSettings(rate_per_second=10_000, burst=10_000, page_size_max=1000, audit_flush_seconds=3600, audit_flush_events=10_000)


@pytest.fixture
def make_client(api_settings: Settings, identity: IdentitySettings) -> Iterator[Any]:
    """Build a started TestClient (lifespan on) for given limits; closed (audit flushed) at teardown."""
    opened: list[TestClient] = []

    def make(limits: ApiSettings = GENEROUS) -> TestClient:
        from apps.api.app import create_app

        client = TestClient(create_app(api_settings, identity, limits))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client()


@pytest.fixture
def bearer(issuer: Issuer) -> Any:
    """``bearer(roles, **claims)`` -> an Authorization header with a freshly signed JWT."""

    def make(roles: Any = ("services",), **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.token(roles, **claims)}"}

    return make
