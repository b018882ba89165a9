"""Building blocks of the answer-first analyst pages, driven by the marts' declarations.

Every heading, axis title, legend and table header comes from the mart's declared columns
(``label``, ``unit``, ``description``, ``codes`` in ``catalog/use_cases/<use_case>.yaml``, read
through :mod:`orchestration.core.catalog.mart_schema`); nothing here restates a column by hand.

Pure builders (pandas in, Altair / pydeck / pandas out) are separate from the few ``render_*``
functions that call Streamlit, so they can be unit-tested without a page. All charts carry the
French Vega locale (:data:`apps.formatting.VEGA_NUMBER_LOCALE`, :data:`VEGA_TIME_LOCALE`) in
their own spec: no network, no dependence on the browser's language. Maps are drawn over a
tile-less background and always come with a legend naming the measure and its unit.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

import altair as alt
import pandas as pd
import pydeck as pdk
import streamlit as st

from apps.formatting import (
    MISSING,
    VEGA_NUMBER_LOCALE,
    VEGA_TIME_LOCALE,
    arrondissement_label,
    fr_bool,
    fr_date,
    fr_datetime_local,
    fr_day,
    fr_int,
    fr_measure,
    fr_month,
    fr_number,
    fr_text,
    is_missing,
    smart_decimals,
)
from apps.observatoire.charts import MARSEILLE_VIEW, OFFLINE_MAP_STYLE, PALETTE, colour_for
from orchestration.core.catalog import MartSpec
from orchestration.core.catalog.mart_schema import MartColumn, code_labels, columns, spec
from orchestration.core.geography import cell_centre, cell_polygon, parse_cell
from orchestration.core.settings import REFERENCE_DIR

QUARTIERS_CSV = REFERENCE_DIR / "quartiers-marseille.csv"
PARTIAL = "partiel"
QUARTIER_HEADING = "Quartier"  # heading of a quartier code shown as its name (reference geography)
# The ratio kind that is a true rate ratio (time is the exposure); the marts' ``type_ratio``
# column declares its codes and their labels (securite_routiere.yaml).
RATE_RATIO_KIND = "rapport_de_taux"
LEGEND_BAR_PX = 22
PALETTE_HEX = tuple("#{:02x}{:02x}{:02x}".format(*rgb) for rgb in PALETTE)

# ----------------------------------------------------------------------------------------------
# Declarations: labels, units, codes
# ----------------------------------------------------------------------------------------------


def column(mart: str | MartSpec, name: str) -> MartColumn:
    """The declared column ``name`` of ``mart`` (KeyError naming both if undeclared)."""
    for declared in columns(mart):
        if declared.name == name:
            return declared
    raise KeyError(f"{spec(mart).name} has no declared column {name!r}")


def column_label(mart: str | MartSpec, name: str, unit: bool = True) -> str:
    """The declared French label, with the unit in brackets when there is one: ``"Taux lissé
    (accidents/km²/an)"``. Ratios and proportions keep their bare label."""
    declared = column(mart, name)
    if unit and declared.unit and declared.unit not in ("ratio", "proportion"):
        return f"{declared.label} ({declared.unit})"
    return declared.label


def code_label(mart: str | MartSpec, name: str, value: object) -> str:
    """The declared label of a coded value (``"daily"`` -> ``"quotidienne"``), else the value."""
    if is_missing(value):
        return MISSING
    return code_labels(mart).get(name, {}).get(str(value), str(value))


def feed_title(name: object) -> str:
    """A partner feed's declared title instead of its catalog name (``flux`` columns)."""
    from orchestration.core.catalog import feeds

    declared = feeds().get(str(name))
    return declared.title if declared else str(name)


# ----------------------------------------------------------------------------------------------
# Reference geography: quartier names instead of codes, readable grid-cell places
# ----------------------------------------------------------------------------------------------


@cache
def quartiers() -> dict[str, tuple[str, str]]:
    """INSEE quartier code -> (name, arrondissement code), from the reference geography."""
    with QUARTIERS_CSV.open(encoding="utf-8") as handle:
        return {row["code_qua"]: (row["nom"], row["arrondissement"]) for row in csv.DictReader(handle)}


def quartier_label(code: object, with_arrondissement: bool = True) -> str:
    """``"1320103"`` -> ``"Noailles (1er)"``; an unknown code is shown as it is."""
    if is_missing(code):
        return MISSING
    found = quartiers().get(str(code))
    if found is None:
        return str(code)
    name, arrondissement = found
    return f"{name} ({arrondissement_label(arrondissement)})" if with_arrondissement else name


def cell_label(cell_id: str, quartier_code: object = None) -> str:
    """A readable place for a grid cell, never its id: ``"Noailles (1er), carreau de 200 m
    autour de 43,2976° N 5,3810° E"``."""
    size, _, _ = parse_cell(cell_id)
    lat, lon = cell_centre(cell_id)
    where = f"carreau de {size} m autour de {fr_number(lat, 4)}° N {fr_number(lon, 4)}° E"
    return f"{quartier_label(quartier_code)}, {where}" if not is_missing(quartier_code) else where.capitalize()


# ----------------------------------------------------------------------------------------------
# Values and tables in French
# ----------------------------------------------------------------------------------------------


def format_value(value: object, declared: MartColumn, mart: str | MartSpec | None = None) -> str:
    """One value as the page shows it, from its column's declared type, unit and codes."""
    if is_missing(value):
        return MISSING
    if declared.codes:
        return declared.codes.get(str(value), str(value))
    if declared.type == "bool":
        return fr_bool(value)
    if declared.type == "date":
        return fr_day(value)
    if declared.type == "datetime":
        return fr_datetime_local(pd.Timestamp(value).to_pydatetime())  # type: ignore[arg-type]
    if declared.type == "int":
        return fr_int(value)  # type: ignore[arg-type]
    if declared.type == "float":
        return fr_measure(value, declared.unit)  # type: ignore[arg-type]
    if declared.name == "code_quartier":
        return quartier_label(value)
    if declared.name == "flux":
        return feed_title(value)
    if declared.name.startswith("carreau_"):
        return cell_label(str(value))
    return fr_text(str(value))


def display_table(frame: pd.DataFrame, mart: str | MartSpec, names: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame`` as an analyst reads it: the declared columns ``names`` (default: every declared
    column present), headed by their French label (and unit), values formatted in French, codes
    replaced by labels, quartier codes by names, grid cells by places. Strings throughout: a
    table on a page is read, not computed on (the CSV download keeps the typed mart)."""
    chosen = [n for n in (names or [c.name for c in columns(mart)]) if n in frame.columns]
    if "nom_quartier" in chosen and "code_quartier" in chosen:
        chosen.remove("code_quartier")  # the name says it; the code is for machines
    out = pd.DataFrame(index=frame.index)
    for name in chosen:
        declared = column(mart, name)
        if name == "code_quartier":
            out[QUARTIER_HEADING] = [quartier_label(v) for v in frame[name]]
            continue
        if name.startswith("carreau_") and "code_quartier" in frame.columns:
            values = [cell_label(c, q) for c, q in zip(frame[name], frame["code_quartier"], strict=True)]
        else:
            values = [format_value(v, declared, mart) for v in frame[name]]
        out[column_label(mart, name)] = values
    return out.reset_index(drop=True)


def column_decimals(values: Iterable[object], unit: str | None = None) -> int | None:
    """One number of decimals for a whole column of measures (so that they align and an
    interval reads like its estimate); ``None`` lets ratios and proportions keep their own."""
    if unit in ("ratio", "proportion", "%"):
        return None
    finite = [abs(float(v)) for v in values if not is_missing(v)]  # type: ignore[arg-type]
    return smart_decimals(max(finite)) if finite else None


def interval_text(low: object, high: object, unit: str | None = None, decimals: int | None = None) -> str:
    """``"[1,20 ; 3,40]"``, with an open end when a bound is missing (an infinite upper bound)."""
    if is_missing(low) and is_missing(high):
        return MISSING
    if decimals is None:
        decimals = column_decimals([low, high], unit)
    lo = fr_measure(low, unit, decimals) if not is_missing(low) else "…"  # type: ignore[arg-type]
    hi = fr_measure(high, unit, decimals) if not is_missing(high) else "+∞"  # type: ignore[arg-type]
    return f"[{lo} ; {hi}]"


# ----------------------------------------------------------------------------------------------
# Data windows and partial periods
# ----------------------------------------------------------------------------------------------


def window_text(start: date | None, end: date | None) -> str:
    """``"du 13/11/2026 au 03/12/2026"``; one day reads ``"le 03/12/2026"``; unknown -> ``""``."""
    if start is None or end is None:
        return ""
    return f"le {fr_date(start)}" if start == end else f"du {fr_date(start)} au {fr_date(end)}"


Frequency = Literal["week", "month", "year"]


def period_bounds(day: date, freq: Frequency) -> tuple[date, date]:
    """First and last day of the week (Monday to Sunday), month or year containing ``day``."""
    if freq == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if freq == "month":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    return date(day.year, 1, 1), date(day.year, 12, 31)


def period_label(start: date, freq: Frequency) -> str:
    """French name of a period: ``"mars 2026"``, ``"semaine du 02/03/2026"``, ``"2026"``."""
    if freq == "month":
        return fr_month(f"{start:%Y-%m}")
    if freq == "week":
        return f"semaine du {fr_date(start)}"
    return str(start.year)


def flag_partial_periods(frame: pd.DataFrame, date_column: str, freq: Frequency, window: tuple[date, date]) -> pd.DataFrame:
    """Add ``periode_debut``, ``periode`` (French label, ``"(partiel)"`` appended when needed) and
    ``partiel`` to ``frame``: a period is partial when the data window ``(start, end)`` does not
    cover all of its days. Pages then show complete periods only, unless asked otherwise."""
    start, end = window
    out = frame.copy()
    days = pd.to_datetime(out[date_column]).dt.date
    bounds = [period_bounds(d, freq) for d in days]
    out["periode_debut"] = [b[0] for b in bounds]
    out["partiel"] = [b[0] < start or b[1] > end for b in bounds]
    out["periode"] = [
        f"{period_label(b[0], freq)} ({PARTIAL})" if partial else period_label(b[0], freq)
        for b, partial in zip(bounds, out["partiel"], strict=True)
    ]
    return out


def complete_periods(flagged: pd.DataFrame, include_partial: bool = False) -> pd.DataFrame:
    """Rows of complete periods only (default), or all of them, from :func:`flag_partial_periods`."""
    return flagged if include_partial else flagged[~flagged["partiel"]]


# ----------------------------------------------------------------------------------------------
# Charts (Altair / Vega-Lite), always in French
# ----------------------------------------------------------------------------------------------


def french(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with the French number and time locale in its own config (offline).

    Marks are left out of the accessibility tree (``aria: false``): the chart's description is its
    accessible name and every chart has its table beside it, while Vega gives a decorative mark
    (a reference rule, an empty layer) the ``graphics-symbol`` role with no text, which axe-core
    reports as ``svg-img-alt`` (serious).
    """
    return chart.configure(locale={"number": VEGA_NUMBER_LOCALE, "time": VEGA_TIME_LOCALE}).configure_mark(aria=False)


def forest_frame(
    frame: pd.DataFrame,
    *,
    label: str,
    estimate: str,
    low: str,
    high: str,
    kind: str | None = None,
    kind_labels: dict[str, str] | None = None,
    default_kind: str = RATE_RATIO_KIND,
) -> pd.DataFrame:
    """The rows a forest plot draws: one per row of ``frame``, in its order, with French texts.

    ``kind`` names the column saying which sort of ratio a row is (``type_ratio``); without it
    every row is ``default_kind``. ``taux`` is True for true rate ratios (time as exposure).
    """
    kinds = frame[kind].astype(str) if kind else pd.Series(default_kind, index=frame.index)
    labels_of = kind_labels or {}
    out = pd.DataFrame(
        {
            "ligne": frame[label].astype(str).to_numpy(),
            "estimation": pd.to_numeric(frame[estimate], errors="coerce").to_numpy(),
            "bas": pd.to_numeric(frame[low], errors="coerce").to_numpy(),
            "haut": pd.to_numeric(frame[high], errors="coerce").to_numpy(),
            "sorte": [labels_of.get(k, k) for k in kinds],
            "taux": (kinds == RATE_RATIO_KIND).to_numpy(),
        }
    )
    out["estimation_txt"] = [fr_number(v, 2) for v in out["estimation"]]
    out["intervalle_txt"] = [interval_text(lo, hi, "ratio") for lo, hi in zip(out["bas"], out["haut"], strict=True)]
    out["ordre"] = range(len(out))
    return out


ZERO_MARK_COLOUR = "#5f5f5f"


def forest_plot(
    rows: pd.DataFrame,
    *,
    title: str,
    x_title: str = "Rapport (échelle logarithmique)",
    kind_title: str = "Type de rapport",
    row_title: str = "",
    description: str | None = None,
    zero_label: str | None = None,
) -> alt.LayerChart:
    """A forest plot of :func:`forest_frame` rows: point estimate and 95 % interval per row, a
    rule at 1 (no effect), log x scale. True rate ratios are filled circles with solid
    intervals; count and severity ratios are hollow diamonds with dashed intervals (and a
    different colour), so the two can never be read as the same thing.

    A log scale cannot place a ratio of 0 (nothing observed). Without ``zero_label`` such rows
    are left out; with it they are kept, drawn at a floor on the left edge as grey left-pointing
    triangles named ``zero_label`` in the legend and beside each mark, their interval running
    from the floor to their upper bound, so that no row silently disappears."""
    zero = (rows["estimation"] == 0) & bool(zero_label)
    drawable = rows[(rows["estimation"] > 0) | zero].copy()
    is_zero = zero.loc[drawable.index].to_numpy()
    if zero_label:
        drawable.loc[is_zero, "sorte"] = zero_label
        drawable.loc[is_zero, "taux"] = False
    finite = pd.concat([drawable["bas"], drawable["haut"], drawable["estimation"]]).dropna()
    finite = finite[finite > 0]
    lo = float(min(finite.min(), 1.0)) / 1.25 if not finite.empty else 0.5
    hi = float(max(finite.max(), 1.0)) * 1.25 if not finite.empty else 2.0
    floor = lo
    if is_zero.any():
        lo = floor / 1.6  # room left of the floor, so that its marks sit inside the plot
    # An open (missing) upper bound runs to the edge; a zero lower bound starts at the edge (at
    # the floor for a zero estimate); a zero estimate is placed at the floor.
    drawable["bas_trace"] = drawable["bas"].where(drawable["bas"] > 0, lo).fillna(lo).where(~is_zero, floor)
    drawable["haut_trace"] = drawable["haut"].fillna(hi)
    drawable["point_trace"] = drawable["estimation"].where(~is_zero, floor)
    order = drawable.sort_values("ordre")["ligne"].tolist()
    kinds = list(dict.fromkeys(drawable.sort_values("taux", ascending=False)["sorte"]))
    if zero_label in kinds:  # the floor's entry last in the legend
        kinds = [k for k in kinds if k != zero_label] + [zero_label]
    rate_kinds = set(drawable.loc[drawable["taux"].astype(bool), "sorte"])

    def style(kind: str) -> tuple[str, list[int], str]:
        if kind == zero_label:
            return "triangle-left", [2, 2], ZERO_MARK_COLOUR
        if kind in rate_kinds:
            return "circle", [1, 0], "#1f5fa8"
        return "diamond", [4, 3], "#b3541e"

    shapes, dashes, colours = (list(v) for v in zip(*(style(k) for k in kinds), strict=True)) if kinds else ([], [], [])
    x = alt.X("point_trace:Q", title=x_title, scale=alt.Scale(type="log", domain=[lo, hi], clamp=True), axis=alt.Axis(format="~r"))
    # Every row keeps its label (Vega would drop every other one on a tight chart: a row unnamed).
    y = alt.Y("ligne:N", title=row_title or None, sort=order, axis=alt.Axis(labelLimit=320, labelOverlap=False))
    colour = alt.Color(
        "sorte:N", title=kind_title, scale=alt.Scale(domain=kinds, range=colours), legend=alt.Legend(orient="bottom", labelLimit=360)
    )
    tooltip = [
        alt.Tooltip("ligne:N", title="Ligne"),
        alt.Tooltip("sorte:N", title=kind_title),
        alt.Tooltip("estimation_txt:N", title="Estimation"),
        alt.Tooltip("intervalle_txt:N", title="IC 95 %"),
    ]
    base = alt.Chart(drawable)
    intervals = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("bas_trace:Q", scale=alt.Scale(type="log", domain=[lo, hi], clamp=True), title=x_title),
        x2="haut_trace:Q",
        y=y,
        color=colour,
        strokeDash=alt.StrokeDash("sorte:N", scale=alt.Scale(domain=kinds, range=dashes), legend=None),
        tooltip=tooltip,
    )
    points = base.mark_point(size=80, strokeWidth=2).encode(
        x=x,
        y=y,
        color=colour,
        shape=alt.Shape("sorte:N", scale=alt.Scale(domain=kinds, range=shapes), legend=None),
        fill=alt.condition(
            "datum.taux", alt.Color("sorte:N", scale=alt.Scale(domain=kinds, range=colours), legend=None), alt.value("white")
        ),
        tooltip=tooltip,
    )
    no_effect = (
        alt.Chart(pd.DataFrame({"un": [1.0]}))
        .mark_rule(color="#444", strokeDash=[2, 2])
        .encode(x=alt.X("un:Q", scale=alt.Scale(type="log", domain=[lo, hi])))
    )
    layers = [no_effect, intervals, points]
    if is_zero.any():
        # The label on the chart itself, above the interval line, right of the floor's mark.
        layers.append(
            base.transform_filter(alt.datum.sorte == zero_label)
            .mark_text(align="left", baseline="bottom", dx=7, dy=-3, fontSize=11, color=ZERO_MARK_COLOUR)
            .encode(x=x, y=y, text=alt.value(zero_label))
        )
    return alt.layer(*layers).properties(
        title=title,
        description=description or f"{title} : estimation et intervalle de confiance à 95 % par ligne, ligne verticale à 1 (pas d'effet).",
        height=max(120, 26 * len(order)),
        width="container",
    )


def interval_chart(
    rows: pd.DataFrame,
    *,
    place: str,
    value: str,
    low: str,
    high: str,
    title: str,
    x_title: str,
    description: str | None = None,
) -> alt.LayerChart:
    """Ranked places with their value (point) and interval (rule), largest first."""
    data = rows[[place, value, low, high]].copy()
    data.columns = ["lieu", "valeur", "bas", "haut"]
    data["valeur_txt"] = [fr_measure(v) for v in data["valeur"]]
    data["intervalle_txt"] = [interval_text(a, b) for a, b in zip(data["bas"], data["haut"], strict=True)]
    order = data["lieu"].tolist()
    y = alt.Y("lieu:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [
        alt.Tooltip("lieu:N", title="Lieu"),
        alt.Tooltip("valeur_txt:N", title="Valeur"),
        alt.Tooltip("intervalle_txt:N", title="IC 95 %"),
    ]
    base = alt.Chart(data)
    rules = base.mark_rule(strokeWidth=2, color="#888").encode(x=alt.X("bas:Q", title=x_title), x2="haut:Q", y=y, tooltip=tooltip)
    points = base.mark_point(filled=True, size=70, color="#bd0026").encode(x=alt.X("valeur:Q", title=x_title), y=y, tooltip=tooltip)
    return alt.layer(rules, points).properties(
        title=title,
        description=description or f"{title} : valeur et intervalle par lieu, du plus élevé au plus bas.",
        height=max(120, 24 * len(order)),
        width="container",
    )


def ranked_list(
    frame: pd.DataFrame,
    mart: str | MartSpec,
    *,
    place: str,
    value: str,
    low: str | None = None,
    high: str | None = None,
    count: str | None = None,
    n: int = 10,
    place_labels: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The ``n`` places with the highest ``value``: rank, place, value, interval, count, with
    headings from the declaration (``place_labels`` overrides the place texts, e.g. cells)."""
    top = frame.sort_values(value, ascending=False, kind="stable").head(n)
    unit = column(mart, value).unit
    decimals = column_decimals(top[value], unit) if column(mart, value).type == "float" else None
    places = list(place_labels) if place_labels is not None else [format_value(v, column(mart, place), mart) for v in top[place]]
    heading = QUARTIER_HEADING if place == "code_quartier" else column(mart, place).label
    out = pd.DataFrame({"Rang": range(1, len(top) + 1), heading: places[: len(top)]})
    out[column_label(mart, value)] = [fr_measure(v, unit, decimals) for v in top[value]]
    if low and high:
        out["Intervalle à 95 %"] = [interval_text(a, b, unit, decimals) for a, b in zip(top[low], top[high], strict=True)]
    if count:
        out[column_label(mart, count)] = [fr_int(v) if not is_missing(v) else MISSING for v in top[count]]
    return out


# ----------------------------------------------------------------------------------------------
# Maps (pydeck, offline) and their legend
# ----------------------------------------------------------------------------------------------


def legend_chart(maximum: float, measure: str, unit: str | None, minimum: float = 0.0) -> alt.Chart:
    """A horizontal colour ramp naming the measure and its unit, the same palette as the map."""
    steps = 40
    top = maximum if maximum > minimum else minimum + 1
    width = (top - minimum) / steps
    ramp = pd.DataFrame({"de": [minimum + i * width for i in range(steps)]})
    ramp["a"] = ramp["de"] + width
    title = f"{measure} ({unit})" if unit and unit not in ("ratio", "proportion") else measure
    return (
        alt.Chart(ramp)
        .mark_bar(size=LEGEND_BAR_PX, binSpacing=0)
        .encode(
            x=alt.X("de:Q", title=title, scale=alt.Scale(domain=[minimum, top], nice=False), axis=alt.Axis(tickCount=5, format="~r")),
            x2="a:Q",
            color=alt.Color("de:Q", scale=alt.Scale(domain=[minimum, top], range=list(PALETTE_HEX)), legend=None),
        )
        .properties(
            height=24,
            width="container",
            title=f"Légende : {title}",
            description=f"Légende de la carte : {title}, du plus clair au plus foncé.",
        )
    )


def choropleth(
    geojson: dict[str, Any], values: pd.DataFrame, *, value: str, value_text: Sequence[str], measure: str, unit: str | None
) -> pdk.Deck:
    """Quartier polygons coloured by ``values[value]`` (keyed by ``code_quartier``); the tooltip
    shows the quartier name and ``value_text`` (French, with unit). No base tiles."""
    by_code = dict(zip(values["code_quartier"].astype(str), pd.to_numeric(values[value], errors="coerce"), strict=True))
    texts = dict(zip(values["code_quartier"].astype(str), value_text, strict=True))
    finite = [v for v in by_code.values() if not is_missing(v)]
    maximum = max(finite, default=0.0)
    features = []
    for feature in geojson["features"]:
        props = dict(feature["properties"])
        code = str(props.get("code_qua"))
        number = by_code.get(code)
        props["lieu"] = quartier_label(code)
        props["valeur_txt"] = texts.get(code, "pas de donnée")
        props["fill_color"] = colour_for(number if number is not None else float("nan"), maximum)
        features.append({"type": "Feature", "properties": props, "geometry": feature["geometry"]})
    layer = pdk.Layer(
        "GeoJsonLayer",
        id="quartiers",
        data={"type": "FeatureCollection", "features": features},
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
        tooltip={"html": f"<b>{{lieu}}</b><br/>{measure} : {{valeur_txt}}", "style": {"fontSize": "0.85rem"}},
    )


def cells_map(
    cells: pd.DataFrame,
    *,
    cell: str,
    value: str,
    labels: Sequence[str],
    value_text: Sequence[str],
    measure: str,
    outline: dict[str, Any] | None = None,
) -> pdk.Deck:
    """Grid cells (INSEE 200 m squares) coloured by ``value``, over the quartier outlines when
    given; tooltips name the place (never the cell id)."""
    numbers = pd.to_numeric(cells[value], errors="coerce")
    maximum = float(numbers.max()) if numbers.notna().any() else 0.0
    data = [
        {"polygon": cell_polygon(c), "lieu": label, "valeur_txt": text, "fill_color": colour_for(float(v), maximum)}
        for c, v, label, text in zip(cells[cell], numbers, labels, value_text, strict=True)
    ]
    layers = []
    if outline is not None:
        layers.append(
            pdk.Layer(
                "GeoJsonLayer",
                id="contours",
                data=outline,
                stroked=True,
                filled=False,
                get_line_color=[120, 120, 120, 160],
                line_width_min_pixels=0.5,
            )
        )
    layers.append(
        pdk.Layer(
            "PolygonLayer",
            id="carreaux",
            data=data,
            get_polygon="polygon",
            get_fill_color="fill_color",
            stroked=True,
            get_line_color=[60, 60, 60, 220],
            line_width_min_pixels=1,
            pickable=True,
        )
    )
    return pdk.Deck(
        layers=layers,
        initial_view_state=MARSEILLE_VIEW,
        map_style=OFFLINE_MAP_STYLE,
        tooltip={"html": f"<b>{{lieu}}</b><br/>{measure} : {{valeur_txt}}", "style": {"fontSize": "0.85rem"}},
    )


# ----------------------------------------------------------------------------------------------
# Streamlit renderers
# ----------------------------------------------------------------------------------------------


# Streamlit fits the WHOLE chart (title, axes, legend) into ``height``; without it, the chart's own
# height (meant for the plot) is used for everything and the plot is squeezed flat.
CHART_OVERHEAD_PX = 95  # title, x axis and its title
LEGEND_ROW_PX = 22
LEGEND_TITLE_PX = 30  # a bottom legend's own title line, above its rows


def chart_height(chart: alt.TopLevelMixin, legend_rows: int = 0) -> int | None:
    """Pixel height to give ``st.altair_chart``: the plot height(s) plus title, axes and legend."""
    parts = getattr(chart, "vconcat", None)
    charts = list(parts) if isinstance(parts, list) else [chart]
    heights = [getattr(c, "height", None) for c in charts]
    if not all(isinstance(h, int) for h in heights):
        return None
    legend = LEGEND_TITLE_PX + LEGEND_ROW_PX * legend_rows if legend_rows else 0
    return int(sum(heights)) + CHART_OVERHEAD_PX * len(charts) + legend  # type: ignore[arg-type]


def render_chart(
    chart: alt.TopLevelMixin, *, alt_text: str, caption: str | None = None, key: str | None = None, legend_rows: int = 0
) -> None:
    """An Altair chart in French, full width; ``alt_text`` becomes its description (the SVG's
    accessible name), then an optional caption under it. ``legend_rows``: rows of a bottom legend."""
    height = chart_height(chart, legend_rows)
    st.altair_chart(french(chart.properties(description=alt_text)), width="stretch", height=height or "content", key=key)
    if caption:
        st.caption(caption)


def render_map(
    deck: pdk.Deck, legend: alt.Chart, *, alt_text: str, caption: str | None = None, height: int = 420, key: str | None = None
) -> None:
    """A map and, under it, its legend (measure and unit): never a map without one."""
    st.pydeck_chart(deck, height=height, alt=alt_text, key=key)
    st.altair_chart(french(legend), width="stretch", height=chart_height(legend) or "content", key=f"{key}-legende" if key else None)
    if caption:
        st.caption(caption)


def render_table(table: pd.DataFrame, *, alt_text: str, key: str | None = None, max_height: int = 420) -> None:
    """A French-formatted table (from :func:`display_table` or :func:`ranked_list`)."""
    st.dataframe(table, hide_index=True, width="stretch", height=min(max_height, 38 + 35 * max(len(table), 1)), alt=alt_text, key=key)
