"""Sign-in in a real Chromium: the local OIDC provider, ``st.login``, roles, refusals, audit, sign-out.

One ``streamlit run`` server with the ``[auth]`` secrets ``observatoire serve`` would write, the
project's local provider (:mod:`orchestration.local_identity`) on 127.0.0.1, and no dev bypass:
every analyst page here is reached by signing in through the provider's login form. Requests
outside loopback fail and are recorded (the app and the provider both listen on 127.0.0.1).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.published import overview_use_case
from orchestration.core import audit
from orchestration.core.access import may_read_audit, may_read_use_case, readable_use_cases
from orchestration.core.app_signin import write_secrets
from orchestration.core.catalog import open_datasets, use_cases
from orchestration.core.settings import DEV_OIDC_CLIENT_ID, DEV_OIDC_CLIENT_SECRET, AppSignIn, IdentitySettings, load_settings
from tests.apps.conftest import record_requests_leaving_loopback
from tests.apps.test_browser import wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

LOAD_TIMEOUT_MS = 60_000
PORTAIL = "Portail open data"
# Public pages, listed to everyone: the portal, one page per declared open dataset, transparency, register.
PUBLIC_PAGES = {PORTAIL, "Transparence", "Registre des traitements"} | {d.title for d in open_datasets().values()}
HOME = overview_use_case().name  # the use case of the observatory's home page
HEALTH = "sante_observatoire"  # allowed to analyste and exploitation, not to services
AUDIT_PAGE = ("journal-des-acces", "Journal des accès")


@dataclass(frozen=True)
class SignInApp:
    """The app, its provider and its lake."""

    url: str
    issuer: str
    lake: Path

    def audit_rows(self, subject: str) -> list[dict]:
        """What the audit trail holds for ``subject`` (read straight from the Delta table)."""
        settings = load_settings(self.lake, require_key=False)
        return [row for row in audit.read(settings.audit).to_pylist() if row["subject"] == subject]


@pytest.fixture(scope="module")
def signin_app(tmp_path_factory: pytest.TempPathFactory, lake_writer) -> Iterator[SignInApp]:
    """Local provider + the app configured like ``serve`` does, on free loopback ports."""
    from orchestration.local_identity import start_local_provider
    from tests.apps.conftest import _free_port, start_streamlit, stop_streamlit

    root = tmp_path_factory.mktemp("signin")
    lake = lake_writer.write_published_lake(root / "lake")
    provider = start_local_provider()
    try:
        port = _free_port()
        identity = IdentitySettings(issuer=provider.issuer, client_id=DEV_OIDC_CLIENT_ID, client_secret=DEV_OIDC_CLIENT_SECRET)
        signin = AppSignIn(redirect_uri=f"http://127.0.0.1:{port}/oauth2callback", cookie_secret=secrets.token_urlsafe(48))
        secrets_file = write_secrets(load_settings(lake, require_key=False), identity, signin, root / "secrets.toml")
        server = start_streamlit(
            lake,
            root,
            port=port,
            extra_args=("--secrets.files", str(secrets_file)),
            env_overrides={"OBSERVATOIRE_DEV_ROLES": None, "OBSERVATOIRE_OIDC_ISSUER": provider.issuer},
        )
        try:
            yield SignInApp(url=server.url, issuer=provider.issuer, lake=lake)
        finally:
            stop_streamlit(server.process)
    finally:
        provider.stop()


def offline_context(browser: object, app: SignInApp) -> tuple[object, list[str]]:
    """A fresh browser context (no cookie) whose requests outside loopback fail (tests/apps/conftest.py).

    Returns the context and the list of what the *app's* pages tried to fetch outside: the mock
    provider's own login page asks a CDN for its stylesheet (it fails too, but is not ours to fix).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")  # type: ignore[attr-defined]
    blocked: list[str] = []
    record_requests_leaving_loopback(context, blocked, counts=lambda request: not request.frame.url.startswith(app.issuer))  # type: ignore[attr-defined]
    return context, blocked


@pytest.fixture
def page(browser: object, signin_app: SignInApp) -> Iterator[object]:
    """A page in a fresh offline context; fails the test if the app fetched anything outside."""
    context, blocked = offline_context(browser, signin_app)
    yield context.new_page()  # type: ignore[attr-defined]
    context.close()  # type: ignore[attr-defined]
    assert not blocked, f"the app fetched outside loopback: {blocked}"


def idle(page: object) -> None:
    """Wait until Streamlit has drawn the page: its title, and the script run to its end.

    The end of the run is read from the app's root (test_browser.py ``wait_until_idle``): the status
    widget alone may not be attached yet right after a navigation, and a title is drawn before
    what follows it (CI once read « Accès refusé » without the sentence under it).
    """
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    wait_until_idle(page)


def open_url(page: object, url: str) -> str:
    """Go to ``url`` and return the page's main title once drawn."""
    page.goto(url, timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    idle(page)
    return page.locator('[data-testid="stMain"] h1').first.inner_text()  # type: ignore[attr-defined]


def listed_pages(page: object) -> set[str]:
    """Titles in the sidebar navigation (Streamlit hides it when only one page is visible)."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]', has_text="more")  # type: ignore[attr-defined]
    if more.count():  # Streamlit folds a long navigation ("View N more"): unfold it first
        more.first.click()
        page.wait_for_selector('[data-testid="stSidebarNavViewButton"]:has-text("less")')  # type: ignore[attr-defined]
    links = page.locator('[data-testid="stSidebarNav"] a')  # type: ignore[attr-defined]
    return {text.strip().split("\n")[-1].strip() for text in links.all_inner_texts()}  # drop the icon's ligature


def expected_pages(roles: set[str]) -> set[str]:
    """The pages a role must see, from the declarations (use cases with a published mart)."""
    titles = set(PUBLIC_PAGES)
    if may_read_use_case(roles, HOME):
        titles.add("Observatoire")
    titles |= {uc.title for uc in readable_use_cases(roles) if uc.name != HOME and any(m.published for m in uc.marts)}
    if may_read_audit(roles):
        titles.add(AUDIT_PAGE[1])
    return titles


def sign_in(page: object, app: SignInApp, user: str) -> None:
    """Sign in as ``user`` through the local provider's login form (one button per role)."""
    open_url(page, app.url)
    page.get_by_role("button", name="Se connecter").first.click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{app.issuer}/**", timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    page.locator(f'button[name="sub"][value="{user}"]').click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{app.url}/**", timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    idle(page)
    page.get_by_role("button", name="Se déconnecter").wait_for(timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]


def published_home_rows(app: SignInApp) -> list[dict]:
    """Rows of the published overview mart in the test lake (what the home page shows)."""
    from deltalake import DeltaTable

    record = json.loads((app.lake / "gold" / "_publications" / "incidents_quartier_jour.json").read_text(encoding="utf-8"))
    return DeltaTable(str(app.lake / "gold" / "incidents_quartier_jour"), version=record["delta_version"]).to_pyarrow_table().to_pylist()


def test_citizen_without_sign_in_sees_only_the_portal(signin_app: SignInApp, page: object) -> None:
    assert open_url(page, signin_app.url) == PORTAIL  # "/" is the portal for whoever is not signed in
    assert listed_pages(page) <= PUBLIC_PAGES
    # Waits for the button (count() would not): the signed-out app may still be drawing it.
    expect(page.get_by_role("button", name="Se connecter").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    # Analyst URLs serve nothing but a refusal; the portal's own URL still works.
    for path in ("observatoire", HEALTH, AUDIT_PAGE[0]):
        assert open_url(page, f"{signin_app.url}/{path}") == "Accès refusé", path
        assert "connectez-vous" in page.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]
    open_url(page, f"{signin_app.url}/portail")
    assert "Accès refusé" not in page.inner_text('[data-testid="stMain"]')  # type: ignore[attr-defined]


def test_analyst_signs_in_sees_exactly_their_pages_and_signs_out(signin_app: SignInApp, page: object) -> None:
    sign_in(page, signin_app, "analyste")
    assert listed_pages(page) == expected_pages({"analyste"})
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Observatoire de la tranquillité publique"  # type: ignore[attr-defined]
    assert open_url(page, f"{signin_app.url}/{HEALTH}") == use_cases()[HEALTH].title
    assert open_url(page, f"{signin_app.url}/{AUDIT_PAGE[0]}") == "Accès refusé"  # dpo only

    rows = signin_app.audit_rows("analyste")
    read = {(r["resource"], r["status"]) for r in rows}
    assert ("incidents_quartier_jour", 200) in read
    assert {(m.name, 200) for m in use_cases()[HEALTH].marts if m.published} <= read
    assert (AUDIT_PAGE[0], 403) in read
    assert all(r["channel"] == "app" and r["roles"] == "analyste" and r["principal_kind"] == "user" for r in rows)
    home = next(r for r in rows if r["resource"] == "incidents_quartier_jour")
    assert home["rows_returned"] == len(published_home_rows(signin_app))

    # Sign out: the provider's end-session page, then back to the app, signed out.
    page.get_by_role("button", name="Se déconnecter").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{signin_app.issuer}/**", timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    page.get_by_role("button", name="End session").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{signin_app.url}/**", timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    idle(page)
    assert listed_pages(page) <= PUBLIC_PAGES
    # Waits for the button (count() would not): the signed-out app may still be drawing it.
    expect(page.get_by_role("button", name="Se connecter").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    before = len(signin_app.audit_rows("analyste"))
    assert open_url(page, f"{signin_app.url}/observatoire") == "Accès refusé"
    assert len(signin_app.audit_rows("analyste")) == before  # signed out: no longer anyone to trace


def test_services_do_not_see_health_dpo_sees_their_reads_exploitation_sees_health(
    signin_app: SignInApp, page: object, browser: object
) -> None:
    sign_in(page, signin_app, "services")
    listed = listed_pages(page)
    assert listed == expected_pages({"services"})
    assert use_cases()[HEALTH].title not in listed
    assert open_url(page, f"{signin_app.url}/{HEALTH}") == "Accès refusé"
    # The title is drawn before the explanation under it: wait for the explanation.
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Votre rôle ne donne pas accès", timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    assert {(r["resource"], r["status"]) for r in signin_app.audit_rows("services")} >= {("incidents_quartier_jour", 200), (HEALTH, 403)}

    dpo_context, blocked = offline_context(browser, signin_app)
    try:
        dpo = dpo_context.new_page()  # type: ignore[attr-defined]
        sign_in(dpo, signin_app, "dpo")
        assert listed_pages(dpo) == expected_pages({"dpo"})
        assert open_url(dpo, f"{signin_app.url}/{AUDIT_PAGE[0]}") == AUDIT_PAGE[1]
        dpo.wait_for_selector('[data-testid="stDataFrame"]', timeout=LOAD_TIMEOUT_MS)
        shown = dpo.inner_text('[data-testid="stMain"]')
        assert "Lectures" in shown and "Registre des traitements" in shown
        # The grid is a canvas: check the reads through the subject filter's options instead.
        dpo.locator('[data-testid="stMultiSelect"]').first.click()
        # The list opens after the click: wait for it before reading the options.
        dpo.get_by_role("option", name="services", exact=True).wait_for(timeout=LOAD_TIMEOUT_MS)
        options = {t.strip() for t in dpo.locator('[role="option"]').all_inner_texts()}
        assert {"services"} <= options
        assert any(r["resource"] == "audit_reads" for r in signin_app.audit_rows("dpo"))  # the DPO's read is traced too

        # The operators' other role: the health page, nothing else of the analysts'.
        dpo.context.clear_cookies()
        sign_in(dpo, signin_app, "exploitation")
        listed = listed_pages(dpo)
        assert listed == expected_pages({"exploitation"}) and use_cases()[HEALTH].title in listed
    finally:
        dpo_context.close()  # type: ignore[attr-defined]
    assert not blocked, f"the app fetched outside loopback: {blocked}"
