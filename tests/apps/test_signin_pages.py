"""Sign-in through AppTest (no browser): who lands where, what is audited, prod refusals.

``at.user`` stands for ``st.user`` (Streamlit 1.67): ``{"is_logged_in": True, "sub": ..., "roles": [...]}``.
The dev bypass set for the other app tests is removed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from orchestration.core import audit
from orchestration.core.settings import load_settings

APP = Path(__file__).resolve().parents[2] / "apps" / "streamlit_app.py"
RUN_TIMEOUT = 60


def run_as(lake: Path, monkeypatch: pytest.MonkeyPatch, user: dict | None) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(lake))
    monkeypatch.delenv("OBSERVATOIRE_DEV_ROLES", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    if user is not None:
        at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def audited(lake: Path) -> list[dict]:
    return audit.read(load_settings(lake, require_key=False).audit).to_pylist()


def test_without_sign_in_the_front_page_is_the_portal_and_nothing_is_audited(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_as(fresh_lake, monkeypatch, {"is_logged_in": False})
    assert at.title[0].value == "Portail open data"
    assert not at.metric or "Incidents" not in {m.label for m in at.metric}
    assert audited(fresh_lake) == []


def test_signed_in_analyst_lands_on_the_observatory_and_the_read_is_audited(
    fresh_lake: Path, monkeypatch: pytest.MonkeyPatch, lake_writer
) -> None:
    at = run_as(fresh_lake, monkeypatch, {"is_logged_in": True, "sub": "agent-42", "name": "Agent", "roles": ["analyste"]})
    assert at.title[0].value == "Observatoire de la tranquillité publique"
    assert "Se déconnecter" in [b.label for b in at.sidebar.button]
    rows = audited(fresh_lake)
    assert [(r["subject"], r["resource"], r["status"], r["channel"]) for r in rows] == [("agent-42", lake_writer.MART, 200, "app")]
    assert rows[0]["rows_returned"] == len(lake_writer.synthetic_incidents())
    at.run()  # a rerun of the same page (a widget click) is not a new read
    assert len(audited(fresh_lake)) == 1


def test_operator_roles_do_not_open_the_observatory(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("dpo", "exploitation"):
        at = run_as(fresh_lake, monkeypatch, {"is_logged_in": True, "sub": role, "roles": [role]})
        assert at.title[0].value == "Portail open data", role  # their pages are listed, not the home
    assert audited(fresh_lake) == []  # the portal is public: nothing to audit


def test_unknown_roles_grant_nothing(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_as(fresh_lake, monkeypatch, {"is_logged_in": True, "sub": "x", "roles": ["admin", "superuser"]})
    assert at.title[0].value == "Portail open data"


def test_dev_bypass_is_labelled_and_not_audited(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(fresh_lake))
    monkeypatch.setenv("OBSERVATOIRE_DEV_ROLES", "analyste")
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
    assert at.title[0].value == "Observatoire de la tranquillité publique"
    assert any("Mode développement" in w.value for w in at.sidebar.warning)
    assert audited(fresh_lake) == []


def test_prod_app_refuses_the_dev_bypass_and_a_missing_issuer(fresh_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(fresh_lake))
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.delenv("OBSERVATOIRE_DEV_ROLES", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_OIDC_ISSUER", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
    assert [e.value for e in at.error] and "OBSERVATOIRE_OIDC_ISSUER" in at.error[0].value
    assert not at.title  # nothing served, not even the portal

    monkeypatch.setenv("OBSERVATOIRE_OIDC_ISSUER", "https://sso.example.fr/realms/ville")
    monkeypatch.setenv("OBSERVATOIRE_OIDC_CLIENT_ID", "observatoire")
    monkeypatch.setenv("OBSERVATOIRE_OIDC_CLIENT_SECRET", "s3cr3t-from-the-vault")
    monkeypatch.setenv("OBSERVATOIRE_DEV_ROLES", "analyste")
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT).run()
    assert at.error and at.error[0].value.startswith("Configuration refusée") and "OBSERVATOIRE_DEV_ROLES" in at.error[0].value
    assert not at.title
