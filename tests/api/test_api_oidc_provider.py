"""End to end with a real OpenID Connect provider on 127.0.0.1 (``oidc-provider-mock``).

A user with the ``services`` role signs in through the provider's authorization-code flow; the
ID token it issues (signed with the provider's own key, published in its JWKS) opens the marts
of that role through the API, and only those.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from orchestration.core.settings import IdentitySettings

CLIENT_ID = "observatoire-api-tests"
CLIENT_SECRET = "test-only-secret"
REDIRECT = "http://127.0.0.1:1/callback"  # never opened: the code is read from the redirect


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        yield f"http://127.0.0.1:{server.server_port}"


def sign_in(provider: str, sub: str, roles: list[str]) -> str:
    """The ID token the provider issues to ``sub`` after the authorization-code flow."""
    with httpx.Client(trust_env=False, timeout=10) as http:
        assert http.put(f"{provider}/users/{sub}", json={"roles": roles, "name": "Agent de test"}).status_code == 204
        params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid profile", "state": "s"}
        answer = http.post(f"{provider}/oauth2/authorize", params=params, data={"sub": sub})
        assert answer.status_code in (302, 303), answer.text
        code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
        token = http.post(
            f"{provider}/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
        assert token.status_code == 200, token.text
        return token.json()["id_token"]


def test_a_user_signed_in_at_the_provider_reads_the_marts_of_their_role(provider, api_settings) -> None:
    from fastapi.testclient import TestClient

    from apps.api.app import create_app
    from tests.api.conftest import GENEROUS

    identity = IdentitySettings(issuer=provider, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, roles_claim="roles")
    id_token = sign_in(provider, "agent.voirie", ["services"])
    with TestClient(create_app(api_settings, identity, GENEROUS)) as client:
        headers = {"Authorization": f"Bearer {id_token}"}
        assert client.get("/v1/marts/incidents_quartier_jour/data", headers=headers).status_code == 200
        assert client.get("/v1/marts/sante_flux_jour/data", headers=headers).status_code == 403
        listed = {d["dataset"] for d in client.get("/v1/datasets", headers=headers).json()["marts"]}
        assert "incidents_quartier_jour" in listed and "sante_flux_jour" not in listed
        # The same token presented to an API configured for another client: wrong audience.
    other = IdentitySettings(issuer=provider, client_id="another-client", client_secret="x", roles_claim="roles")
    with TestClient(create_app(api_settings, other, GENEROUS)) as client:
        response = client.get("/v1/marts/incidents_quartier_jour/data", headers={"Authorization": f"Bearer {id_token}"})
        assert response.status_code == 401 and response.json()["error"]["code"] == "wrong_audience"
