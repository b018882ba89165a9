"""Sign-in pieces: the dev bypass and its refusal in prod, the app's [auth] secrets, the local
provider's users, principals from ``st.user`` claims, the DPO page's filters, loopback binding."""

from __future__ import annotations

import inspect
import stat
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from orchestration.core.access import OPERATOR_ROLES, declared_roles
from orchestration.core.settings import (
    DEV_OIDC_CLIENT_SECRET,
    ConfigurationError,
    IdentitySettings,
    load_app_signin,
    load_dev_roles,
    load_identity,
    load_settings,
)

PROD_SSO = {
    "OBSERVATOIRE_OIDC_ISSUER": "https://sso.example.fr/realms/ville",
    "OBSERVATOIRE_OIDC_CLIENT_ID": "observatoire",
    "OBSERVATOIRE_OIDC_CLIENT_SECRET": "s3cr3t-from-the-vault",
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OBSERVATOIRE_DEV_ROLES", "OBSERVATOIRE_APP_URL", "OBSERVATOIRE_COOKIE_SECRET", *PROD_SSO):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OBSERVATOIRE_ENV", "dev")


# --- the labelled dev bypass ------------------------------------------------------------------


def test_dev_roles_are_read_in_dev_and_refused_in_prod(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_dev_roles() == frozenset()
    monkeypatch.setenv("OBSERVATOIRE_DEV_ROLES", "analyste, dpo")
    assert load_dev_roles() == {"analyste", "dpo"}
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.setenv("OBSERVATOIRE_KEY", "x" * 8 + "Zq7#pL2@vN9$wR4!kT6&yB1*mC3^hF5%")
    with pytest.raises(ConfigurationError, match="OBSERVATOIRE_DEV_ROLES"):
        load_dev_roles()
    with pytest.raises(ConfigurationError, match="OBSERVATOIRE_DEV_ROLES"):
        load_settings(tmp_path / "lake", require_key=False)  # whoever reads the settings


# --- prod refuses to start without an issuer --------------------------------------------------


def test_serve_refuses_prod_without_an_issuer_before_starting_anything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from orchestration import serve_signin

    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    started: list[object] = []
    monkeypatch.setattr("orchestration.local_identity.start_local_provider", lambda *a, **k: started.append(a))
    settings = load_settings(tmp_path / "lake", require_key=False)
    with pytest.raises(ConfigurationError, match="OBSERVATOIRE_OIDC_ISSUER"):
        serve_signin.prepare(settings, 8501, {})
    assert not started  # no local provider in prod, ever
    assert not (tmp_path / "lake" / "meta" / "app").exists()  # and no secrets written


def test_prod_app_needs_an_https_address(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in PROD_SSO.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    settings = load_settings(tmp_path / "lake", require_key=False)
    with pytest.raises(ConfigurationError, match="OBSERVATOIRE_APP_URL"):
        load_app_signin(settings, 8501)
    monkeypatch.setenv("OBSERVATOIRE_APP_URL", "https://observatoire.ville.example/")
    monkeypatch.setenv("OBSERVATOIRE_COOKIE_SECRET", "c" * 40)
    signin = load_app_signin(settings, 8501)
    assert signin.redirect_uri == "https://observatoire.ville.example/oauth2callback"
    assert signin.cookie_secret == "c" * 40


def test_local_provider_is_refused_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.local_identity import start_local_provider

    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    with pytest.raises(ConfigurationError, match="development tool"):
        start_local_provider()


# --- the app's [auth] secrets -----------------------------------------------------------------


def test_cookie_secret_is_generated_once_outside_git_with_owner_only_rights(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "lake", require_key=False)
    first = load_app_signin(settings, 8123)
    assert first.redirect_uri == "http://127.0.0.1:8123/oauth2callback"
    secret_file = settings.meta / "app" / "cookie_secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(first.cookie_secret) >= 32
    assert load_app_signin(settings, 8123).cookie_secret == first.cookie_secret  # stable: sessions survive a restart
    assert first.cookie_secret not in repr(first)


def test_short_cookie_secret_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OBSERVATOIRE_COOKIE_SECRET", "too-short")
    with pytest.raises(ConfigurationError, match="32"):
        load_app_signin(load_settings(tmp_path / "lake", require_key=False), 8501)


def test_secrets_file_is_the_auth_section_streamlit_reads(tmp_path: Path) -> None:
    from orchestration.core.app_signin import secrets_path, write_secrets

    settings = load_settings(tmp_path / "lake", require_key=False)
    identity = IdentitySettings(issuer="http://127.0.0.1:9400", client_id="observatoire-dev", client_secret=DEV_OIDC_CLIENT_SECRET)
    path = write_secrets(settings, identity, load_app_signin(settings, 8501))
    assert path == secrets_path(settings) and path.is_relative_to(settings.meta)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    auth = tomllib.loads(path.read_text(encoding="utf-8"))["auth"]
    assert auth["server_metadata_url"] == "http://127.0.0.1:9400/.well-known/openid-configuration"
    assert auth["redirect_uri"] == "http://127.0.0.1:8501/oauth2callback"
    assert auth["client_id"] == "observatoire-dev" and auth["client_secret"] == DEV_OIDC_CLIENT_SECRET
    assert set(auth) == {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"}


def test_git_ignores_where_the_secrets_go() -> None:
    ignored = Path(__file__).resolve().parents[2].joinpath(".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/lake/" in ignored  # <lake>/meta/app/ (default lake inside the checkout)


# --- the local provider's users ---------------------------------------------------------------


def test_local_provider_has_one_user_per_declared_role() -> None:
    from orchestration.local_identity import dev_users

    users = dev_users()
    assert {u["sub"] for u in users} == declared_roles() >= set(OPERATOR_ROLES)
    assert all(u["roles"] == [u["sub"]] for u in users)


# --- principals from st.user ------------------------------------------------------------------


def test_principal_from_signed_in_claims_keeps_declared_roles_only() -> None:
    from apps.session import principal_from_user

    assert principal_from_user({}) is None
    assert principal_from_user({"is_logged_in": False, "sub": "x", "roles": ["analyste"]}) is None
    assert principal_from_user({"is_logged_in": True, "roles": ["analyste"]}) is None  # names nobody
    principal = principal_from_user({"is_logged_in": True, "sub": "a-1", "name": "Agent", "roles": ["analyste", "admin"]})
    assert principal is not None
    assert principal.subject == "a-1" and principal.name == "Agent" and principal.roles == {"analyste"}
    groups = principal_from_user({"is_logged_in": True, "sub": "b", "groups": "dpo services"}, roles_claim="groups")
    assert groups is not None and groups.roles == {"dpo", "services"}


def test_identity_roles_claim_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_OIDC_ROLES_CLAIM", "groups")
    assert load_identity().roles_claim == "groups"


# --- the DPO page's data ----------------------------------------------------------------------


def test_audit_page_filters_by_subject_resource_and_day(tmp_path: Path) -> None:
    from apps.dpo.audit_page import audit_frame, filter_frame, reads_by_day, shown_table
    from orchestration.core import audit
    from orchestration.core.access import Principal

    path = tmp_path / "audit"
    a = Principal("analyste", frozenset({"analyste"}))
    s = Principal("services", frozenset({"services"}))
    audit.append(
        path,
        [
            audit.AuditEvent(
                a, "app", "incidents_quartier_jour", 120, read_at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
            ),  # 1 March 23:30 in Paris
            audit.AuditEvent(
                a, "app", "incidents_quartier_jour", 80, read_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
            ),  # 2 March 00:30 in Paris
            audit.AuditEvent(s, "app", "sante_observatoire", 0, status=403, read_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        ],
    )
    frame = audit_frame(audit.read(path))
    assert list(frame["subject"]) == ["services", "analyste", "analyste"]  # newest first
    assert filter_frame(frame, ["analyste"], [], None)["rows_returned"].sum() == 200
    assert len(filter_frame(frame, [], ["sante_observatoire"], None)) == 1
    assert len(filter_frame(frame, [], [], (date(2026, 3, 2), date(2026, 3, 2)))) == 2  # local days
    days = reads_by_day(frame)
    assert days.to_dict("records") == [
        {"jour": "01/03/2026", "lectures": 1, "lignes": 120},
        {"jour": "02/03/2026", "lectures": 2, "lignes": 80},
    ]
    assert shown_table(frame).iloc[0]["Date et heure"] == "02/03/2026 à 10:00"


# --- Dagster's UI stays on loopback ------------------------------------------------------------


def test_serve_binds_the_dagster_ui_and_the_app_to_loopback() -> None:
    from orchestration import cli

    args = cli.build_parser().parse_args(["serve", "--dagster-port", "3999", "--app-port", "8599", "--api-port", "8598"])
    servers = {server.name: server.argv for server in cli._servers(args)}
    dagster, streamlit, api = servers["dagster"], servers["streamlit"], servers["api"]
    assert dagster[dagster.index("-h") + 1] == "127.0.0.1"  # the UI is an operator tool behind the proxy
    assert streamlit[streamlit.index("--server.address") + 1] == "127.0.0.1"
    assert "api" in api and "--port" in api  # the API binds 127.0.0.1 itself (cmd_api)
    assert 'host="127.0.0.1"' in inspect.getsource(cli.cmd_api)
