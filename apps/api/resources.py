"""What the API serves: published gold marts (at their published Delta version) and open datasets.

Same publication contract as the apps (``apps/published.py``): a mart is served only when
``gold/_publications/<mart>.json`` names its Delta version (write-audit-publish: a version with
no record has not passed the gate), open datasets only from ``open_data/<dataset>/<release>/``.
The build DuckDB, bronze and landing are never opened.

Tables are read once per (path, version) into Arrow and kept in a small LRU cache: a published
Delta version and a release folder never change, so the cache needs no invalidation, only a key.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.core import catalog, lake
from orchestration.core.catalog.mart_schema import MartColumn, table_schema
from orchestration.core.opendata import releases
from orchestration.core.opendata.zones import zone_column
from orchestration.core.settings import Settings

ColumnKind = Literal["string", "int", "float", "date", "datetime", "bool"]
# Table Schema types of the open files -> the kinds the query layer knows.
_TABLE_SCHEMA_KINDS: dict[str, ColumnKind] = {
    "string": "string",
    "integer": "int",
    "number": "float",
    "date": "date",
    "datetime": "datetime",
    "boolean": "bool",
    "yearmonth": "string",  # "2026-03": compared as text, which sorts like the months
    "year": "int",
}


MAX_INDEXED_VALUES = 20_000  # columns with more distinct values are scanned, not indexed
SNAPSHOT_ENTRIES = 256  # (mart, requested version) pairs whose snapshot is kept


class Loaded:
    """One published version in memory, with per-column equality indexes built on first use.

    A filter ``col__exact`` / ``col__in`` on an indexed column picks its rows by position
    (ascending, so the grain order is kept) instead of scanning the whole table: on a city-year
    of the largest mart, a quartier's rows are 1/111 of the table.
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.names = frozenset(table.column_names)
        self._indexes: dict[str, tuple[dict[Any, int], np.ndarray, np.ndarray] | None] = {}
        self._integers: dict[str, np.ndarray | None] = {}
        self._lock = threading.Lock()

    def integers(self, column: str) -> np.ndarray | None:
        """``column`` as a NumPy array when it holds signed integers and no null (else ``None``), made once."""
        if column not in self._integers:
            values = self.table[column]
            self._integers[column] = (
                values.to_numpy() if pa.types.is_signed_integer(values.type) and values.null_count == 0 else None
            )  # a race builds the same array twice: harmless
        return self._integers[column]

    def _index(self, column: str) -> tuple[dict[Any, int], np.ndarray, np.ndarray] | None:
        with self._lock:
            if column in self._indexes:
                return self._indexes[column]
        values = self.table[column]
        built = None
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) or pa.types.is_integer(values.type):
            encoded = pc.dictionary_encode(values).combine_chunks()
            if len(encoded.dictionary) <= MAX_INDEXED_VALUES:
                codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
                order = np.argsort(codes, kind="stable")  # positions grouped by value, ascending within a value
                counts = np.bincount(codes[codes >= 0], minlength=len(encoded.dictionary))
                starts = np.concatenate([[int((codes < 0).sum())], counts]).cumsum()
                built = ({v: i for i, v in enumerate(encoded.dictionary.to_pylist())}, order, starts)
        with self._lock:
            self._indexes[column] = built
        return built

    def positions(self, column: str, values: tuple[Any, ...]) -> np.ndarray | None:
        """Ascending row positions where ``column`` equals one of ``values``; ``None`` if not indexed."""
        index = self._index(column)
        if index is None:
            return None
        codes, order, starts = index
        parts = [order[starts[c] : starts[c + 1]] for c in (codes.get(v) for v in values) if c is not None]
        if not parts:
            return np.empty(0, dtype=np.int64)
        return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))  # sorted, each row once


class NotFound(LookupError):
    """No such dataset, or nothing published for it yet (HTTP 404)."""


@dataclass(frozen=True)
class Column:
    """A column the API may filter, sort and return: its declared name, kind, label and unit."""

    name: str
    kind: ColumnKind
    label: str
    unit: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Snapshot:
    """One immutable published state of a dataset: what a query runs on."""

    dataset: str
    kind: Literal["mart", "open"]
    version: str  # Delta version (marts) or release folder name (open data)
    columns: tuple[Column, ...]
    zone_level: str | None  # "quartier" / "arrondissement" when the rows have a zone
    table_path: Path
    stamp: str  # changes whenever the content could (commit file mtime, release files)
    order: tuple[str, ...] = ()  # the rows' natural order (the grain): stable pages without a sort
    metadata: dict[str, Any] = field(default_factory=dict)
    # What is derived from this state once and reused (the metadata response): never compared.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _zone_level(names: tuple[str, ...]) -> str | None:
    for level in ("quartier", "arrondissement"):
        if zone_column(level) in names:
            return level
    return None


@lru_cache(maxsize=256)
def _parse_json(path: str, mtime_ns: int, size: int) -> dict[str, Any] | None:
    del mtime_ns, size  # cache key only: a rewritten file is parsed again
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def _read_json(path: Path) -> dict[str, Any] | None:
    """A published JSON file, parsed once per content (publication records are read on every request)."""
    try:
        stat = path.stat()
        return _parse_json(str(path), stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        return None


@lru_cache(maxsize=128)
def _declared_schema(mart: str) -> dict[str, Any]:
    return table_schema(mart)


def _stamp(path: str) -> tuple[int, int] | None:
    """What tells a file's content changed (modification time, size); ``None`` when absent."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _version_readable(table_path: Path, commit: Path, version: int) -> bool:
    """Whether ``version`` of the gold table can still be read (not purged by log clean-up).

    On the local disk its commit file says so with one ``stat``. In the object store (cluster
    profile) there is no cheap ``stat``: the version's log is opened once, when the snapshot is
    built (a commit there is written once, put-if-absent, and never rewritten).
    """
    if lake.location(table_path).is_local:
        return commit.is_file()
    try:
        lake.table(table_path, version)
    except Exception:  # the log of that version is gone (deltalake raises several types)
        return False
    return True


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


class Published:
    """The published side of one lake, as the API reads it."""

    def __init__(self, settings: Settings, cache_entries: int = 32) -> None:
        self.settings = settings
        self._cache: OrderedDict[tuple[str, str, str], Loaded] = OrderedDict()
        self._cache_entries = cache_entries
        self._gold = str(settings.gold)
        self._lock = threading.Lock()
        # (mart, requested version) -> (the files' stamps when built, commit file, snapshot)
        self._snapshots: OrderedDict[tuple[str, str | None], tuple[tuple[Any, ...], str, Snapshot]] = OrderedDict()

    # -- marts -----------------------------------------------------------------------------

    def published_marts(self) -> list[str]:
        """Declared published marts that have a publication record, in declaration order."""
        folder = self.settings.gold / "_publications"
        return [m.name for m in catalog.marts().values() if m.published and (folder / f"{m.name}.json").is_file()]

    def mart_snapshot(self, mart: str, version: str | None = None) -> Snapshot:
        """The published version of ``mart`` (or an earlier published one, ``version``).

        Built once per publication: reused while the publication record, the model card and the
        version's commit file are unchanged (three ``stat`` calls, so a new publication, a new
        card or a purged version is seen by the very next request).
        """
        spec = catalog.marts().get(mart)
        if spec is None or not spec.published:
            raise NotFound(f"jeu de données inconnu : {mart}")
        gold = self._gold
        stamps = (_stamp(f"{gold}/_publications/{mart}.json"), _stamp(f"{gold}/_model_cards/{spec.use_case}.json"))
        key = (mart, version)
        with self._lock:
            cached = self._snapshots.get(key)
        if cached is not None and cached[0] == (*stamps, _stamp(cached[1])):
            return cached[2]
        snapshot = self._build_mart_snapshot(mart, version)
        commit = f"{gold}/{mart}/_delta_log/{int(snapshot.version):020d}.json"
        # The stamps read before building: a file changed meanwhile makes the next request rebuild.
        with self._lock:
            self._snapshots[key] = ((*stamps, _stamp(commit)), commit, snapshot)
            self._snapshots.move_to_end(key)
            while len(self._snapshots) > SNAPSHOT_ENTRIES:
                self._snapshots.popitem(last=False)
        return snapshot

    def _build_mart_snapshot(self, mart: str, version: str | None) -> Snapshot:
        spec = catalog.marts()[mart]
        record = _read_json(self.settings.gold / "_publications" / f"{mart}.json")
        table_path = self.settings.gold / mart
        if record is None or not lake.table_exists(table_path):  # local, or the bucket (cluster profile)
            raise NotFound(f"{mart} n'est pas encore publié")
        published = int(record["delta_version"])
        chosen = published
        if version is not None:
            # Only versions up to the published one passed the gate; later ones are not served.
            if not version.isdigit() or int(version) > published:
                raise ValueError(f"version {version!r} inconnue : versions publiées de 0 à {published}")
            chosen = int(version)
        commit = table_path / "_delta_log" / f"{chosen:020d}.json"
        if not _version_readable(table_path, commit, chosen):
            raise NotFound(f"la version {chosen} de {mart} n'est plus disponible (purgée)")
        columns = tuple(self._mart_column(c) for c in spec.columns)
        uc = catalog.use_cases()[spec.use_case]
        card = _read_json(self.settings.gold / "_model_cards" / f"{spec.use_case}.json")
        metadata = {
            "dataset": mart,
            "kind": "mart",
            "title": spec.description or mart,
            "use_case": {"name": uc.name, "title": uc.title, "owner": uc.owner},
            "publication": spec.publication,
            "grain": list(spec.grain),
            "schema": _declared_schema(mart),
            "delta_version": chosen,
            "published_delta_version": published,
            "published_at": record.get("published_at"),
            "rows": record.get("rows") if chosen == published else None,
            "data_window": record.get("data_window"),
            "gate": record.get("gate"),
            "model_card": card,
        }
        return Snapshot(
            dataset=mart,
            kind="mart",
            version=str(chosen),
            columns=columns,
            zone_level=_zone_level(tuple(c.name for c in columns)),
            table_path=table_path,
            stamp=f"{chosen}:{_mtime(commit)}",
            order=tuple(spec.grain),
            metadata=metadata,
        )

    @staticmethod
    def _mart_column(c: MartColumn) -> Column:
        return Column(c.name, c.type, c.label, c.unit, c.description)

    # -- open data ---------------------------------------------------------------------------

    def published_open_datasets(self) -> list[str]:
        """Declared open datasets that have a release, in declaration order."""
        return [d for d in catalog.open_datasets() if self._release_dir(d, None, strict=False) is not None]

    def _release_dir(self, dataset: str, version: str | None, strict: bool = True) -> Path | None:
        folder = releases.dataset_folder(self.settings.open_data, dataset)
        if version is None:
            latest = releases.latest(folder)
            if latest is not None:
                return latest
            if (folder / f"{dataset}.parquet").is_file():  # flat layout of older releases
                return folder
            if strict:
                raise NotFound(f"{dataset} n'est pas encore publié")
            return None
        # A release is chosen among the listed folders by exact name: no path is built from input.
        known = {p.name: p for p in releases.versions(folder)}
        if version not in known:
            raise ValueError(f"version {version!r} inconnue : versions publiées {sorted(known) or 'aucune'}")
        return known[version]

    def open_snapshot(self, dataset: str, version: str | None = None) -> Snapshot:
        """The latest release of an open dataset (or the release named ``version``)."""
        declared = catalog.open_datasets().get(dataset)
        if declared is None:
            raise NotFound(f"jeu de données inconnu : {dataset}")
        folder = self._release_dir(dataset, version)
        assert folder is not None
        parquet = folder / f"{dataset}.parquet"
        if not parquet.is_file():
            raise NotFound(f"{dataset} n'est pas encore publié")
        package = _read_json(folder / "datapackage.json") or {}
        schema = _read_json(folder / "tableschema.json") or self._package_schema(package)
        fields = schema.get("fields") or []
        columns = tuple(
            Column(
                str(f["name"]),
                _TABLE_SCHEMA_KINDS.get(str(f.get("type", "string")), "string"),
                str(f.get("title") or f["name"]),
                f.get("unit"),
                str(f.get("description", "")),
            )
            for f in fields
        )
        metadata = {
            "dataset": dataset,
            "kind": "open",
            "title": declared.title,
            "description": declared.description,
            "licence": declared.licence,
            "spatial_level": declared.spatial_level,
            "temporal_level": declared.temporal_level,
            "release": folder.name if folder.name != dataset else None,
            "releases": [p.name for p in releases.versions(releases.dataset_folder(self.settings.open_data, dataset))],
            "schema": schema,
            "disclosure": _read_json(folder / "disclosure.json") or package.get("disclosure"),
            "created": package.get("created"),
        }
        level = declared.spatial_level if declared.spatial_level != "commune" else None
        return Snapshot(
            dataset=dataset,
            kind="open",
            version=folder.name,
            columns=columns,
            zone_level=level if level and zone_column(level) in {c.name for c in columns} else None,
            table_path=parquet,
            stamp=f"{folder.name}:{_mtime(parquet)}",
            order=tuple(str(k) for k in (schema.get("primaryKey") or [])),
            metadata=metadata,
        )

    @staticmethod
    def _package_schema(package: dict[str, Any]) -> dict[str, Any]:
        for resource in package.get("resources") or []:
            schema = resource.get("schema")
            if isinstance(schema, dict) and schema.get("fields"):
                return schema
        return {}

    # -- data ----------------------------------------------------------------------------------

    def table(self, snapshot: Snapshot) -> Loaded:
        """The rows of ``snapshot`` (declared columns only, in grain order) and their equality
        index, cached per immutable version."""
        key = (snapshot.kind, snapshot.dataset, snapshot.stamp)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if snapshot.kind == "mart":
            table = lake.table(snapshot.table_path, int(snapshot.version)).to_pyarrow_table()
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(snapshot.table_path)
        present = [c for c in snapshot.column_names if c in table.column_names]
        table = table.select(present)
        order = [c for c in snapshot.order if c in present]
        if order:  # sorted once here, so that an unsorted page needs no sort at all
            table = table.sort_by([(c, "ascending") for c in order])
        loaded = Loaded(table.combine_chunks())
        with self._lock:
            self._cache[key] = loaded
            while len(self._cache) > self._cache_entries:
                self._cache.popitem(last=False)
        return loaded
