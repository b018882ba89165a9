"""Road safety: where accidents concentrate, which factors weigh, what lighting outages do.

One perimeter at a time (the real 2018 BAAC, a simulated year, a police period): numbers from
different perimeters are never drawn together. The hotspots come first (map with its legend and
a ranked list with intervals, quartiers then 200 m cells), then the factors as a forest plot where
true rate ratios (time as exposure) are visibly distinct from count and severity ratios, then the
night accidents near lighting outages.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.formatting import fr_date, fr_int, fr_measure, fr_number
from apps.observatoire.components import (
    RATE_RATIO_KIND,
    cell_label,
    cells_map,
    choropleth,
    code_label,
    column,
    column_label,
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
from apps.published import NO_DATA_MESSAGE, QUARTIERS_ATTRIBUTION, load_gold_table, load_quartiers_geojson
from orchestration.core.catalog import UseCase, feeds
from orchestration.core.catalog.mart_schema import code_labels

HOTSPOTS = "securite_routiere_points_chauds_quartier"
CELLS = "securite_routiere_points_chauds_carreaux"
FACTORS = "securite_routiere_facteurs"
OUTAGES = "securite_routiere_pannes_eclairage"
TOP = 10
REAL_MARK = "réel"  # the real BAAC perimeter's name says so ("BAAC 2018 réel")


def perimeters(*tables: pd.DataFrame | None) -> list[str]:
    """Every perimeter of the published tables: the real data first, then the BAAC years (newest
    first), then the other sources."""
    found = {str(p) for t in tables if t is not None and "perimetre" in t.columns for p in t["perimetre"].dropna().unique()}

    def order(name: str) -> tuple[bool, bool, int, str]:
        year = int(digits) if (digits := "".join(ch for ch in name.split()[-1] if ch.isdigit())) else 0
        return (REAL_MARK not in name, "BAAC" not in name, -year, name)

    return sorted(found, key=order)


def reference_label(facteur: str, reference: str, libelles: pd.Series) -> str:
    """The reference level of a factor in words, from the partner feed's declared codes: the
    feed column whose code labels include the rows' own labels says what the code means."""
    shown = set(libelles.dropna().astype(str))
    for feed in feeds().values():
        for col in feed.columns:
            if col.codes and reference in col.codes and shown & set(col.codes.values()):
                return col.codes[reference]
    return reference.replace("_", " ")


def factor_rows(factors: pd.DataFrame) -> pd.DataFrame:
    """The estimated effects of one perimeter, true rate ratios first, with a readable row label
    (the modality, and the sort of ratio when it is not a rate ratio) and the reference in words."""
    rows = factors[factors["ratio"].notna()].copy()
    refs = {
        f: reference_label(str(f), str(grp["modalite_reference"].iloc[0]), grp["libelle_modalite"]) for f, grp in rows.groupby("facteur")
    }
    rows["reference_txt"] = rows["facteur"].map(refs)
    rows["ligne"] = [
        str(lib) if k == RATE_RATIO_KIND else f"{lib} · {code_label(FACTORS, 'type_ratio', k).split(' (')[0].lower()}"
        for lib, k in zip(rows["libelle_modalite"], rows["type_ratio"], strict=True)
    ]
    rows["taux_d_abord"] = rows["type_ratio"] != RATE_RATIO_KIND
    has_rate = rows.groupby("facteur")["taux_d_abord"].transform("min")
    return rows.assign(facteur_sans_taux=has_rate).sort_values(
        ["facteur_sans_taux", "facteur", "taux_d_abord", "type_ratio", "modalite"], kind="stable"
    )


def _hotspots(table: pd.DataFrame, perimetre: str) -> None:
    rows = table[table["perimetre"] == perimetre].sort_values("taux_lisse_km2_an", ascending=False, ignore_index=True)
    st.subheader("Où se concentrent les accidents")
    if rows.empty:
        st.info(f"Pas de taux par quartier pour le périmètre {perimetre} (pas d'accidents localisés de cette source).")
        return
    n_hot = int(rows["point_chaud"].astype(bool).sum())
    cols = st.columns(3)
    cols[0].metric("Quartiers points chauds", fr_int(n_hot))
    cols[1].metric(column_label(HOTSPOTS, "nb_accidents", unit=False), fr_int(int(rows["nb_accidents"].sum())))
    city = rows["taux_ville_km2_an"].dropna()
    cols[2].metric(column_label(HOTSPOTS, "taux_ville_km2_an"), fr_measure(city.iloc[0]) if not city.empty else "–")
    measure, unit = column_label(HOTSPOTS, "taux_lisse_km2_an", unit=False), column(HOTSPOTS, "taux_lisse_km2_an").unit
    geojson = load_quartiers_geojson()
    if geojson is not None:
        texts = [
            f"{fr_measure(v)} {unit} {interval_text(lo, hi)}"
            for v, lo, hi in zip(rows["taux_lisse_km2_an"], rows["ic_bas_lisse"], rows["ic_haut_lisse"], strict=True)
        ]
        deck = choropleth(geojson, rows, value="taux_lisse_km2_an", value_text=texts, measure=measure, unit=unit)
        render_map(
            deck,
            legend_chart(float(rows["taux_lisse_km2_an"].max()), measure, unit),
            alt_text=f"Carte des quartiers de Marseille colorés selon le {measure.lower()} d'accidents ({unit}), périmètre {perimetre}.",
            caption=f"Périmètre {perimetre}. Taux lissé par Bayes empirique (les petits quartiers sont ramenés vers la moyenne). {QUARTIERS_ATTRIBUTION}",
            key="carte-quartiers",
        )
    st.markdown(f"**Les {TOP} quartiers au taux le plus élevé** (point chaud : selon la règle déclarée)")
    top = rows.head(TOP)
    table_top = ranked_list(
        top,
        HOTSPOTS,
        place="code_quartier",
        value="taux_lisse_km2_an",
        low="ic_bas_lisse",
        high="ic_haut_lisse",
        count="nb_accidents",
        n=TOP,
    )
    table_top[column_label(HOTSPOTS, "point_chaud")] = ["oui" if v else "non" for v in top["point_chaud"].astype(bool)]
    render_table(
        table_top, alt_text=f"Les {TOP} quartiers au taux lissé le plus élevé, avec intervalle et nombre d'accidents", key="top-quartiers"
    )
    ranked = top.assign(lieu=[quartier_label(c) for c in top["code_quartier"]])
    render_chart(
        interval_chart(
            ranked,
            place="lieu",
            value="taux_lisse_km2_an",
            low="ic_bas_lisse",
            high="ic_haut_lisse",
            title=f"{measure} et intervalle crédible à 95 %",
            x_title=f"{measure} ({unit})",
        ),
        alt_text=f"{measure} des {TOP} premiers quartiers avec leur intervalle crédible à 95 %.",
        key="intervalles-quartiers",
    )


def _cells(table: pd.DataFrame, perimetre: str) -> None:
    if not (table["perimetre"] == perimetre).any():
        return  # said by the quartier section
    rows = table[(table["perimetre"] == perimetre) & table["point_chaud"].astype(bool)]
    rows = rows.sort_values(["nb_accidents", "rapport_attendu"], ascending=False, ignore_index=True)
    st.markdown(f"**Carreaux de 200 m signalés** ({fr_int(len(rows))})")
    if rows.empty:
        st.caption("Aucun carreau de 200 m ne passe la règle déclarée sur ce périmètre.")
        return
    labels = [cell_label(c, q) for c, q in zip(rows["carreau_200m"], rows["code_quartier"], strict=True)]
    texts = [
        f"{fr_int(n)} accident(s), {fr_number(r, 1)} fois l'attendu"
        for n, r in zip(rows["nb_accidents"], rows["rapport_attendu"], strict=True)
    ]
    measure = column_label(CELLS, "nb_accidents", unit=False)
    render_map(
        cells_map(
            rows,
            cell="carreau_200m",
            value="nb_accidents",
            labels=labels,
            value_text=texts,
            measure=measure,
            outline=load_quartiers_geojson(),
        ),
        legend_chart(float(rows["nb_accidents"].max()), measure, column(CELLS, "nb_accidents").unit),
        alt_text=f"Carte des carreaux de 200 m signalés, colorés selon le nombre d'accidents, périmètre {perimetre}.",
        caption="Carreaux de 200 m de la grille INSEE où les accidents dépassent nettement le fond de leur quartier.",
        key="carte-carreaux",
    )
    table_cells = ranked_list(
        rows, CELLS, place="carreau_200m", value="nb_accidents", low="ic_bas", high="ic_haut", n=TOP, place_labels=labels
    )
    table_cells[column_label(CELLS, "rapport_attendu")] = [fr_number(v, 1) for v in rows["rapport_attendu"].head(TOP)]
    render_table(table_cells, alt_text="Carreaux de 200 m signalés, du plus accidenté au moins accidenté", key="top-carreaux")


def _factors(table: pd.DataFrame, perimetre: str) -> None:
    st.subheader("Quels facteurs pèsent")
    selected = table[table["perimetre"] == perimetre]
    rows = factor_rows(selected)
    if rows.empty:
        st.info(f"Aucun effet estimé sur le périmètre {perimetre}.")
        return
    st.caption(
        "Un graphique en forêt par facteur : rapport estimé et intervalle de confiance à 95 %, ligne verticale à 1 (pas de différence avec la référence), "
        "échelle logarithmique. Ronds pleins et traits continus : vrais rapports de taux (exposition = temps : heure, pluie mesurée). "
        "Losanges vides et tirets : rapports de comptes (sans exposition : plus d'accidents de jour ne veut pas dire plus de risque) "
        "et risques relatifs de gravité (part d'accidents graves)."
    )
    kinds = code_labels(FACTORS)["type_ratio"]
    facteurs = list(dict.fromkeys(rows["facteur"]))
    tabs = st.tabs([code_label(FACTORS, "facteur", f) for f in facteurs])
    for tab, facteur in zip(tabs, facteurs, strict=True):
        part = rows[rows["facteur"] == facteur]
        name = code_label(FACTORS, "facteur", facteur)
        with tab:
            forest = forest_frame(part, label="ligne", estimate="ratio", low="ic_bas", high="ic_haut", kind="type_ratio", kind_labels=kinds)
            render_chart(
                forest_plot(
                    forest,
                    title=f"{name} : effet par rapport à « {part['reference_txt'].iloc[0]} » ({perimetre})",
                    kind_title=column_label(FACTORS, "type_ratio"),
                ),
                alt_text=f"Graphique en forêt, {name}, périmètre {perimetre} : rapport estimé et intervalle de confiance à 95 % par modalité, ligne verticale à 1.",
                key=f"foret-{facteur}",
                legend_rows=forest["sorte"].nunique(),
            )
            values = pd.DataFrame(
                {
                    column_label(FACTORS, "libelle_modalite"): forest["ligne"],
                    column_label(FACTORS, "type_ratio"): forest["sorte"],
                    column_label(FACTORS, "ratio"): forest["estimation_txt"],
                    "IC à 95 %": forest["intervalle_txt"],
                    column_label(FACTORS, "nb_evenements", unit=False): [fr_int(v) for v in part["nb_evenements"]],
                }
            )
            render_table(values, alt_text=f"Valeurs du graphique en forêt, {name}", key=f"valeurs-{facteur}", max_height=320)
    missing = selected[selected["ratio"].isna()]
    if not missing.empty:
        st.caption(
            "Non estimé : "
            + " ; ".join(
                f"{code_label(FACTORS, 'facteur', f)} ({lib})"
                for f, lib in zip(missing["facteur"], missing["libelle_modalite"], strict=True)
            )
            + "."
        )


def _outages(table: pd.DataFrame, perimetre: str) -> None:
    st.subheader("Pannes d'éclairage et accidents de nuit")
    rows = table[table["perimetre"] == perimetre]
    if rows.empty:
        rows = table  # the outages are measured on their own periods: each row names its perimeter
    for _, row in rows.iterrows():
        period = f"du {fr_date(pd.Timestamp(row['periode_debut']).date())} au {fr_date(pd.Timestamp(row['periode_fin']).date())}"
        st.markdown(
            f"**{row['perimetre']}** ({period}, {fr_int(row['nb_pannes'])} pannes, rayon {fr_int(row['rayon_m'])} m) : "
            f"{fr_number(row['taux_panne_1000h'], 1)} événements de nuit pour 1 000 h pendant les pannes, "
            f"contre {fr_number(row['taux_reference_1000h'], 1)} les autres nuits ; "
            f"rapport de taux {fr_number(row['irr'], 2)} {interval_text(row['ic_bas'], row['ic_haut'], 'ratio')}."
        )
    forest = forest_frame(
        rows.assign(ligne=[f"{p} : {s}" for p, s in zip(rows["perimetre"], rows["source"], strict=True)]),
        label="ligne",
        estimate="irr",
        low="ic_bas",
        high="ic_haut",
        kind="type_ratio",
        kind_labels=code_labels(OUTAGES)["type_ratio"],
    )
    render_chart(
        forest_plot(
            forest, title="Pendant une panne, rapport au taux des autres nuits (IC à 95 %)", kind_title=column_label(OUTAGES, "type_ratio")
        ),
        alt_text="Rapport de taux des événements de nuit pendant les pannes d'éclairage, par source, avec intervalle à 95 %, ligne verticale à 1.",
        caption="Événements de nuit dans la zone d'une panne pendant la panne, comparés aux mêmes zones les autres nuits (Mantel-Haenszel).",
        key="foret-pannes",
    )


def render(uc: UseCase) -> None:
    """The road-safety answer for one perimeter chosen by the analyst."""
    del uc
    hotspots, cells, factors, outages = (load_gold_table(m) for m in (HOTSPOTS, CELLS, FACTORS, OUTAGES))
    tables = [t.table if t is not None else None for t in (hotspots, cells, factors)]
    options = perimeters(*tables)
    if not options:
        st.info(NO_DATA_MESSAGE)
        return
    perimetre = st.selectbox(
        "Périmètre",
        options,
        key="perimetre",
        help="Une source et une période à la fois : le BAAC réel de 2018 et les années simulées ne sont jamais mélangés.",
    )
    if hotspots is not None:
        _hotspots(hotspots.table, perimetre)
    if cells is not None:
        _cells(cells.table, perimetre)
    if factors is not None:
        _factors(factors.table, perimetre)
    if outages is not None and not outages.table.empty:
        _outages(outages.table, perimetre)
