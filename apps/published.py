"""The one place where the apps read what the pipeline has PUBLISHED.

The apps never open the DuckDB build database, bronze or landing: only

- ``<lake>/gold/<mart>/`` (Delta) pinned to the version named in
  ``<lake>/gold/_publications/<mart>.json`` (the publication record is the commit point of
  write-audit-publish: a gold version without a record has not passed the gate);
- ``<lake>/quality/<mart>/latest.json`` (the latest gate result, also when it failed);
- ``<lake>/open_data/<dataset>/`` (CSV, Parquet, ``datapackage.json``, ``disclosure.json``).

Every reader returns ``None`` when nothing is published yet, so pages can say so plainly.
Reads are cached with ``st.cache_data`` keyed on the file's modification time (or the Delta
version and its commit file), so a new publication shows up on the next rerun without
restarting the server, while reruns triggered by widgets cost nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from apps.formatting import parse_day, parse_timestamp
from orchestration.core.catalog import UseCase, use_cases
from orchestration.core.catalog.mart_schema import column_names
from orchestration.core.settings import REFERENCE_DIR, Settings, load_settings


def overview_use_case() -> UseCase:
    """The use case the overview page (``/observatoire``) shows: the one whose published marts
    declare no ``display`` views (every other use case gets its generic page at ``/<use_case>``)."""
    found = [
        uc for uc in use_cases().values() if any(m.published for m in uc.marts) and not any(m.display for m in uc.marts if m.published)
    ]
    if len(found) != 1:
        raise RuntimeError(f"expected one use case without display views for the overview page, found {[u.name for u in found]}")
    return found[0]


# The overview page's mart: the first published mart of that use case, as declared in the catalog.
MART = next(m.name for m in overview_use_case().marts if m.published)
NO_DATA_MESSAGE = "Aucune donnée publiée pour l'instant : lancez `make demo`"
QUARTIERS_GEOJSON = REFERENCE_DIR / "quartiers-marseille.geojson"
QUARTIERS_ATTRIBUTION = "Contours des quartiers : Joël Gombin, « Quartiers de Marseille », data.gouv.fr, Licence Ouverte 2.0 (Etalab)."

# Columns the gold mart must carry (its declaration); anything else is a broken publication,
# shown as an error rather than as a half-drawn page.
GOLD_COLUMNS = tuple(column_names(MART))
OPEN_DATA_COLUMNS = ("arrondissement", "nom_arrondissement", "mois", "categorie", "nb_interventions", "diffusion")

# Simplification tolerance for the quartier polygons, in degrees (~10 m at Marseille's latitude):
# invisible at city zoom, and it shrinks the payload sent to every browser from 2.1 MB to ~0.2 MB.
GEOJSON_TOLERANCE_DEG = 0.0001


class PublishedDataError(RuntimeError):
    """A published file exists but does not follow the publication contract."""


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    """A Great Expectations gate result, as published in JSON by the pipeline."""

    success: bool
    suite: str
    evaluated_at: datetime | None
    evaluated: int
    successful: int
    unsuccessful: int
    failed: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateResult:
        """Build from ``latest.json`` or the ``gate`` block of a publication record."""
        stats = data.get("statistics") or {}
        return cls(
            success=bool(data.get("success")),
            suite=str(data.get("suite") or data.get("mart") or ""),
            evaluated_at=parse_timestamp(data.get("evaluated_at")),
            evaluated=int(stats.get("evaluated_expectations") or 0),
            successful=int(stats.get("successful_expectations") or 0),
            unsuccessful=int(stats.get("unsuccessful_expectations") or 0),
            failed=tuple(data.get("failed") or ()),
        )


@dataclass(frozen=True)
class MartPublication:
    """The published version of a gold mart, with the record that published it."""

    mart: str
    table: pd.DataFrame  # ``jour`` as datetime64, the other columns as in the contract
    delta_version: int
    published_at: datetime | None
    window_start: date
    window_end: date
    rows: int
    gate: GateResult | None  # the gate run that allowed this publication
    warnings: tuple[str, ...] = ()  # contract anomalies worth showing to the analyst


@dataclass(frozen=True)
class DownloadFile:
    """One file offered for download, read into memory (open-data files are small aggregates)."""

    label: str
    file_name: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class OpenDatasetRelease:
    """What is published for one open dataset."""

    dataset: str
    table: pd.DataFrame  # the CSV as citizens download it; suppressed counts are <NA>
    datapackage: dict[str, Any]
    disclosure: dict[str, Any] | None
    downloads: tuple[DownloadFile, ...]
    fields: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    count_column: str = "nb_interventions"  # the integer field of the Table Schema (empty when masked)


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


def current_settings() -> Settings:
    """Resolve the lake from the environment (``OBSERVATOIRE_LAKE``) at every rerun.

    Not cached: it only reads environment variables, and tests change them between runs.
    """
    return load_settings(require_key=False)  # the apps never need the pseudonymisation key


def _stamp(path: Path) -> int | None:
    """Modification time in ns, or ``None`` when the file does not exist (= not published)."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


# --------------------------------------------------------------------------------------------
# JSON records (publication, gate)
# --------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _read_json(path: str, mtime_ns: int) -> dict[str, Any]:
    """Parse a published JSON file; ``mtime_ns`` is only part of the cache key."""
    del mtime_ns
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PublishedDataError(f"{path} n'est pas un JSON valide : {exc}") from exc


def read_published_json(path: Path) -> dict[str, Any] | None:
    """Read a published JSON file through the cache; ``None`` if it does not exist."""
    stamp = _stamp(path)
    if stamp is None:
        return None
    return _read_json(str(path), stamp)


def load_gate_result(mart: str = MART, settings: Settings | None = None) -> GateResult | None:
    """Latest quality-gate result of ``mart`` (``<lake>/quality/<mart>/latest.json``), or ``None``."""
    settings = settings or current_settings()
    data = read_published_json(settings.quality / mart / "latest.json")
    return GateResult.from_json(data) if data is not None else None


GATE_HISTORY_COLUMNS = ("mart", "evalue_le", "succes", "attentes_evaluees", "attentes_en_echec", "lignes", "attentes_echouees")


@st.cache_data(show_spinner=False, max_entries=4)
def _read_gate_history(quality_dir: str, stamp: tuple[tuple[str, int], ...]) -> pd.DataFrame:
    del stamp
    rows = []
    for path in sorted(Path(quality_dir).glob("*/history/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a verdict being written: it shows up on the next rerun
        gate = GateResult.from_json(data)
        rows.append(
            {
                "mart": str(data.get("mart") or path.parent.parent.name),
                "evalue_le": gate.evaluated_at,
                "succes": gate.success,
                "attentes_evaluees": gate.evaluated,
                "attentes_en_echec": gate.unsuccessful,
                "lignes": int(data.get("rows") or 0),
                "attentes_echouees": ", ".join(sorted({str(f.get("expectation", "")) for f in gate.failed})),
            }
        )
    frame = pd.DataFrame(rows, columns=list(GATE_HISTORY_COLUMNS))
    frame["evalue_le"] = pd.to_datetime(frame["evalue_le"], utc=True)
    return frame.sort_values(["evalue_le", "mart"], ignore_index=True)


def load_gate_history(settings: Settings | None = None) -> pd.DataFrame:
    """Every recorded gate verdict (``<lake>/quality/<mart>/history/*.json``), oldest first.

    The health mart ``sante_controles_qualite`` is built by dbt BEFORE the gates of the same
    refresh record their verdicts (it is gated itself), so it always lags one refresh and is empty
    after the first one; the verdict files the gates write are current.
    """
    settings = settings or current_settings()
    files = sorted(settings.quality.glob("*/history/*.json"))
    stamp = tuple((str(f), _stamp(f) or 0) for f in files)
    return _read_gate_history(str(settings.quality), stamp)


# --------------------------------------------------------------------------------------------
# Gold Delta marts
# --------------------------------------------------------------------------------------------


def _commit_file(table_path: Path, version: int) -> Path:
    return table_path / "_delta_log" / f"{version:020d}.json"


@st.cache_data(show_spinner=False, max_entries=64)  # one entry per published mart version
def _read_delta(table_path: str, version: int, commit_stamp: int) -> pd.DataFrame:
    """One version of a Delta table as pandas.

    A Delta version is immutable, so (path, version) identifies the content; ``commit_stamp``
    (mtime of the commit file) guards against a table deleted and rebuilt from version 0.
    """
    del commit_stamp
    from orchestration.core import lake

    arrow = lake.table(table_path, version).to_pyarrow_table()  # local or object store (cluster profile)
    # date32 -> datetime64 so that filtering and charting work without per-row Python dates.
    return arrow.to_pandas(date_as_object=False)


def normalise_days(values: pd.Series) -> pd.Series:
    """Day column as naive midnight datetimes, whatever the publisher wrote.

    The contract says ``date``; a ``timestamp`` (what dbt-duckdb tends to produce) is accepted,
    and a time-zone-aware one is read in Marseille time, because comparing aware and naive
    datetimes raises in pandas.
    """
    days = pd.to_datetime(values)
    if days.dt.tz is not None:
        days = days.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    return days.dt.normalize()


def load_mart_publication(mart: str = MART, settings: Settings | None = None) -> MartPublication | None:
    """The published version of a gold mart, or ``None`` if it has never been published.

    The table is read at the ``delta_version`` named in the publication record, not at the
    latest version: the record is written after the gate passed, so this never shows a version
    the gate has not approved, even while the publisher is between its two writes.
    """
    settings = settings or current_settings()
    record = read_published_json(settings.gold / "_publications" / f"{mart}.json")
    table_path = settings.gold / mart
    from orchestration.core import lake

    if record is None or not lake.table_exists(table_path):
        return None

    warnings: list[str] = []
    version = record.get("delta_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        version = lake.table(table_path).version()
        warnings.append(f"La fiche de publication n'indique pas de version Delta : version {version} lue.")
    try:
        stamp = _stamp(_commit_file(table_path, version)) or 0
        table = _read_delta(str(table_path), version, stamp)
    except Exception as exc:
        # Vacuum or log clean-up removed the published version: show the latest, and say so.
        latest = lake.table(table_path).version()
        warnings.append(
            f"Version publiée {version} illisible ({type(exc).__name__}) : dernière version {latest} affichée."
        )
        version = latest
        table = _read_delta(str(table_path), latest, _stamp(_commit_file(table_path, latest)) or 0)

    missing = [c for c in GOLD_COLUMNS if c not in table.columns]
    if missing:
        raise PublishedDataError(f"La table gold {mart} n'a pas les colonnes attendues : {', '.join(missing)}.")
    table = table.copy()
    table["jour"] = normalise_days(table["jour"])
    try:
        table["nb_incidents"] = table["nb_incidents"].astype("int64")
    except (TypeError, ValueError) as exc:  # nulls or non-integers: the gate should have refused them
        raise PublishedDataError(f"La table gold {mart} a des comptages non entiers ou vides.") from exc

    rows = int(record.get("rows", len(table)))
    if rows != len(table):
        warnings.append(f"La fiche de publication annonce {rows} lignes, la table en contient {len(table)}.")

    window = record.get("data_window") or {}
    start = parse_day(window.get("start"))
    end = parse_day(window.get("end"))
    if (start is None or end is None) and not table.empty:
        start = start or table["jour"].min().date()
        end = end or table["jour"].max().date()
    if start is None or end is None:
        return None  # an empty publication: nothing to show yet

    gate = record.get("gate")
    return MartPublication(
        mart=mart,
        table=table,
        delta_version=version,
        published_at=parse_timestamp(record.get("published_at")),
        window_start=start,
        window_end=end,
        rows=len(table),
        gate=GateResult.from_json(gate) if isinstance(gate, dict) else None,
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------------------------
# Open-data exports
# --------------------------------------------------------------------------------------------

_MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "json": "application/json"}


def _resource_path(folder: Path, datapackage: dict[str, Any], fmt: str, default: str) -> Path:
    """Locate a resource through ``datapackage.json`` (the package is authoritative), else by name."""
    for resource in datapackage.get("resources") or []:
        if str(resource.get("format", "")).lower() == fmt and resource.get("path"):
            candidate = (folder / str(resource["path"])).resolve()
            # A path escaping the dataset folder would let a bad package serve any file.
            if candidate.is_relative_to(folder.resolve()):
                return candidate
    return folder / default


def _folder_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()))


@st.cache_data(show_spinner=False, max_entries=16)
def _read_open_dataset(folder: str, dataset: str, stamp: tuple[tuple[str, int, int], ...]) -> OpenDatasetRelease | None:
    """Read one open-data folder; ``stamp`` (names, mtimes, sizes) is only part of the cache key."""
    del stamp
    root = Path(folder)
    package_path = root / "datapackage.json"
    datapackage = json.loads(package_path.read_text(encoding="utf-8")) if package_path.is_file() else {}
    if not isinstance(datapackage, dict):
        raise PublishedDataError("datapackage.json n'est pas un objet JSON.")
    csv_path = _resource_path(root, datapackage, "csv", f"{dataset}.csv")
    if not csv_path.is_file():
        return None
    parquet_path = _resource_path(root, datapackage, "parquet", f"{dataset}.parquet")

    # Read the CSV exactly as citizens download it. Codes stay strings ("13201", "2026-01"),
    # only an empty count is missing (suppressed), so a category literally named "NA" survives.
    table = pd.read_csv(
        csv_path,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8",
    )
    fields = _csv_fields(datapackage)
    # The release's own Table Schema says which columns it has; a package without one is the
    # original police layout.
    expected = [str(f["name"]) for f in fields] if fields else list(OPEN_DATA_COLUMNS)
    missing = [c for c in expected if c not in table.columns]
    if missing:
        raise PublishedDataError(f"{csv_path.name} n'a pas les colonnes attendues : {', '.join(missing)}.")
    count = next((str(f["name"]) for f in fields if f.get("type") == "integer"), "nb_interventions")
    table[count] = pd.to_numeric(table[count].replace("", None)).astype("Int64")

    disclosure_path = root / "disclosure.json"
    if disclosure_path.is_file():
        disclosure = json.loads(disclosure_path.read_text(encoding="utf-8"))
    else:
        disclosure = datapackage.get("disclosure")

    downloads = [DownloadFile("Télécharger le CSV", csv_path.name, _MIME["csv"], csv_path.read_bytes())]
    if parquet_path.is_file():
        downloads.append(DownloadFile("Télécharger le Parquet", parquet_path.name, _MIME["parquet"], parquet_path.read_bytes()))
    if package_path.is_file():
        downloads.append(DownloadFile("Télécharger datapackage.json", "datapackage.json", _MIME["json"], package_path.read_bytes()))
    return OpenDatasetRelease(
        dataset=dataset,
        table=table,
        datapackage=datapackage,
        disclosure=disclosure if isinstance(disclosure, dict) else None,
        downloads=tuple(downloads),
        fields=fields,
        count_column=count,
    )


def _csv_fields(datapackage: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The Table Schema fields of the package, the CSV's preferred (the file most people open)."""
    fields: tuple[dict[str, Any], ...] = ()
    for resource in datapackage.get("resources") or []:
        schema = resource.get("schema") or {}
        if isinstance(schema, str):  # a schema published beside the data, referenced by path
            continue
        schema_fields = schema.get("fields")
        if schema_fields:
            fields = tuple(schema_fields)
            if str(resource.get("format", "")).lower() == "csv":
                break
    return fields


def load_open_dataset(dataset: str, settings: Settings | None = None) -> OpenDatasetRelease | None:
    """The published files of one open dataset, or ``None`` if it has not been exported yet."""
    settings = settings or current_settings()
    folder = settings.open_data / dataset
    if (folder / "latest").is_dir():  # versioned layout: <dataset>/<version>/ and latest -> newest
        folder = folder / "latest"
    if not folder.is_dir():
        return None
    try:
        return _read_open_dataset(str(folder), dataset, _folder_stamp(folder))
    except (json.JSONDecodeError, ValueError) as exc:
        raise PublishedDataError(f"export {dataset} illisible ({exc}).") from exc
    except OSError as exc:
        # The publisher swaps the whole folder on re-export: a read can land in between.
        raise PublishedDataError(f"export {dataset} en cours de remplacement, réessayez dans un instant.") from exc


# --------------------------------------------------------------------------------------------
# Reference geometry
# --------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=2)
def _read_geojson(path: str, mtime_ns: int, tolerance: float) -> dict[str, Any]:
    del mtime_ns
    from shapely import set_precision
    from shapely.geometry import mapping, shape

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        geometry = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
        geometry = set_precision(geometry, 1e-5)  # ~1 m: fewer digits in the JSON sent to browsers
        features.append(
            {"type": "Feature", "properties": dict(feature["properties"]), "geometry": json.loads(json.dumps(mapping(geometry)))}
        )
    return {"type": "FeatureCollection", "features": features}


def load_quartiers_geojson(path: Path = QUARTIERS_GEOJSON) -> dict[str, Any] | None:
    """The 111 quartiers of Marseille (WGS 84), simplified for display; ``None`` if absent."""
    stamp = _stamp(path)
    if stamp is None:
        return None
    return _read_geojson(str(path), stamp, GEOJSON_TOLERANCE_DEG)


# --------------------------------------------------------------------------------------------
# Use-case marts and model cards (generic: every published mart of every use case)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldTable:
    """Any published gold mart at its published version, with its publication record."""

    mart: str
    table: pd.DataFrame
    delta_version: int
    published_at: datetime | None
    data_window: tuple[date | None, date | None]
    gate: GateResult | None


def load_gold_table(mart: str, settings: Settings | None = None) -> GoldTable | None:
    """The published version of ``mart`` (as named in its publication record), or ``None``."""
    settings = settings or current_settings()
    record = read_published_json(settings.gold / "_publications" / f"{mart}.json")
    table_path = settings.gold / mart
    from orchestration.core import lake

    if record is None or not lake.table_exists(table_path):
        return None
    version = record.get("delta_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return None
    try:
        table = _read_delta(str(table_path), version, _stamp(_commit_file(table_path, version)) or 0)
    except Exception:
        return None
    window = record.get("data_window") or {}
    gate = record.get("gate")
    return GoldTable(
        mart=mart,
        table=table,
        delta_version=version,
        published_at=parse_timestamp(record.get("published_at")),
        data_window=(parse_day(window.get("start")), parse_day(window.get("end"))),
        gate=GateResult.from_json(gate) if isinstance(gate, dict) else None,
    )


def load_model_card(use_case: str, settings: Settings | None = None) -> dict[str, Any] | None:
    """The published model card of a use case (``gold/_model_cards/<use_case>.json``)."""
    settings = settings or current_settings()
    return read_published_json(settings.gold / "_model_cards" / f"{use_case}.json")
