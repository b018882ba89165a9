"""Observatory health: late feeds, what goes to quarantine and why, which marts were blocked.

Freshness is recomputed at read time (the mart's age was measured when it was built) with the
same rule as the pipeline's freshness check (:func:`orchestration.core.governance.freshness_from_last`),
and the period a delivery covers is named ("année 2026", "semaine du 30/11/2026"), so a yearly
file stamped 01/01 does not read as "January data, 0 h old". Gate verdicts over time come from
the verdict files the gates write (the health mart lags one refresh by construction).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from apps.formatting import fr_date, fr_datetime, fr_int, fr_month, fr_number, fr_percent, to_paris
from apps.observatoire.components import (
    code_label,
    column_label,
    complete_periods,
    display_table,
    feed_title,
    flag_partial_periods,
    render_chart,
    render_table,
)
from apps.published import NO_DATA_MESSAGE, load_gate_history, load_gold_table
from orchestration.core.catalog import UseCase, feeds, marts
from orchestration.core.governance import CADENCE_DAYS, freshness_from_last

FRESHNESS = "sante_fraicheur_flux"
DAYS = "sante_flux_jour"
REASONS = "sante_quarantaine_motifs"
LATE, ON_TIME, NEVER, ARCHIVE, OPEN = (
    "en retard",
    "à l'heure",
    "jamais livré",
    "archive (sans délai attendu)",
    "à l'heure (période en cours)",
)


def covered_period(day: date, cadence: str) -> str:
    """The period a delivery stamped ``day`` covers, in French, from the feed's cadence."""
    if cadence == "yearly":
        return f"année {day.year}"
    if cadence == "monthly":
        return fr_month(f"{day:%Y-%m}")
    if cadence == "weekly":
        return f"semaine du {fr_date(day)}"
    return fr_date(day)


def age_text(hours: float | None) -> str:
    """``16.6`` -> ``"17 h"``; beyond two days, in days: ``"3,2 j"``."""
    if hours is None or hours != hours:
        return "–"
    return f"{fr_int(round(hours))}\u00a0h" if hours < 48 else f"{fr_number(hours / 24, 1)}\u00a0j"


def freshness_now(table: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each declared feed's freshness at ``now``: period covered, age, SLA and verdict."""
    rows = []
    last_by_feed = {str(f): d for f, d in zip(table["flux"], table["derniere_livraison"], strict=True)}
    for name, spec in sorted(feeds().items()):
        raw = last_by_feed.get(name)
        last = None if raw is None or pd.isna(raw) else pd.Timestamp(raw).date()
        verdict = freshness_from_last(spec, last, now)
        cadence = str(spec.delivery.cadence)
        open_period = last is not None and last + timedelta(days=CADENCE_DAYS.get(spec.delivery.cadence, 1)) > now.date()
        if verdict.sla_hours is None:
            status = ARCHIVE
        elif last is None:
            status = NEVER
        elif open_period:
            status = OPEN
        else:
            status = ON_TIME if verdict.fresh else LATE
        rows.append(
            {
                "Flux": spec.title,
                "Cadence": code_label(FRESHNESS, "cadence", cadence),
                "Dernière période livrée": covered_period(last, cadence) if last else "–",
                "Âge des données": "période en cours" if open_period else age_text(verdict.age_hours),
                "Délai engagé": age_text(verdict.sla_hours),
                "Statut": status,
                "_late": status == LATE,
            }
        )
    out = pd.DataFrame(rows)
    order = {LATE: 0, NEVER: 1, ON_TIME: 2, OPEN: 3, ARCHIVE: 4}
    return out.sort_values(by="Statut", key=lambda s: s.map(order), kind="stable", ignore_index=True)


def volumes_by_feed(days: pd.DataFrame) -> pd.DataFrame:
    """Per feed over the window: deliveries, rejected files, lines read, written, quarantined, rate."""
    sums = days.groupby("flux", as_index=False)[["nb_livraisons", "nb_rejets", "lignes_lues", "lignes_ecrites", "lignes_quarantaine"]].sum()
    sums["taux"] = sums["lignes_quarantaine"] / sums["lignes_lues"].where(sums["lignes_lues"] > 0)
    return sums.sort_values(["taux", "lignes_lues"], ascending=[False, False], ignore_index=True)


def volumes_table(sums: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            column_label(DAYS, "flux"): [feed_title(f) for f in sums["flux"]],
            column_label(DAYS, "nb_livraisons"): [fr_int(v) for v in sums["nb_livraisons"]],
            column_label(DAYS, "nb_rejets"): [fr_int(v) for v in sums["nb_rejets"]],
            column_label(DAYS, "lignes_lues"): [fr_int(v) for v in sums["lignes_lues"]],
            column_label(DAYS, "lignes_ecrites"): [fr_int(v) for v in sums["lignes_ecrites"]],
            column_label(DAYS, "lignes_quarantaine"): [fr_int(v) for v in sums["lignes_quarantaine"]],
            column_label(DAYS, "taux_quarantaine"): [fr_percent(v) for v in sums["taux"]],
        }
    )


def weekly_volumes_chart(days: pd.DataFrame, window: tuple[date, date], include_partial: bool) -> tuple[alt.Chart, int]:
    """Lines written and quarantined per week (all feeds); partial weeks flagged or left out.
    Also returns how many rows fall in partial weeks (0: every week is complete)."""
    every = flag_partial_periods(days, "jour", "week", window)
    flagged = complete_periods(every, include_partial)
    weekly = flagged.groupby(["periode_debut", "periode"], as_index=False)[["lignes_ecrites", "lignes_quarantaine"]].sum()
    long = weekly.melt(id_vars=["periode_debut", "periode"], var_name="mesure", value_name="lignes")
    written, quarantined = column_label(DAYS, "lignes_ecrites", unit=False), column_label(DAYS, "lignes_quarantaine", unit=False)
    long["mesure"] = long["mesure"].map({"lignes_ecrites": written, "lignes_quarantaine": quarantined})
    order = weekly.sort_values("periode_debut")["periode"].tolist()
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("periode:N", sort=order, title="Semaine", axis=alt.Axis(labelAngle=0, labelLimit=200)),
            y=alt.Y("lignes:Q", title="Lignes", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "mesure:N",
                title=None,
                scale=alt.Scale(domain=[written, quarantined], range=["#4c78a8", "#e45756"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("periode:N", title="Semaine"),
                alt.Tooltip("mesure:N", title="Mesure"),
                alt.Tooltip("lignes:Q", title="Lignes", format=",d"),
            ],
        )
        .properties(
            title="Lignes reçues par semaine (tous flux)",
            description="Lignes écrites et mises en quarantaine par semaine, tous flux confondus.",
            height=260,
            width="container",
        )
    )
    return chart, int(every["partiel"].sum())


def reasons_table(reasons: pd.DataFrame) -> pd.DataFrame:
    ordered = reasons.sort_values("nb_lignes", ascending=False, ignore_index=True)
    return display_table(ordered, REASONS)


def verdict_history(history: pd.DataFrame) -> pd.DataFrame:
    """Per refresh (evaluations within the same minute), marts passed and blocked."""
    data = history.copy()
    data["controle"] = data["evalue_le"].dt.tz_convert("Europe/Paris").dt.floor("min").dt.tz_localize(None)
    data["verdict"] = data["succes"].map({True: "publication autorisée", False: "publication bloquée"})
    return data.groupby(["controle", "verdict"], as_index=False).size().rename(columns={"size": "nb_marts"})


def verdicts_chart(per_run: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(per_run)
        .mark_bar(size=14)
        .encode(
            x=alt.X("controle:T", title="Contrôle (heure de Marseille)", axis=alt.Axis(format="%d/%m %H:%M", labelAngle=0)),
            y=alt.Y("nb_marts:Q", title="Tables contrôlées", stack=True, axis=alt.Axis(format=",d")),
            color=alt.Color(
                "verdict:N",
                title="Verdict",
                scale=alt.Scale(domain=["publication autorisée", "publication bloquée"], range=["#2e7d32", "#c62828"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("controle:T", title="Contrôle", format="%d/%m/%Y %H:%M"),
                alt.Tooltip("verdict:N", title="Verdict"),
                alt.Tooltip("nb_marts:Q", title="Tables"),
            ],
        )
        .properties(
            title="Verdicts des contrôles qualité au fil du temps",
            description="Nombre de tables dont la publication a été autorisée ou bloquée, par contrôle.",
            height=240,
            width="container",
        )
    )


def blocked_table(history: pd.DataFrame) -> pd.DataFrame:
    """Every blocked publication, newest first: when, which table, which expectations failed."""
    declared = marts()
    failed = history[~history["succes"]].sort_values("evalue_le", ascending=False)
    return pd.DataFrame(
        {
            "Contrôle": [fr_datetime(t.to_pydatetime()) for t in failed["evalue_le"]],
            "Table": [declared[m].description if m in declared and declared[m].description else m for m in failed["mart"]],
            "Attentes en échec": [fr_int(v) for v in failed["attentes_en_echec"]],
            "Contrôles en échec": failed["attentes_echouees"].tolist(),
        }
    )


def render(uc: UseCase) -> None:
    """The health answer: freshness, volumes and quarantine, reasons, gate verdicts."""
    del uc
    now = datetime.now(UTC)
    st.subheader("Fraîcheur des flux")
    fresh = load_gold_table(FRESHNESS)
    if fresh is None:
        st.info(NO_DATA_MESSAGE)
    else:
        table = freshness_now(fresh.table, now)
        late = int(table["_late"].sum())
        cols = st.columns(3)
        cols[0].metric("Flux en retard", fr_int(late))
        cols[1].metric("Jamais livrés", fr_int(int((table["Statut"] == NEVER).sum())))
        cols[2].metric("Flux déclarés", fr_int(len(table)))
        st.caption(
            f"Âge compté au {fr_datetime(now)} depuis la fin de la dernière période livrée, comparé au délai déclaré du flux ; "
            "une période pas encore terminée (année, mois ou semaine en cours) est « en cours »."
        )
        render_table(table.drop(columns=["_late"]), alt_text="Fraîcheur de chaque flux au regard de son délai déclaré", key="fraicheur")

    days = load_gold_table(DAYS)
    st.subheader("Volumes et quarantaine")
    if days is None or days.table.empty:
        st.info(NO_DATA_MESSAGE)
    else:
        frame = days.table.copy()
        frame["jour"] = pd.to_datetime(frame["jour"])
        sums = volumes_by_feed(frame)
        total_read, total_q = int(sums["lignes_lues"].sum()), int(sums["lignes_quarantaine"].sum())
        cols = st.columns(3)
        cols[0].metric("Lignes lues", fr_int(total_read))
        cols[1].metric("Lignes en quarantaine", fr_int(total_q))
        cols[2].metric("Part en quarantaine", fr_percent(total_q / total_read if total_read else None))
        render_table(volumes_table(sums), alt_text="Livraisons, rejets, lignes lues, écrites et en quarantaine par flux", key="volumes")
        window = (frame["jour"].min().date(), frame["jour"].max().date())
        include_partial = st.toggle("Afficher les semaines partielles", value=False, key="semaines-partielles")
        chart, partial_rows = weekly_volumes_chart(frame, window, include_partial)
        if not partial_rows:
            partial_note = "Toutes les semaines affichées sont complètes."
        elif include_partial:
            partial_note = "Semaines incomplètes marquées « (partiel) »."
        else:
            partial_note = "Semaines incomplètes masquées (« Afficher les semaines partielles » pour les voir)."
        render_chart(
            chart,
            alt_text="Lignes écrites et mises en quarantaine par semaine",
            caption=f"Données du {fr_date(window[0])} au {fr_date(window[1])}. {partial_note}",
            key="volumes-semaine",
            legend_rows=1,
        )

    reasons = load_gold_table(REASONS)
    st.subheader("Motifs de quarantaine")
    if reasons is None or reasons.table.empty:
        st.info("Aucune ligne en quarantaine." if reasons is not None else NO_DATA_MESSAGE)
    else:
        render_table(reasons_table(reasons.table), alt_text="Lignes en quarantaine par flux et motif", key="motifs")

    st.subheader("Contrôles qualité : tables bloquées et verdicts")
    history = load_gate_history()
    if history.empty:
        st.info("Aucun contrôle qualité enregistré pour l'instant.")
        return
    latest = history.sort_values("evalue_le").groupby("mart").tail(1)
    cols = st.columns(3)
    last = to_paris(history["evalue_le"].max().to_pydatetime())
    cols[0].metric("Dernier contrôle", f"{last:%d/%m %H:%M}", help=f"Le {fr_datetime(last)} (heure de Marseille).")
    cols[1].metric("Tables bloquées au dernier contrôle", fr_int(int((~latest["succes"]).sum())))
    cols[2].metric("Contrôles enregistrés", fr_int(len(history)))
    render_chart(
        verdicts_chart(verdict_history(history)),
        alt_text="Verdicts des contrôles qualité par contrôle : publications autorisées et bloquées",
        key="verdicts",
        legend_rows=1,
    )
    blocked = blocked_table(history)
    if blocked.empty:
        st.success("Aucune publication bloquée depuis le premier contrôle.")
    else:
        st.markdown("**Publications bloquées**")
        render_table(blocked, alt_text="Publications bloquées par leur contrôle qualité", key="bloquees")
