"""Events security: for one event picked by name and date, what to deploy and why.

The analyst picks an event (the next planned one by default); the page then shows the
recommended staffing hour by hour from the declared doctrine (agents and barriers), the
expected extra incidents and interventions per source with their intervals, the comparable past
events the forecast rests on, and how the forecast did against the naive rule in the backtest.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.formatting import fr_date, fr_datetime_local, fr_int, fr_number
from apps.observatoire.components import (
    column_label,
    feed_title,
    interval_text,
    quartier_label,
    render_chart,
    render_table,
)
from apps.published import NO_DATA_MESSAGE, load_gold_table
from orchestration.core.catalog import UseCase

CALENDAR = "securite_evenements_calendrier"
FORECAST = "securite_evenements_prevision_heure"
STAFFING = "securite_evenements_dispositif"
OBSERVED = "securite_evenements_exces_heure"
QUALITY = "securite_evenements_qualite"
HOUR_AXIS = alt.Axis(format="%d/%m %Hh", labelAngle=0, labelOverlap=True)


def event_label(row: pd.Series) -> str:
    """« Stade Vélodrome · Match de football · 05/12/2026 20:00 »: name, kind and date."""
    kind = row["type_evenement"] if isinstance(row["type_evenement"], str) and row["type_evenement"] else row["code_type_evenement"]
    place = row["lieu"] if isinstance(row["lieu"], str) and row["lieu"] else row["code_lieu"]
    return f"{place} · {kind} · {fr_datetime_local(pd.Timestamp(row['debut_local']).to_pydatetime())}"


def selectable_events(calendar: pd.DataFrame, include_past: bool) -> pd.DataFrame:
    """Events not cancelled, the planned ones first (soonest first), then the past (newest first)."""
    kept = calendar[calendar["code_statut"] != "ANNULE"].copy()
    kept["debut_local"] = pd.to_datetime(kept["debut_local"])
    planned = kept[kept["planifie"].astype(bool)].sort_values("debut_local")
    if not include_past:
        return planned
    past = kept[~kept["planifie"].astype(bool)].sort_values("debut_local", ascending=False)
    return pd.concat([planned, past])


def staffing_summary(rows: pd.DataFrame) -> dict[str, str]:
    """Peak agents, the hours agents are needed, barriers and their placing window."""
    rows = rows.sort_values("heure_locale")
    hours = pd.to_datetime(rows["heure_locale"])
    with_agents = hours[rows["agents"] > 0]
    with_barriers = hours[rows["barrieres"] > 0]

    def span(values: pd.Series) -> str:
        if values.empty:
            return "–"
        end = values.max() + pd.Timedelta(hours=1)
        return (
            f"de {values.min():%H:%M} à {end:%H:%M}"
            if values.min().date() == values.max().date()
            else f"du {fr_datetime_local(values.min().to_pydatetime())} au {fr_datetime_local(end.to_pydatetime())}"
        )

    return {
        "Agents au plus fort": fr_int(int(rows["agents"].max())) if not rows.empty else "–",
        "Présence des agents": span(with_agents),
        "Barrières": fr_int(int(rows["barrieres"].max())) if not rows.empty else "–",
        "Pose des barrières": span(with_barriers),
    }


def staffing_chart(rows: pd.DataFrame, title: str) -> alt.VConcatChart:
    """Agents (bars) and barriers (steps) per local hour, one above the other."""
    data = rows.assign(heure_locale=pd.to_datetime(rows["heure_locale"])).sort_values("heure_locale")
    # One band per hour (ordinal), so that bars are as wide as the hour they cover.
    several_days = data["heure_locale"].dt.date.nunique() > 1
    data["heure_txt"] = data["heure_locale"].dt.strftime("%d/%m %Hh" if several_days else "%Hh")
    x = alt.X(
        "heure_txt:O",
        title=column_label(STAFFING, "heure_locale"),
        sort=data["heure_txt"].tolist(),
        axis=alt.Axis(labelAngle=0, labelOverlap=True),
    )
    tooltip = [
        alt.Tooltip("heure_txt:O", title="Heure"),
        alt.Tooltip("agents:Q", title=column_label(STAFFING, "agents", unit=False)),
        alt.Tooltip("agents_selon_faits:Q", title=column_label(STAFFING, "agents_selon_faits", unit=False)),
        alt.Tooltip("agents_minimum_jauge:Q", title=column_label(STAFFING, "agents_minimum_jauge", unit=False)),
        alt.Tooltip("barrieres:Q", title=column_label(STAFFING, "barrieres", unit=False)),
    ]
    agents = (
        alt.Chart(data)
        .mark_bar(color="#1f5fa8")
        .encode(x=x, y=alt.Y("agents:Q", title=column_label(STAFFING, "agents"), axis=alt.Axis(format="d", tickMinStep=1)), tooltip=tooltip)
        .properties(height=180, width="container", title=title)
    )
    barriers = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", color="#b3541e", point=True)
        .encode(x=x, y=alt.Y("barrieres:Q", title=column_label(STAFFING, "barrieres"), axis=alt.Axis(format="d")), tooltip=tooltip)
        .properties(height=120, width="container")
    )
    return alt.vconcat(agents, barriers)


def forecast_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Expected extra facts per hour and source: line with its interval as a band."""
    data = rows.assign(heure_locale=pd.to_datetime(rows["heure_locale"]), flux=[feed_title(s) for s in rows["source"]])
    x = alt.X("heure_locale:T", title=column_label(FORECAST, "heure_locale"), axis=HOUR_AXIS)
    colour = alt.Color("flux:N", title=column_label(FORECAST, "source"), legend=alt.Legend(orient="bottom", columns=1, labelLimit=360))
    tooltip = [
        alt.Tooltip("heure_locale:T", title="Heure", format="%d/%m/%Y %H:%M"),
        alt.Tooltip("flux:N", title="Source"),
        alt.Tooltip("exces_attendu:Q", title="Surcroît attendu", format=".2f"),
        alt.Tooltip("exces_bas:Q", title="Borne basse", format=".2f"),
        alt.Tooltip("exces_haut:Q", title="Borne haute", format=".2f"),
    ]
    base = alt.Chart(data)
    band = base.mark_area(opacity=0.2).encode(
        x=x, y=alt.Y("exces_bas:Q", title=column_label(FORECAST, "exces_attendu")), y2="exces_haut:Q", color=colour
    )
    line = base.mark_line(point=True).encode(x=x, y="exces_attendu:Q", color=colour, tooltip=tooltip)
    return alt.layer(band, line).properties(title="Surcroît attendu par heure et intervalle de prévision", height=260, width="container")


def forecast_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per source: facts expected over the event, of which extra, and the peak hour with its interval."""
    out = []
    for source, grp in rows.groupby("source", sort=True):
        peak = grp.loc[grp["exces_attendu"].idxmax()]
        out.append(
            {
                column_label(FORECAST, "source"): feed_title(source),
                "Faits attendus sur l'événement": fr_number(grp["faits_attendus"].sum(), 1),
                "dont surcroît": fr_number(grp["exces_attendu"].sum(), 1),
                "Heure du pic": fr_datetime_local(pd.Timestamp(peak["heure_locale"]).to_pydatetime()),
                "Surcroît à l'heure du pic": f"{fr_number(peak['exces_attendu'], 2)} {interval_text(peak['exces_bas'], peak['exces_haut'], decimals=2)}",
                "Au plus à l'heure du pic": fr_int(int(peak["faits_haut"])),
            }
        )
    return pd.DataFrame(out)


def comparable_events(calendar: pd.DataFrame, observed: pd.DataFrame | None, event: pd.Series) -> pd.DataFrame:
    """Past events of the same type (same venue first), with the extra facts observed per source."""
    past = calendar[
        (~calendar["planifie"].astype(bool))
        & (calendar["code_statut"] != "ANNULE")
        & (calendar["code_type_evenement"] == event["code_type_evenement"])
    ].copy()
    past = past[past["evenement_id"] != event["evenement_id"]]
    past["meme_lieu"] = past["code_lieu"] == event["code_lieu"]
    past = past.sort_values(["meme_lieu", "debut_local"], ascending=[False, False])
    table = pd.DataFrame(
        {
            column_label(CALENDAR, "lieu"): past["lieu"].fillna(past["code_lieu"]).tolist(),
            column_label(CALENDAR, "debut_local"): [fr_datetime_local(pd.Timestamp(t).to_pydatetime()) for t in past["debut_local"]],
            column_label(CALENDAR, "jauge_attendue"): [fr_int(v) for v in past["jauge_attendue"]],
        }
    )
    if observed is not None and not observed.empty:
        sums = observed.groupby(["evenement_id", "source"])["exces"].sum().unstack("source")
        for source in sums.columns:
            values = sums[source].reindex(past["evenement_id"])
            table[f"Surcroît observé : {feed_title(source)}"] = [fr_number(v, 1) if pd.notna(v) else "non observé" for v in values]
    return table


def backtest_table(quality: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Per source: mean absolute error of the model and of the naive rule (per hour and per
    event day) in the rolling-origin backtest; and the sources where it could not run, why."""
    values = quality.set_index(["perimetre", "indicateur"])["valeur"]
    notes, rows = [], []
    sources = sorted({p for p in quality["perimetre"] if "|" not in p and p != "global"})
    for source in sources:
        insufficient = quality[(quality["perimetre"] == source) & (quality["indicateur"] == "backtest_nb_heures")]
        if not insufficient.empty:
            notes.append(f"{feed_title(source)} : {insufficient['commentaire'].iloc[0]}")
            continue
        get = lambda name, s=source: values.get((s, name))  # noqa: E731 - a local lookup
        if get("backtest_mae_heure_modele") is None:
            continue
        model, naive = get("backtest_mae_session_modele"), get("backtest_mae_session_naif")
        rows.append(
            {
                "Source": feed_title(source),
                "Erreur par heure, modèle": fr_number(get("backtest_mae_heure_modele"), 2),
                "Erreur par heure, règle naïve": fr_number(get("backtest_mae_heure_naif"), 2),
                "Erreur par journée, modèle": fr_number(model, 2),
                "Erreur par journée, règle naïve": fr_number(naive, 2),
                "Verdict": "le modèle fait mieux" if model < naive else "la règle naïve fait aussi bien ou mieux",
            }
        )
    return pd.DataFrame(rows), notes


def render(uc: UseCase) -> None:
    """The events answer for the event the analyst picks."""
    del uc
    calendar_pub = load_gold_table(CALENDAR)
    if calendar_pub is None:
        st.info(NO_DATA_MESSAGE)
        return
    calendar = calendar_pub.table.copy()
    calendar["debut_local"] = pd.to_datetime(calendar["debut_local"])
    include_past = st.toggle("Inclure les événements passés", value=False, key="evenements-passes")
    events = selectable_events(calendar, include_past)
    if events.empty:
        st.info(
            "Aucun événement à venir dans le calendrier publié."
            + ("" if include_past else " Activez « Inclure les événements passés » pour revoir les précédents.")
        )
        return
    labels = {row["evenement_id"]: event_label(row) for _, row in events.iterrows()}
    chosen = st.selectbox("Événement", list(labels), format_func=labels.get, key="evenement")
    event = events[events["evenement_id"] == chosen].iloc[0]

    st.subheader(labels[chosen])
    end = pd.Timestamp(event["fin_local"])
    st.markdown(
        f"{event['type_evenement'] or event['code_type_evenement']} à **{event['lieu'] or event['code_lieu']}** ({quartier_label(event['code_quartier'])}), "
        f"du {fr_datetime_local(event['debut_local'].to_pydatetime())} au {fr_datetime_local(end.to_pydatetime())} ; "
        f"jauge attendue : {fr_int(event['jauge_attendue'])} personnes" + ("" if event["planifie"] else " (événement passé)") + "."
    )

    staffing = load_gold_table(STAFFING)
    st.subheader("Dispositif recommandé heure par heure")
    rows = staffing.table[staffing.table["evenement_id"] == chosen] if staffing is not None else pd.DataFrame()
    if rows.empty:
        st.info("Pas de dispositif calculé pour cet événement.")
    else:
        summary = staffing_summary(rows)
        cols = st.columns(2)
        cols[0].metric("Agents au plus fort", summary["Agents au plus fort"])
        cols[1].metric("Barrières", summary["Barrières"])
        st.markdown(f"Agents présents **{summary['Présence des agents']}** ; barrières en place **{summary['Pose des barrières']}**.")
        render_chart(
            staffing_chart(rows, "Agents et barrières recommandés par heure (doctrine déclarée)"),
            alt_text=f"Chronologie des agents (barres) et des barrières (marches) recommandés par heure pour {labels[chosen]}.",
            caption="Agents : le plus grand de deux calculs de la doctrine (selon la borne haute des faits supplémentaires attendus, et un minimum selon la jauge pendant la présence du public).",
            key="chronologie-dispositif",
        )

    forecast = load_gold_table(FORECAST)
    st.subheader("Incidents et interventions attendus")
    rows = forecast.table[forecast.table["evenement_id"] == chosen] if forecast is not None else pd.DataFrame()
    if rows.empty:
        st.info("Pas de prévision pour cet événement (données insuffisantes pour ajuster le modèle).")
    else:
        render_table(
            forecast_table(rows),
            alt_text="Faits attendus par source sur l'événement et heure du pic avec son intervalle",
            key="prevision-sources",
        )
        render_chart(
            forecast_chart(rows),
            alt_text=f"Surcroît attendu de faits par heure et par source pour {labels[chosen]}, avec l'intervalle de prévision en bande.",
            caption="Bande : intervalle de prévision déclaré du surcroît ; ligne : surcroît attendu par le modèle.",
            key="prevision-heures",
            legend_rows=int(rows["source"].nunique()),
        )

    st.subheader("Événements comparables sur lesquels la prévision s'appuie")
    observed = load_gold_table(OBSERVED)
    comparable = comparable_events(calendar, observed.table if observed is not None else None, event)
    if comparable.empty:
        st.info("Aucun événement passé du même type : la prévision repose sur le taux commun à tous les types (rétréci).")
    else:
        st.caption(
            f"{fr_int(len(comparable))} événement(s) passé(s) du même type, le même lieu d'abord ; surcroît observé = faits observés moins la référence, sommés sur l'événement."
        )
        render_table(comparable, alt_text="Événements passés du même type et surcroît observé par source", key="comparables")

    quality = load_gold_table(QUALITY)
    st.subheader("La prévision fait-elle mieux que la règle naïve ?")
    if quality is None:
        st.info(NO_DATA_MESSAGE)
        return
    table, notes = backtest_table(quality.table)
    if not table.empty:
        st.caption(
            "Erreur absolue moyenne (en faits) sur une rétro-évaluation à origine glissante : le modèle ne voit que le passé. Règle naïve : surcroît moyen pour 1 000 personnes."
        )
        render_table(table, alt_text="Erreur de la prévision et de la règle naïve par source", key="retro-evaluation")
    for note in notes:
        st.info(note)
    window = calendar_pub.table["dernier_jour_observe"].dropna()
    if not window.empty:
        st.caption(f"Dernier jour observé par toutes les sources : {fr_date(pd.Timestamp(window.max()).date())}.")
