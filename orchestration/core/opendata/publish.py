"""Publish one open dataset: generalise, keep closed periods, protect, audit, write a new version.

Open data is derived from the *published* gold table, never from the build database. A release:

1. generalises the mart to the declared zone x period x category grid (full grid, zeros included)
   and keeps only **closed** periods (over, and covered by the data);
2. copies verbatim every period an earlier release already published (a published cell is never
   revised), and protects only the newly closed periods (:func:`disclosure.protect`), auditing
   them against every earlier release kept in the lake;
   a dataset of a *joint group* (same mart on another period grid, :mod:`siblings`; another mart
   counting some of the same rows, :mod:`overlap`) is audited against every release of the group;
3. re-checks the whole table (no visible small count, no margin hiding a single cell) and writes
   ``<dataset>/<version>/`` (CSV, Parquet, GeoJSON, Table Schema, datapackage, disclosure report)
   before pointing ``latest`` at it. Any failed check raises :class:`DisclosureError`: nothing
   is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.core.catalog import OpenDataset, feed, marts
from orchestration.core.disclosure import (
    TIME_CONSISTENCY,
    DisclosureError,
    DisclosureReport,
    ZoneMargin,
    check_publishable,
    earlier_knowledge,
    margins_with_one_mask,
    protect,
    zone_margins_with_one_mask,
)
from orchestration.core.geography import ATTRIBUTION
from orchestration.core.opendata import overlap, releases, tables
from orchestration.core.opendata import siblings as siblings_module
from orchestration.core.opendata.formats import MEDIA_TYPES, table_schema, write_csv, write_geojson, write_parquet
from orchestration.core.opendata.joint_audit import JointResult, joint_intervals
from orchestration.core.opendata.periods import is_closed, period_bounds, period_column, period_labels
from orchestration.core.opendata.zones import NAME_COLUMNS, quartiers, zone_column, zone_names
from orchestration.core.settings import Settings
from orchestration.core.verdicts import GateResult

JOINT_ATTACKER = (
    "cases publiées et marges de toutes les diffusions de ce jeu et de ses jeux frères (mêmes effectifs, "
    "autres périodes : un mois et les semaines ISO qu'il recoupe sont des sommes des mêmes jours), "
    "cases masquées non nulles"
)
CROSS_MART_ATTACKER = (
    "cases publiées et marges de toutes les diffusions de ce jeu et des jeux d'autres magasins qui comptent "
    "une partie des mêmes lignes (mêmes flux et catégories, autres heures ou autre datation : une heure avant "
    "midi rattachée à la soirée de la veille), sur les atomes communs zone x catégorie x jour x classe "
    "d'heures ; cases masquées non nulles"
)
FORMAT_VERSION = "2.0.0"  # of the file layout and columns, not of the data (that is the folder name)


def feed_categories(dataset: OpenDataset) -> list[str]:
    """Every category label the dataset can show: declared, else its source feeds' code labels."""
    if dataset.measures:
        return list(dataset.measures)
    if dataset.categories:
        return list(dataset.categories)
    return sorted(overlap.code_labels(dataset))  # the labels of the codes it counts (every code of its feeds without ``rows``)


def data_as_of(mart: pd.DataFrame, dataset: OpenDataset) -> date | None:
    """The last day the data covers (the mart's latest day), ``None`` for an empty mart."""
    if mart.empty:
        return None
    if dataset.source_periods_closed:
        return None  # closure is declared by the source, not read from a day
    return pd.to_datetime(mart[dataset.as_of_column or dataset.date_column]).max().date()


COUNT = "_effectif"


def _long(mart: pd.DataFrame, dataset: OpenDataset) -> pd.DataFrame:
    """One row per (mart row, category) with its count in ``COUNT``.

    A wide mart (``measures``: one count column per category) is melted; a mart without a count
    column (``count_column: null``) counts one per row.
    """
    frame = mart.copy()
    if dataset.measures:
        frame = pd.concat(
            [frame.assign(**{dataset.category_column: label, COUNT: frame[column]}) for label, column in dataset.measures.items()],
            ignore_index=True,
        )
    else:
        frame[COUNT] = frame[dataset.count_column] if dataset.count_column else 1
    return frame


def feeds_as_of(settings: Settings, dataset: OpenDataset) -> date | None:
    """The last day every source feed of the dataset has delivered (ingestion ledger), if known.

    A mart may hold days ahead of the deliveries (planned works, markets, events); a period is
    closed only once every feed that delivered at all has covered it. Conservative on purpose.
    """
    from orchestration.core import lake
    from orchestration.core.ingestion import ledger_path

    path = ledger_path(settings)
    sources = set(marts()[dataset.from_mart].source_feeds)
    for other in (dataset.table.join, dataset.table.nested_in) if dataset.table else ():
        if other is not None:
            sources |= set(marts()[other.mart].source_feeds)
    current = lake.open_table(path) if sources else None
    if current is None:
        return None
    # Only the three columns, each ledger file read once per process (a commit per feed and run).
    ledger = lake.read_current(current, ["feed", "status", "delivery_date"]).to_pandas()
    ledger = ledger[ledger["feed"].isin(sources) & (ledger["status"] == "ingested") & ledger["delivery_date"].notna()]
    if ledger.empty:
        return None
    last = pd.to_datetime(ledger.groupby("feed")["delivery_date"].max()).dt.date
    return min(covered_through(day, feed(name).delivery.cadence) for name, day in last.items())


def covered_through(delivery_day: date, cadence: str) -> date:
    """The last day a delivery covers: its day, its week (named after the Monday), month or year."""
    if cadence == "weekly":
        return delivery_day + timedelta(days=6)
    if cadence == "monthly":
        return period_bounds(delivery_day.strftime("%Y-%m"), "month")[1]
    if cadence == "yearly":
        return date(delivery_day.year, 12, 31)
    return delivery_day


def generalise(mart: pd.DataFrame, dataset: OpenDataset, as_of: date | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Aggregate the mart to the dataset's zone x period x category grid, closed periods only.

    Every zone of the reference geography and every category appear (zeros included): a missing
    row would be ambiguous (zero or masked?). Returns the cells and the group columns.
    """
    zone = zone_column(dataset.spatial_level)
    period = period_column(dataset.temporal_level)
    as_of = as_of or data_as_of(mart, dataset)
    # Only the rows the dataset says it counts (declared hours and codes; all rows without ``rows``).
    frame = _long(mart[overlap.row_mask(mart, dataset)] if dataset.rows is not None else mart, dataset)
    if zone and zone not in frame and dataset.spatial_level == "arrondissement":
        frame[zone] = frame["code_quartier"].map(lambda code: quartiers().get(str(code), (None, None))[1])
    frame[period] = period_labels(frame[dataset.date_column], dataset.temporal_level) if len(frame) else pd.Series(dtype=str)
    breakdown = dataset.breakdown_column
    groups = [c for c in (zone, period, breakdown) if c]
    counts = frame.groupby([*groups, dataset.category_column])[COUNT].sum()
    closed = sorted(
        p for p in frame[period].dropna().unique()
        if dataset.source_periods_closed or (as_of and is_closed(p, dataset.temporal_level, as_of))
    )
    categories = sorted(set(feed_categories(dataset)) | set(frame[dataset.category_column].dropna().astype(str)))
    # The breakdown's values: every value the mart has ever held (zeros for the periods without).
    values = [sorted(frame[breakdown].dropna().astype(str).unique())] if breakdown else []
    axes = ([list(zone_names(dataset.spatial_level))] if zone else []) + [closed, *values, categories]
    grid = pd.MultiIndex.from_product(axes, names=[*groups, dataset.category_column])
    cells = counts.reindex(grid, fill_value=0).astype("int64").rename(dataset.output_count_column).reset_index()
    return cells, groups


def _ordered(table: pd.DataFrame, dataset: OpenDataset, groups: list[str]) -> pd.DataFrame:
    """Zone name beside its code; each group reads category by category, its total last."""
    zone = zone_column(dataset.spatial_level)
    if zone and NAME_COLUMNS[dataset.spatial_level] not in table:
        table.insert(1, NAME_COLUMNS[dataset.spatial_level], table[zone].map(zone_names(dataset.spatial_level)))
    table["_total_last"] = table[dataset.category_column] == dataset.total_label
    table = table.sort_values([*groups, "_total_last", dataset.category_column], kind="stable")
    return table.drop(columns="_total_last").reset_index(drop=True)


def zone_margin(dataset: OpenDataset) -> ZoneMargin | None:
    """The dataset's declared sum over zones known elsewhere (``known_margins``), if any."""
    for margin in dataset.known_margins:
        if margin.over == "zone":
            return ZoneMargin(zone_column(dataset.spatial_level), frozenset(margin.categories) or None, margin.reason)
    return None


def build_open_dataset(
    mart: pd.DataFrame,
    dataset: OpenDataset,
    k: int,
    as_of: date | None = None,
    previous: pd.DataFrame | None = None,
    earlier: list[pd.DataFrame] | None = None,
    siblings: Sequence[tuple[OpenDataset, list[pd.DataFrame]]] = (),
) -> tuple[pd.DataFrame, dict[str, Any], list[dict[str, Any]]]:
    """The release table, its disclosure report and its Table Schema fields.

    ``previous`` is the latest published table (its periods are copied verbatim); ``earlier``
    every earlier release (for the attacker's audit); ``siblings`` every release of each sibling
    dataset (same cells over other periods: audited jointly, :func:`_joint_protect`).
    Raises :class:`DisclosureError`.
    """
    cells, groups = generalise(mart, dataset, as_of)
    period = period_column(dataset.temporal_level)
    key = [*groups, dataset.category_column]
    frozen = previous.drop(columns=["periode_close"], errors="ignore") if previous is not None else cells.iloc[0:0]
    frozen_periods = set(frozen[period]) if len(frozen) else set()
    fresh = cells[~cells[period].isin(frozen_periods)]
    margin = zone_margin(dataset)
    # A zone margin's withheld groups mask their zeros too: an earlier release's masks are bounded below by 0.
    knowledge = earlier_knowledge(earlier or [], key, dataset.output_count_column, 0.0 if margin else 1.0)

    def release(forced: set[tuple[Any, ...]]) -> Release:
        protected, report = protect(
            fresh, groups, dataset.category_column, dataset.output_count_column, dataset.total_label, k,
            dataset.protection_interval, knowledge, forced=forced, zone_margin=margin,
        )
        protected = _ordered(protected, dataset, groups)
        table = pd.concat([frozen[protected.columns], protected], ignore_index=True) if len(frozen) else protected
        table[dataset.output_count_column] = table[dataset.output_count_column].astype("Int64")
        return _ordered(table, dataset, groups), protected, report

    table, protected, report = release(set())
    joint: dict[str, Any] | None = None
    if siblings:
        table, protected, report, joint = _joint_protect(dataset, earlier or [], siblings, release, (table, protected, report))
    # Whole-release checks, on what is written, frozen periods included.
    check_publishable(table, dataset.output_count_column, k)
    if dataset.total_label is not None and margins_with_one_mask(table, groups, dataset.output_count_column):
        raise DisclosureError(f"{dataset.dataset}: a published margin hides exactly one cell; refusing to publish")
    # Late data for an already published period is not published (no revision): report how many cells.
    late = 0
    if len(frozen):
        now = cells[cells[period].isin(frozen_periods)].merge(frozen[[*key, dataset.output_count_column]], on=key, how="inner", suffixes=("", "_publie"))
        shown = now[f"{dataset.output_count_column}_publie"]
        late = int((shown.notna() & (shown != now[dataset.output_count_column])).sum())
    disclosure = report.to_json()
    disclosure["cells"] = len(table)
    disclosure["new_cells"] = len(protected)
    disclosure["time_consistency"] = TIME_CONSISTENCY
    disclosure["periods"] = {
        "published": sorted(table[period].unique().tolist()),
        "new": sorted(protected[period].unique().tolist()),
        "frozen": sorted(frozen_periods),
    }
    disclosure["late_changes_not_published"] = late
    if joint is not None:
        disclosure["joint_audit"] = joint
    if margin is not None and len(frozen):
        # Periods published before the margin was declared are never revised: say if one still leaks.
        lonely = zone_margins_with_one_mask(frozen, margin, groups, dataset.category_column, dataset.output_count_column)
        disclosure["known_margins"][0]["frozen_groups_with_one_mask_not_revisable"] = lonely
    example = table.iloc[0].to_dict() if len(table) else None
    return table, disclosure, table_schema(dataset, k, example)["fields"]


Release = tuple[pd.DataFrame, pd.DataFrame, DisclosureReport]


def _joint_protect(
    dataset: OpenDataset,
    earlier: list[pd.DataFrame],
    siblings: Sequence[tuple[OpenDataset, list[pd.DataFrame]]],
    release: Callable[[set[tuple[Any, ...]]], Release],
    first: Release,
) -> tuple[pd.DataFrame, pd.DataFrame, DisclosureReport, dict[str, Any]]:
    """Audit the candidate jointly with its siblings' releases; mask more of its new cells until it passes.

    Only the candidate's new periods are ever masked further (earlier releases are never revised),
    so the pattern of a published period never changes. A masked cell that was already narrow
    before this release (a leak of earlier releases, which cannot be undone) is reported, not
    blocking; a narrow cell the candidate creates and cannot hide refuses the release.

    Each round keeps every mask of the previous one and adds some: the attacker's constraints only
    loosen, so a cell that passed stays passed, and later rounds re-audit only the cells that were
    narrow and the newly masked ones.
    """
    interval = max(dataset.protection_interval, *(d.protection_interval for d, _ in siblings))
    # Datasets of other marts: every series is cut in the atoms common to the group (overlap.py).
    counted = overlap.countings([dataset, *(d for d, _ in siblings)])
    others = [siblings_module.series(d, tables, counted[d.dataset]) for d, tables in siblings]
    mine = counted[dataset.dataset]
    table, protected, report = first
    period = period_column(dataset.temporal_level)
    new_spans = [period_bounds(str(p), dataset.temporal_level) for p in protected[period].unique()]
    key_columns = ["dataset", "zone", "period", "category"]
    forced: set[tuple[Any, ...]] = set()
    historic: set[tuple[Any, ...]] | None = None
    only: set[tuple[str, str, str, str]] | None = None
    audited: dict[tuple[Any, ...], dict[str, Any]] = {}
    blocks: set[tuple[date, date]] = set()
    programmes, revision, rounds = 0, 0.0, 0
    while True:
        # Cells proven wide by feasible points skip their programmes (cross-mart groups: one block spans the history).
        result = joint_intervals(
            [*others, siblings_module.series(dataset, [*earlier, table], mine)], new_spans, only=only,
            protection_interval=interval if mine is not None else None,
        )
        programmes += result.programmes
        revision = max(revision, result.revision)
        blocks |= set(result.blocks)
        audited.update({tuple(r[c] for c in key_columns): r for r in result.intervals.to_dict("records")})
        narrow = result.narrow(interval)
        if len(narrow) and historic is None:
            # The same blocks without the candidate's new periods: what was already narrow before it.
            before = joint_intervals([*others, siblings_module.series(dataset, earlier, mine)], result.blocks).narrow(interval)
            historic = set(before[key_columns].itertuples(index=False, name=None))
        if len(narrow) and historic:
            narrow = narrow[[k not in historic for k in narrow[key_columns].itertuples(index=False, name=None)]]
        if narrow.empty:
            break
        extra = siblings_module.extra_mask(narrow, protected, dataset, result.blocks) - forced
        if not extra:
            worst = narrow.iloc[0]
            raise DisclosureError(
                f"{dataset.dataset}: joint attacker's audit with {', '.join(d.dataset for d, _ in siblings)} failed: "
                f"{len(narrow)} masked cell(s) recoverable within less than {interval} by combining the series "
                f"(e.g. {worst['dataset']} {worst['zone']} {worst['period']} {worst['category']}: "
                f"[{worst['borne_basse']}, {worst['borne_haute']}]); no new cell left to mask, refusing to publish"
            )
        masked_before = _masked_cells(protected, dataset)
        forced |= extra | masked_before
        rounds += 1
        table, protected, report = release(forced)
        only = set(narrow[key_columns].itertuples(index=False, name=None)) | {
            _joint_key(dataset, key) for key in _masked_cells(protected, dataset) - masked_before
        }
    intervals = pd.DataFrame(list(audited.values()), columns=result.intervals.columns)
    summary = JointResult(intervals, sorted(blocks), programmes, revision).summary(interval)
    return (
        table,
        protected,
        report,
        {
            "siblings": [d.dataset for d, _ in siblings if d.from_mart == dataset.from_mart],
            **_cross_mart_report(dataset, [d for d, _ in siblings], mine),
            "passed": True,
            "attacker": JOINT_ATTACKER if mine is None else CROSS_MART_ATTACKER,
            "solver": "programme linéaire (HiGHS), bornes arrondies aux entiers vers l'intérieur",
            "protection_interval": interval,
            **summary,
            "extra_masked_cells": len(_masked_cells(protected, dataset) - _masked_cells(first[1], dataset)),
            "extra_masking_rounds": rounds,
            "earlier_narrow_cells_not_revisable": len(historic or ()),
        },
    )


def _cross_mart_report(dataset: OpenDataset, group: list[OpenDataset], counting: Any) -> dict[str, Any]:
    """The datasets of other marts audited with this one and the hour classes of the common atoms (if any)."""
    others = overlap.cross_mart(dataset, group)
    if not others:
        return {}
    return {"cross_mart": others, "hour_classes": {name: list(hours) for name, hours in counting.classes.items()} if counting else {}}


def _cell_columns(dataset: OpenDataset) -> list[str]:
    """The columns naming a cell, as :func:`generalise` and :func:`disclosure.protect` order them."""
    zone, breakdown = zone_column(dataset.spatial_level), dataset.breakdown_column
    return [c for c in (zone, period_column(dataset.temporal_level), breakdown) if c] + [dataset.category_column]


def _masked_cells(protected: pd.DataFrame, dataset: OpenDataset) -> set[tuple[Any, ...]]:
    """Keys of the masked cells of a protected table."""
    masked = protected[protected[dataset.output_count_column].isna()]
    return set(masked[_cell_columns(dataset)].itertuples(index=False, name=None))


def _joint_key(dataset: OpenDataset, key: tuple[Any, ...]) -> tuple[str, str, str, str]:
    """A cell key of ``dataset`` as the joint audit names it: (dataset, zone[|breakdown], period, category)."""
    cell = dict(zip(_cell_columns(dataset), key, strict=True))
    zone = "|".join(str(cell[c]) for c in siblings_module.zone_columns(dataset))
    return dataset.dataset, zone, str(cell[period_column(dataset.temporal_level)]), str(cell[dataset.category_column])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _nothing_new(folder: Path, reason: str, k: int) -> dict[str, Any]:
    return {
        "unchanged": True,
        "reason": reason,
        "path": str(folder),
        "disclosure": {"cells": 0, "primary_suppressed": 0, "secondary_suppressed": 0, "k_min": k},
    }


def _release_periods(mart: pd.DataFrame, dataset: OpenDataset, as_of: date | None, others: dict[str, pd.DataFrame] | None) -> pd.Series:
    """The closed periods the next release would cover (empty: nothing to publish)."""
    period = period_column(dataset.temporal_level)
    if dataset.kind == "table":
        return tables.closed_rows(tables.source_rows(mart, dataset, others), dataset, as_of)[period].astype(str)
    cells, _ = generalise(mart, dataset, as_of)
    return cells[period].astype(str)


def _schema(dataset: OpenDataset, k: int, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The release's Table Schema: the dataset's descriptor with this release's fields and key."""
    schema = table_schema(dataset, k)
    if dataset.kind == "table" and dataset.table is not None:
        schema["primaryKey"] = list(dataset.table.key)
    return {**schema, "fields": fields}


def publish_open_dataset(
    settings: Settings,
    dataset: OpenDataset,
    mart: pd.DataFrame,
    gate: GateResult,
    others: dict[str, pd.DataFrame] | None = None,
    siblings: Sequence[OpenDataset] | None = None,
) -> dict[str, Any]:
    """Publish a new version of ``dataset`` if a period closed since the last one; returns its package.

    Nothing is written when no new period closed (reruns leave the files byte for byte unchanged),
    or when a disclosure check fails (:class:`DisclosureError` propagates, its ``release`` set to
    the refused version: the release is refused).
    ``siblings`` (default: the joint group found from the declarations: siblings of the same mart and
    datasets of other marts counting the same rows, :func:`overlap.joint_group`) are audited jointly
    with the release; the releases of one group are serialised so each is audited against the
    others' last ones.
    """
    siblings = list(siblings) if siblings is not None else overlap.joint_group(dataset)
    with siblings_module.group_lock(settings.build_db.parent / "locks", dataset, siblings):
        return _publish(settings, dataset, mart, gate, others, siblings)


def _publish(
    settings: Settings,
    dataset: OpenDataset,
    mart: pd.DataFrame,
    gate: GateResult,
    others: dict[str, pd.DataFrame] | None,
    siblings: list[OpenDataset],
) -> dict[str, Any]:
    name = dataset.dataset
    folder = releases.dataset_folder(settings.open_data, name)
    as_of = data_as_of(mart, dataset)
    delivered = feeds_as_of(settings, dataset)
    if delivered and dataset.rows is not None and dataset.rows.day_starts_at:
        # Evening dating: a day is covered once the next calendar day's small hours are delivered.
        delivered -= timedelta(days=1)
    if as_of and delivered:
        as_of = min(as_of, delivered)
    periods = _release_periods(mart, dataset, as_of, others)
    period = period_column(dataset.temporal_level)
    if periods.empty:
        return _nothing_new(folder, "aucune période close : rien n'est publié (jamais de période partielle)", settings.k_min)
    version = str(periods.max())
    current = releases.latest(folder) if not folder.is_symlink() else None
    if current is not None and current.name >= version:
        package = json.loads((current / "datapackage.json").read_text(encoding="utf-8"))
        return {**package, "unchanged": True}
    earlier = releases.earlier_releases(settings.open_data, name)
    previous = releases.read_release(current, name) if current is not None else None
    try:
        if dataset.kind == "table":
            table, disclosure, fields = tables.build_table_release(mart, dataset, settings.k_min, as_of, previous, earlier, others)
        else:
            sibling_releases = [(d, releases.earlier_releases(settings.open_data, d.dataset)) for d in siblings]
            table, disclosure, fields = build_open_dataset(mart, dataset, settings.k_min, as_of, previous, earlier, sibling_releases)
    except DisclosureError as error:
        error.release = version  # which release was refused, for the record (refusals.py)
        raise

    now = datetime.now(UTC).isoformat(timespec="seconds")
    source_feeds = list(marts()[dataset.from_mart].source_feeds)
    lineage = {
        "mart": dataset.from_mart,
        **({"joined_mart": dataset.table.join.mart} if dataset.table and dataset.table.join else {}),
        "feeds": source_feeds,
        "quality_gate": {"suite": gate.suite, "success": gate.success, "evaluated_at": gate.evaluated_at, "fingerprint": gate.fingerprint},
        "earlier_versions": [v.name for v in releases.versions(folder)],
    }
    disclosure.update({
        "dataset": name,
        "version": version,
        "published_at": now,
        "generalisation": {
            "zone": dataset.spatial_level,
            "period": dataset.temporal_level,
            "closed_through": version,
            "data_as_of": str(as_of) if as_of else "périodes closes déclarées par la source",
        },
        "lineage": lineage,
        "register_entry": f"registre-des-traitements#{marts()[dataset.from_mart].use_case}",
    })
    releases.prepare_folder(folder)
    staging = folder / f".staging-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}"
    staging.mkdir()
    write_csv(table, staging / f"{name}.csv")
    write_parquet(table, staging / f"{name}.parquet")
    zoned = write_geojson(table, dataset, staging / f"{name}.geojson")
    schema = {**_schema(dataset, settings.k_min, fields), "version": version, "created": now}
    (staging / "tableschema.json").write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    # The schema inline (readers need no second file); the same schema is tableschema.json.
    inline = {k: schema[k] for k in ("fields", "missingValues", "primaryKey")}
    resources = [
        {"name": f"{name}-csv", "path": f"{name}.csv", "format": "csv", "mediatype": MEDIA_TYPES["csv"], "encoding": "utf-8", "schema": inline},
        {"name": f"{name}-parquet", "path": f"{name}.parquet", "format": "parquet", "mediatype": MEDIA_TYPES["parquet"], "schema": inline},
    ]
    # Size and checksum checked by frictionless for the CSV (its Parquet reader has no byte count);
    # every file's size and checksum is listed under "files" for the catalogue.
    csv_path = staging / resources[0]["path"]
    resources[0].update({"bytes": csv_path.stat().st_size, "hash": f"sha256:{_sha256(csv_path)}"})
    checksums = {
        p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p), "sha1": hashlib.sha1(p.read_bytes()).hexdigest()}
        for p in sorted(staging.iterdir()) if p.suffix in (".csv", ".parquet", ".geojson") or p.name == "tableschema.json"
    }
    package = {
        "name": name,
        "title": dataset.title,
        "description": dataset.description,
        "version": version,
        "format_version": FORMAT_VERSION,
        "created": now,
        "keywords": list(dataset.keywords),
        "temporal_coverage": {"start": str(table[period].min()), "end": version},
        "licenses": [dataset.licence],
        "sources": [{"title": f"{feed(f).title} — {feed(f).owner}"} for f in source_feeds] + [{"title": ATTRIBUTION}],
        "lineage": lineage,
        "resources": resources,
        "files": {
            "geojson": f"{name}.geojson" if zoned else None,
            "tableschema": "tableschema.json",
            "disclosure": "disclosure.json",
            "checksums": checksums,
        },
        "disclosure": disclosure,
    }
    (staging / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    (staging / "disclosure.json").write_text(json.dumps(disclosure, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    releases.install(staging, folder, version)
    return package
