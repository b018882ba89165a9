"""What a citizen reads on one open dataset's page: masking explained, stable URLs, map, chart.

Pure functions (published files in, sentences / tables / Altair / pydeck objects out), no
Streamlit calls: :mod:`apps.portail.dataset_page` draws them. Every fact comes from the release
itself (``datapackage.json``, ``disclosure.json``, the CSV) or from the declarations
(``orchestration/core/opendata/catalogue.yaml`` for the public addresses), never restated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import pydeck as pdk

from apps.formatting import fr_int, fr_period
from apps.observatoire.charts import PALETTE, zones_deck
from orchestration.core.catalog import OpenDataset, open_datasets
from orchestration.core.dcat import catalogue_facts
from orchestration.core.opendata.periods import PERIODICITY, period_column
from orchestration.core.opendata.zones import NAME_COLUMNS, geometry, zone_column

# Masked cells are drawn in a neutral grey distinct from every class of the palette (and named
# in the legend): a masked zone must never read as "few" or "none".
MASKED_COLOUR = (150, 150, 150)
ZERO_COLOUR = (240, 240, 240)
REGISTER_PAGE = "registre-des-traitements"
TRANSPARENCY_PAGE = "transparence"
FILE_LABELS = {
    "csv": "Données (CSV, UTF-8)",
    "parquet": "Données (Parquet)",
    "geojson": "Carte (GeoJSON, WGS 84)",
    "tableschema.json": "Schéma des données (Table Schema)",
    "datapackage.json": "Description du jeu (Data Package)",
    "disclosure.json": "Rapport de secret statistique",
}
ZONE_WORDS = {"quartier": "quartier", "arrondissement": "arrondissement", "commune": "ville entière"}


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count <= 1 else plural  # French: 0 and 1 take the singular


# ---------------------------------------------------------------------------------------------
# Addresses


def base_url() -> str:
    """Public address under which the open-data files are served (``catalogue.yaml``)."""
    return str(catalogue_facts()["base_url"]).rstrip("/")


def api_url(dataset: str) -> str:
    """The API address of ``dataset`` (pattern declared once in ``catalogue.yaml``)."""
    return str(catalogue_facts()["api_url_pattern"]).format(dataset=dataset)


def release_files(package: dict[str, Any], dataset: str) -> list[str]:
    """Every file of a release, data first: from ``files.checksums``, else the declared resources."""
    files = package.get("files") or {}
    names = list((files.get("checksums") or {}).keys())
    if not names:
        names = [str(r["path"]) for r in package.get("resources") or [] if r.get("path")]
    names += [n for n in ("datapackage.json", files.get("disclosure")) if n and n not in names]
    order = {f"{dataset}.csv": 0, f"{dataset}.parquet": 1, f"{dataset}.geojson": 2}
    return sorted(dict.fromkeys(names), key=lambda n: (order.get(n, 3), n))


def file_label(file_name: str) -> str:
    """``interventions-....csv`` -> ``"Données (CSV, UTF-8)"``."""
    return FILE_LABELS.get(file_name) or FILE_LABELS.get(file_name.rsplit(".", 1)[-1], file_name)


@dataclass(frozen=True)
class StableLink:
    """One published file at its two stable addresses: this version's, and the newest one's."""

    label: str
    file_name: str
    version_url: str | None
    latest_url: str


def stable_links(package: dict[str, Any], dataset: str) -> list[StableLink]:
    """The release's files at ``<base>/<dataset>/<version>/<file>`` (never rewritten) and ``latest/``."""
    base, version = base_url(), package.get("version")
    return [
        StableLink(
            label=file_label(name),
            file_name=name,
            version_url=f"{base}/{dataset}/{version}/{name}" if version else None,
            latest_url=f"{base}/{dataset}/latest/{name}",
        )
        for name in release_files(package, dataset)
    ]


def links_markdown(links: list[StableLink]) -> str:
    """A Markdown list: one line per file, with its versioned and its ``latest`` address."""
    lines = []
    for link in links:
        versioned = f"[cette version]({link.version_url}) · " if link.version_url else ""
        lines.append(f"- **{link.label}** : {versioned}[dernière version]({link.latest_url})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# What was masked, and why


def masking_explanation(disclosure: dict[str, Any], dataset: OpenDataset) -> list[str]:
    """The release's disclosure report (``disclosure.json``) as plain-French sentences.

    Every number is read from the report, so the page says exactly what this release did.
    """
    k = int(disclosure.get("k_min", 0))
    cells = disclosure.get("cells")
    primary = int(disclosure.get("primary_suppressed", 0))
    secondary = int(disclosure.get("secondary_suppressed", 0))
    new_cells = disclosure.get("new_cells")
    sentences = []
    generalisation = disclosure.get("generalisation") or {}
    zone = ZONE_WORDS.get(str(generalisation.get("zone", dataset.spatial_level)), dataset.spatial_level)
    period = PERIODICITY.get(str(generalisation.get("period", dataset.temporal_level)), dataset.temporal_level)
    sentences.append(
        f"Les faits sont d'abord regroupés par {zone} et par période ({period}) : aucune ligne ne "
        "décrit une personne, une adresse ou un moment précis."
    )
    counted = f"Sur {fr_int(int(cells))} cases publiées" if cells is not None else "Dans cette publication"
    if new_cells is not None and cells is not None and int(new_cells) != int(cells):
        counted += f" (dont {fr_int(int(new_cells))} nouvelles)"
    if primary:
        sentences.append(
            f"{counted}, {fr_int(primary)} {_plural(primary, 'case est masquée', 'cases sont masquées')} "
            f"parce que {_plural(primary, 'son effectif', 'leur effectif')} est compris entre 1 et {k - 1} "
            f"(seuil k = {k}) : un si petit nombre pourrait désigner quelqu'un. Les zéros restent publiés."
        )
    else:
        sentences.append(
            f"{counted}, aucune n'a un effectif compris entre 1 et {k - 1} (seuil k = {k}) : rien n'est "
            "masqué à ce titre. Les zéros sont publiés, ils ne désignent personne."
        )
    if dataset.total_label:
        sentences.append(
            f"{fr_int(secondary)} autre{'s' if secondary > 1 else ''} "
            f"{_plural(secondary, 'case est masquée', 'cases sont masquées')} en secret secondaire : "
            f"chaque groupe publie aussi son total (« {dataset.total_label} »), et une case masquée "
            "seule se retrouverait par différence avec ce total."
        )
    else:
        sentences.append(
            "Les catégories se recouvrent : aucun total n'est publié, donc aucune case masquée ne se "
            f"déduit par différence ({fr_int(secondary)} masquage secondaire)."
        )
    audit = disclosure.get("audit") or {}
    interval = disclosure.get("protection_interval")
    if audit:
        verdict = "réussi" if audit.get("passed") else "échoué"
        masked = int(audit.get("masked_cells", 0))
        if masked == 0:
            text = f"Audit de l'attaquant {verdict} : aucune case n'est masquée dans cette publication."
        else:
            text = (
                f"Audit de l'attaquant {verdict} : pour chacune des {fr_int(masked)} cases masquées, on a "
                "calculé ce qu'un attaquant peut en déduire à partir de tout ce qui est publié (cases, "
                "totaux et toutes les versions précédentes de ce jeu)."
            )
            if interval is not None:
                text += f" Aucune ne peut être cernée à moins de {int(interval) + 1} valeurs possibles près"
                width = audit.get("min_interval_width")
                text += f" (l'intervalle le plus étroit couvre {fr_int(int(width))} unités)." if width is not None else "."
        rounds = int(audit.get("extra_masking_rounds", 0))
        if rounds:
            text += f" Il a fallu {rounds} tour{'s' if rounds > 1 else ''} de masquage supplémentaire pour y arriver."
        sentences.append(text)
    joint = joint_audit_sentence(disclosure)
    if joint:
        sentences.append(joint)
    if disclosure.get("time_consistency"):
        sentences.append(str(disclosure["time_consistency"]))
    late = int(disclosure.get("late_changes_not_published", 0) or 0)
    if late:
        sentences.append(
            f"{fr_int(late)} {_plural(late, 'case déjà publiée a', 'cases déjà publiées ont')} reçu des "
            "données tardives : elles ne sont pas révisées (une révision permettrait de retrouver les "
            "faits arrivés entre deux publications)."
        )
    return sentences


def joint_audit_sentence(disclosure: dict[str, Any]) -> str | None:
    """One sentence on the joint attacker's audit, when the release had one (``joint_audit`` of its report).

    The other datasets are named by their declared titles: the same period grid cut otherwise
    (siblings of one mart) and the datasets of other marts that count some of the same rows.
    """
    joint = disclosure.get("joint_audit")
    if not joint:
        return None
    titles = {name: d.title for name, d in open_datasets().items()}
    siblings = [f"« {titles.get(n, n)} »" for n in joint.get("siblings", [])]
    others = [f"« {titles.get(n, n)} »" for n in joint.get("cross_mart", [])]
    parts = []
    if siblings:
        parts.append(f"{_list(siblings)} (les mêmes faits sur d'autres périodes)")
    if others:
        parts.append(f"{_list(others)} (qui comptent une partie des mêmes faits, à d'autres heures ou autrement datés)")
    extra = int(joint.get("extra_masked_cells", 0) or 0)
    values = int(joint.get("protection_interval", 0)) + 1
    narrow = int(joint.get("narrow_cells", 0) or 0)  # left by earlier releases, which are never revised
    text = f"Cette publication a aussi été auditée avec toutes les versions de {' et de '.join(parts)} : "
    if narrow:
        left = _plural(narrow, "case masquée d'une version déjà publiée garde", "cases masquées de versions déjà publiées gardent")
        text += (
            f"{fr_int(narrow)} {left} moins de {values} valeurs possibles (une version publiée n'est jamais "
            "révisée) ; aucune nouvelle case n'est dans ce cas"
        )
    else:
        text += f"même en les combinant, chaque case masquée garde au moins {values} valeurs possibles"
    if extra:
        text += f" ({fr_int(extra)} {_plural(extra, 'case a été masquée', 'cases ont été masquées')} en plus pour cela)"
    return text + "."


def _list(items: list[str]) -> str:
    """« a », « b » et « c »."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def register_anchor(disclosure: dict[str, Any]) -> str | None:
    """The register entry the release cites (``registre-des-traitements#<use case>``), as a page link."""
    entry = disclosure.get("register_entry")
    if not entry or "#" not in str(entry):
        return None
    return f"/{REGISTER_PAGE}#{str(entry).split('#', 1)[1]}"


# ---------------------------------------------------------------------------------------------
# Map and chart


def periods_of(table: pd.DataFrame, dataset: OpenDataset) -> list[str]:
    """The release's periods, newest first."""
    column = period_column(dataset.temporal_level)
    return sorted(table[column].dropna().astype(str).unique().tolist(), reverse=True) if column in table else []


def categories_of(table: pd.DataFrame, dataset: OpenDataset) -> list[str]:
    """The release's categories, the total (when there is one) first."""
    values = table[dataset.category_column].dropna().astype(str).unique().tolist()
    return sorted(values, key=lambda v: (v != dataset.total_label, v))


def slice_of(table: pd.DataFrame, dataset: OpenDataset, count_column: str, period: str, category: str) -> pd.DataFrame:
    """One period and category: zone code, zone name, count (``<NA>`` when masked)."""
    zone = zone_column(dataset.spatial_level)
    rows = table[(table[period_column(dataset.temporal_level)].astype(str) == period) & (table[dataset.category_column] == category)]
    name = NAME_COLUMNS.get(dataset.spatial_level)
    columns = [c for c in (zone, name) if c and c in rows] + [count_column]
    return rows[columns].reset_index(drop=True)


def class_breaks(maximum: int) -> list[int]:
    """Upper bounds of the palette's classes, equal steps from 1 to ``maximum``."""
    if maximum <= 0:
        return []
    steps = len(PALETTE)
    return sorted({max(1, round(maximum * (i + 1) / steps)) for i in range(steps)})


def _class_colour(index: int, classes: int) -> tuple[int, int, int]:
    """The palette colour of class ``index`` of ``classes``, spread over the whole palette."""
    last = len(PALETTE) - 1
    return PALETTE[round(index * last / (classes - 1)) if classes > 1 else last]


def colour_for(value: Any, breaks: list[int]) -> tuple[int, int, int]:
    """Grey when masked, near-white for zero, else the palette class of ``value``."""
    if pd.isna(value):
        return MASKED_COLOUR
    if int(value) == 0 or not breaks:
        return ZERO_COLOUR
    index = next((i for i, bound in enumerate(breaks) if int(value) <= bound), len(breaks) - 1)
    return _class_colour(index, len(breaks))


def legend(breaks: list[int]) -> list[tuple[tuple[int, int, int], str]]:
    """(colour, French label) of each class, then zero and masked."""
    items: list[tuple[tuple[int, int, int], str]] = []
    low = 1
    for index, bound in enumerate(breaks):
        items.append((_class_colour(index, len(breaks)), fr_int(low) if bound == low else f"{fr_int(low)} à {fr_int(bound)}"))
        low = bound + 1
    items.append((ZERO_COLOUR, "0"))
    items.append((MASKED_COLOUR, "masqué (secret statistique)"))
    return items


def legend_html(items: list[tuple[tuple[int, int, int], str]]) -> str:
    """The legend as a list of swatches with text (the text carries the meaning, not the colour)."""
    entries = "".join(
        '<li style="display:inline-flex;align-items:center;margin:0 1rem 0.25rem 0">'
        f'<span aria-hidden="true" style="display:inline-block;width:1rem;height:1rem;margin-right:0.4rem;'
        f'border:1px solid #555;background:rgb({r},{g},{b})"></span>{label}</li>'
        for (r, g, b), label in items
    )
    return f'<ul aria-label="Légende de la carte" style="list-style:none;padding:0;margin:0">{entries}</ul>'


def zone_map(values: pd.DataFrame, dataset: OpenDataset, count_column: str, unit: str) -> tuple[pdk.Deck, list[int]]:
    """Choropleth of one period x category over a tile-less background; returns it and its breaks."""
    zone = zone_column(dataset.spatial_level)
    name = NAME_COLUMNS[dataset.spatial_level]
    counts = values[count_column]
    breaks = class_breaks(int(counts.dropna().max()) if counts.notna().any() else 0)
    features = []
    for _, row in values.iterrows():
        shape = geometry(dataset.spatial_level, str(row[zone]))
        if shape is None:
            continue
        value = row[count_column]
        features.append(
            {
                "type": "Feature",
                "geometry": shape,
                "properties": {
                    "nom": str(row.get(name, row[zone])),
                    "valeur": "masqué (secret statistique)" if pd.isna(value) else fr_int(int(value)),
                    "fill_color": list(colour_for(value, breaks)),
                },
            }
        )
    deck = zones_deck(
        {"type": "FeatureCollection", "features": features}, f"zones-{dataset.dataset}", "<b>{nom}</b><br/>{valeur} " + unit
    )
    return deck, breaks


def zone_chart(values: pd.DataFrame, dataset: OpenDataset, count_column: str, unit: str) -> alt.Chart:
    """Horizontal bars of the published (non-masked) counts of one period x category, by zone."""
    name = NAME_COLUMNS[dataset.spatial_level]
    shown = values[values[count_column].notna()].copy()
    shown["Zone"] = shown[name].astype(str)
    # Plain field names: Vega reads an apostrophe ("Nombre d'accidents") as a quote.
    shown["valeur"] = shown[count_column].astype("int64")
    return (
        alt.Chart(shown[["Zone", "valeur"]])
        .mark_bar(color="#bd0026")
        .encode(
            y=alt.Y("Zone:N", sort="-x", title=None),
            x=alt.X("valeur:Q", title=unit),
            tooltip=[alt.Tooltip("Zone:N", title="Zone"), alt.Tooltip("valeur:Q", title=unit, format=",d")],
        )
        .properties(height=alt.Step(22))
    )


def series_chart(table: pd.DataFrame, dataset: OpenDataset, count_column: str, unit: str) -> alt.Chart:
    """A city-wide dataset over time: one line per category, masked periods left as gaps."""
    period = period_column(dataset.temporal_level)
    frame = table[[period, dataset.category_column, count_column]].copy()
    frame["Période"] = frame[period].astype(str).map(fr_period)
    frame["_ordre"] = frame[period].astype(str)
    frame["valeur"] = frame[count_column].astype("Float64")
    frame["categorie"] = frame[dataset.category_column].astype(str)
    order = frame.sort_values("_ordre")["Période"].drop_duplicates().tolist()
    return (
        alt.Chart(frame.dropna(subset=["valeur"])[["Période", "categorie", "valeur"]])
        .mark_line(point=True)
        .encode(
            x=alt.X("Période:N", sort=order, title=None),
            y=alt.Y("valeur:Q", title=unit),
            color=alt.Color("categorie:N", legend=alt.Legend(orient="bottom", columns=1, title=None)),
            tooltip=[
                alt.Tooltip("Période:N"),
                alt.Tooltip("categorie:N", title="Catégorie"),
                alt.Tooltip("valeur:Q", title=unit, format=",d"),
            ],
        )
        .properties(height=320)
    )
