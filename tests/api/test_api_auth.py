"""Who may read what through the API: OIDC JWTs, machine tokens, roles from the declarations."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from orchestration.core.access import readable_marts
from orchestration.core.api_tokens import TokenError, TokenStore, store_path

MART = "incidents_quartier_jour"
SANTE = "sante_flux_jour"


def test_health_and_openapi_are_public(client) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/v1/marts/{mart}/data" in spec["paths"] and "/v1/open-data/{dataset}/data.csv" in spec["paths"]


@pytest.mark.parametrize("path", [f"/v1/marts/{MART}", f"/v1/marts/{MART}/data", f"/v1/marts/{MART}/data.csv"])
def test_no_token_is_401_with_a_bearer_challenge(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "missing_token"


def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"exp": _now() - 3600, "iat": _now() - 7200}, "expired_token"),
        ({"aud": "another-client"}, "wrong_audience"),
        ({"iss": "http://127.0.0.1:9/other"}, "wrong_issuer"),
        ({"exp": None}, "invalid_token"),  # no expiry at all: refused
    ],
)
def test_bad_jwts_are_401(client, bearer, claims, code) -> None:
    response = client.get(f"/v1/marts/{MART}/data", headers=bearer(**claims))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code


def test_wrong_signature_is_401(client, issuer) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = issuer.token(key=stranger)  # same kid, another key: only the signature differs
    response = client.get(f"/v1/marts/{MART}/data", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"


def test_unsigned_and_symmetric_tokens_are_401(client, issuer) -> None:
    claims = {"iss": issuer.url, "aud": "observatoire-api-tests", "sub": "x", "exp": _now() + 60, "roles": ["services"]}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    hmac_token = jwt.encode(claims, key="a-shared-secret-long-enough-for-hs256!", algorithm="HS256", headers={"kid": "test-key-1"})
    for token in (unsigned, hmac_token, "not-a-jwt"):
        response = client.get(f"/v1/marts/{MART}/data", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


def test_a_valid_jwt_reads_its_roles_marts_and_nothing_else(client, bearer) -> None:
    services = bearer(("services",))
    assert client.get(f"/v1/marts/{MART}/data", headers=services).status_code == 200
    forbidden = client.get(f"/v1/marts/{SANTE}/data", headers=services)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert client.get(f"/v1/marts/{SANTE}", headers=services).status_code == 403
    listed = {d["dataset"] for d in client.get("/v1/datasets", headers=services).json()["marts"]}
    assert MART in listed and SANTE not in listed
    assert listed <= {m.name for m in readable_marts({"services"})}

    operator = bearer(("exploitation",))
    listed = {d["dataset"] for d in client.get("/v1/datasets", headers=operator).json()["marts"]}
    assert listed == {SANTE}
    assert client.get(f"/v1/marts/{MART}/data", headers=operator).status_code == 403
    assert client.get(f"/v1/marts/{SANTE}/data", headers=operator).status_code == 200


def test_undeclared_roles_grant_nothing(client, bearer) -> None:
    headers = bearer(("admin", "superuser"))
    assert client.get(f"/v1/marts/{MART}/data", headers=headers).status_code == 403
    assert client.get("/v1/datasets", headers=headers).json()["marts"] == []


def test_anonymous_index_lists_open_data_only(client) -> None:
    index = client.get("/v1/datasets").json()
    assert index["marts"] == [] and index["open_data"]
    assert client.get(f"/v1/open-data/{index['open_data'][0]['dataset']}/data").status_code == 200


# -- machine tokens ---------------------------------------------------------------------------


def test_machine_token_lifecycle(tmp_path, client, api_settings) -> None:
    store = TokenStore(store_path(api_settings))
    token, secret = store.create("tableau-de-bord-voirie", ["services"], days=30)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/v1/marts/{MART}/data", headers=headers).status_code == 200
    assert client.get(f"/v1/marts/{SANTE}/data", headers=headers).status_code == 403

    stored = store_path(api_settings).read_text(encoding="utf-8")
    assert secret not in stored and secret.split("_", 2)[2] not in stored  # only the hash is kept
    assert oct(store_path(api_settings).stat().st_mode & 0o777) == "0o600"
    assert {t.id: t.status for t in store.list()}[token.id] == "actif"

    store.revoke(token.id)
    response = client.get(f"/v1/marts/{MART}/data", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_token"
    assert {t.id: t.status for t in store.list()}[token.id] == "révoqué"

    tampered = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
    assert client.get(f"/v1/marts/{MART}/data", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401


def test_expired_machine_token_is_401(client, api_settings) -> None:
    store = TokenStore(store_path(api_settings))
    token, secret = store.create("ancien-client", ["services"], days=1, now=datetime.now(UTC) - timedelta(days=2))
    assert token.status == "expiré"
    response = client.get(f"/v1/marts/{MART}/data", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_tokens_refuse_undeclared_roles_and_bad_durations(api_settings) -> None:
    store = TokenStore(store_path(api_settings))
    with pytest.raises(TokenError, match="rôles inconnus"):
        store.create("x", ["services", "chef"], days=10)
    with pytest.raises(TokenError):
        store.create("x", ["services"], days=0)
    with pytest.raises(TokenError):
        store.create("x", ["services"], days=1000)
    with pytest.raises(TokenError):
        store.revoke("000000000000")


def test_tokens_cli_create_list_revoke(tmp_path, capsys, monkeypatch) -> None:
    from orchestration.cli import main

    lake = tmp_path / "lake"
    assert main(["tokens", "create", "--lake", str(lake), "--name", "etl-voirie", "--roles", "services,analyste", "--days", "7"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert secret.startswith("obs_")
    rows = json.loads((lake / "meta" / "api_tokens.json").read_text(encoding="utf-8"))
    assert len(rows) == 1 and rows[0]["roles"] == ["analyste", "services"] and secret not in json.dumps(rows)

    assert main(["tokens", "list", "--lake", str(lake)]) == 0
    listing = capsys.readouterr()
    assert "etl-voirie" in listing.err + listing.out and secret not in listing.err + listing.out

    assert main(["tokens", "revoke", "--lake", str(lake), rows[0]["id"]]) == 0
    assert json.loads((lake / "meta" / "api_tokens.json").read_text(encoding="utf-8"))[0]["revoked_at"]
    assert main(["tokens", "create", "--lake", str(lake), "--name", "x", "--roles", "chef", "--days", "7"]) == 2
