"""Portail open data (citizens): browse, chart and download the published aggregated datasets.

Run through ``apps/streamlit_app.py``. The list of datasets comes from the use-case
declarations (:func:`orchestration.core.catalog.open_datasets`); the content comes only from the
exported files under ``<lake>/open_data/`` (via :mod:`apps.published`). Single-column layout so
that it reads on a phone; Streamlit stacks the few columns used below 640 px.
"""

from __future__ import annotations

import logging

import streamlit as st

from apps.formatting import fr_datetime, fr_int, fr_month, parse_timestamp
from apps.portail.dataset_page import note
from apps.portail.presentation import (
    disclosure_sentence,
    fields_table,
    licence_markdown,
    months_covered,
    period_text,
    police_layout,
    preview_table,
    schema_preview,
    sources_markdown,
    totals_chart,
    totals_for_month,
)
from apps.published import NO_DATA_MESSAGE, PublishedDataError, load_open_dataset
from orchestration.core.catalog import OpenDataset, open_datasets
from orchestration.core.settings import ConfigurationError

LOG = logging.getLogger(__name__)
GRAIN_TEXT = {"quartier": "quartier", "arrondissement": "arrondissement", "commune": "ville entière"}
PERIOD_TEXT = {"day": "jour", "week": "semaine", "month": "mois", "year": "année"}


def render_dataset(declared: OpenDataset) -> None:
    """One dataset: what it is, under which licence, how it was protected, and the files."""
    st.header(declared.title)
    st.write(declared.description)
    st.markdown(f"[Carte, graphique, secret statistique et adresses stables : page du jeu de données](/{declared.dataset})")
    try:
        release = load_open_dataset(declared.dataset)
    except (PublishedDataError, ConfigurationError):
        # Details go to the server log, not to the public page (no paths or configuration).
        LOG.exception("open dataset %s unreadable", declared.dataset)
        st.error("Ce jeu de données est momentanément indisponible. Réessayez dans quelques minutes.")
        return
    if release is None:
        st.info(NO_DATA_MESSAGE, icon=":material/info:")
        return

    package = release.datapackage
    licences = package.get("licenses") or [declared.licence]
    published_at = parse_timestamp((release.disclosure or {}).get("published_at") or package.get("created"))
    facts = [
        f"**Période couverte** : {period_text(release.table, package.get('temporal_coverage'))}",
        f"**Licence** : {', '.join(licence_markdown(lic) for lic in licences)}",
        f"**Maille** : {GRAIN_TEXT.get(declared.spatial_level, declared.spatial_level)} × "
        f"{PERIOD_TEXT.get(declared.temporal_level, declared.temporal_level)} × catégorie ({fr_int(len(release.table))} lignes)",
    ]
    if published_at is not None:
        facts.append(f"**Mise à jour** : {fr_datetime(published_at)}")
    if package.get("version"):
        facts.append(f"**Version** : {package['version']}")
    st.markdown("\n".join(f"- {fact}" for fact in facts))

    # Download buttons first: most visitors come for the files. on_click="ignore" avoids a
    # useless rerun of the whole page on every download.
    for column, download in zip(st.columns(len(release.downloads)), release.downloads, strict=True):
        column.download_button(
            download.label,
            data=download.data,
            file_name=download.file_name,
            mime=download.mime,
            key=f"dl-{declared.dataset}-{download.file_name}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )

    st.subheader("Secret statistique")
    if release.disclosure:
        st.info(disclosure_sentence(release.disclosure), icon=":material/lock:")
        method = release.disclosure.get("method")
        if method:
            note(str(method))
    else:
        st.warning("Rapport de diffusion absent de cette publication.")

    police = police_layout(release.table)
    covered = months_covered(release.table) if police else None
    if covered is not None and declared.total_label:
        st.subheader("Total par arrondissement")
        months = sorted(release.table["mois"].dropna().unique().tolist(), reverse=True)
        month = st.selectbox("Mois", months, format_func=fr_month, key=f"mois-{declared.dataset}")
        totals = totals_for_month(release.table, month, declared.total_label)
        if totals.empty:
            note("Aucun total publié pour ce mois.")
        else:
            st.altair_chart(totals_chart(totals), width="stretch")
            hidden = release.table["arrondissement"].nunique() - len(totals)
            if hidden > 0:
                note(
                    f"{hidden} arrondissement(s) sans total affiché ce mois-ci (secret statistique ou aucune donnée)."
                )

    st.subheader("Aperçu des données")
    shown = preview_table(release.table) if police else schema_preview(release.table, release.fields, release.count_column)
    st.dataframe(shown, hide_index=True, height=320)
    note("« secret » : case masquée au titre du secret statistique (effectif trop faible ou masquage secondaire).")

    if release.fields:
        # Folded, as on the dataset's own page: on a phone a wide schema table would be a
        # scrollable region that keyboards cannot reach (axe: scrollable-region-focusable).
        with st.expander("Description des champs"):
            st.table(fields_table(release.fields), hide_index=True)

    sources = package.get("sources") or []
    if sources:
        st.subheader("Sources")
        st.markdown(sources_markdown(sources))


def render() -> None:
    """Draw the portal: one section per declared open dataset."""
    st.title("Portail open data")
    st.write(
        "Données agrégées sur la tranquillité publique à Marseille, librement réutilisables. "
        "Aucune donnée personnelle : les petits effectifs sont masqués avant publication."
    )
    datasets = open_datasets()
    if not datasets:
        st.info("Aucun jeu de données ouvert n'est déclaré.")
        return
    for index, declared in enumerate(datasets.values()):
        if index:
            st.divider()
        render_dataset(declared)


render()
