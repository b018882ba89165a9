"""Sibling open datasets: one mart's counts published on two period grids, audited together.

Siblings are found from the declarations, never listed by hand: two ``kind: counts`` open datasets
are siblings when they count the same thing in the same cells but over different periods: same
mart, day column, count (column or measures), zone level, category column and labels, margin
label and breakdown. Every release of either is audited jointly (:mod:`joint_audit`) against
everything published by both, and extra cells of the candidate are masked until no masked cell of
either can be narrowed below its protection interval (the earlier releases are never revised).
Datasets of other marts that count some of the same rows join the group by declaration
(``audited_with``, :mod:`overlap`); the lock below serialises the whole group.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.core.catalog import OpenDataset, open_datasets
from orchestration.core.opendata.joint_audit import Counting, Series
from orchestration.core.opendata.periods import period_bounds, period_column
from orchestration.core.opendata.zones import zone_column


def signature(dataset: OpenDataset) -> tuple[Any, ...] | None:
    """What two datasets must share to publish sums of the same atoms (``None``: not a count grid)."""
    if dataset.kind != "counts":
        return None
    return (
        dataset.from_mart,
        dataset.date_column,
        dataset.count_column,
        tuple(sorted(dataset.measures.items())),
        dataset.spatial_level,
        dataset.category_column,
        tuple(dataset.categories),
        dataset.total_label,
        dataset.breakdown_column,
        dataset.rows,  # the same rows: a dataset filtered otherwise is audited as another mart's (overlap.py)
    )


def sibling_groups(datasets: Sequence[OpenDataset] | None = None) -> list[tuple[str, ...]]:
    """Every group of two or more declared sibling datasets (names sorted), from the declarations."""
    found: dict[tuple[Any, ...], list[str]] = {}
    for d in datasets if datasets is not None else open_datasets().values():
        key = signature(d)
        if key is not None:
            found.setdefault(key, []).append(d.dataset)
    return sorted(tuple(sorted(names)) for names in found.values() if len(names) > 1)


def siblings_of(dataset: OpenDataset, datasets: Sequence[OpenDataset] | None = None) -> list[OpenDataset]:
    """The declared datasets that are siblings of ``dataset`` (itself excluded)."""
    key = signature(dataset)
    pool = datasets if datasets is not None else list(open_datasets().values())
    return [d for d in pool if key is not None and d.dataset != dataset.dataset and signature(d) == key]


def series(dataset: OpenDataset, tables: Sequence[pd.DataFrame], counting: Counting | None = None) -> Series:
    """``dataset``'s releases (oldest first, current state last) in the joint audit's terms.

    ``counting``: how its cells sum the atoms shared with datasets of other marts (:func:`overlap.countings`).
    """
    return Series(
        dataset=dataset.dataset,
        level=dataset.temporal_level,
        period_column=period_column(dataset.temporal_level),
        zone_columns=zone_columns(dataset),
        category_column=dataset.category_column,
        count_column=dataset.output_count_column,
        total_label=dataset.total_label,
        tables=tuple(tables),
        counting=counting,
    )


@contextmanager
def group_lock(folder: Path, dataset: OpenDataset, siblings: Sequence[OpenDataset]) -> Iterator[None]:
    """Serialise the releases of one joint group (siblings and datasets of other marts counting the
    same rows, :func:`overlap.joint_group`): each must be audited against the others' last ones.

    ``folder`` holds the lock files: a build folder, never the published ``open_data`` tree.
    """
    if not siblings:
        yield
        return
    names = sorted([dataset.dataset, *(s.dataset for s in siblings)])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"open-data-joint-{hashlib.sha256('|'.join(names).encode()).hexdigest()[:16]}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def zone_columns(dataset: OpenDataset) -> tuple[str, ...]:
    """The columns that, with the period and category, name a cell: zone and breakdown, if any."""
    return tuple(c for c in (zone_column(dataset.spatial_level), dataset.breakdown_column) if c)


def extra_mask(narrow: pd.DataFrame, fresh: pd.DataFrame, dataset: OpenDataset, blocks: list[tuple[Any, Any]]) -> set[tuple[Any, ...]]:
    """One more cell of the candidate to mask per narrow cell: deterministic, fresh periods only.

    ``fresh`` is the candidate's new periods as protected (published values visible). For each
    narrow cell, among the fresh published non-zero cells of the same zone and time block, prefer
    the same category (any inner one when the narrow cell is a total), then a period overlapping
    it, then an inner cell over a total, then the smallest count, then the labels: the same data
    always gives the same pattern. Returns keys (zone, period, [breakdown,] category) of the fresh
    table, as :func:`disclosure.protect` names its cells.
    """
    zones, period, category = zone_columns(dataset), period_column(dataset.temporal_level), dataset.category_column
    count = dataset.output_count_column
    key_columns = [c for c in (zone_column(dataset.spatial_level), period, dataset.breakdown_column) if c] + [category]
    pool = fresh[fresh[count].notna() & (fresh[count] > 0)]
    if pool.empty:
        return set()
    spans = {p: period_bounds(str(p), dataset.temporal_level) for p in pool[period].unique()}
    chosen: set[tuple[Any, ...]] = set()
    for cell in narrow.itertuples(index=False):
        start, end = cell.start, cell.end
        block = next((b for b in blocks if b[0] <= start <= b[1]), (start, end))
        ranked = []
        for row in pool.itertuples(index=False):
            row_zone = "|".join(str(getattr(row, c)) for c in zones)
            p_start, p_end = spans[getattr(row, period)]
            if row_zone != str(cell.zone) or p_end < block[0] or p_start > block[1]:
                continue
            row_category = getattr(row, category)
            is_total = row_category == dataset.total_label
            same = row_category == cell.category or (cell.category == dataset.total_label and not is_total)
            overlaps = p_start <= end and start <= p_end
            key = tuple(getattr(row, c) for c in key_columns)
            if key in chosen:
                continue
            ranked.append(((not same, not overlaps, is_total, getattr(row, count), str(getattr(row, period)), str(row_category)), key))
        if ranked:
            chosen.add(min(ranked)[1])
    return chosen
