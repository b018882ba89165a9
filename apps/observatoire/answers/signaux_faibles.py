"""Weak signals: tonight's alerts first, then the history of a quartier.

Answers "which quartiers show an unusual rise, in what, since when" from the published
``signaux_faibles_anomalies`` mart: the most recent alerts (newest day first, highest score
first within a day), a map of the last week's alerts with its legend, and, for one quartier,
the observed and expected counts day by day with its alerts marked.
"""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from apps.formatting import fr_date, fr_int, fr_measure
from apps.observatoire.components import (
    choropleth,
    column_label,
    feed_title,
    legend_chart,
    quartier_label,
    render_chart,
    render_map,
    render_table,
)
from apps.published import NO_DATA_MESSAGE, QUARTIERS_ATTRIBUTION, load_gold_table, load_quartiers_geojson
from orchestration.core.catalog import UseCase

MART = "signaux_faibles_anomalies"
RECENT_ALERTS = 20  # rows in the "latest alerts" list
MAP_DAYS = 7  # the map counts the alerts of the last week


def category_of(rows: pd.DataFrame) -> pd.Series:
    """The category label, else its partner code (some partners send no label)."""
    return rows["categorie"].where(rows["categorie"].notna() & (rows["categorie"].astype(str) != ""), rows["code_categorie"]).astype(str)


def latest_alerts(table: pd.DataFrame, n: int = RECENT_ALERTS) -> pd.DataFrame:
    """The ``n`` most recent alerts: newest day first, highest score first within a day."""
    alerts = table[table["alerte"].astype(bool)].copy()
    alerts["jour"] = pd.to_datetime(alerts["jour"])
    return alerts.sort_values(["jour", "score"], ascending=[False, False], kind="stable").head(n)


def alerts_table(alerts: pd.DataFrame) -> pd.DataFrame:
    """The alert list as read: day, quartier, category, source, observed vs expected, score."""
    return pd.DataFrame(
        {
            column_label(MART, "jour"): [fr_date(d.date()) for d in alerts["jour"]],
            "Quartier": [quartier_label(c) for c in alerts["code_quartier"]],
            column_label(MART, "categorie", unit=False): category_of(alerts).tolist(),
            column_label(MART, "flux"): [feed_title(f) for f in alerts["flux"]],
            "Observé / attendu": [
                f"{fr_int(o)} / {fr_measure(e, decimals=1)} en {fr_int(w)} j"
                for o, e, w in zip(alerts["nb_observe_fenetre"], alerts["nb_attendu_fenetre"], alerts["fenetre_jours"], strict=True)
            ],
            column_label(MART, "score"): [fr_measure(s, decimals=1) for s in alerts["score"]],
        }
    )


def history_chart(rows: pd.DataFrame, quartier: str) -> alt.LayerChart:
    """Observed (bars) and expected (line) per day and category in one quartier, alerts marked."""
    data = rows.assign(jour=pd.to_datetime(rows["jour"]), categorie_txt=category_of(rows))
    data["attendu"] = data["nb_attendu"]
    x = alt.X("yearmonthdate(jour):T", title=column_label(MART, "jour"), axis=alt.Axis(format="%d %b", labelAngle=0))
    colour = alt.Color(
        "categorie_txt:N", title=column_label(MART, "categorie", unit=False), legend=alt.Legend(orient="bottom", columns=2, labelLimit=300)
    )
    tooltip = [
        alt.Tooltip("yearmonthdate(jour):T", title="Jour", format="%d/%m/%Y"),
        alt.Tooltip("categorie_txt:N", title="Catégorie"),
        alt.Tooltip("nb_observe:Q", title="Observé", format=",d"),
        alt.Tooltip("attendu:Q", title="Attendu", format=",.1f"),
        alt.Tooltip("score:Q", title="Score", format=".1f"),
    ]
    base = alt.Chart(data)
    observed = base.mark_bar(opacity=0.7).encode(
        x=x, y=alt.Y("sum(nb_observe):Q", title=column_label(MART, "nb_observe")), color=colour, tooltip=tooltip
    )
    expected = base.mark_line(point=False, strokeDash=[4, 2], color="#333").encode(x=x, y="sum(attendu):Q")
    alerts = (
        base.transform_filter("datum.alerte")
        .mark_point(shape="triangle-up", size=120, filled=True, color="#bd0026")
        .encode(x=x, y="nb_observe:Q", tooltip=tooltip)
    )
    return alt.layer(observed, expected, alerts).properties(
        title=f"Signalements observés (barres) et attendus (tirets) par jour : {quartier}",
        description=f"Historique de {quartier} : signalements observés par jour et catégorie, attendus en tirets, alertes en triangles rouges.",
        height=300,
        width="container",
    )


def render(uc: UseCase) -> None:
    """The weak-signals answer: latest alerts, last week's map, one quartier's history."""
    gold = load_gold_table(MART)
    if gold is None:
        st.info(NO_DATA_MESSAGE)
        return
    table = gold.table.copy()
    table["jour"] = pd.to_datetime(table["jour"])
    last_day = table["jour"].max()
    scored = table[table["score"].notna()]
    alerts = latest_alerts(table)
    st.subheader("Dernières alertes")
    newest = alerts["jour"].max() if not alerts.empty else None
    last_day_alerts = int((table["alerte"].astype(bool) & (table["jour"] == last_day)).sum())
    cols = st.columns(3)
    cols[0].metric("Dernier jour analysé", fr_date(last_day.date()))
    cols[1].metric("Alertes ce jour-là", fr_int(last_day_alerts))
    cols[2].metric("Alerte la plus récente", fr_date(newest.date()) if newest is not None else "aucune")
    if alerts.empty:
        first_scored = fr_date(scored["jour"].min().date()) if not scored.empty else None
        st.info(
            "Aucune alerte sur la période."
            + (f" Jours scorés à partir du {first_scored}." if first_scored else " Pas encore assez d'historique pour scorer.")
        )
    else:
        st.caption(
            f"Les {len(alerts)} alertes les plus récentes, de la plus récente à la plus ancienne. Observé / attendu : "
            "signalements sur la fenêtre de jours la plus alertante ; score = -log10 de la probabilité d'observer au moins autant."
        )
        render_table(alerts_table(alerts), alt_text="Liste des alertes les plus récentes", key="alertes-recentes")

    since = last_day - timedelta(days=MAP_DAYS - 1)
    week = table[table["alerte"].astype(bool) & (table["jour"] >= since)]
    geojson = load_quartiers_geojson()
    if geojson is not None:
        st.subheader(f"Alertes des {MAP_DAYS} derniers jours par quartier")
        counts = week.groupby("code_quartier", as_index=False).size().rename(columns={"size": "nb_alertes"})
        texts = [f"{fr_int(n)} alerte(s)" for n in counts["nb_alertes"]]
        deck = choropleth(geojson, counts, value="nb_alertes", value_text=texts, measure="Alertes", unit="alertes")
        legend = legend_chart(float(counts["nb_alertes"].max()) if not counts.empty else 1.0, "Alertes", "alertes")
        render_map(
            deck,
            legend,
            alt_text=f"Carte des quartiers de Marseille colorés selon le nombre d'alertes du {fr_date(since.date())} au {fr_date(last_day.date())}.",
            caption=f"Du {fr_date(since.date())} au {fr_date(last_day.date())}. Quartiers en gris : aucune alerte. {QUARTIERS_ATTRIBUTION}",
            key="carte-alertes",
        )

    st.subheader("Historique d'un quartier")
    codes = sorted(table["code_quartier"].astype(str).unique(), key=quartier_label)
    default = str(alerts["code_quartier"].iloc[0]) if not alerts.empty else codes[0]
    code = st.selectbox("Quartier", codes, index=codes.index(default), format_func=quartier_label, key="signaux-quartier")
    rows = table[table["code_quartier"].astype(str) == code]
    name = quartier_label(code)
    render_chart(
        history_chart(rows, name),
        alt_text=f"Historique des signalements observés et attendus à {name}.",
        key="historique-quartier",
        legend_rows=-(-rows["code_categorie"].nunique() // 2),
    )
    past = rows[rows["alerte"].astype(bool)].sort_values("jour", ascending=False)
    if past.empty:
        st.caption(f"Aucune alerte à {name} sur la période.")
    else:
        st.markdown(f"**Alertes à {name}** ({fr_int(len(past))})")
        render_table(alerts_table(past), alt_text=f"Alertes passées à {name}", key="alertes-quartier")
