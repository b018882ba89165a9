"""Filtering, aggregation, chart and map builders for the Observatoire page.

Pure functions (pandas in, Altair / pydeck objects out), no Streamlit calls, so they can be
tested on their own and the page script stays a readable sequence of sections.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import pydeck as pdk

from apps.formatting import arrondissement_label, fr_int

# Marseille, framed so that the whole commune (islands included) fits a 520 px high map.
MARSEILLE_VIEW = pdk.ViewState(latitude=43.285, longitude=5.40, zoom=9.9, pitch=0, bearing=0)

# Sequential yellow -> dark red palette (ColorBrewer YlOrRd, colour-blind safe), RGB.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 255, 178),
    (254, 204, 92),
    (253, 141, 60),
    (240, 59, 32),
    (189, 0, 38),
)
NO_INCIDENT_COLOUR = (230, 230, 230)

# A base map with no tiles at all: a plain background, as an inline (data:) MapLibre style.
# Why not ``map_style=None``: Streamlit then substitutes its theme's Carto base map and the
# browser fetches https://basemaps.cartocdn.com/... (caught by the browser test). The quartier
# polygons are the geography here; no third party learns who looks at the observatory.
OFFLINE_MAP_STYLE = "data:application/json;charset=utf-8," + urllib.parse.quote(
    json.dumps(
        {
            "version": 8,
            "sources": {},
            "layers": [{"id": "fond", "type": "background", "paint": {"background-color": "#eef1f4"}}],
        },
        separators=(",", ":"),
    )
)


def filter_incidents(
    table: pd.DataFrame,
    start: date,
    end: date,
    categories: Sequence[str] = (),
    arrondissements: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows of the gold mart within ``[start, end]``; an empty selection means "all"."""
    mask = (table["jour"] >= pd.Timestamp(start)) & (table["jour"] <= pd.Timestamp(end))
    if categories:
        mask &= table["categorie"].isin(list(categories))
    if arrondissements:
        mask &= table["arrondissement"].isin(list(arrondissements))
    return table.loc[mask]


def daily_by_category(rows: pd.DataFrame) -> pd.DataFrame:
    """Daily incident counts per category (the time-series data)."""
    return rows.groupby(["jour", "categorie"], as_index=False, observed=True)["nb_incidents"].sum().sort_values(["jour", "categorie"])


def daily_chart(daily: pd.DataFrame) -> alt.Chart:
    """Stacked daily bars by category. Vega-Lite is bundled with Streamlit: no network needed."""
    return (
        alt.Chart(daily)
        .mark_bar()
        .encode(
            # Day/month formats are numeric so that no English month name appears.
            x=alt.X("yearmonthdate(jour):T", title="Jour", axis=alt.Axis(format="%d/%m", labelAngle=0)),
            y=alt.Y("sum(nb_incidents):Q", title="Incidents"),
            # tableau20: the default 10-colour scheme repeats colours with the feed's 12 categories.
            color=alt.Color(
                "categorie:N",
                title="Catégorie",
                scale=alt.Scale(scheme="tableau20"),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=320),
            ),
            tooltip=[
                alt.Tooltip("yearmonthdate(jour):T", title="Jour", format="%d/%m/%Y"),
                alt.Tooltip("categorie:N", title="Catégorie"),
                alt.Tooltip("sum(nb_incidents):Q", title="Incidents"),
            ],
        )
    )


def daily_chart_height(daily: pd.DataFrame, plot: int = 300) -> int:
    """Pixel height for ``st.altair_chart``: Streamlit fits plot AND legend into it, so the
    bottom legend (two columns, ~18 px a row) is added to the plot's own height."""
    legend_rows = -(-daily["categorie"].nunique() // 2)
    return plot + 70 + 18 * legend_rows


def counts_by_quartier(rows: pd.DataFrame) -> pd.DataFrame:
    """Incidents per quartier, largest first (code, name, arrondissement, count)."""
    counts = (
        rows.groupby(["code_quartier", "nom_quartier", "arrondissement"], as_index=False, observed=True)["nb_incidents"]
        .sum()
        .sort_values(["nb_incidents", "nom_quartier"], ascending=[False, True], ignore_index=True)
    )
    return counts[counts["nb_incidents"] > 0].reset_index(drop=True)


def top_quartiers(counts: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` quartiers with most incidents, with French column names and their share."""
    total = int(counts["nb_incidents"].sum())
    top = counts.head(n).copy()
    top["part"] = top["nb_incidents"] / total * 100 if total else 0.0
    top["arrondissement"] = top["arrondissement"].map(arrondissement_label)
    top.insert(0, "rang", range(1, len(top) + 1))
    return top.rename(
        columns={
            "rang": "Rang",
            "nom_quartier": "Quartier",
            "arrondissement": "Arrondissement",
            "nb_incidents": "Incidents",
            "part": "Part (%)",
        }
    )[["Rang", "Quartier", "Arrondissement", "Incidents", "Part (%)"]]


def colour_for(count: int, maximum: int) -> list[int]:
    """RGBA fill for a quartier: grey when no incident, else the palette interpolated linearly."""
    if not count > 0 or not maximum > 0:  # also NaN: no value is drawn as "nothing here"
        return [*NO_INCIDENT_COLOUR, 140]
    position = min(count / maximum, 1.0) * (len(PALETTE) - 1)
    low = int(position)
    high = min(low + 1, len(PALETTE) - 1)
    weight = position - low
    rgb = [round(a + (b - a) * weight) for a, b in zip(PALETTE[low], PALETTE[high], strict=True)]
    return [*rgb, 200]


def coloured_quartiers(geojson: dict[str, Any], counts: pd.DataFrame) -> tuple[dict[str, Any], int]:
    """A copy of the quartier polygons with the count, labels and fill colour in each feature.

    Quartiers without incidents stay on the map (grey) so an empty area reads as "zero", not as
    a hole. Returns the feature collection and the maximum count (for the legend).
    """
    # Counts stay integers; the use-case pages also map rates and ratios (floats).
    values = counts["nb_incidents"]
    integral = bool(pd.api.types.is_integer_dtype(values))
    by_code = dict(zip(counts["code_quartier"].astype(str), values.astype(int if integral else float), strict=True))
    maximum = max(by_code.values(), default=0)
    coloured = copy.deepcopy(geojson)
    for feature in coloured["features"]:
        props = feature["properties"]
        count = by_code.get(str(props.get("code_qua")), 0)
        props["nb_incidents"] = count
        props["nb_incidents_txt"] = fr_int(count) if integral else f"{count:.2f}".replace(".", ",")
        props["arrondissement_txt"] = arrondissement_label(str(props.get("DEPCO", "")))
        props["fill_color"] = colour_for(count, maximum)
    return coloured, maximum


def zones_deck(geojson: dict[str, Any], layer_id: str, tooltip_html: str) -> pdk.Deck:
    """Coloured zones (``properties.fill_color``) over a tile-less background: every zone map's deck."""
    layer = pdk.Layer(
        "GeoJsonLayer",
        id=layer_id,
        data=geojson,
        stroked=True,
        filled=True,
        pickable=True,
        get_fill_color="properties.fill_color",
        get_line_color=[90, 90, 90, 200],
        line_width_min_pixels=0.5,
    )
    return pdk.Deck(
        layers=[layer],
        initial_view_state=MARSEILLE_VIEW,
        map_style=OFFLINE_MAP_STYLE,
        tooltip={"html": tooltip_html, "style": {"fontSize": "0.85rem"}},
    )


def quartier_map(geojson: dict[str, Any], counts: pd.DataFrame, unit: str = "incident(s)") -> tuple[pdk.Deck, int]:
    """Choropleth of incidents by quartier over a tile-less background (see ``OFFLINE_MAP_STYLE``)."""
    coloured, maximum = coloured_quartiers(geojson, counts)
    deck = zones_deck(coloured, "quartiers", "<b>{nom}</b> ({arrondissement_txt})<br/>{nb_incidents_txt} " + unit)
    return deck, maximum
