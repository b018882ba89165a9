"""One public page per open dataset, at ``/<dataset>`` (e.g. ``/accidents-corporels-quartier-annee``).

What the dataset is (plain French, from its declaration), a map for zoned data (polygons over a
tile-less background, with a legend), a chart, what was masked and why (read from the release's
own ``disclosure.json``), the files at their stable addresses (per version and ``latest``) with
download buttons, and the API address. Single column: it reads on a 390 px phone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from apps.formatting import fr_datetime, fr_int, fr_period, parse_timestamp
from apps.portail import dataset_view as view
from apps.portail import table_view as tview
from apps.portail.presentation import fields_table, licence_markdown, schema_preview, sources_markdown
from apps.published import NO_DATA_MESSAGE, PublishedDataError, current_settings, load_open_dataset
from orchestration.core.catalog import OpenDataset, open_datasets
from orchestration.core.catalog.mart_schema import code_labels
from orchestration.core.opendata.periods import period_column
from orchestration.core.settings import ConfigurationError

LOG = logging.getLogger(__name__)
EXTRA_MIME = {".geojson": "application/geo+json", ".json": "application/json"}


def note(text: str) -> None:
    """A side remark in the body colour: ``st.caption``'s grey fails WCAG AA contrast (4.37:1)."""
    st.markdown(f"*{text}*")


def _release_folder(dataset: str) -> Path:
    folder = current_settings().open_data / dataset
    return folder / "latest" if (folder / "latest").is_dir() else folder


def _extra_downloads(dataset: str, already: set[str]) -> list[tuple[str, str, str, bytes]]:
    """Files of the release the shared reader does not offer (GeoJSON, Table Schema, report)."""
    folder = _release_folder(dataset)
    extra = []
    for name in (f"{dataset}.geojson", "tableschema.json", "disclosure.json"):
        path = folder / name
        if name not in already and path.is_file():
            extra.append((view.file_label(name), name, EXTRA_MIME[path.suffix], path.read_bytes()))
    return extra


def _facts(declared: OpenDataset, package: dict[str, Any], disclosure: dict[str, Any], rows: int) -> str:
    coverage = package.get("temporal_coverage") or {}
    facts = []
    if coverage.get("start") and coverage.get("end"):
        start, end = fr_period(str(coverage["start"])), fr_period(str(coverage["end"]))
        facts.append(f"**Période couverte** : {start if start == end else f'de {start} à {end}'} (périodes closes)")
    licences = package.get("licenses") or [declared.licence]
    facts.append(f"**Licence** : {', '.join(licence_markdown(lic) for lic in licences)}")
    if declared.table is not None:
        fields = next((r.get("schema", {}).get("fields") for r in package.get("resources") or [] if r.get("schema")), None) or []
        titles = {str(f["name"]): str(f.get("title") or f["name"]).lower() for f in fields}
        per = " × ".join(titles.get(c, c) for c in declared.table.key)
        facts.append(f"**Lignes** : une par {per}, période {view.PERIODICITY[declared.temporal_level]} ({fr_int(rows)} lignes)")
    else:
        facts.append(
            f"**Maille** : {view.ZONE_WORDS.get(declared.spatial_level, declared.spatial_level)} × "
            f"période {view.PERIODICITY[declared.temporal_level]} × "
            + (f"{declared.breakdown_title.lower()} × " if declared.breakdown_title else "")
            + f"catégorie ({fr_int(rows)} lignes)"
        )
    published_at = parse_timestamp(disclosure.get("published_at") or package.get("created"))
    if published_at is not None:
        facts.append(f"**Mise à jour** : {fr_datetime(published_at)}")
    if package.get("version"):
        facts.append(f"**Version** : {package['version']}")
    return "\n".join(f"- {fact}" for fact in facts)


def render_map_and_chart(declared: OpenDataset, table: Any, count_column: str) -> None:
    """The map (zoned datasets) and the chart, for a period and a category the reader picks."""
    unit = declared.count_description or "Effectif"
    periods = view.periods_of(table, declared)
    categories = view.categories_of(table, declared)
    if not periods or not categories:
        note("Aucune période close publiée pour l'instant.")
        return
    breakdown = declared.breakdown_column
    if breakdown and breakdown in table:
        # A second dimension (e.g. the partner feed): one value at a time on the chart and the map.
        choice = st.selectbox(
            declared.breakdown_title or breakdown, sorted(table[breakdown].astype(str).unique()), key=f"{breakdown}-{declared.dataset}"
        )
        table = table[table[breakdown].astype(str) == choice]
    if declared.spatial_level == "commune":
        st.subheader("Évolution")
        st.altair_chart(view.series_chart(table, declared, count_column, unit), width="stretch")
        note("Un point absent est une case masquée (secret statistique).")
        return
    period = st.selectbox("Période", periods, format_func=fr_period, key=f"periode-{declared.dataset}")
    category = st.selectbox("Catégorie", categories, key=f"categorie-{declared.dataset}")
    values = view.slice_of(table, declared, count_column, period, category)
    masked = int(values[count_column].isna().sum())
    st.subheader("Carte")
    deck, breaks = view.zone_map(values, declared, count_column, unit)
    st.pydeck_chart(
        deck,
        height=420,
        alt=f"Carte de Marseille par {declared.spatial_level} : {unit.lower()}, {category}, {fr_period(period)}",
    )
    st.markdown(view.legend_html(view.legend(breaks)), unsafe_allow_html=True)
    note(f"{unit}, {category}, {fr_period(period)}. Contours : référentiel géographique de l'observatoire.")
    st.subheader("Graphique")
    if values[count_column].notna().any():
        st.altair_chart(view.zone_chart(values, declared, count_column, unit), width="stretch")
    if masked:
        note(f"{fr_int(masked)} zone(s) sans valeur affichée : case masquée (secret statistique).")


def render_table_chart(declared: OpenDataset, table: Any, fields: tuple[dict[str, Any], ...]) -> None:
    """The chart (and map for 200 m cells) of a dataset made of rows, for what the reader picks."""
    spec = declared.table
    assert spec is not None
    if table.empty:
        note("Aucune période close publiée pour l'instant.")
        return
    kind = tview.chart_kind(table)
    labels = {str(f["name"]): str(f.get("title") or f["name"]) for f in fields}
    if kind == "forest":
        perimeter = st.selectbox(labels.get("perimetre", "Périmètre"), sorted(table["perimetre"].unique(), reverse=True))
        factors = sorted(table[table["perimetre"] == perimeter]["facteur"].unique())
        codes = code_labels(declared.from_mart)
        factor = st.selectbox(labels.get("facteur", "Facteur"), factors, format_func=lambda f: codes.get("facteur", {}).get(f, f))
        shown = tview.forest_rows(table, perimeter, factor, codes.get("type_ratio", {}))
        st.subheader("Graphique")
        if shown.empty:
            note("Toutes les lignes de ce facteur sont masquées (secret statistique).")
        else:
            title = f"{codes.get('facteur', {}).get(factor, factor)}, {perimeter}"
            st.altair_chart(tview.forest_chart(shown, title), width="stretch")
            note("Point : rapport estimé ; trait : intervalle de confiance à 95 % ; ligne verticale à 1 : pas d'effet.")
        return
    period = period_column(declared.temporal_level)
    if kind == "cells":
        chosen = st.selectbox("Période", sorted(table[period].astype(str).unique(), reverse=True), format_func=fr_period)
        values = table[table[period].astype(str) == chosen]
        unit = declared.count_description or "Effectif"
        st.subheader("Carte")
        deck, breaks = tview.cell_map(values, declared.output_count_column, unit)
        st.pydeck_chart(deck, height=420, alt=f"Carte des carreaux de 200 m listés : {unit.lower()}, {fr_period(chosen)}")
        st.markdown(view.legend_html(view.legend(breaks)), unsafe_allow_html=True)
        note(f"{unit}, {fr_period(chosen)} : seuls les carreaux listés sont dessinés, les autres restent dans leur quartier.")
        if len(values):
            st.subheader("Graphique")
            st.altair_chart(tview.top_cells_chart(values, declared.output_count_column, unit), width="stretch")
        return
    choices = sorted(table[declared.category_column].astype(str).unique())
    label = labels.get(declared.category_column, declared.category_column)
    chosen = st.selectbox(label, choices, key=f"ligne-{declared.dataset}")
    groups = tview.unit_groups(fields, (*spec.key, period))
    unit = st.selectbox("Mesure", list(groups), format_func=lambda u: ", ".join(str(f.get("title")) for f in groups[u]))
    st.subheader("Graphique")
    selected = table[table[declared.category_column].astype(str) == chosen]
    st.altair_chart(tview.measures_chart(selected, declared, groups[unit], unit), width="stretch")
    note("Un point absent est une valeur masquée (secret statistique).")


def render_masking(declared: OpenDataset, disclosure: dict[str, Any] | None) -> None:
    """What was masked in this release and why, from its disclosure report."""
    st.subheader("Ce qui est masqué, et pourquoi")
    if not disclosure:
        st.warning("Rapport de secret statistique absent de cette publication.")
        return
    explain = tview.masking_sentences if declared.kind == "table" else view.masking_explanation
    for sentence in explain(disclosure, declared):
        st.markdown(f"- {sentence}")
    anchor = view.register_anchor(disclosure)
    if anchor:
        st.markdown(f"Ce traitement est inscrit au [registre des traitements]({anchor}).")


def render_downloads(declared: OpenDataset, release: Any) -> None:
    """Download buttons, then every file at its stable addresses, then the API address."""
    st.subheader("Télécharger")
    offered = [(d.label, d.file_name, d.mime, d.data) for d in release.downloads]
    offered += _extra_downloads(declared.dataset, {d.file_name for d in release.downloads})
    for label, file_name, mime, data in offered:
        st.download_button(
            label if label.startswith("Télécharger") else f"Télécharger : {label}",
            data=data,
            file_name=file_name,
            mime=mime,
            key=f"dl-page-{declared.dataset}-{file_name}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )
    st.markdown("**Adresses stables** (une version publiée n'est jamais modifiée) :")
    st.markdown(view.links_markdown(view.stable_links(release.datapackage, declared.dataset)))
    api = view.api_url(declared.dataset)
    st.markdown(
        f"**API** (filtres et pages, sans compte) : [métadonnées]({api}) · [lignes en JSON]({api}/data) · "
        f"[CSV]({api}/data.csv)" + (" · " + f"[GeoJSON]({api}/data.geojson)" if declared.spatial_level != "commune" else "")
    )


def render_dataset_page(name: str) -> None:
    """The page of the open dataset ``name`` (declared in a use case's ``open_data``)."""
    declared = open_datasets()[name]
    st.title(declared.title)
    st.write(declared.description)
    try:
        release = load_open_dataset(name)
    except (PublishedDataError, ConfigurationError):
        LOG.exception("open dataset %s unreadable", name)  # details in the server log only
        st.error("Ce jeu de données est momentanément indisponible. Réessayez dans quelques minutes.")
        return
    if release is None:
        st.info(NO_DATA_MESSAGE, icon=":material/info:")
        st.markdown(f"**API** : [métadonnées]({view.api_url(name)})")
        return
    disclosure = release.disclosure or {}
    st.markdown(_facts(declared, release.datapackage, disclosure, len(release.table)))
    if declared.table is not None:
        table = tview.typed(release.table, release.fields)
        render_table_chart(declared, table, release.fields)
        shown = tview.preview(table, release.fields, declared.table.masked_columns)
    else:
        render_map_and_chart(declared, release.table, release.count_column)
        shown = schema_preview(release.table, release.fields, release.count_column)
    render_masking(declared, release.disclosure)
    render_downloads(declared, release)
    st.subheader("Aperçu des données")
    st.dataframe(shown, hide_index=True, height=320)
    note("« secret » : case masquée au titre du secret statistique.")
    if release.fields:
        with st.expander("Description des champs"):
            st.table(fields_table(release.fields), hide_index=True)
    sources = release.datapackage.get("sources") or []
    if sources:
        st.subheader("Sources")
        st.markdown(sources_markdown(sources))


def page_function(name: str) -> Callable[[], None]:
    """A named callable for ``st.Page`` (Streamlit identifies page functions by name)."""

    def page() -> None:
        render_dataset_page(name)

    page.__name__ = f"open_dataset_{name.replace('-', '_')}"
    return page


def pages() -> list[Any]:
    """One public ``st.Page`` per declared open dataset, at ``/<dataset>``."""
    return [
        st.Page(page_function(d.dataset), title=d.title, url_path=d.dataset, icon=":material/table_chart:")
        for d in open_datasets().values()
    ]
