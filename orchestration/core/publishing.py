"""Publication: gold Delta tables for services and open-data exports for everyone.

Only called after a mart's gate passed (the Dagster check is blocking). Open data is derived from
the *published* gold table, never from the build database, and is written to a staging folder
then swapped in, so a reader sees either the old export or the new one, never half of each.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration.core import duck, lake
from orchestration.core.catalog import OpenDataset, feed, marts
from orchestration.core.geography import ATTRIBUTION, arrondissement_names
from orchestration.core.settings import Settings
from orchestration.core.disclosure import check_publishable, suppress
from orchestration.core.verdicts import GateResult

OPEN_DATA_VERSION = "1.0.0"


def gold_path(settings: Settings, mart: str) -> Path:
    return settings.gold / mart


def publication_manifest_path(settings: Settings, mart: str) -> Path:
    return settings.gold / "_publications" / f"{mart}.json"


def read_mart(settings: Settings, mart: str) -> pd.DataFrame:
    """A mart from the build database, read-only, in a stable order (gate and publisher share it)."""
    con = duck.connect(settings.build_db, read_only=True)
    try:
        # Through Arrow, so DATE stays a date (pandas would widen it to a timestamp).
        return con.sql(f"select * from marts.{mart} order by all").to_arrow_table().to_pandas()
    finally:
        con.close()


def read_manifest(settings: Settings, mart: str) -> dict[str, Any] | None:
    """The publication manifest of ``mart``, if it was ever published."""
    path = publication_manifest_path(settings, mart)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def publish_gold(settings: Settings, mart: str, rows: pa.Table, gate: GateResult, date_column: str | None = "jour") -> dict[str, Any]:
    """Replace the gold table of ``mart`` and write its publication manifest.

    Republishing exactly what is already published (same gate fingerprint) writes nothing: a
    rerun must not create new versions that readers would take for new data.
    """
    previous = read_manifest(settings, mart)
    if previous and previous["gate"].get("fingerprint") == gate.fingerprint and lake.table_exists(gold_path(settings, mart)):
        return {**previous, "unchanged": True}
    version = lake.overwrite(gold_path(settings, mart), rows)
    dates = rows.column(date_column) if rows.num_rows and date_column else None
    manifest = {
        "mart": mart,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "delta_version": version,
        "rows": rows.num_rows,
        "data_window": {
            "start": str(pc.min(dates).as_py()) if dates is not None else None,
            "end": str(pc.max(dates).as_py()) if dates is not None else None,
        },
        "gate": gate.to_json(),
    }
    _write_json_atomic(publication_manifest_path(settings, mart), manifest)
    return manifest


# ---------------------------------------------------------------------------------------------
# Open data


def generalise(mart: pd.DataFrame, dataset: OpenDataset) -> tuple[pd.DataFrame, list[str]]:
    """Aggregate the mart to the dataset's zone x period x category grid, zeros included."""
    zone = "arrondissement" if dataset.spatial_level == "arrondissement" else "code_quartier"
    period = "mois" if dataset.temporal_level == "month" else "jour"
    frame = mart.copy()
    dates = pd.to_datetime(frame["jour"])
    frame[period] = dates.dt.strftime("%Y-%m") if period == "mois" else dates.dt.strftime("%Y-%m-%d")
    counts = frame.groupby([zone, period, dataset.category_column])[dataset.count_column].sum()
    # Full grid: a missing row would be ambiguous (zero or masked?); zeros are published as zeros.
    categories = sorted((feed_categories(dataset)))
    grid = pd.MultiIndex.from_product(
        [sorted(frame[zone].unique()), sorted(frame[period].unique()), categories],
        names=[zone, period, dataset.category_column],
    )
    cells = counts.reindex(grid, fill_value=0).rename(dataset.output_count_column).reset_index()
    return cells, [zone, period]


def feed_categories(dataset: OpenDataset) -> list[str]:
    """Every category label the dataset's source feeds can produce (from the catalog)."""
    labels: set[str] = set()
    for name in marts()[dataset.from_mart].source_feeds:
        for col in feed(name).columns:
            labels.update((col.codes or {}).values())
    return sorted(labels)


def _field_descriptions(dataset: OpenDataset, zone: str, period: str, k: int) -> list[dict[str, str]]:
    zone_text = {
        "arrondissement": "Code INSEE de l'arrondissement municipal de Marseille (13201 à 13216).",
        "code_quartier": "Code INSEE du quartier de Marseille.",
    }[zone]
    period_text = {"mois": "Mois (AAAA-MM), heure de Paris.", "jour": "Jour (AAAA-MM-JJ), heure de Paris."}[period]
    fields = [{"name": zone, "type": "string", "description": zone_text}]
    if zone == "arrondissement":
        fields.append({"name": "nom_arrondissement", "type": "string", "description": "Nom de l'arrondissement."})
    fields += [
        {"name": period, "type": "string", "description": period_text},
        {
            "name": dataset.category_column,
            "type": "string",
            "description": f"Nature d'intervention ; « {dataset.total_label} » pour le total du groupe.",
        },
        {
            "name": dataset.output_count_column,
            "type": "integer",
            "description": f"Nombre d'interventions ; vide quand la case est masquée (secret statistique, k = {k}).",
        },
        {
            "name": "diffusion",
            "type": "string",
            "description": "« publié », « masqué (secret primaire) » (effectif non nul inférieur à k) ou "
            "« masqué (secret secondaire) » (masqué pour empêcher un calcul par différence).",
        },
    ]
    return fields


def build_open_dataset(mart: pd.DataFrame, dataset: OpenDataset, k: int) -> tuple[pd.DataFrame, dict[str, Any], list[dict[str, str]]]:
    """Generalised, suppressed table + disclosure report + field descriptions, ready to write."""
    cells, (zone, period) = generalise(mart, dataset)
    table, report = suppress(cells, [zone, period], dataset.category_column, dataset.output_count_column, dataset.total_label, k)
    if zone == "arrondissement":
        table.insert(1, "nom_arrondissement", table[zone].map(arrondissement_names()))
    # Each group reads category by category, its total last.
    table["_total_last"] = table[dataset.category_column] == dataset.total_label
    table = table.sort_values([zone, period, "_total_last", dataset.category_column], kind="stable")
    table = table.drop(columns="_total_last").reset_index(drop=True)
    check_publishable(table, dataset.output_count_column, k)
    return table, report.to_json(), _field_descriptions(dataset, zone, period, k)


KEPT_VERSIONS = 3  # previous exports kept so a reader mid-download never loses its files


def _swap_in(version_dir: Path, final: Path) -> None:
    """Point ``final`` (a symlink) at ``version_dir`` atomically; readers never see a gap."""
    link = final.with_name(f".{final.name}.link")
    link.unlink(missing_ok=True)
    link.symlink_to(version_dir.relative_to(final.parent), target_is_directory=True)
    if final.exists() and not final.is_symlink():
        shutil.rmtree(final)  # an export from before versioned publication
    os.replace(link, final)  # rename(2) over the old link: atomic
    versions = sorted(p for p in version_dir.parent.iterdir() if p.is_dir())
    for old in versions[:-KEPT_VERSIONS]:
        shutil.rmtree(old, ignore_errors=True)


def publish_open_dataset(settings: Settings, dataset: OpenDataset, mart: pd.DataFrame, gate: GateResult) -> dict[str, Any]:
    """Write CSV + Parquet + datapackage.json + disclosure.json for ``dataset``; returns the package.

    Skipped (the current package is returned) when the export already derives from the data that
    passed this same gate verdict, so reruns leave the published files byte for byte unchanged.
    """
    final = settings.open_data / dataset.dataset
    current = final / "datapackage.json"
    if current.exists():
        package = json.loads(current.read_text(encoding="utf-8"))
        if package["lineage"]["quality_gate"].get("fingerprint") == gate.fingerprint and package["disclosure"]["k_min"] == settings.k_min:
            return {**package, "unchanged": True}
    table, disclosure, fields = build_open_dataset(mart, dataset, settings.k_min)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    disclosure["published_at"] = now
    name = dataset.dataset
    staging = settings.open_data / ".versions" / name / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging.mkdir(parents=True)

    table.to_csv(staging / f"{name}.csv", index=False, encoding="utf-8")
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    pq.write_table(arrow, staging / f"{name}.parquet")
    period = "mois" if dataset.temporal_level == "month" else "jour"
    source_feeds = list(marts()[dataset.from_mart].source_feeds)
    schema = {"fields": fields}
    package = {
        "name": name,
        "title": dataset.title,
        "description": dataset.description,
        "version": OPEN_DATA_VERSION,
        "created": now,
        "temporal_coverage": {"start": table[period].min(), "end": table[period].max()},
        "licenses": [dataset.licence],
        "sources": [{"title": f"{feed(f).title} — {feed(f).owner}"} for f in source_feeds]
        + [{"title": ATTRIBUTION}],
        "lineage": {
            "mart": dataset.from_mart,
            "feeds": source_feeds,
            "quality_gate": {
                "suite": gate.suite,
                "success": gate.success,
                "evaluated_at": gate.evaluated_at,
                "fingerprint": gate.fingerprint,
            },
        },
        "resources": [
            {"name": f"{name}-csv", "path": f"{name}.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": schema},
            {"name": f"{name}-parquet", "path": f"{name}.parquet", "format": "parquet", "mediatype": "application/vnd.apache.parquet", "schema": schema},
        ],
        "disclosure": disclosure,
    }
    (staging / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    (staging / "disclosure.json").write_text(json.dumps(disclosure, ensure_ascii=False, indent=2), encoding="utf-8")

    _swap_in(staging, final)
    return package


# ---------------------------------------------------------------------------------------------
# Model cards: the evidence that goes with each use case's decision aids


def model_card_path(settings: Settings, use_case: str) -> Path:
    return settings.gold / "_model_cards" / f"{use_case}.json"


def build_model_card(settings: Settings, use_case: str) -> dict[str, Any]:
    """Assemble a use case's model card from its declaration and what was actually published.

    Declared: purpose, questions, method, data, what it cannot say. Measured: each published
    mart's data window, rows and gate verdict (from its publication manifest) and the fit-quality
    rows of the mart named by ``model_card.fit_quality_mart`` (read from gold, never from the
    build database).
    """
    from orchestration.core.catalog import use_cases

    uc = use_cases()[use_case]
    card = uc.model_card
    publications = {}
    for spec in uc.marts:
        manifest = read_manifest(settings, spec.name) if spec.published else None
        publications[spec.name] = None if manifest is None else {
            "rows": manifest["rows"],
            "data_window": manifest["data_window"],
            "published_at": manifest["published_at"],
            "gate": {k: manifest["gate"][k] for k in ("success", "evaluated_at", "statistics", "fingerprint")},
        }
    fit_quality: list[dict[str, Any]] = []
    fit_mart = card.fit_quality_mart
    if fit_mart and lake.table_exists(gold_path(settings, fit_mart)):
        fit_quality = lake.read(gold_path(settings, fit_mart)).to_pandas().to_dict(orient="records")
    return {
        "use_case": uc.name,
        "title": uc.title,
        "purpose": uc.purpose,
        "decision_questions": list(uc.decision_questions),
        "owner": uc.owner,
        "model": " ".join(card.model.split()),
        "data": " ".join(card.data.split()),
        "cannot_say": " ".join(card.cannot_say.split()),
        "parameters": uc.parameters.model_dump(mode="json"),
        "publications": publications,
        "fit_quality": fit_quality,
    }


def publish_model_card(settings: Settings, use_case: str) -> dict[str, Any]:
    """Write ``gold/_model_cards/<use_case>.json`` (atomically); unchanged content is not rewritten."""
    card = build_model_card(settings, use_case)
    path = model_card_path(settings, use_case)
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if {k: v for k, v in previous.items() if k != "generated_at"} == json.loads(json.dumps(card, default=str)):
            return {**previous, "unchanged": True}
    card["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_json_atomic(path, card)
    return card
