"""Who is reading the app: sign-in, the pages their roles open, and the audit of their reads.

The analyst side signs in through OpenID Connect with Streamlit's native ``st.login`` (its
``[auth]`` secrets are written by ``observatoire serve``, see :mod:`orchestration.core.app_signin`).
Roles come from the identity token's roles claim through :mod:`orchestration.core.access`, the one
module the API uses too. The citizens' portal needs no sign-in.

``OBSERVATOIRE_DEV_ROLES`` (dev/tests only, refused in prod) stands in for a signed-in user: the
app says so in a banner, and does not audit those reads (nobody signed in: there is no one to trace).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from orchestration.core import audit
from orchestration.core.access import Principal, declared_roles, roles_from_claims
from orchestration.core.settings import Settings, load_dev_roles, load_identity

DEV_SUBJECT = "dev-bypass"
ACCESS_DENIED = "Accès refusé"
_AUDITED_KEY = "_observatoire_last_audited_read"


def signin_configured() -> bool:
    """True when the app has an ``[auth]`` section (``serve`` writes it): ``st.login`` can work."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all (AppTest, a bare ``streamlit run``)
        return False


def principal_from_user(user: Mapping[str, Any], roles_claim: str = "roles") -> Principal | None:
    """The principal of a signed-in ``st.user`` (its claims), or ``None`` when nobody is signed in."""
    if not user.get("is_logged_in"):
        return None
    subject = str(user.get("sub") or user.get("email") or "")
    if not subject:
        return None  # a token without a subject names nobody: treat as signed out
    name = str(user.get("name") or user.get("email") or subject)
    return Principal(subject=subject, roles=roles_from_claims(user, roles_claim), kind="user", name=name)


def current_principal() -> Principal | None:
    """The signed-in user, else the labelled dev bypass (``OBSERVATOIRE_DEV_ROLES``), else ``None``.

    Raises :class:`~orchestration.core.settings.ConfigurationError` in prod without an issuer or
    with the bypass set: the app then refuses to serve analyst pages.
    """
    identity = load_identity()
    dev_roles = load_dev_roles()
    principal = principal_from_user(st.user.to_dict(), identity.roles_claim)
    if principal is not None:
        return principal
    if dev_roles:
        return Principal(subject=DEV_SUBJECT, roles=dev_roles & declared_roles(), name="mode développement")
    return None


def account_sidebar(principal: Principal | None) -> None:
    """Who is signed in, with sign-in / sign-out buttons (sidebar, every page)."""
    with st.sidebar:
        if principal is None:
            if signin_configured():
                st.button("Se connecter", icon=":material/login:", on_click=st.login, key="signin", help="Espace des agents de la Ville")
        elif principal.subject == DEV_SUBJECT:
            st.warning(f"Mode développement : connexion simulée (rôles : {', '.join(sorted(principal.roles)) or 'aucun'}).")
        else:
            st.caption(f"Connecté·e : **{principal.name}** · rôles : {', '.join(sorted(principal.roles)) or 'aucun'}")
            st.button("Se déconnecter", icon=":material/logout:", on_click=st.logout, key="signout")


def refusal_page(url_path: str, title: str) -> Any:
    """A hidden page at ``url_path`` that serves nothing but "accès refusé" (direct URL, no role)."""

    def refused() -> None:
        st.title(ACCESS_DENIED)
        if st.session_state.get("_observatoire_principal") is None:
            st.warning("Cette page est réservée aux agents habilités de la Ville : connectez-vous pour y accéder.")
            if signin_configured():
                st.button("Se connecter", icon=":material/login:", on_click=st.login, key="signin-refused")
        else:
            st.error("Votre rôle ne donne pas accès à cette page. Demandez l'accès à l'équipe de l'Observatoire si besoin.")

    refused.__name__ = f"refused_{url_path.replace('-', '_')}"
    return st.Page(refused, title=title, url_path=url_path, visibility="hidden")


def client_description() -> str:
    """The caller's address and browser, for the audit trail (no cookie, no token)."""
    try:
        address = st.context.ip_address or ""
        agent = st.context.headers.get("User-Agent", "")
    except Exception:  # AppTest has no request
        return ""
    return f"{address} {agent}".strip()[:300]


def audit_reads(
    settings: Settings,
    principal: Principal | None,
    page: str,
    reads: list[tuple[str, int]],
    status: int = 200,
    filters: Mapping[str, Any] | None = None,
) -> int:
    """Append one audit event per resource read on ``page`` (``reads``: resource, rows shown).

    Nothing for an anonymous reader (the public portal). A page redrawn in the same session with
    the same filters (a widget click, a rerun) is not audited again; returning to it is.
    """
    if principal is None or principal.subject == DEV_SUBJECT or not reads:
        return 0  # anonymous (public pages) or the dev bypass: nobody signed in, nothing to trace
    shown = {"page": page, **dict(filters or {})}
    key = (principal.subject, status, repr(sorted(shown.items(), key=str)))
    if st.session_state.get(_AUDITED_KEY) == key:
        return 0
    client = client_description()
    events = [
        audit.AuditEvent(
            principal=principal, channel="app", resource=resource, rows_returned=rows, filters=shown, client=client, status=status
        )
        for resource, rows in reads
    ]
    written = audit.append(settings.audit, events)
    st.session_state[_AUDITED_KEY] = key
    return written


def remember(principal: Principal | None) -> None:
    """Keep the principal of this run where page functions can read it (refusal wording)."""
    st.session_state["_observatoire_principal"] = principal


def use_case_reads(use_case: str) -> list[tuple[str, int]]:
    """What a use case's page shows: each published mart with its rows (0 when not published yet)."""
    from apps.published import load_gold_table
    from orchestration.core.catalog import use_cases

    reads = []
    for spec in use_cases()[use_case].marts:
        if spec.published:
            try:
                gold = load_gold_table(spec.name)  # cached: the page itself reads the same version
            except Exception:  # a broken publication: the page says so; nothing was shown
                gold = None
            reads.append((spec.name, 0 if gold is None else len(gold.table)))
    return reads


def audit_page(settings: Settings, principal: Principal | None, page: str, use_case: str | None) -> int:
    """Audit the opening of an analyst ``page``: its marts and rows, or a refusal (``use_case`` None)."""
    if principal is None or principal.subject == DEV_SUBJECT:
        return 0
    if use_case is None:
        return audit_reads(settings, principal, page, [(page, 0)], status=403)
    return audit_reads(settings, principal, page, use_case_reads(use_case))
