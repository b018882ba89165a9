"""Publication: gold Delta tables for services and open-data exports for everyone.

Only called after a mart's gate passed (the Dagster check is blocking). Open data is derived from
the *published* gold table, never from the build database, and is written to a staging folder
then swapped in, so a reader sees either the old export or the new one, never half of each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from orchestration.core import duck, lake
from orchestration.core.catalog.mart_schema import data_window
from orchestration.core.settings import Settings
from orchestration.core.verdicts import GateResult


def gold_path(settings: Settings, mart: str) -> Path:
    return settings.gold / mart


def publication_manifest_path(settings: Settings, mart: str) -> Path:
    return settings.gold / "_publications" / f"{mart}.json"


def python_marts_in_delta(settings: Settings) -> bool:
    """True when Python marts are Delta tables of the lake rather than tables of the build database.

    On the cluster profile, steps of different use cases run at once in different processes
    (Celery workers), and DuckDB lets one process at a time hold its file for writing: a Python
    mart writing ``marts.<name>`` into the build database would lock out every other step reading
    it. As Delta tables (in the bucket, through ``lake.py``) they take concurrent writers of
    different tables, and every later reader of the build database only reads (shared lock). The
    embedded profile runs one step at a time and keeps the build database (its outputs unchanged).
    """
    return settings.profile == "cluster"


def python_mart_path(settings: Settings, mart: str) -> Path:
    """The Delta table of a Python mart when :func:`python_marts_in_delta` (in the bucket on the cluster)."""
    return settings.lake / "python_marts" / mart


def _built_in_python(mart: str) -> bool:
    from orchestration.core.catalog import marts

    spec = marts().get(mart)
    return spec is not None and spec.built_by == "python"


# A mart read by its gate, kept for its publication step (same process): (database, mart) -> (state, frame).
_KEPT_FOR_PUBLICATION: dict[tuple[str, str], tuple[tuple[object, ...], pd.DataFrame]] = {}
KEPT_AT_MOST = 64  # marts gated and not yet published (a failed gate's stays until it is read again)


def _database_state(database: Path) -> tuple[object, ...]:
    """What changes whenever the database file is written: identity, size and time of it and its WAL.

    Taken before a read: a frame kept with this state is at least as new as it, and DuckDB lets
    no writer in while the file is read, so an equal state later means nothing was written since.
    """
    state: list[object] = []
    for path in (database, database.with_name(database.name + ".wal")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            state.append(None)
        else:
            state.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(state)


def read_mart(
    settings: Settings, mart: str, *, keep_for_publication: bool = False, reader: Callable[[], Any] | None = None
) -> pd.DataFrame:
    """A mart, read-only, in a stable order (gate and publisher share it).

    From the build database, or, for a Python mart on the cluster profile, from its Delta table
    (:func:`python_marts_in_delta`), sorted by the same ``order by all`` in an in-memory DuckDB so
    both give the same frame.

    ``keep_for_publication`` (the gate): keep a copy of the frame for the next read of the same
    mart in this process (its publication step), which takes it instead of reading again if the
    database was not written since (:func:`_database_state`); otherwise it reads as usual.

    ``reader``: gives a read-only connection to the build database that the caller keeps open
    (:meth:`~orchestration.factories.resources.ObservatoireResource.build_db_reader`); without
    it, a connection is opened and closed for this read.
    """
    if python_marts_in_delta(settings) and _built_in_python(mart):
        rows = lake.read(python_mart_path(settings, mart))
        con = duck.connect(extensions=())
        try:
            con.register("_mart_rows", rows)
            return con.sql("select * from _mart_rows order by all").to_arrow_table().to_pandas()
        finally:
            con.close()
    key, state = (str(settings.build_db), mart), _database_state(settings.build_db)
    kept = _KEPT_FOR_PUBLICATION.pop(key, None)
    if kept is not None and kept[0] == state:
        frame = kept[1]
    else:
        con = reader() if reader is not None else duck.connect(settings.build_db, read_only=True, extensions=())  # plain types only
        try:
            # Through Arrow, so DATE stays a date (pandas would widen it to a timestamp).
            frame = con.sql(f"select * from marts.{mart} order by all").to_arrow_table().to_pandas()
        finally:
            if reader is None:
                con.close()
    if keep_for_publication:
        _KEPT_FOR_PUBLICATION[key] = (state, frame.copy())  # a copy: the caller may modify its frame
        while len(_KEPT_FOR_PUBLICATION) > KEPT_AT_MOST:
            _KEPT_FOR_PUBLICATION.pop(next(iter(_KEPT_FOR_PUBLICATION)))  # the oldest
    return frame


def read_manifest(settings: Settings, mart: str) -> dict[str, Any] | None:
    """The publication manifest of ``mart``, if it was ever published."""
    path = publication_manifest_path(settings, mart)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def publication_window(rows: pa.Table, mart: str) -> dict[str, str | None]:
    """The manifest's ``data_window``: ISO first and last day over every declared date or
    timestamp column of ``mart`` (:func:`~orchestration.core.catalog.mart_schema.data_window`,
    the computation the pages use too)."""
    start, end = data_window(rows, mart)
    return {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None}


def publish_gold(settings: Settings, mart: str, rows: pa.Table, gate: GateResult) -> dict[str, Any]:
    """Replace the gold table of ``mart`` and write its publication manifest.

    Republishing exactly what is already published (same gate fingerprint) writes nothing: a
    rerun must not create new versions that readers would take for new data.
    """
    previous = read_manifest(settings, mart)
    if previous and previous["gate"].get("fingerprint") == gate.fingerprint and lake.table_exists(gold_path(settings, mart)):
        return {**previous, "unchanged": True}
    version = lake.overwrite(gold_path(settings, mart), rows)
    manifest = {
        "mart": mart,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "delta_version": version,
        "rows": rows.num_rows,
        "data_window": publication_window(rows, mart),
        "gate": gate.to_json(),
    }
    _write_json_atomic(publication_manifest_path(settings, mart), manifest)
    return manifest


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
