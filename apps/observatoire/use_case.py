"""One observatory page per use case, drawn from its declaration and what was published.

The page shows, for each published mart of the use case, the gate verdict and data window of the
published version, the views its declaration asks for (``display`` in
``orchestration/core/catalog/use_cases/<use_case>.yaml``), the table itself with a CSV download, and
the use case's model card: method, data, fit quality and what it cannot say. It reads published
outputs only (gold Delta at its published version, model card JSON), through :mod:`apps.published`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pandas as pd
import streamlit as st

from apps.formatting import fr_datetime, fr_day, fr_int
from apps.observatoire.charts import quartier_map
from apps.observatoire.components import display_table, format_value, window_text
from apps.published import NO_DATA_MESSAGE, QUARTIERS_ATTRIBUTION, GoldTable, load_gold_table, load_model_card, load_quartiers_geojson
from orchestration.core.catalog import MartSpec, UseCase, use_cases
from orchestration.core.catalog.mart_schema import data_window

CHART_KINDS = ("table", "bar", "line", "map_quartier")


def chart_frame(table: pd.DataFrame, view: dict[str, Any]) -> pd.DataFrame:
    """The columns a view needs, aggregated when several rows share an x (and colour) value."""
    x, y, color = view.get("x"), view.get("y"), view.get("color")
    missing = [c for c in (x, y, color) if c and c not in table.columns]
    if missing:
        raise KeyError(f"colonnes absentes : {', '.join(missing)}")
    keys = [c for c in (x, color) if c]
    frame = table[[*keys, y]].dropna(subset=[y])
    if pd.api.types.is_integer_dtype(frame[y]):
        return frame.groupby(keys, as_index=False)[y].sum()
    return frame.groupby(keys, as_index=False)[y].mean()  # rates and ratios: the mean, never a sum


def quartier_values(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """One value per quartier for the choropleth (sum of counts, mean of rates)."""
    table = table.dropna(subset=[value])  # a ratio with no data is not a zero: leave it grey
    grouped = table.groupby("code_quartier", as_index=False)[value]
    frame = grouped.sum() if pd.api.types.is_integer_dtype(table[value]) else grouped.mean()
    return frame.rename(columns={value: "nb_incidents"})


def filter_columns(views: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> list[str]:
    """Columns the views ask to filter on (``filter: [col, ...]``), once each, in order."""
    seen: list[str] = []
    for view in views:
        for column in view.get("filter", []) or []:
            if column not in seen:
                seen.append(column)
    return seen


def filter_options(table: pd.DataFrame, column: str) -> list[Any]:
    """The values offered for ``column``: True before False, else sorted."""
    values = table[column].dropna().unique().tolist()
    if pd.api.types.is_bool_dtype(table[column]):
        return sorted(values, reverse=True)
    return sorted(values, key=str)


def _apply_filters(table: pd.DataFrame, columns: list[str], key: str, spec: MartSpec) -> pd.DataFrame:
    # Sequential: each selector offers only what the previous choices left (an event id list
    # narrowed to planned events, say), so no combination shows an empty page by construction.
    for column in columns:
        if column not in table.columns:
            st.warning(f"Filtre sur « {column} » impossible : colonne absente.")
            continue
        options = filter_options(table, column)
        if not options:
            break
        declared = next((c for c in spec.columns if c.name == column), None)
        label = declared.label if declared else column
        shown = (lambda v, d=declared: format_value(v, d)) if declared else str  # oui/non, dates, codes in French
        choice = st.selectbox(label, options, key=f"{key}-{column}", format_func=shown)
        table = table[table[column] == choice]
    return table


def _gate_line(gold: GoldTable, spec: MartSpec) -> None:
    # The window spans every declared date column of the table (not only the publication's
    # ``date_column``, which for some marts is the END of each row's period).
    start, end = data_window(gold.table, spec)
    window = f" · données {window_text(start, end)}" if start and end else ""
    published = f"publié le {fr_datetime(gold.published_at)}" if gold.published_at else "publié"
    if gold.gate is not None and gold.gate.success:
        st.caption(
            f":material/verified: Contrôle qualité réussi ({gold.gate.evaluated} attentes) · {published}{window} · {fr_int(len(gold.table))} lignes"
        )
    else:
        st.caption(f":material/warning: Contrôle qualité non confirmé · {published}{window}")


def _render_view(table: pd.DataFrame, view: dict[str, Any]) -> None:
    kind = view.get("kind", "table")
    title = view.get("title")
    if title:
        st.markdown(f"**{title}**")
    try:
        if kind == "bar":
            st.bar_chart(chart_frame(table, view), x=view["x"], y=view["y"], color=view.get("color"), height=320)
        elif kind == "line":
            st.line_chart(chart_frame(table, view), x=view["x"], y=view["y"], color=view.get("color"), height=320)
        elif kind == "map_quartier":
            geojson = load_quartiers_geojson()
            if geojson is None:
                st.info("Fond des quartiers indisponible.")
                return
            deck, _ = quartier_map(geojson, quartier_values(table, view["value"]), unit=view.get("unit", view["value"]))
            st.pydeck_chart(deck, height=420)
            st.caption(QUARTIERS_ATTRIBUTION)
        else:
            st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)))
    except KeyError as exc:  # a declaration out of step with the mart: say it, keep the page up
        st.warning(f"Vue « {title or kind} » impossible : {exc}")


def render_mart_table(spec: MartSpec) -> None:
    """One published mart under an answer page: verdict, window, the labelled table, download.

    No declared views here: the answer above draws what matters, correctly (intervals, forest
    plots, maps with legends); this is the evidence, for whoever wants the rows.
    """
    gold = load_gold_table(spec.name)
    st.markdown(f"**{spec.description or spec.name}**")
    if gold is None:
        st.info(NO_DATA_MESSAGE)
        return
    _gate_line(gold, spec)
    st.dataframe(display_table(gold.table, spec), hide_index=True, width="stretch", height=min(320, 38 + 35 * len(gold.table)))
    st.download_button(
        "Télécharger (CSV)",
        gold.table.to_csv(index=False).encode("utf-8"),
        file_name=f"{spec.name}.csv",
        mime="text/csv",
        key=f"download-{spec.name}",
    )


def render_mart(spec: MartSpec) -> None:
    """One published mart: verdict, declared views, raw table and download."""
    gold = load_gold_table(spec.name)
    st.subheader(spec.description or spec.name)
    if gold is None:
        st.info(NO_DATA_MESSAGE)
        return
    _gate_line(gold, spec)
    views = spec.display or ({"kind": "table"},)
    table = _apply_filters(gold.table, filter_columns(views), key=spec.name, spec=spec)
    for view in views:
        _render_view(table, dict(view))
    if any(v.get("kind", "table") != "table" for v in views):
        with st.expander("Table complète"):
            st.dataframe(gold.table, hide_index=True, width="stretch")
    st.download_button(
        "Télécharger (CSV)",
        gold.table.to_csv(index=False).encode("utf-8"),
        file_name=f"{spec.name}.csv",
        mime="text/csv",
        key=f"download-{spec.name}",
    )


def render_model_card(uc: UseCase) -> None:
    """The evidence: method, data, fit quality, what it cannot say."""
    card = load_model_card(uc.name)
    with st.expander("Fiche méthode : modèle, données, qualité d'ajustement, limites", expanded=False):
        if card is None:
            st.info("Fiche non publiée : elle l'est après la première publication des marts de ce cas d'usage.")
            return
        st.markdown(f"**Méthode.** {card.get('model', '')}")
        st.markdown(f"**Données.** {card.get('data', '')}")
        st.markdown(f"**Ce que ces chiffres ne disent pas.** {card.get('cannot_say', '')}")
        fit = pd.DataFrame(card.get("fit_quality") or [])
        if not fit.empty:
            st.markdown("**Qualité d'ajustement**")
            fit_mart = uc.model_card.fit_quality_mart
            st.dataframe(display_table(fit, fit_mart) if fit_mart else fit, hide_index=True, width="stretch")
        described = {m.name: m.description or m.name for m in uc.marts}
        windows = [
            {
                "Table": described.get(name, name),
                "Début": fr_day(pub["data_window"].get("start")),
                "Fin": fr_day(pub["data_window"].get("end")),
            }
            for name, pub in (card.get("publications") or {}).items()
            if pub and pub.get("data_window")
        ]
        if windows:
            st.markdown("**Fenêtres de données publiées**")
            st.dataframe(pd.DataFrame(windows), hide_index=True)
        if card.get("parameters"):
            st.markdown("**Paramètres déclarés**")
            st.json(card["parameters"], expanded=False)


def answer_module(name: str) -> ModuleType | None:
    """The answer-first page of a use case (``apps/observatoire/answers/<name>.py``), if any."""
    try:
        return importlib.import_module(f"apps.observatoire.answers.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"apps.observatoire.answers.{name}":
            raise  # a broken answer page must fail loudly, not fall back silently
        return None


def render_use_case(name: str) -> None:
    """The page of one use case: the answer first when the use case has one, then the
    questions, the model card and the published tables (in an expander)."""
    uc = use_cases()[name]
    st.title(uc.title)
    answer = answer_module(name)
    if answer is None:
        st.markdown(uc.purpose)
    with st.expander("Questions auxquelles cette page répond"):
        for question in uc.decision_questions:
            st.markdown(f"- {question}")
    if answer is not None:
        answer.render(uc)
    render_model_card(uc)
    if answer is not None:
        with st.expander("Tables publiées (toutes les lignes, téléchargeables)"):
            for spec in uc.marts:
                if spec.published:
                    render_mart_table(spec)
        return
    for spec in uc.marts:
        if spec.published:
            render_mart(spec)


def page_function(name: str) -> Callable[[], None]:
    """A named callable for ``st.Page`` (Streamlit identifies page functions by name)."""

    def page() -> None:
        render_use_case(name)

    page.__name__ = f"page_{name}"
    return page


def pages() -> list[Any]:
    """One ``st.Page`` per use case with a published mart, at ``/<use_case>``."""
    return [
        st.Page(page_function(uc.name), title=uc.title, url_path=uc.name, icon=":material/insights:")
        for uc in use_cases().values()
        if uc.name != "tranquillite_publique" and any(m.published for m in uc.marts)
    ]
