"""Open datasets of different marts that count the same source rows: row scopes and joint groups.

The night-life facts by month (mart ``vie_nocturne_comptages_horaires``) count police rows that
the police interventions by month and by week (mart ``incidents_quartier_jour``) count too, dated
differently (an hour before noon belongs to the previous evening) and over fewer hours and
categories. Published side by side, their differences are slivers of the same rows (a month's
mornings, a category's daytime): an attacker can pin a masked cell with them.

Two facts are declared once, on the open datasets (``rows:`` and ``audited_with:``, see
:class:`catalog.models.OpenDatasetRows`):

* ``rows`` says which rows a dataset counts (feeds, hours and codes naming declared parameters)
  and how it dates them. :func:`row_mask` filters the mart with it before generalising, and
  :func:`countings` cuts from it the common refinement the joint audit solves over: zone x atom
  category (feed:code) x calendar day x hour class, an hour class being hours every dataset of
  the group counts alike (e.g. 22-23 h; 0-4 h, dated to the evening before by the night dataset;
  the other hours, counted by the police only).
  A row filter rather than a dedicated mart: the mart must keep every hour and category (the
  night-life analytics read the daytime level of each quartier from it), and the filter reads the
  parameters the analytics read, where a SQL copy would restate them.
* ``audited_with`` names the datasets of other marts a dataset overlaps: the relation is made
  symmetric here, and with the siblings (:mod:`siblings`) forms the *joint group* whose releases
  are all audited together and serialised by one lock.

Why audit rather than partition the rows (e.g. police datasets without night-life rows): nested
subsets still leak. Any two published cells whose row sets nest leave a sliver (their difference)
that is itself a count, small where masking happens; only the joint programme bounds what every
combination of slivers gives. And the police series must stay what they are (every intervention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from orchestration.core.catalog import OpenDataset, feed, marts, open_datasets, use_cases
from orchestration.core.opendata.joint_audit import Counting

HOURS = tuple(range(24))


@dataclass(frozen=True)
class Scope:
    """A dataset's rows, resolved: feeds, hours (None: all), feed -> codes (None: all), day start."""

    feeds: tuple[str, ...]
    hours: frozenset[int] | None
    codes: dict[str, frozenset[str]] | None
    day_starts_at: int

    def offset(self, hour: int) -> int:
        """Days from the date a row is given to its calendar day (1 for a night's small hours)."""
        return 1 if hour < self.day_starts_at else 0

    def counts_hour(self, hour: int) -> bool:
        return self.hours is None or hour in self.hours


def parameter(dataset: OpenDataset, path: str) -> Any:
    """The declared parameter ``path`` (dotted) of the use case that declares ``dataset``'s mart."""
    value: Any = use_cases()[marts()[dataset.from_mart].use_case].parameters
    for name in path.split("."):
        if not hasattr(value, name):
            raise KeyError(f"{dataset.dataset}: rows names parameter {path!r}, which its use case does not declare")
        value = getattr(value, name)
    return value


def scope(dataset: OpenDataset) -> Scope:
    """Which rows ``dataset`` counts, with its parameters read (default: every row, calendar days)."""
    rows = dataset.rows
    feeds = tuple(rows.feeds) if rows and rows.feeds else tuple(marts()[dataset.from_mart].source_feeds)
    hours = frozenset(int(h) for h in parameter(dataset, rows.hours)) if rows and rows.hours else None
    codes = None
    if rows and rows.codes:
        codes = {f: frozenset(str(c) for c in cs) for f, cs in parameter(dataset, rows.codes).items() if f in feeds}
    return Scope(feeds, hours, codes, rows.day_starts_at if rows else 0)


def row_mask(frame: pd.DataFrame, dataset: OpenDataset) -> pd.Series:
    """The mart rows ``dataset`` counts: its declared hours and (feed, code) pairs; all rows without ``rows``."""
    keep = pd.Series(True, index=frame.index)
    rows = dataset.rows
    if rows is None or frame.empty:
        return keep
    found = scope(dataset)
    if found.hours is not None and rows.hour_column:
        keep &= frame[rows.hour_column].isin(sorted(found.hours))
    if found.codes is not None and rows.feed_column and rows.code_column:
        pairs = {(f, c) for f, cs in found.codes.items() for c in cs}
        keep &= pd.Series([(f, str(c)) in pairs for f, c in zip(frame[rows.feed_column], frame[rows.code_column], strict=True)], index=frame.index)
    return keep


def code_labels(dataset: OpenDataset) -> dict[str, list[tuple[str, str]]]:
    """Category label -> the (feed, code) pairs it names, among the codes ``dataset`` counts."""
    found = scope(dataset)
    labels: dict[str, list[tuple[str, str]]] = {}
    for name in found.feeds:
        allowed = found.codes.get(name, frozenset()) if found.codes is not None else None
        for column in feed(name).columns:
            for code, label in (column.codes or {}).items():
                if allowed is None or str(code) in allowed:
                    labels.setdefault(label, []).append((name, str(code)))
    return labels


def declared_partners(dataset: OpenDataset, datasets: Sequence[OpenDataset] | None = None) -> list[OpenDataset]:
    """Datasets of other marts that count some of ``dataset``'s rows (``audited_with``, either side)."""
    pool = list(datasets) if datasets is not None else list(open_datasets().values())
    return [d for d in pool if d.dataset != dataset.dataset and (d.dataset in dataset.audited_with or dataset.dataset in d.audited_with)]


def joint_group(dataset: OpenDataset, datasets: Sequence[OpenDataset] | None = None) -> list[OpenDataset]:
    """Every dataset audited jointly with ``dataset`` (itself excluded): siblings and declared partners, closed."""
    from orchestration.core.opendata.siblings import siblings_of

    pool = list(datasets) if datasets is not None else list(open_datasets().values())
    found = {dataset.dataset: dataset}
    todo = [dataset]
    while todo:
        current = todo.pop()
        for other in [*siblings_of(current, pool), *declared_partners(current, pool)]:
            if other.dataset not in found:
                found[other.dataset] = other
                todo.append(other)
    return sorted((d for name, d in found.items() if name != dataset.dataset), key=lambda d: d.dataset)


def cross_mart(dataset: OpenDataset, group: Sequence[OpenDataset]) -> list[str]:
    """The names in ``group`` cut from another mart than ``dataset``'s."""
    return [d.dataset for d in group if d.from_mart != dataset.from_mart]


def hour_classes(scopes: Sequence[Scope]) -> dict[str, tuple[int, ...]]:
    """Hours that every scope counts alike (counted or not, same day offset), named ``22h-23h``."""
    by_signature: dict[tuple[Any, ...], list[int]] = {}
    for hour in HOURS:
        signature = tuple((s.counts_hour(hour), s.offset(hour) if s.counts_hour(hour) else None) for s in scopes)
        by_signature.setdefault(signature, []).append(hour)
    return {_class_name(hours): tuple(hours) for hours in by_signature.values()}


def _class_name(hours: list[int]) -> str:
    return ",".join(f"{h}h" for h in hours) if len(hours) < 3 else f"{hours[0]}h..{hours[-1]}h ({len(hours)} h)"


def countings(datasets: Sequence[OpenDataset]) -> dict[str, Counting | None]:
    """Each dataset's :class:`Counting` in the refinement common to ``datasets`` (one joint group).

    ``None`` for all when they come from one mart with one scope (siblings: the plain programme).
    """
    scopes = {d.dataset: scope(d) for d in datasets}
    if len({d.from_mart for d in datasets}) < 2 and len(set(map(repr, scopes.values()))) < 2:
        return {d.dataset: None for d in datasets}
    classes = hour_classes(list(scopes.values()))
    out: dict[str, Counting | None] = {}
    for d in datasets:
        s = scopes[d.dataset]
        pieces = tuple((name, s.offset(hours[0])) for name, hours in classes.items() if s.counts_hour(hours[0]))
        atoms = {label: tuple(f"{f}:{c}" for f, c in pairs) for label, pairs in code_labels(d).items()}
        if d.total_label is not None:
            atoms[d.total_label] = tuple(sorted({a for values in atoms.values() for a in values}))
        out[d.dataset] = Counting(pieces=pieces, atoms=atoms, classes={n: classes[n] for n, _ in pieces})
    return out
