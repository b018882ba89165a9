"""Night life, answer first: which quartiers go beyond what their daytime level predicts at night,
at which hours and on which evenings, and what makes the night vary (rain, events, holidays).

Reads the published marts ``vie_nocturne_zones`` (ratio per quartier and kind of night),
``vie_nocturne_profil_horaire`` (ratio per quartier and night hour), ``vie_nocturne_facteurs``
(rate ratios of the factors) and ``vie_nocturne_comptages_horaires`` (counts per hour). Night
hours, weekend evenings and night-life categories are the declared parameters of the use case.
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from apps.formatting import DAYS_FR, fr_date, fr_hour, fr_int, fr_measure
from apps.observatoire.answers.common import RATE_KIND_LABELS, night_window_text, nothing_yet, published_marts, table
from apps.observatoire.components import (
    RATE_RATIO_KIND,
    choropleth,
    code_label,
    column_label,
    display_table,
    forest_frame,
    forest_plot,
    interval_chart,
    legend_chart,
    quartier_label,
    ranked_list,
    render_chart,
    render_map,
    render_table,
)
from apps.published import QUARTIERS_ATTRIBUTION, load_quartiers_geojson
from orchestration.core.catalog import UseCase
from orchestration.core.catalog.parameters import VieNocturneConfig

ZONES = "vie_nocturne_zones"
PROFILE = "vie_nocturne_profil_horaire"
FACTORS = "vie_nocturne_facteurs"
COUNTS = "vie_nocturne_comptages_horaires"
ALL_NIGHTS = "toutes"  # the type_nuit of the ratio over every night (the map's default)
# The factors mart mixes true rate ratios (Poisson GLMs, time as exposure) with the bootstrap
# ratio of excesses of the problem areas: the forest plot must draw them differently.
EXCESS_RATIO_KIND = "rapport_d_exces"
KIND_LABELS = {**RATE_KIND_LABELS, EXCESS_RATIO_KIND: "Rapport d'excès des zones à problème"}
TOP = 10
# A log scale has no 0: an hour with nothing observed is drawn at a floor, under this label.
ZERO_OBSERVED = "0 incident observé"


def config(uc: UseCase) -> VieNocturneConfig:
    """The declared night-life rules (night hours, weekend evenings, categories, thresholds)."""
    return uc.parameters.vie_nocturne  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------------
# The answers, computed from the published marts (no Streamlit)
# ----------------------------------------------------------------------------------------------


def ranked_zones(zones: pd.DataFrame, type_nuit: str = ALL_NIGHTS) -> pd.DataFrame:
    """Quartiers of one kind of night by ratio, highest first (then by lower bound), the order
    :func:`~apps.observatoire.components.ranked_list` keeps (its place labels follow this order).

    A quartier with no expected incident (no daytime activity) has no ratio: it is left out
    rather than shown as a zero."""
    rows = zones[(zones["type_nuit"] == type_nuit) & (zones["nb_attendu"] > 0)]
    return rows.sort_values(["irr", "ic_bas"], ascending=False, kind="stable").reset_index(drop=True)


def zones_window(zones: pd.DataFrame) -> tuple[date | None, date | None, int | None]:
    """First night, last night and number of nights behind the ratios over every night."""
    every = zones[zones["type_nuit"] == ALL_NIGHTS]
    if every.empty:
        return None, None, None
    first = pd.to_datetime(every["premiere_nuit"]).min().date()
    last = pd.to_datetime(every["derniere_nuit"]).max().date()
    return first, last, int(every["nb_nuits"].max())


def complete_nights(counts: pd.DataFrame) -> tuple[date, date] | None:
    """The first and last nights whose every hour lies inside the data.

    Counts start at midnight of their first day, so the night before it has only its small
    hours; the last day's evening has no small hours yet. Both ends are partial."""
    if counts.empty:
        return None
    days = pd.to_datetime(counts["jour"])
    first, last = days.min().date(), days.max().date() - timedelta(days=1)
    return (first, last) if first <= last else None


def night_life_counts(counts: pd.DataFrame, cfg: VieNocturneConfig) -> pd.DataFrame:
    """Rows of the declared night-life categories of each feed, at the declared night hours."""
    pairs = {(feed, str(code)) for feed, codes in cfg.categories.items() for code in codes}
    keep = [(f, str(c)) in pairs for f, c in zip(counts["flux"], counts["code_categorie"], strict=True)]
    return counts[pd.Series(keep, index=counts.index, dtype=bool) & counts["heure"].isin(cfg.heures_nuit)]


def evening_label(weekday: int) -> str:
    """``0`` (Monday, Python's numbering) -> ``"lundi soir"``."""
    return f"{DAYS_FR[(weekday + 1) % 7]} soir"


def evening_hour_means(counts: pd.DataFrame, cfg: VieNocturneConfig) -> pd.DataFrame:
    """Mean night-life incidents per night, for each evening of the week and night hour, over
    complete nights only. Columns: soir (0 = Monday), soir_txt, heure, heure_txt, ordre_heure,
    nb_nuits, nb_incidents (total), par_nuit (mean per night)."""
    window = complete_nights(counts)
    columns = ["soir", "soir_txt", "heure", "heure_txt", "ordre_heure", "nb_nuits", "nb_incidents", "par_nuit"]
    if window is None:
        return pd.DataFrame(columns=columns)
    nights = pd.Series(pd.date_range(window[0], window[1], freq="D"))
    per_evening = nights.dt.weekday.value_counts()
    rows = night_life_counts(counts, cfg)
    night = pd.to_datetime(rows["jour_nuit"])
    rows = rows[(night >= pd.Timestamp(window[0])) & (night <= pd.Timestamp(window[1]))]
    observed = rows.assign(soir=pd.to_datetime(rows["jour_nuit"]).dt.weekday).groupby(["soir", "heure"])["nb_incidents"].sum()
    grid = pd.MultiIndex.from_product([sorted(per_evening.index), list(cfg.heures_nuit)], names=["soir", "heure"])
    out = observed.reindex(grid, fill_value=0).reset_index()
    out["nb_nuits"] = out["soir"].map(per_evening).astype(int)
    out["par_nuit"] = out["nb_incidents"] / out["nb_nuits"]
    out["soir_txt"] = out["soir"].map(evening_label)
    out["heure_txt"] = out["heure"].map(fr_hour)
    out["ordre_heure"] = out["heure"].map({h: i for i, h in enumerate(cfg.heures_nuit)})
    return out[columns]


def quartier_hours(profile: pd.DataFrame, code_quartier: str, cfg: VieNocturneConfig) -> pd.DataFrame:
    """The hourly ratios of one quartier, in the declared order of the night (22 h before 0 h).

    An hour with nothing expected (no daytime activity to scale the city's night by) has no
    ratio: the mart stores 0 there, which would read as "nothing observed", so its ratio and
    bounds become missing (``sans_attendu`` says why). A true 0 (nothing observed where
    something was expected) stays 0, with its exact upper bound."""
    order = {h: i for i, h in enumerate(cfg.heures_nuit)}
    rows = profile[profile["code_quartier"].astype(str) == str(code_quartier)].copy()
    rows["ordre"] = rows["heure"].map(order)
    rows["heure_txt"] = rows["heure"].map(fr_hour)
    rows["sans_attendu"] = ~(rows["nb_attendu"] > 0)
    rows.loc[rows["sans_attendu"], ["irr", "ic_bas", "ic_haut"]] = float("nan")
    return rows.sort_values("ordre").reset_index(drop=True)


def unplaced_hours_text(hours: pd.DataFrame) -> str | None:
    """The sentence under the hourly profile naming the hours a log scale cannot place: those with
    no incident observed (ratio 0, drawn at the floor) with the upper bound of their interval, and
    those without any ratio. ``None`` when every hour has a ratio above 0."""
    zero = hours[(hours["irr"] == 0) & ~hours["sans_attendu"]]
    missing = hours[hours["sans_attendu"]]
    parts = []
    if not zero.empty:
        bounds = ", ".join(
            f"{h} (borne haute de l'intervalle : {fr_measure(b, 'ratio')})" for h, b in zip(zero["heure_txt"], zero["ic_haut"], strict=True)
        )
        parts.append(f"{ZERO_OBSERVED} (ratio 0, triangle au bord gauche du graphique) : {bounds}.")
    if not missing.empty:
        parts.append(f"Pas de ratio, faute d'activité de jour pour le calculer : {', '.join(missing['heure_txt'])}.")
    return " ".join(parts) or None


def problem_hours(profile: pd.DataFrame) -> pd.DataFrame:
    """Quartier-hours flagged as problem hours, highest ratio first."""
    rows = profile[profile["heure_a_probleme"].astype(bool)]
    return rows.sort_values(["irr", "ic_bas"], ascending=False, kind="stable").reset_index(drop=True)


def factor_rows(factors: pd.DataFrame) -> pd.DataFrame:
    """The factors as the forest plot draws them: one row per factor, labelled by its modality
    against its reference, with the kind of ratio (rate ratio or ratio of excesses)."""
    rows = factors.dropna(subset=["irr"]).copy()
    rows["ligne"] = [f"{m} (contre : {r})" for m, r in zip(rows["modalite"], rows["reference"], strict=True)]
    rows["sorte"] = [RATE_RATIO_KIND if str(m).startswith("glm_poisson") else EXCESS_RATIO_KIND for m in rows["modele"]]
    return rows.reset_index(drop=True)


def night_type_options(zones: pd.DataFrame) -> list[str]:
    """Kinds of night present, every night first."""
    kinds = list(dict.fromkeys(zones["type_nuit"].astype(str)))
    return sorted(kinds, key=lambda k: (k != ALL_NIGHTS, k))


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------


def heatmap(means: pd.DataFrame) -> alt.Chart:
    """Evenings of the week x night hours, coloured by the mean incidents per night."""
    hours = means.sort_values("ordre_heure")["heure_txt"].drop_duplicates().tolist()
    evenings = means.sort_values("soir")["soir_txt"].drop_duplicates().tolist()
    means = means.assign(par_nuit_txt=[f"{v:.1f}".replace(".", ",") for v in means["par_nuit"]])
    return (
        alt.Chart(means)
        .mark_rect()
        .encode(
            x=alt.X("heure_txt:N", title="Heure de la nuit", sort=hours, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("soir_txt:N", title=None, sort=evenings),
            color=alt.Color("par_nuit:Q", title="Incidents par nuit", scale=alt.Scale(scheme="yelloworangered")),
            tooltip=[
                alt.Tooltip("soir_txt:N", title="Soir"),
                alt.Tooltip("heure_txt:N", title="Heure"),
                alt.Tooltip("par_nuit_txt:N", title="Incidents par nuit (moyenne)"),
                alt.Tooltip("nb_nuits:Q", title="Nuits comptées"),
            ],
        )
        .properties(
            title="Incidents de vie nocturne par soir et par heure (moyenne par nuit, toute la ville)",
            description="Carte de chaleur : une case par soir de la semaine et heure de nuit, plus foncée quand la moyenne par nuit est plus élevée.",
            height=28 * max(len(evenings), 1) + 40,
            width="container",
        )
    )


def _render_places(zones: pd.DataFrame, cfg: VieNocturneConfig) -> str | None:
    """Q1: problem quartiers on a map and in a ranked list. Returns the top quartier's code."""
    st.header("Où la nuit dépasse-t-elle l'attendu ?", divider="gray")
    kinds = night_type_options(zones)
    kind = st.radio(
        column_label(ZONES, "type_nuit"),
        kinds,
        format_func=lambda k: code_label(ZONES, "type_nuit", k),
        horizontal=True,
        key="vie_nocturne-type_nuit",
    )
    ranked = ranked_zones(zones, kind)
    flagged = ranked[ranked["zone_a_probleme"].astype(bool)]
    rule = cfg.zone_a_probleme
    threshold = f"ratio d'au moins {rule.irr_min:g} et borne basse de l'intervalle au-dessus de {rule.ic_bas_min:g}".replace(".", ",")
    if flagged.empty:
        st.success(f"Aucun quartier n'est une zone à problème ({threshold}).")
    else:
        names = ", ".join(quartier_label(c) for c in flagged["code_quartier"].head(5))
        more = f" et {fr_int(len(flagged) - 5)} autre(s)" if len(flagged) > 5 else ""
        st.markdown(f"**{fr_int(len(flagged))} zone(s) à problème** ({threshold}) : {names}{more}.")
    geojson = load_quartiers_geojson()
    measure = column_label(ZONES, "irr")
    if geojson is not None:
        texts = [f"{v:.2f}".replace(".", ",") for v in ranked["irr"]]
        deck = choropleth(geojson, ranked, value="irr", value_text=texts, measure=measure, unit="ratio")
        maximum = float(ranked["irr"].max()) if not ranked.empty else 1.0
        render_map(
            deck,
            legend_chart(maximum, measure, None),
            alt_text=f"Carte des quartiers colorés selon le {measure.lower()} de la nuit ({code_label(ZONES, 'type_nuit', kind)}).",
            caption=QUARTIERS_ATTRIBUTION,
            key="vie_nocturne-carte",
        )
    top = ranked.head(TOP)
    st.subheader(f"Les {fr_int(len(top))} quartiers au ratio le plus élevé")
    render_chart(
        interval_chart(
            top.assign(lieu=[quartier_label(c) for c in top["code_quartier"]]),
            place="lieu",
            value="irr",
            low="ic_bas",
            high="ic_haut",
            title=f"{measure} et intervalle à 95 %",
            x_title=f"{measure} (1 = quartier ordinaire)",
        ),
        alt_text="Quartiers classés par ratio d'activité nocturne, avec leur intervalle à 95 %.",
        key="vie_nocturne-classement-graphique",
    )
    render_table(
        ranked_list(
            top,
            ZONES,
            place="nom_quartier",
            value="irr",
            low="ic_bas",
            high="ic_haut",
            count="nb_observe",
            n=TOP,
            place_labels=[quartier_label(c) for c in top["code_quartier"]],
        ),
        alt_text="Classement des quartiers par ratio d'activité nocturne.",
        key="vie_nocturne-classement",
    )
    return str(ranked["code_quartier"].iloc[0]) if not ranked.empty else None


def _render_hours(profile: pd.DataFrame | None, counts: pd.DataFrame | None, top_code: str | None, cfg: VieNocturneConfig) -> None:
    """Q2: at which hours and on which evenings."""
    st.header("À quelles heures, et quels soirs ?", divider="gray")
    if counts is not None:
        means = evening_hour_means(counts, cfg)
        window = complete_nights(counts)
        if not means.empty and window is not None:
            render_chart(
                heatmap(means),
                alt_text="Incidents de vie nocturne par soir de la semaine et heure de nuit, moyenne par nuit.",
                caption=(
                    f"Nuits complètes du {fr_date(window[0])} au {fr_date(window[1])} ; la première et la dernière nuit "
                    "des données, incomplètes (partielles), sont écartées."
                ),
                key="vie_nocturne-soirs-heures",
            )
    if profile is None:
        return
    hours = problem_hours(profile)
    if hours.empty:
        st.markdown("Aucune heure à problème dans un quartier.")
    else:
        st.subheader("Heures à problème")
        labels = [f"{quartier_label(c)}, {fr_hour(h)}" for c, h in zip(hours["code_quartier"], hours["heure"], strict=True)]
        render_table(
            ranked_list(
                hours,
                PROFILE,
                place="nom_quartier",
                value="irr",
                low="ic_bas",
                high="ic_haut",
                count="nb_observe",
                n=TOP,
                place_labels=labels,
            ),
            alt_text="Heures à problème classées par ratio.",
            key="vie_nocturne-heures-probleme",
        )
    codes = sorted(profile["code_quartier"].astype(str).unique(), key=quartier_label)
    if not codes:
        return
    default = codes.index(top_code) if top_code in codes else 0
    chosen = st.selectbox("Profil horaire du quartier", codes, index=default, format_func=quartier_label, key="vie_nocturne-quartier")
    rows = quartier_hours(profile, chosen, cfg)
    render_chart(
        forest_plot(
            forest_frame(rows, label="heure_txt", estimate="irr", low="ic_bas", high="ic_haut", kind_labels=RATE_KIND_LABELS),
            title=f"{quartier_label(chosen)} : {column_label(PROFILE, 'irr').lower()} par heure de nuit",
            x_title=f"{column_label(PROFILE, 'irr')} (échelle logarithmique, 1 = quartier ordinaire)",
            row_title=column_label(PROFILE, "heure", unit=False),
            zero_label=ZERO_OBSERVED,
        ),
        alt_text=f"Ratio d'activité nocturne de {quartier_label(chosen)} par heure de nuit, avec intervalles à 95 %.",
        caption=unplaced_hours_text(rows),
        key="vie_nocturne-profil",
        legend_rows=1 + int(bool((rows["irr"] == 0).any())),
    )


def _render_factors(factors: pd.DataFrame) -> None:
    """Q3: rain, events, holidays, weekend evenings, as a forest plot and its table."""
    st.header("Qu'est-ce qui fait varier la nuit ?", divider="gray")
    rows = factor_rows(factors)
    if rows.empty:
        st.info("Pas assez de nuits pour estimer l'effet des facteurs.")
        return
    render_chart(
        forest_plot(
            forest_frame(rows, label="ligne", estimate="irr", low="ic_bas", high="ic_haut", kind="sorte", kind_labels=KIND_LABELS),
            title="Effet des facteurs sur l'activité nocturne",
            x_title=f"{column_label(FACTORS, 'irr')} (échelle logarithmique, 1 = pas d'effet)",
        ),
        alt_text="Graphique en forêt des facteurs de l'activité nocturne : rapport et intervalle à 95 %, ligne à 1.",
        caption="Au-dessus de 1 : plus d'incidents la nuit quand le facteur est présent ; l'intervalle qui croise 1 ne permet pas de conclure.",
        key="vie_nocturne-facteurs",
        legend_rows=int(rows["sorte"].nunique()),
    )
    render_table(
        display_table(rows, FACTORS, ["modalite", "reference", "irr", "ic_bas", "ic_haut", "p_valeur"]),
        alt_text="Facteurs de l'activité nocturne et leurs intervalles.",
        key="vie_nocturne-facteurs-table",
    )


def render(uc: UseCase) -> None:
    """The night-life page: places, then hours and evenings, then factors, then sources."""
    cfg = config(uc)
    golds = published_marts(uc)
    if nothing_yet(golds, ZONES):
        return
    zones = table(golds, ZONES)
    assert zones is not None
    first, last, nights = zones_window(zones)
    st.caption(
        f"Données : {night_window_text(first, last, nights)}. La première et la dernière nuit ne sont couvertes qu'en partie "
        "(partielles) ; les nuits avec un événement à proximité sont écartées des ratios."
    )
    top_code = _render_places(zones, cfg)
    _render_hours(table(golds, PROFILE), table(golds, COUNTS), top_code, cfg)
    factors = table(golds, FACTORS)
    if factors is not None:
        _render_factors(factors)
