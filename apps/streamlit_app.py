"""Entry point of the Observatoire web app: ``streamlit run apps/streamlit_app.py``.

One multipage app (``st.navigation``) with two audiences:

- **Observatoire** (``/observatoire``): city analysts, from the published gold mart;
- **Portail open data** (``/portail``): citizens, from the open-data exports;
- one page per use case (``/<use_case>``): its published marts and model card.

Both pages read published outputs only, through :mod:`apps.published`.
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
portail = st.Page(
    _HERE / "portail" / "page.py",
    title="Portail open data",
    icon=":material/dataset:",
    url_path="portail",
)

# One page per use case at /<use_case> (declared in orchestration/core/catalog/use_cases/), grouped
# under the analysts' section; the citizens' portal stays on its own.
from apps.observatoire.use_case import pages as use_case_pages  # noqa: E402 - after set_page_config

st.navigation(
    {
        "Observatoire": [observatoire, *use_case_pages(), observatoire_alias],
        "Open data": [portail],
    }
).run()
