"""Observatoire (analysts): incidents by quartier and day from the published gold mart.

Run through ``apps/streamlit_app.py`` (``st.navigation``), never on its own. Reads only what
:mod:`apps.published` returns: the gold mart at its published Delta version and the latest
quality-gate result.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from apps.formatting import arrondissement_label, fr_date, fr_datetime, fr_int
from apps.observatoire.charts import (
    PALETTE,
    counts_by_quartier,
    daily_by_category,
    daily_chart,
    daily_chart_height,
    filter_incidents,
    quartier_map,
    top_quartiers,
)
from apps.published import (
    MART,
    NO_DATA_MESSAGE,
    QUARTIERS_ATTRIBUTION,
    GateResult,
    MartPublication,
    PublishedDataError,
    load_gate_result,
    load_mart_publication,
    load_quartiers_geojson,
    overview_use_case,
)
from orchestration.core.catalog.mart_schema import labels
from orchestration.core.settings import ConfigurationError

GATE_OK = "Contrôle qualité réussi"


def _gate_to_show(latest: GateResult | None, publication: MartPublication | None) -> GateResult | None:
    """The most recent gate result: ``latest.json`` normally, the publication's own if newer."""
    published = publication.gate if publication else None
    if latest is None or published is None:
        return latest or published
    if latest.evaluated_at and published.evaluated_at and published.evaluated_at > latest.evaluated_at:
        return published
    return latest


def gate_badge(gate: GateResult | None, publication: MartPublication | None) -> None:
    """Green when the last gate passed; red, naming the date of the data still shown, when not."""
    if gate is None:
        st.warning("Statut du contrôle qualité inconnu : aucun résultat publié.", icon=":material/warning:")
        return
    if gate.success:
        st.success(GATE_OK, icon=":material/verified:")
        return
    if publication is not None and publication.published_at is not None:
        shown = fr_date(publication.published_at.date())
        st.error(f"Contrôle qualité en échec : données du {shown} affichées", icon=":material/error:")
    else:
        st.error("Contrôle qualité en échec : aucune donnée n'a encore passé le contrôle.", icon=":material/error:")
    if gate.failed:
        with st.expander(f"{len(gate.failed)} contrôle(s) en échec"):
            st.table(
                [
                    {
                        "Contrôle": item.get("expectation", ""),
                        "Colonne": item.get("column", "") or "",
                        "Observé": str(item.get("observed", "") or ""),
                    }
                    for item in gate.failed
                ]
            )


def _period(value: object, start: date, end: date) -> tuple[date, date]:
    """``st.date_input`` returns one date while the user is picking the second one."""
    if isinstance(value, (tuple, list)):
        if len(value) == 2:
            return value[0], value[1]
        if len(value) == 1:
            return value[0], end
        return start, end
    if isinstance(value, date):
        return value, value
    return start, end


def _legend(maximum: int) -> None:
    stops = ", ".join(f"rgb{colour}" for colour in PALETTE)
    st.markdown(
        f"""<div role="img" aria-label="Légende : incidents par quartier, de 1 à {fr_int(maximum)} ; gris : aucun"
        style="display:flex;align-items:center;gap:.5rem;font-size:.85rem">
        <span>1</span>
        <span style="flex:0 1 12rem;height:.7rem;border-radius:.2rem;background:linear-gradient(90deg,{stops})"></span>
        <span>{fr_int(maximum)} incidents</span>
        <span style="display:inline-block;width:.9rem;height:.7rem;background:rgb(230,230,230);margin-left:1rem"></span>
        <span>aucun</span></div>""",
        unsafe_allow_html=True,
    )


def render() -> None:
    """Draw the page."""
    use_case = overview_use_case()
    label = labels(MART)  # French column labels, declared with the mart
    st.title("Observatoire de la tranquillité publique")
    st.caption(use_case.purpose)

    try:
        publication = load_mart_publication(MART)
        gate = _gate_to_show(load_gate_result(MART), publication)
    except (PublishedDataError, ConfigurationError) as exc:
        st.error(f"Données publiées illisibles : {exc}")
        return

    if publication is None:
        st.info(NO_DATA_MESSAGE, icon=":material/info:")
        if gate is not None and not gate.success:
            gate_badge(gate, None)
        return

    published = fr_datetime(publication.published_at) if publication.published_at else "date inconnue"
    st.markdown(
        f"**Données du {fr_date(publication.window_start)} au {fr_date(publication.window_end)}** · "
        f"publiées le {published} · version {publication.delta_version}"
    )
    gate_badge(gate, publication)
    for warning in publication.warnings:
        st.warning(warning)

    table = publication.table
    with st.sidebar:
        st.header("Filtres")
        # The window is part of the key: a new publication with another window resets the
        # period instead of keeping a selection outside the new bounds.
        picked = st.date_input(
            "Période",
            value=(publication.window_start, publication.window_end),
            min_value=publication.window_start,
            max_value=publication.window_end,
            format="DD/MM/YYYY",
            key=f"periode-{publication.window_start}-{publication.window_end}",
        )
        categories = st.multiselect(
            label["categorie"],
            options=sorted(table["categorie"].dropna().unique().tolist()),
            placeholder="Toutes les catégories",
            key="categories",
        )
        arrondissements = st.multiselect(
            label["arrondissement"],
            options=sorted(table["arrondissement"].dropna().unique().tolist()),
            format_func=lambda code: f"{arrondissement_label(code)} arrondissement",
            placeholder="Tous les arrondissements",
            key="arrondissements",
        )
    start, end = _period(picked, publication.window_start, publication.window_end)
    rows = filter_incidents(table, start, end, categories, arrondissements)
    counts = counts_by_quartier(rows)
    total = int(rows["nb_incidents"].sum())
    days = (end - start).days + 1

    col_total, col_quartiers, col_daily, col_fresh = st.columns(4)
    col_total.metric(label["nb_incidents"], fr_int(total), help=f"Du {fr_date(start)} au {fr_date(end)}, filtres appliqués.")
    col_quartiers.metric("Quartiers concernés", fr_int(len(counts)), help="Quartiers avec au moins un incident.")
    col_daily.metric("Moyenne par jour", f"{total / days:.1f}".replace(".", ","))
    col_fresh.metric(
        "Dernière publication",
        fr_date(publication.published_at.date()) if publication.published_at else "inconnue",
        help=f"Publiée le {published}.",
    )

    if rows.empty:
        st.info("Aucun incident pour ces filtres.")
        return

    st.subheader("Évolution quotidienne par catégorie")
    daily = daily_by_category(rows)
    st.altair_chart(daily_chart(daily), width="stretch", height=daily_chart_height(daily))

    st.subheader("Incidents par quartier")
    geojson = load_quartiers_geojson()
    if geojson is None:
        st.warning("Géographie de référence des quartiers introuvable : carte indisponible.")
    else:
        deck, maximum = quartier_map(geojson, counts)
        st.pydeck_chart(deck, height=520, alt="Carte des incidents par quartier de Marseille")
        _legend(maximum)
        st.caption(QUARTIERS_ATTRIBUTION)

    st.subheader("Quartiers les plus concernés")
    st.dataframe(
        top_quartiers(counts, 10),
        hide_index=True,
        column_config={
            "Incidents": st.column_config.NumberColumn(format="localized"),
            "Part (%)": st.column_config.NumberColumn(format="%.1f %%"),
        },
    )

    with st.expander("À propos de ces données"):
        st.markdown(
            f"- Table publiée : `gold/{publication.mart}`, version Delta {publication.delta_version}, "
            f"{fr_int(publication.rows)} lignes (quartier × jour × catégorie).\n"
            f"- Publiée le {published}, uniquement après un contrôle qualité réussi ; "
            "si un contrôle échoue ensuite, la version précédente reste affichée.\n"
            "- Les comptages sont des agrégats : aucune donnée individuelle n'est lue par cette page."
        )
        if gate is not None:
            st.markdown(
                f"- Dernier contrôle ({gate.suite}) : {gate.successful}/{gate.evaluated} contrôles réussis"
                + (f", le {fr_datetime(gate.evaluated_at)}." if gate.evaluated_at else ".")
            )


render()
