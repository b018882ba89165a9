"""School surroundings, answer first: how many extra incidents per school and time slot on school
days, at which slot and for which level, and in which quartiers.

Reads the published marts ``abords_scolaires_effets`` (rate ratios and excesses per source,
level, slot and comparison), ``abords_scolaires_quartiers`` (rates per quartier, with
their 95 % intervals) and
``abords_scolaires_qualite`` (days covered). The slots' times are the declared parameters.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from apps.formatting import fr_int, fr_measure, with_unit
from apps.observatoire.answers.common import RATE_KIND_LABELS, nothing_yet, published_marts, table
from apps.observatoire.components import (
    choropleth,
    code_label,
    column,
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
    window_text,
)
from apps.published import QUARTIERS_ATTRIBUTION, load_quartiers_geojson
from orchestration.core.catalog import UseCase
from orchestration.core.catalog.mart_schema import data_window

EFFECTS = "abords_scolaires_effets"
QUARTIERS = "abords_scolaires_quartiers"
QUALITY = "abords_scolaires_qualite"
ALL_SOURCES, ALL_LEVELS, ALL_SLOTS = "ensemble", "tous", "toutes"  # the mart's "everything" rows
HOLIDAYS = "meme_creneau_jours_de_vacances"  # the main comparison: same slots on holiday weekdays
OTHER_HOURS = "autres_heures_jours_de_classe"  # the fallback when the window holds no holiday
COMPARISONS = (HOLIDAYS, OTHER_HOURS, "double_difference")
TOP = 10


# ----------------------------------------------------------------------------------------------
# The answers, computed from the published marts (no Streamlit)
# ----------------------------------------------------------------------------------------------


def slot_label(uc: UseCase, slot: str) -> str:
    """``"entree"`` -> ``"Entrée (08:00-08:45)"``: the declared label and the declared times."""
    label = code_label(EFFECTS, "fenetre", slot)
    times = uc.parameters.fenetres.get(slot)  # type: ignore[attr-defined]
    return f"{label} ({times[0]}-{times[1]})" if times else label


def source_label(source: str) -> str:
    """``"ensemble"`` -> its declared label; a feed name -> the feed's declared title."""
    return code_label(EFFECTS, "source", source) if source == ALL_SOURCES else feed_title(source)


def headline(effects: pd.DataFrame, reference: str) -> pd.Series | None:
    """The all-sources, all-levels, all-slots row of ``reference``, or ``None``."""
    rows = effects[
        (effects["source"] == ALL_SOURCES)
        & (effects["niveau"] == ALL_LEVELS)
        & (effects["fenetre"] == ALL_SLOTS)
        & (effects["reference"] == reference)
    ]
    return rows.iloc[0] if not rows.empty else None


def comparison(effects: pd.DataFrame) -> str:
    """The comparison the page leads with: school days against holidays when the data hold
    holiday weekdays (a defined ratio), else against the other hours of school days."""
    row = headline(effects, HOLIDAYS)
    if row is not None and not pd.isna(row["rapport_taux"]):
        return HOLIDAYS
    return OTHER_HOURS


def slot_rows(effects: pd.DataFrame, reference: str, uc: UseCase) -> pd.DataFrame:
    """All-sources rows of ``reference`` per level and slot, everything first, then by level
    (declared order of ``fenetres_par_niveau``) and slot (declared order of ``fenetres``),
    labelled ``"Collèges · Sortie (16:15-17:00)"``; rows without a ratio are left out."""
    params = uc.parameters  # type: ignore[attr-defined]
    levels = [ALL_LEVELS, *params.fenetres_par_niveau]
    slots = [ALL_SLOTS, *params.fenetres]
    rows = effects[(effects["source"] == ALL_SOURCES) & (effects["reference"] == reference)].dropna(subset=["rapport_taux"]).copy()
    rows["_niveau"] = rows["niveau"].map({v: i for i, v in enumerate(levels)})
    rows["_fenetre"] = rows["fenetre"].map({v: i for i, v in enumerate(slots)})
    rows = rows.sort_values(["_niveau", "_fenetre"]).reset_index(drop=True)
    rows["ligne"] = [
        f"{code_label(EFFECTS, 'niveau', n)} · {slot_label(uc, f)}" for n, f in zip(rows["niveau"], rows["fenetre"], strict=True)
    ]
    return rows.drop(columns=["_niveau", "_fenetre"])


def comparison_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """The headline (all sources, levels, slots) under each comparison: the robustness check."""
    found = [headline(effects, r) for r in COMPARISONS]
    rows = pd.DataFrame([r for r in found if r is not None and not pd.isna(r["rapport_taux"])])
    if rows.empty:
        return rows
    rows["ligne"] = [code_label(EFFECTS, "reference", r) for r in rows["reference"]]
    return rows.reset_index(drop=True)


class Ranking(NamedTuple):
    """Quartiers ranked by one measure of the quartier mart, with the mart's columns of its interval."""

    rows: pd.DataFrame
    value: str
    low: str
    high: str
    count: str


# The measure a quartier is ranked by, and its interval, as the mart publishes them (the intervals
# are computed in orchestration.analytics.abords_scolaires, none here).
EXCESS_MEASURE = ("exces_pour_100_creneaux", "exces_ic_bas", "exces_ic_haut")
RATE_MEASURE = ("taux_pour_100_creneaux_classe", "taux_classe_ic_bas", "taux_classe_ic_haut")


def quartier_ranking(quartiers: pd.DataFrame) -> Ranking:
    """Quartiers with schools ranked by the excess per 100 slots (school days minus holidays),
    or, when the data hold no holiday, by the school-day rate; ties by the lower bound of the
    published interval."""
    rows = quartiers[(quartiers["nb_etablissements"] > 0) & (quartiers["nb_creneaux_classe"] > 0)]
    value, low, high = EXCESS_MEASURE if rows["exces_pour_100_creneaux"].notna().any() else RATE_MEASURE
    rows = rows.dropna(subset=[value]).sort_values([value, low], ascending=False, kind="stable").reset_index(drop=True)
    return Ranking(rows, value, low, high, "nb_incidents_creneaux_classe")


def holiday_weekdays(quality: pd.DataFrame | None) -> float | None:
    """Holiday weekdays covered (the fewest over the sources), from the fit-quality mart."""
    if quality is None:
        return None
    rows = quality[quality["indicateur"] == "jours_de_vacances_en_semaine"]["valeur"].dropna()
    return float(rows.min()) if not rows.empty else None


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------


def _render_headline(effects: pd.DataFrame, reference: str, holidays: float | None) -> None:
    """Q1: extra incidents per school and slot (or the ratio against other hours)."""
    st.header("Combien d'incidents en plus aux entrées et sorties ?", divider="gray")
    if reference != HOLIDAYS:
        days = f" ({fr_int(holidays)} jour de semaine de vacances)" if holidays is not None else ""
        st.warning(
            "Les données publiées ne couvrent aucune période de vacances scolaires"
            f"{days} : la comparaison aux mêmes créneaux pendant les vacances est impossible. "
            "La page compare donc les créneaux aux autres heures des mêmes jours de classe."
        )
    row = headline(effects, reference)
    if row is None:
        st.info("Pas assez d'incidents pour estimer l'effet des créneaux.")
        return
    ratio, excess = row["rapport_taux"], row["exces_par_etablissement_creneau"]
    cols = st.columns(3)
    cols[0].metric(
        column_label(EFFECTS, "rapport_taux"),
        fr_measure(ratio, "ratio"),
        help=f"Intervalle à 95 % : {interval_text(row['ic_bas'], row['ic_haut'], 'ratio')}. Comparaison : {code_label(EFFECTS, 'reference', reference)}.",
    )
    if not pd.isna(excess):
        cols[1].metric(
            column_label(EFFECTS, "exces_par_etablissement_creneau"),
            fr_measure(excess, "incidents"),
            help=f"Intervalle à 95 % : {interval_text(row['exces_ic_bas'], row['exces_ic_haut'], 'incidents')}.",
        )
    cols[2].metric(column_label(EFFECTS, "nb_incidents_expose"), fr_int(row["nb_incidents_expose"]))
    sentence = (
        f"Pendant les créneaux des jours de classe, le taux d'incidents aux abords des établissements est "
        f"**{fr_measure(ratio, 'ratio')} fois** celui de la comparaison ({code_label(EFFECTS, 'reference', reference).lower()}), "
        f"intervalle à 95 % {interval_text(row['ic_bas'], row['ic_haut'], 'ratio')}"
    )
    if not pd.isna(excess):
        sentence += f", soit **{fr_measure(excess, 'incidents')} incident(s) en plus** par établissement et par créneau"
    st.markdown(sentence + ".")


def _render_slots(effects: pd.DataFrame, reference: str, uc: UseCase) -> None:
    """Q2: which slot, which level (forest plot), and the three comparisons side by side."""
    st.header("Quel créneau, quel niveau ?", divider="gray")
    rows = slot_rows(effects, reference, uc)
    if rows.empty:
        st.info("Pas assez d'incidents pour comparer les créneaux.")
        return
    compared = code_label(EFFECTS, "reference", reference).lower()
    render_chart(
        forest_plot(
            forest_frame(rows, label="ligne", estimate="rapport_taux", low="ic_bas", high="ic_haut", kind_labels=RATE_KIND_LABELS),
            title=f"Rapport de taux par niveau et créneau (contre : {compared})",
            x_title=f"{column_label(EFFECTS, 'rapport_taux')} (échelle logarithmique, 1 = pas d'effet)",
        ),
        alt_text="Graphique en forêt des rapports de taux par niveau et créneau, avec intervalles à 95 % et ligne à 1.",
        caption="Au-dessus de 1 : plus d'incidents pendant le créneau ; un intervalle qui croise 1 ne permet pas de conclure.",
        key="abords_scolaires-creneaux",
        legend_rows=1,
    )
    excess = rows.dropna(subset=["exces_par_etablissement_creneau"])
    if not excess.empty:
        render_chart(
            interval_chart(
                excess,
                place="ligne",
                value="exces_par_etablissement_creneau",
                low="exces_ic_bas",
                high="exces_ic_haut",
                title="Incidents en excès par établissement et créneau",
                x_title=column_label(EFFECTS, "exces_par_etablissement_creneau"),
            ),
            alt_text="Incidents en excès par établissement et créneau, par niveau et créneau, avec intervalles à 95 %.",
            key="abords_scolaires-exces",
        )
    checks = comparison_rows(effects)
    if len(checks) > 1:
        render_chart(
            forest_plot(
                forest_frame(checks, label="ligne", estimate="rapport_taux", low="ic_bas", high="ic_haut", kind_labels=RATE_KIND_LABELS),
                title="Le même effet selon la comparaison (tous niveaux, tous créneaux)",
                x_title=f"{column_label(EFFECTS, 'rapport_taux')} (échelle logarithmique)",
            ),
            alt_text="Rapport de taux de l'ensemble des créneaux selon chacune des comparaisons, avec intervalles à 95 %.",
            key="abords_scolaires-comparaisons",
            legend_rows=1,
        )
    render_table(
        display_table(
            rows.assign(source=[source_label(s) for s in rows["source"]]),
            EFFECTS,
            [
                "niveau",
                "fenetre",
                "nb_incidents_expose",
                "rapport_taux",
                "ic_bas",
                "ic_haut",
                "exces_par_etablissement_creneau",
                "exces_ic_bas",
                "exces_ic_haut",
            ],
        ),
        alt_text="Effets par niveau et créneau.",
        key="abords_scolaires-creneaux-table",
    )


def _render_quartiers(quartiers: pd.DataFrame) -> None:
    """Q3: where school surroundings concentrate incidents (map with legend, ranked list)."""
    st.header("Dans quels quartiers ?", divider="gray")
    ranking = quartier_ranking(quartiers)
    ranked, value, count = ranking.rows, ranking.value, ranking.count
    if ranked.empty:
        st.info("Aucun quartier avec des établissements et des créneaux comptés.")
        return
    measure = column_label(QUARTIERS, value, unit=False)
    unit = column(QUARTIERS, value).unit
    geojson = load_quartiers_geojson()
    if geojson is not None:
        texts = [with_unit(fr_measure(v, unit), unit) for v in ranked[value]]
        render_map(
            choropleth(geojson, ranked, value=value, value_text=texts, measure=measure, unit=unit),
            legend_chart(float(ranked[value].max()), measure, unit),
            alt_text=f"Carte des quartiers colorés selon : {measure.lower()}.",
            caption=QUARTIERS_ATTRIBUTION,
            key="abords_scolaires-carte",
        )
    top = ranked.head(TOP)
    st.subheader(f"Les {fr_int(len(top))} quartiers en tête : {measure.lower()}")
    labelled = top.assign(lieu=[quartier_label(c) for c in top["code_quartier"]])
    render_chart(
        interval_chart(
            labelled,
            place="lieu",
            value=value,
            low=ranking.low,
            high=ranking.high,
            title=f"{measure} et intervalle à 95 %",
            x_title=column_label(QUARTIERS, value),
        ),
        alt_text=f"Quartiers classés selon : {measure.lower()}, avec intervalles à 95 %.",
        key="abords_scolaires-classement-graphique",
    )
    render_table(
        ranked_list(
            top,
            QUARTIERS,
            place="nom_quartier",
            value=value,
            low=ranking.low,
            high=ranking.high,
            count=count,
            n=TOP,
            place_labels=[quartier_label(c) for c in top["code_quartier"]],
        ),
        alt_text=f"Classement des quartiers selon : {measure.lower()}.",
        key="abords_scolaires-classement",
    )
    st.caption("Intervalle à 95 % publié avec le quartier : exact (Poisson) pour un taux, approché (Wald) pour une différence de taux.")


def render(uc: UseCase) -> None:
    """The school-surroundings page: how many, which slot and level, where, then sources."""
    golds = published_marts(uc)
    if nothing_yet(golds, EFFECTS):
        return
    effects = table(golds, EFFECTS)
    assert effects is not None
    window = window_text(*data_window(effects, EFFECTS))
    st.caption(f"Données {window}, jours où les flux ont livré." if window else "")
    reference = comparison(effects)
    _render_headline(effects, reference, holiday_weekdays(table(golds, QUALITY)))
    _render_slots(effects, reference, uc)
    quartiers = table(golds, QUARTIERS)
    if quartiers is not None:
        _render_quartiers(quartiers)
