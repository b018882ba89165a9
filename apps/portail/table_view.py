"""What a citizen reads on an open dataset made of rows (``kind: table``): masking, chart, map.

Pure functions (published files and declarations in, sentences / frames / charts out), drawn by
:mod:`apps.portail.dataset_page`. The chart follows what the release holds: ratios with their
interval are a forest plot, 200 m cells a map of squares, anything else one line per measure of
a unit (expected and observed incidents side by side) for the row the reader picks.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import pydeck as pdk

from apps.formatting import fr_int, fr_number, fr_period
from apps.observatoire.charts import zones_deck
from apps.observatoire.components import cell_label, forest_frame, forest_plot, french
from apps.portail.dataset_view import PERIODICITY, class_breaks, colour_for
from orchestration.core.catalog import OpenDataset
from orchestration.core.geography import cell_polygon
from orchestration.core.opendata.periods import period_column

SECRET = "secret"
CELL = "carreau_200m"
NUMERIC = {"integer", "number"}


def typed(table: pd.DataFrame, fields: tuple[dict[str, Any], ...]) -> pd.DataFrame:
    """The CSV as read (strings) with its numeric fields as numbers (empty: masked or absent)."""
    out = table.copy()
    for f in fields:
        name = str(f["name"])
        if name in out and f.get("type") in NUMERIC:
            values = pd.to_numeric(out[name].replace("", None), errors="coerce")
            out[name] = values.astype("Int64") if f.get("type") == "integer" else values.astype("Float64")
    return out


def chart_kind(table: pd.DataFrame) -> str:
    """``forest`` (ratios and intervals), ``cells`` (200 m squares) or ``measures``."""
    if {"ratio", "ic_bas", "ic_haut"} <= set(table.columns):
        return "forest"
    if CELL in table.columns:
        return "cells"
    return "measures"


def masking_sentences(disclosure: dict[str, Any], dataset: OpenDataset) -> list[str]:
    """The release's disclosure report in plain French, every number read from the report."""
    spec = dataset.table
    k = int(disclosure.get("k_min", 0))
    rows = int(disclosure.get("cells", 0) or 0)
    audit = disclosure.get("audit") or {}
    masked = int(audit.get("masked_cells", 0) or 0)
    period = PERIODICITY.get(dataset.temporal_level, dataset.temporal_level)
    sentences = [f"Chaque ligne résume une période {period} close : aucune ne décrit une personne, une adresse ou un moment précis."]
    rule = disclosure.get("rule") or (spec.disclosure_rule if spec else "")
    if rule:
        sentences.append(f"Règle de ce jeu : {rule}")
    if spec is not None and spec.min_count_columns:
        sentences.append(
            f"Sur {fr_int(rows)} lignes publiées, {fr_int(masked)} "
            + ("est masquée" if masked <= 1 else "sont masquées")
            + f" (seuil k = {k})."
        )
    withheld = int(disclosure.get("withheld_groups", 0) or 0)
    if withheld:
        sentences.append(
            f"{fr_int(withheld)} groupe{'s' if withheld > 1 else ''} de lignes "
            + ("n'est pas publié" if withheld == 1 else "ne sont pas publiés")
            + " : leur total est connu par ailleurs, et aucun masquage n'y protégeait une ligne."
        )
    unlisted = int(disclosure.get("rows_not_listed", 0) or 0)
    if unlisted:
        remainder = audit.get("min_nonzero_remainder")
        text = f"{fr_int(unlisted)} lignes ne sont pas listées : elles restent dans le reste de leur zone"
        text += f" (le plus petit reste non nul compte {fr_int(int(remainder))} unités)." if remainder is not None else "."
        sentences.append(text)
    if audit:
        verdict = "réussi" if audit.get("passed") else "échoué"
        text = f"Audit de l'attaquant {verdict} : {audit.get('attacker', '')}."
        width = audit.get("min_interval_width")
        if width is not None and disclosure.get("protection_interval") is not None:
            text += f" L'intervalle le plus étroit qu'il peut déduire couvre {fr_int(int(width))} unités."
        sentences.append(text)
    if disclosure.get("time_consistency"):
        sentences.append(str(disclosure["time_consistency"]))
    return sentences


def forest_rows(table: pd.DataFrame, perimeter: str, factor: str, type_labels: dict[str, str]) -> pd.DataFrame:
    """One factor of one perimeter, ready for the forest plot (masked rows left out)."""
    rows = table[(table["perimetre"] == perimeter) & (table["facteur"] == factor) & table["ratio"].notna()]
    label = "libelle_modalite" if "libelle_modalite" in rows else "modalite"
    return forest_frame(rows, label=label, estimate="ratio", low="ic_bas", high="ic_haut", kind="type_ratio", kind_labels=type_labels)


def forest_chart(rows: pd.DataFrame, title: str) -> alt.TopLevelMixin:
    return french(forest_plot(rows, title=title))


def cell_map(table: pd.DataFrame, count: str, unit: str) -> tuple[pdk.Deck, list[int]]:
    """The listed 200 m cells of one period as coloured squares; returns the deck and its breaks."""
    values = table[count]
    breaks = class_breaks(int(values.dropna().max()) if values.notna().any() else 0)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [cell_polygon(str(row[CELL]), closed=True)]},
            "properties": {
                "nom": cell_label(str(row[CELL]), row.get("code_quartier")),
                "valeur": SECRET if pd.isna(row[count]) else fr_int(int(row[count])),
                "fill_color": list(colour_for(row[count], breaks)),
            },
        }
        for _, row in table.iterrows()
    ]
    deck = zones_deck({"type": "FeatureCollection", "features": features}, "carreaux", "<b>{nom}</b><br/>{valeur} " + unit)
    return deck, breaks


def top_cells_chart(table: pd.DataFrame, count: str, unit: str, n: int = 15) -> alt.TopLevelMixin:
    """The ``n`` listed cells with the most accidents, as horizontal bars named by their place."""
    shown = table[table[count].notna()].nlargest(n, count).copy()
    shown["Carreau"] = [cell_label(str(c), q) for c, q in zip(shown[CELL], shown.get("code_quartier", [None] * len(shown)), strict=True)]
    shown["valeur"] = shown[count].astype("int64")
    chart = (
        alt.Chart(shown[["Carreau", "valeur"]])
        .mark_bar(color="#bd0026")
        .encode(
            y=alt.Y("Carreau:N", sort="-x", title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X("valeur:Q", title=unit),
            tooltip=[alt.Tooltip("Carreau:N"), alt.Tooltip("valeur:Q", title=unit, format=",d")],
        )
        .properties(height=alt.Step(22), width="container", description=f"Les {n} carreaux listés qui comptent le plus d'accidents.")
    )
    return french(chart)


def unit_groups(fields: tuple[dict[str, Any], ...], key: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """Numeric fields grouped by unit (a chart never mixes units): unit -> fields."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in fields:
        if f.get("type") in NUMERIC and str(f["name"]) not in key:
            groups.setdefault(str(f.get("unit") or f.get("title")), []).append(f)
    return groups


def measures_chart(rows: pd.DataFrame, dataset: OpenDataset, group: list[dict[str, Any]], unit: str) -> alt.TopLevelMixin:
    """One line per measure of one unit over the periods of the chosen row (gaps where masked)."""
    period = period_column(dataset.temporal_level)
    frames = []
    for f in group:
        part = pd.DataFrame({"_ordre": rows[period].astype(str), "valeur": rows[str(f["name"])].astype("Float64")})
        part["Mesure"] = str(f.get("title") or f["name"])
        frames.append(part)
    long = pd.concat(frames, ignore_index=True).dropna(subset=["valeur"])
    long["Période"] = long["_ordre"].map(fr_period)
    long["valeur_txt"] = [fr_number(float(v), 3 if unit == "proportion" else 1) for v in long["valeur"]]
    order = long.sort_values("_ordre")["Période"].drop_duplicates().tolist()
    chart = (
        alt.Chart(long[["Période", "Mesure", "valeur", "valeur_txt"]])
        .mark_line(point=True)
        .encode(
            x=alt.X("Période:N", sort=order, title=None),
            y=alt.Y("valeur:Q", title=unit),
            color=alt.Color("Mesure:N", legend=alt.Legend(orient="bottom", columns=1, title=None, labelLimit=360)),
            tooltip=[alt.Tooltip("Période:N"), alt.Tooltip("Mesure:N"), alt.Tooltip("valeur_txt:N", title=unit)],
        )
        .properties(height=300, width="container", description=f"{dataset.title} : {unit} par période, une ligne par mesure.")
    )
    return french(chart)


def preview(table: pd.DataFrame, fields: tuple[dict[str, Any], ...], masked_columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows with French headers and numbers; a masked value reads « secret »."""
    titles = {str(f["name"]): str(f.get("title") or f["name"]) for f in fields}
    kinds = {str(f["name"]): f.get("type") for f in fields}
    shown = pd.DataFrame(index=table.index)
    for name in table.columns:
        values = table[name]
        if kinds.get(name) in NUMERIC:
            decimals = 0 if kinds[name] == "integer" else 3
            texts = [(SECRET if name in masked_columns else "") if pd.isna(v) else fr_number(float(v), decimals) for v in values]
        else:
            texts = values.astype(str).tolist()
        shown[titles.get(name, name)] = texts
    return shown
