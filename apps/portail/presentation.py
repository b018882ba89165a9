"""Turning a published open-data release into what citizens read: sentences, tables, a chart.

Pure functions, no Streamlit calls (the page script draws them).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from apps.formatting import arrondissement_label, fr_int, fr_month, fr_period

SECRET = "secret"


def preview_table(table: pd.DataFrame) -> pd.DataFrame:
    """The CSV for display: French headers, readable months, suppressed counts as ``"secret"``.

    Counts become text on purpose: a blank or ``NaN`` would read as "no data" or "zero", while
    the cell is actually hidden by statistical secrecy.
    """
    shown = pd.DataFrame(
        {
            # Short labels ("1er", "2e") keep the table readable on a phone; the CSV has full names.
            "Arrondissement": table["arrondissement"].astype(str).map(arrondissement_label),
            "Mois": table["mois"].astype(str).map(fr_month),
            "Nature": table["categorie"].astype(str),
            "Interventions": [SECRET if pd.isna(v) else fr_int(v) for v in table["nb_interventions"]],
            "Diffusion": table["diffusion"].astype(str),
        }
    )
    return shown


def schema_preview(table: pd.DataFrame, fields: tuple[dict[str, Any], ...], count_column: str) -> pd.DataFrame:
    """Any release for display: the Table Schema's French titles as headers, masked counts ``"secret"``."""
    titles = {str(f["name"]): str(f.get("title") or f["name"]) for f in fields}
    shown = pd.DataFrame(index=table.index)
    for name in table.columns:
        values = table[name]
        shown[titles.get(name, name)] = (
            [SECRET if pd.isna(v) else fr_int(v) for v in values] if name == count_column else values.astype(str)
        )
    return shown


def police_layout(table: pd.DataFrame) -> bool:
    """The monthly police-interventions layout, the one with a chart of totals per arrondissement."""
    return {"arrondissement", "mois", "categorie", "nb_interventions"} <= set(table.columns)


def months_covered(table: pd.DataFrame) -> tuple[str, str] | None:
    """First and last month (``"YYYY-MM"``) present in the release, or ``None`` if empty."""
    if "mois" not in table.columns:
        return None
    months = sorted(m for m in table["mois"].dropna().astype(str).unique() if m)
    if not months:
        return None
    return months[0], months[-1]


def period_text(table: pd.DataFrame, coverage: dict[str, Any] | None = None) -> str:
    """``"de janvier 2026 à mars 2026"`` (or a single month).

    ``coverage`` is the package's ``temporal_coverage`` (``{"start": "2026-01", "end": ...}``)
    when the publisher declares it; otherwise the months present in the table are used.
    """
    covered: tuple[str, str] | None = None
    if coverage and coverage.get("start") and coverage.get("end"):
        covered = (str(coverage["start"]), str(coverage["end"]))
    else:
        covered = months_covered(table)
    if covered is None:
        return "aucune période"
    first, last = covered
    return fr_period(first) if first == last else f"de {fr_period(first)} à {fr_period(last)}"


def _plural(count: int, singular: str, plural: str) -> str:
    # French: 0 and 1 take the singular.
    return singular if count <= 1 else plural


def disclosure_sentence(disclosure: dict[str, Any]) -> str:
    """The disclosure report in plain French.

    ``{"k_min": 11, "primary_suppressed": 40, "secondary_suppressed": 12, "cells": 600}`` ->
    "Sur 600 cases, 40 cases masquées car inférieures à 11 ; 12 masquées en secret secondaire."
    """
    k_min = int(disclosure.get("k_min", 0))
    primary = int(disclosure.get("primary_suppressed", 0))
    secondary = int(disclosure.get("secondary_suppressed", 0))
    cells = disclosure.get("cells")
    head = f"Sur {fr_int(int(cells))} cases, " if cells is not None else ""
    first = (
        f"{fr_int(primary)} {_plural(primary, 'case masquée', 'cases masquées')} car "
        f"{_plural(primary, 'inférieure', 'inférieures')} à {k_min}"
    )
    second = f"{fr_int(secondary)} {_plural(secondary, 'masquée', 'masquées')} en secret secondaire"
    sentence = f"{head}{first} ; {second}."
    return sentence[0].upper() + sentence[1:]


def licence_markdown(licence: dict[str, Any]) -> str:
    """``[Licence Ouverte 2.0](https://...)``, or the bare title when there is no link."""
    title = licence.get("title") or licence.get("name") or "licence non précisée"
    path = licence.get("path")
    return f"[{title}]({path})" if path else str(title)


def sources_markdown(sources: list[dict[str, Any]]) -> str:
    """A Markdown bullet list of the sources declared in ``datapackage.json``."""
    lines = []
    for source in sources:
        title = source.get("title") or source.get("name") or "source"
        path = source.get("path")
        lines.append(f"- [{title}]({path})" if path else f"- {title}")
    return "\n".join(lines)


def fields_table(fields: tuple[dict[str, Any], ...]) -> pd.DataFrame:
    """The schema of the CSV (name, type, description) for display."""
    return pd.DataFrame([{"Champ": f.get("name", ""), "Type": f.get("type", ""), "Description": f.get("description", "")} for f in fields])


def totals_for_month(table: pd.DataFrame, month: str, total_label: str) -> pd.DataFrame:
    """Published totals ("Toutes natures") per arrondissement for one month; masked rows dropped."""
    rows = table[(table["mois"] == month) & (table["categorie"] == total_label)].copy()
    rows = rows[rows["nb_interventions"].notna()]
    rows["Arrondissement"] = rows["arrondissement"].map(arrondissement_label)
    rows["Interventions"] = rows["nb_interventions"].astype("int64")
    return rows.sort_values("arrondissement")[["arrondissement", "Arrondissement", "Interventions"]]


def totals_chart(totals: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: readable on a phone, arrondissements in their official order."""
    order = totals["Arrondissement"].tolist()
    return (
        alt.Chart(totals)
        .mark_bar()
        .encode(
            y=alt.Y("Arrondissement:N", sort=order, title=None),
            x=alt.X("Interventions:Q", title="Interventions"),
            tooltip=["Arrondissement", "Interventions"],
        )
        # A fixed step per bar: with a fixed total height, labels overlap and Vega hides some.
        .properties(height=alt.Step(26))
    )
