"""Public space, answer first: which worksites, markets and events overlap at the same place on
the same day (today and the coming days first), where, and how many extra complaints a
worksite or a market session brings.

Reads the published marts ``espace_public_conflits`` (one row per conflict: they are counted,
never summed over a distance), ``espace_public_quartiers`` (conflicts per quartier) and
``espace_public_plaintes_effets`` (rate ratios and excess complaints). Partner codes (worksite
restrictions, market and event types) are labelled from the feeds' declared codes.
"""

from __future__ import annotations

from datetime import date, datetime

import altair as alt
import pandas as pd
import streamlit as st

from apps.formatting import fr_date, fr_int, fr_measure, to_paris
from apps.observatoire.answers.common import RATE_KIND_LABELS, feed_code_labels, nothing_yet, published_marts, table
from apps.observatoire.components import (
    choropleth,
    code_label,
    column_label,
    display_table,
    feed_title,
    forest_frame,
    forest_plot,
    interval_chart,
    interval_text,
    legend_chart,
    quartier_label,
    ranked_list,
    render_chart,
    render_map,
    render_table,
)
from apps.published import QUARTIERS_ATTRIBUTION, load_quartiers_geojson
from orchestration.core.catalog import UseCase

CONFLICTS = "espace_public_conflits"
QUARTIERS = "espace_public_quartiers"
EFFECTS = "espace_public_plaintes_effets"
ALL = "tous"  # the sous_groupe of every restriction / market type together
# Which feed declares the codes of each kind of occupation (its ``detail``).
OCCUPATION_FEEDS = {"chantier": "voirie_chantiers", "marche": "marches", "evenement": "evenements"}
TOP = 10


# ----------------------------------------------------------------------------------------------
# The answers, computed from the published marts (no Streamlit)
# ----------------------------------------------------------------------------------------------


def occupation_text(kind: str, code: str, detail: object) -> str:
    """``("chantier", "2026/312003", "CHAUSSEE_REDUITE")`` -> ``"Chantier 2026/312003 (Chaussée rétrécie)"``."""
    text = f"{code_label(CONFLICTS, 'type_a', kind)} {code}"
    if detail is None or pd.isna(detail) or str(detail) == "":
        return text
    feed = OCCUPATION_FEEDS.get(str(kind))
    label = feed_code_labels(feed).get(str(detail), str(detail)) if feed else str(detail)
    return f"{text} ({label})"


def conflicts_per_day(conflicts: pd.DataFrame) -> pd.DataFrame:
    """Number of conflicts (rows) per day and type of conflict: a count, never a sum of distances."""
    out = conflicts.groupby(["jour", "type_conflit"], as_index=False).size().rename(columns={"size": "nb_conflits"})
    out["type_txt"] = [code_label(CONFLICTS, "type_conflit", t) for t in out["type_conflit"]]
    out["jour"] = pd.to_datetime(out["jour"])
    return out.sort_values(["jour", "type_conflit"]).reset_index(drop=True)


def reference_day(conflicts: pd.DataFrame, today: date) -> date | None:
    """The day the page opens on: the first day with a conflict from ``today`` on, else the last
    day with a conflict."""
    days = sorted(pd.to_datetime(conflicts["jour"]).dt.date.unique())
    if not days:
        return None
    upcoming = [d for d in days if d >= today]
    return upcoming[0] if upcoming else days[-1]


def conflicts_of_day(conflicts: pd.DataFrame, day: date) -> pd.DataFrame:
    """The conflicts of ``day`` as an analyst reads them (French headings from the declaration)."""
    rows = conflicts[pd.to_datetime(conflicts["jour"]).dt.date == day].sort_values(["code_quartier", "heure_debut_chevauchement"])
    return pd.DataFrame(
        {
            column_label(CONFLICTS, "type_conflit"): [code_label(CONFLICTS, "type_conflit", t) for t in rows["type_conflit"]],
            "Première occupation": [
                occupation_text(k, c, d) for k, c, d in zip(rows["type_a"], rows["id_a"], rows["detail_a"], strict=True)
            ],
            "Seconde occupation": [
                occupation_text(k, c, d) for k, c, d in zip(rows["type_b"], rows["id_b"], rows["detail_b"], strict=True)
            ],
            "Quartier": [quartier_label(c) for c in rows["code_quartier"]],
            "Chevauchement": [
                f"{a} - {b}" for a, b in zip(rows["heure_debut_chevauchement"], rows["heure_fin_chevauchement"], strict=True)
            ],
            column_label(CONFLICTS, "distance_m"): [fr_int(round(v)) for v in rows["distance_m"]],
        }
    ).reset_index(drop=True)


def ranked_quartiers(quartiers: pd.DataFrame) -> pd.DataFrame:
    """Quartiers with at least one conflict, most conflicts first (then most days)."""
    rows = quartiers[quartiers["nb_conflits"] > 0]
    return rows.sort_values(["nb_conflits", "nb_jours_avec_conflit"], ascending=False, kind="stable").reset_index(drop=True)


def effect_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """Complaint effects with a defined ratio, worksites then markets, "all" first in each,
    labelled ``"Chantier · Chaussée rétrécie · <source>"``."""
    rows = effects.dropna(subset=["rapport_taux"]).copy()
    codes = {**feed_code_labels("voirie_chantiers"), **feed_code_labels("marches")}
    rows["_tous"] = rows["sous_groupe"] != ALL
    rows = rows.sort_values(["objet", "_tous", "sous_groupe", "source"]).drop(columns="_tous").reset_index(drop=True)
    groups = [code_label(EFFECTS, "sous_groupe", g) if g == ALL else codes.get(str(g), str(g)) for g in rows["sous_groupe"]]
    rows["sous_groupe_txt"] = groups
    rows["ligne"] = [
        f"{code_label(EFFECTS, 'objet', o)} · {g} · {feed_title(s)}" for o, g, s in zip(rows["objet"], groups, rows["source"], strict=True)
    ]
    return rows


def headline_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """The "all restrictions / all market types" rows, one per object and source."""
    return effects[effects["sous_groupe"] == ALL].sort_values(["objet", "source"]).reset_index(drop=True)


def publication_day(published_at: datetime | None) -> date:
    """The local day of publication (Marseille), or today when unknown: "today" for the page."""
    moment = published_at or datetime.now().astimezone()
    return to_paris(moment).date()


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------


def daily_chart(per_day: pd.DataFrame, today: date) -> alt.LayerChart:
    """Conflicts per day, stacked by type (counts stack), with a rule at today."""
    order = list(dict.fromkeys(per_day.sort_values("type_conflit")["type_txt"]))
    bars = (
        alt.Chart(per_day)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(jour):T", title="Jour", axis=alt.Axis(format="%d/%m", labelAngle=0)),
            y=alt.Y("sum(nb_conflits):Q", title="Conflits", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("type_txt:N", title=column_label(CONFLICTS, "type_conflit"), sort=order, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("yearmonthdate(jour):T", title="Jour", format="%d/%m/%Y"),
                alt.Tooltip("type_txt:N", title=column_label(CONFLICTS, "type_conflit")),
                alt.Tooltip("sum(nb_conflits):Q", title="Conflits"),
            ],
        )
    )
    now = alt.Chart(pd.DataFrame({"jour": [pd.Timestamp(today)], "texte": ["aujourd'hui"]}))
    rule = now.mark_rule(color="#444", strokeDash=[3, 3]).encode(x="yearmonthdate(jour):T")
    label = now.mark_text(align="left", dx=4, dy=-4, baseline="top", color="#444").encode(
        x="yearmonthdate(jour):T", y=alt.value(0), text="texte:N"
    )
    days = per_day["jour"].dt.date
    layers = [bars, rule, label] if not per_day.empty and days.min() <= today <= days.max() else [bars]  # a rule far off squeezes the bars
    return alt.layer(*layers).properties(
        title="Conflits d'occupation par jour",
        description="Nombre de conflits d'occupation par jour, empilés par type, avec une ligne au jour de publication.",
        height=260,
        width="container",
    )


def _render_conflicts(conflicts: pd.DataFrame, today: date) -> None:
    """Q1: which occupations overlap, on the day that matters first, then over time."""
    st.header("Quels chantiers, marchés et événements se chevauchent ?", divider="gray")
    days = sorted(pd.to_datetime(conflicts["jour"]).dt.date.unique())
    start = reference_day(conflicts, today)
    upcoming = [d for d in days if d >= today]
    if upcoming:
        st.markdown(
            f"**{fr_int(int((pd.to_datetime(conflicts['jour']).dt.date >= today).sum()))} conflit(s) prévu(s)** "
            f"à partir du {fr_date(today)}, sur {fr_int(len(upcoming))} jour(s)."
        )
    chosen = st.selectbox("Jour", days, index=days.index(start) if start in days else 0, format_func=fr_date, key="espace_public-jour")
    shown = conflicts_of_day(conflicts, chosen)
    st.subheader(f"{fr_int(len(shown))} conflit(s) le {fr_date(chosen)}")
    render_table(shown, alt_text=f"Conflits d'occupation du {fr_date(chosen)}.", key="espace_public-conflits-jour")
    render_chart(
        daily_chart(conflicts_per_day(conflicts), today),
        alt_text="Conflits d'occupation par jour et par type.",
        caption=(
            f"Après le {fr_date(today)} (jour de publication), les conflits sont prévus d'après les autorisations connues : "
            "la fin de la période est partielle, d'autres autorisations viendront s'y ajouter."
            if upcoming
            else None
        ),
        key="espace_public-conflits-par-jour",
        legend_rows=1,
    )


def _render_quartiers(quartiers: pd.DataFrame) -> None:
    """Where the conflicts concentrate: map with legend and ranked list."""
    st.header("Où ?", divider="gray")
    ranked = ranked_quartiers(quartiers)
    if ranked.empty:
        st.success("Aucun conflit d'occupation sur la période.")
        return
    measure = column_label(QUARTIERS, "nb_conflits", unit=False)
    geojson = load_quartiers_geojson()
    if geojson is not None:
        render_map(
            choropleth(
                geojson,
                ranked,
                value="nb_conflits",
                value_text=[f"{fr_int(v)} conflit(s)" for v in ranked["nb_conflits"]],
                measure=measure,
                unit="conflits",
            ),
            legend_chart(float(ranked["nb_conflits"].max()), measure, "conflits"),
            alt_text="Carte des quartiers colorés selon le nombre de conflits d'occupation.",
            caption=QUARTIERS_ATTRIBUTION,
            key="espace_public-carte",
        )
    top = ranked.head(TOP)
    st.subheader(f"Les {fr_int(len(top))} quartiers aux conflits les plus nombreux")
    render_table(
        ranked_list(
            top,
            QUARTIERS,
            place="code_quartier",
            value="nb_conflits",
            count="nb_jours_avec_conflit",
            n=TOP,
            place_labels=[quartier_label(c) for c in top["code_quartier"]],
        ).rename(columns={column_label(QUARTIERS, "code_quartier", unit=False): "Quartier"}),  # names are shown, not codes
        alt_text="Quartiers classés par nombre de conflits d'occupation.",
        key="espace_public-classement",
    )
    st.caption("Des comptes exacts d'occupations autorisées, pas des estimations : pas d'intervalle.")


def _render_complaints(effects: pd.DataFrame) -> None:
    """Q2 and Q3: extra complaints per worksite day and per market session."""
    st.header("Combien de plaintes en plus autour d'un chantier ou d'un marché ?", divider="gray")
    for _, row in headline_effects(effects).iterrows():
        what = "jour de chantier qui restreint la circulation ou le stationnement" if row["objet"] == "chantier" else "séance de marché"
        st.markdown(
            f"- **{feed_title(row['source'])}** : {fr_measure(row['exces_par_jour_actif'], 'plaintes')} plainte(s) en excès par {what} "
            f"(intervalle à 95 % {interval_text(row['exces_ic_bas'], row['exces_ic_haut'], 'plaintes')}), "
            f"rapport de taux {fr_measure(row['rapport_taux'], 'ratio')} {interval_text(row['ic_bas'], row['ic_haut'], 'ratio')}."
        )
    rows = effect_rows(effects)
    if rows.empty:
        return
    render_chart(
        forest_plot(
            forest_frame(rows, label="ligne", estimate="rapport_taux", low="ic_bas", high="ic_haut", kind_labels=RATE_KIND_LABELS),
            title="Plaintes pendant l'occupation contre le même lieu sans occupation",
            x_title=f"{column_label(EFFECTS, 'rapport_taux')} (échelle logarithmique, 1 = pas d'effet)",
        ),
        alt_text="Graphique en forêt des rapports de taux de plaintes autour des chantiers et des marchés, avec intervalles à 95 % et ligne à 1.",
        caption="Au-dessus de 1 : plus de plaintes pendant l'occupation ; un intervalle qui croise 1 ne permet pas de conclure.",
        key="espace_public-effets",
        legend_rows=1,
    )
    excess = effects.copy()
    excess = excess.merge(rows[["objet", "source", "sous_groupe", "ligne"]], on=["objet", "source", "sous_groupe"], how="inner")
    render_chart(
        interval_chart(
            excess,
            place="ligne",
            value="exces_par_jour_actif",
            low="exces_ic_bas",
            high="exces_ic_haut",
            title="Plaintes en excès par jour de chantier ou par séance de marché",
            x_title=column_label(EFFECTS, "exces_par_jour_actif"),
        ),
        alt_text="Plaintes en excès par jour actif, avec intervalles à 95 %.",
        key="espace_public-exces",
    )
    render_table(
        display_table(
            rows.assign(source=[feed_title(s) for s in rows["source"]], sous_groupe=rows["sous_groupe_txt"]),
            EFFECTS,
            [
                "objet",
                "source",
                "sous_groupe",
                "nb_lieux",
                "nb_jours_actifs",
                "rapport_taux",
                "ic_bas",
                "ic_haut",
                "exces_par_jour_actif",
                "exces_ic_bas",
                "exces_ic_haut",
            ],
        ),
        alt_text="Plaintes autour des chantiers et des marchés.",
        key="espace_public-effets-table",
    )


def render(uc: UseCase) -> None:
    """The public-space page: conflicts (today first), where, then complaints, then sources."""
    golds = published_marts(uc)
    if nothing_yet(golds, CONFLICTS):
        return
    gold = golds[CONFLICTS]
    assert gold is not None
    conflicts = gold.table
    today = publication_day(gold.published_at)
    days = pd.to_datetime(conflicts["jour"]).dt.date
    st.caption(f"Conflits du {fr_date(days.min())} au {fr_date(days.max())} ; publié le {fr_date(today)}.")
    _render_conflicts(conflicts, today)
    quartiers = table(golds, QUARTIERS)
    if quartiers is not None:
        _render_quartiers(quartiers)
    effects = table(golds, EFFECTS)
    if effects is not None:
        _render_complaints(effects)
