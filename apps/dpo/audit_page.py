"""The audit trail, for the data protection officer: who read what, with which filters, how much.

Listed only for the ``dpo`` role (:func:`orchestration.core.access.may_read_audit`); the page also
checks the role itself, so a stray link serves nothing. It reads the audit Delta table of the
restricted layer (:mod:`orchestration.core.audit`), written by the app and the API, and points to
the register of processing (GDPR art. 30) that the publication writes beside the open data.
Reading the trail is itself a read: it is audited like any other.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from apps import session
from apps.formatting import fr_date, fr_datetime, fr_int, to_paris
from apps.published import current_settings
from orchestration.core import audit
from orchestration.core.access import Principal, may_read_audit
from orchestration.core.register import REGISTER_NAME

URL_PATH = "journal-des-acces"
TITLE = "Journal des accès"
RESOURCE = "audit_reads"  # how the DPO's own reads of the trail appear in it

# Audit columns as shown, in order (French labels).
COLUMN_LABELS = {
    "moment": "Date et heure",
    "channel": "Canal",
    "principal_kind": "Type",
    "subject": "Identifiant",
    "roles": "Rôles",
    "resource": "Ressource",
    "filters": "Filtres",
    "rows_returned": "Lignes servies",
    "status": "Statut",
    "client": "Client",
}


def audit_frame(table: pa.Table) -> pd.DataFrame:
    """The audit table as a frame, newest first, with the local day of each read."""
    frame = table.to_pandas()
    if frame.empty:
        return frame.assign(jour=pd.Series(dtype="object"))
    frame = frame.sort_values("read_at", ascending=False, kind="stable").reset_index(drop=True)
    frame["jour"] = [to_paris(moment.to_pydatetime()).date() for moment in frame["read_at"]]
    return frame


def filter_frame(frame: pd.DataFrame, subjects: list[str], resources: list[str], period: tuple[date, date] | None) -> pd.DataFrame:
    """Rows of the chosen subjects and resources (empty choice: all) within ``period`` (local days)."""
    keep = pd.Series(True, index=frame.index)
    if subjects:
        keep &= frame["subject"].isin(subjects)
    if resources:
        keep &= frame["resource"].isin(resources)
    if period is not None and not frame.empty:
        keep &= (frame["jour"] >= period[0]) & (frame["jour"] <= period[1])
    return frame[keep]


def reads_by_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Reads and rows served per local day."""
    if frame.empty:
        return pd.DataFrame({"jour": [], "lectures": [], "lignes": []})
    grouped = frame.groupby("jour").agg(lectures=("subject", "size"), lignes=("rows_returned", "sum")).reset_index()
    grouped["jour"] = grouped["jour"].map(fr_date)
    return grouped


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as the page shows them: local time, French labels."""
    table = frame.assign(moment=[fr_datetime(m.to_pydatetime()) for m in frame["read_at"]])
    return table[list(COLUMN_LABELS)].rename(columns=COLUMN_LABELS)


def _period(frame: pd.DataFrame) -> tuple[date, date] | None:
    if frame.empty:
        return None
    first, last = min(frame["jour"]), max(frame["jour"])
    chosen: Any = st.date_input("Période", value=(first, last), min_value=first, max_value=last, format="DD/MM/YYYY", key="audit-period")
    if isinstance(chosen, (tuple, list)) and len(chosen) == 2:
        return chosen[0], chosen[1]
    return first, last  # half-picked range: keep everything until the second day is chosen


def _register_link(settings: Any) -> None:
    folder = settings.open_data
    markdown = folder / f"{REGISTER_NAME}.md"
    st.subheader("Registre des traitements")
    if not markdown.exists():
        st.info("Registre non publié pour l'instant : il l'est avec la première publication des données ouvertes.")
        return
    st.caption(f"Publié avec les données ouvertes : {markdown.name} (aussi en JSON).")
    text = markdown.read_text(encoding="utf-8")
    st.download_button(
        "Télécharger le registre (Markdown)", text.encode("utf-8"), file_name=markdown.name, mime="text/markdown", key="register-md"
    )
    with st.expander("Lire le registre des traitements"):
        st.markdown(text)


def render() -> None:
    """The page."""
    principal: Principal | None = st.session_state.get("_observatoire_principal")
    if principal is None or not may_read_audit(principal.roles):
        st.title(session.ACCESS_DENIED)
        st.error("Cette page est réservée au délégué à la protection des données.")
        return
    settings = current_settings()
    st.title(TITLE)
    st.markdown(
        "Chaque lecture authentifiée d'une page d'analyse ou de l'API : qui (identifiant de connexion ou jeton), "
        "avec quels rôles, quelle ressource, quels filtres, combien de lignes, quand et depuis où. "
        "Les téléchargements publics du portail ne sont pas journalisés."
    )
    frame = audit_frame(audit.read(settings.audit))
    left, right = st.columns(2)
    subjects = left.multiselect(
        "Identifiants", sorted(frame["subject"].unique()) if not frame.empty else [], key="audit-subjects", placeholder="Tous"
    )
    resources = right.multiselect(
        "Ressources", sorted(frame["resource"].unique()) if not frame.empty else [], key="audit-resources", placeholder="Toutes"
    )
    period = _period(frame)
    shown = filter_frame(frame, subjects, resources, period)
    filters = {"subjects": subjects, "resources": resources, "period": [str(d) for d in period] if period else None}
    session.audit_reads(settings, principal, URL_PATH, [(RESOURCE, len(shown))], filters=filters)

    a, b, c, d = st.columns(4)
    a.metric("Lectures", fr_int(len(shown)))
    b.metric("Lecteurs distincts", fr_int(shown["subject"].nunique() if not shown.empty else 0))
    c.metric("Lignes servies", fr_int(int(shown["rows_returned"].sum()) if not shown.empty else 0))
    d.metric("Accès refusés", fr_int(int((shown["status"] == 403).sum()) if not shown.empty else 0))
    if shown.empty:
        st.info("Aucune lecture enregistrée pour ces critères.")
    else:
        st.markdown("**Lectures par jour**")
        st.bar_chart(reads_by_day(shown), x="jour", y="lectures", height=260)
        st.dataframe(shown_table(shown), hide_index=True, width="stretch")
    _register_link(settings)


def page() -> Any:
    """The ``st.Page`` of the audit trail (listed for the ``dpo`` role only)."""
    return st.Page(render, title=TITLE, url_path=URL_PATH, icon=":material/policy:")
