"""Entry point of the Observatoire web app: ``streamlit run apps/streamlit_app.py``.

One multipage app (``st.navigation``) with two audiences:

- **Observatoire** (``/observatoire``): city analysts, from the published gold mart;
- **Portail open data** (``/portail``): citizens, from the open-data exports;
- one page per use case (``/<use_case>``): its published marts and model card.

Both pages read published outputs only, through :mod:`apps.published`.

Sign-in (:mod:`apps.session`): the portal is public; analyst pages are listed only for a signed-in
user whose roles (from the declarations, :mod:`orchestration.core.access`) allow them, and a
direct URL to any other analyst page answers "accès refusé". The ``dpo`` role gets the audit page
(``/journal-des-acces``). Every analyst page a signed-in user opens is written to the audit trail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts apps/ (the script's folder) on sys.path, not the repository root. The
# project is normally installed (editable) in the venv; this keeps a plain checkout working too.
_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:
    try:
        import orchestration  # noqa: F401
    except ModuleNotFoundError:
        sys.path.insert(0, str(_REPO_ROOT))

_HERE = Path(__file__).resolve().parent

st.set_page_config(
    page_title="Observatoire de la tranquillité publique · Marseille",
    page_icon="🏛️",  # an emoji favicon is drawn locally; a :material: one is fetched from fonts.gstatic.com
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on phones, open on desktops
    menu_items={
        "About": "Observatoire de la tranquillité publique : données agrégées, publiées après contrôle qualité et secret statistique."
    },
)

# Stable, shareable URLs: /observatoire and /portail. Streamlit serves the default page at "/"
# only (its own url_path answers "Page not found"), so the observatory is registered twice: the
# visible default page at "/", and a hidden alias that makes /observatoire work too.
OBSERVATOIRE_SCRIPT = _HERE / "observatoire" / "page.py"
observatoire = st.Page(
    OBSERVATOIRE_SCRIPT,
    title="Observatoire",
    icon=":material/monitoring:",
    url_path="accueil-observatoire",
    default=True,
)
observatoire_alias = st.Page(
    OBSERVATOIRE_SCRIPT,
    title="Observatoire",
    icon=":material/monitoring:",
    url_path="observatoire",
    visibility="hidden",
)
# One page per use case at /<use_case> (declared in orchestration/core/catalog/use_cases/), grouped
# under the analysts' section; the citizens' portal stays on its own.
from apps import session  # noqa: E402 - after set_page_config
from apps.dpo import audit_page  # noqa: E402
from apps.observatoire.use_case import pages as use_case_pages  # noqa: E402
from apps.portail.dataset_page import pages as open_dataset_pages  # noqa: E402
from apps.portail.transparency_pages import pages as transparency_pages  # noqa: E402
from apps.published import current_settings, overview_use_case  # noqa: E402
from orchestration.core.access import may_read_audit, may_read_use_case  # noqa: E402
from orchestration.core.settings import ConfigurationError  # noqa: E402

try:
    principal = session.current_principal()
except ConfigurationError as error:  # prod without an issuer, or with the dev bypass: serve nothing
    st.error(f"Configuration refusée : {error}")
    st.stop()
session.remember(principal)
session.account_sidebar(principal)
roles = principal.roles if principal else frozenset()
home = overview_use_case().name
home_allowed = may_read_use_case(roles, home)

# What each page reads, for the audit trail: page object id -> (page name, use case or None if refused).
audited: dict[int, tuple[str, str | None]] = {}


def refused(url_path: str, title: str):  # type: ignore[no-untyped-def]
    """A hidden "accès refusé" page at ``url_path``, audited as a refused read (status 403)."""
    page = session.refusal_page(url_path, title)
    audited[id(page)] = (url_path, None)
    return page


PORTAIL_SCRIPT = _HERE / "portail" / "page.py"
analyst_pages: list = []
hidden_pages: list = []
if home_allowed:
    analyst_pages.append(observatoire)
    hidden_pages.append(observatoire_alias)
    audited[id(observatoire)] = audited[id(observatoire_alias)] = ("observatoire", home)
    open_data = [st.Page(PORTAIL_SCRIPT, title="Portail open data", icon=":material/dataset:", url_path="portail")]
else:  # the portal becomes "/", with /portail kept as an alias; the observatory URLs refuse
    open_data = [st.Page(PORTAIL_SCRIPT, title="Portail open data", icon=":material/dataset:", url_path="accueil-portail", default=True)]
    hidden_pages += [
        st.Page(PORTAIL_SCRIPT, title="Portail open data", icon=":material/dataset:", url_path="portail", visibility="hidden"),
        refused("observatoire", "Observatoire"),
        refused("accueil-observatoire", "Observatoire"),
    ]
for page in use_case_pages():
    if may_read_use_case(roles, page.url_path):
        analyst_pages.append(page)
        audited[id(page)] = (page.url_path, page.url_path)
    else:
        hidden_pages.append(refused(page.url_path, page.title))
operator_pages = [audit_page.page()] if may_read_audit(roles) else []  # audits its own reads
if not operator_pages:
    hidden_pages.append(refused(audit_page.URL_PATH, audit_page.TITLE))

# Public pages: the portal, one page per open dataset (/<dataset>), transparency, register.
public_pages = [*open_data, *open_dataset_pages(), *transparency_pages()]
sections = {"Observatoire": analyst_pages, "Protection des données": operator_pages, "Open data": [*public_pages, *hidden_pages]}
current = st.navigation({name: pages for name, pages in sections.items() if pages})
if id(current) in audited:
    page_name, use_case = audited[id(current)]
    session.audit_page(current_settings(), principal, page_name, use_case)
current.run()
