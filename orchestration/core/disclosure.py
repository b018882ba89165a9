"""Statistical disclosure control for open data: generalise, suppress, then audit as an attacker.

Rules (declared per dataset in the use-case registry, k from settings):

* **generalisation** first: quartier -> arrondissement, day -> week/month/year, as declared;
* **closed periods only** (consistency over time): a period is published once it is over (its
  last day is covered by the data), and a cell once published is never revised: later releases
  copy it verbatim. A partial period is never published, so no two releases can be subtracted to
  isolate a day, and no cell is ever "published then masked";
* **primary suppression**: a count ``0 < n < k`` is masked (zeros are published: they reveal no one);
* **secondary suppression**: each (zone, period) group also publishes its total over categories,
  so a group with exactly one masked cell would give it away by subtraction. We then also mask
  the smallest other non-zero cell of that group (or the total if there is none), until no group
  has exactly one masked cell; this is re-verified over every margin once applied;
* **attacker's audit**: for every masked cell, the interval an attacker can derive from everything
  published (this release's cells and margins, the rule that masked cells are non-zero, and every
  earlier release of the same dataset) is computed by linear programming (min and max of the cell
  subject to those constraints). It must be at least ``protection_interval`` wide; where it is not,
  one more cell of the group is masked and the audit runs again. A release that still fails is
  refused (:class:`DisclosureError`): nothing is published;
* **joint audit of sibling series** (:mod:`orchestration.core.opendata.joint_audit`): when one
  mart's counts are published over two period grids (months and ISO weeks), the same audit runs
  over both series at once, on day-range atoms, and the candidate's new cells are masked further
  (or the release refused) until no masked cell of either can be narrowed by differencing them.

The report of what was masked and of the audit is published with the data (``disclosure.json``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

PUBLISHED = "publié"
PRIMARY = "masqué (secret primaire)"
SECONDARY = "masqué (secret secondaire)"
# What the open files say of a masked cell: one label, so the file does not tell an attacker
# which masked cells are below k (that alone would bound them to [1, k-1]).
MASKED = "masqué (secret statistique)"

METHOD = (
    "Effectifs agrégés sur des périodes closes (une période n'est publiée qu'une fois terminée, "
    "et une case publiée n'est jamais révisée). Toute case non nulle inférieure au seuil k est "
    "masquée (secret primaire). Chaque groupe (zone, période) publie aussi son total toutes "
    "natures : quand un groupe n'a qu'une case masquée, la plus petite autre case non nulle du "
    "groupe (ou le total) est masquée aussi (secret secondaire), pour qu'aucune case masquée ne se "
    "déduise par différence. Un audit calcule ensuite, pour chaque case masquée, l'intervalle qu'un "
    "attaquant peut en déduire à partir de tout ce qui est publié (cette diffusion et les "
    "précédentes) ; s'il est plus étroit que l'intervalle de protection, une autre case est masquée."
)
TIME_CONSISTENCY = (
    "Périodes closes : une période (semaine, mois, année) n'est publiée qu'une fois terminée et "
    "couverte par les données ; une case publiée n'est jamais révisée (les diffusions suivantes la "
    "recopient à l'identique) ; une période partielle n'est jamais publiée."
)


class DisclosureError(RuntimeError):
    """A table about to be published breaks its disclosure rules."""


@dataclass(frozen=True)
class DisclosureReport:
    k_min: int
    method: str
    cells: int
    primary_suppressed: int
    secondary_suppressed: int
    protection_interval: int | None = None
    audit: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Suppression


def _with_totals(cells: pd.DataFrame, group_columns: list[str], category_column: str, count_column: str, total_label: str | None) -> pd.DataFrame:
    if total_label is None:  # overlapping categories: no margin is published
        return cells.reset_index(drop=True)
    totals = cells.groupby(group_columns, as_index=False, sort=False)[count_column].sum()
    totals[category_column] = total_label
    return pd.concat([cells, totals[cells.columns]], ignore_index=True)


def _mask_partner(table: pd.DataFrame, status: pd.Series, counts: pd.Series, group_columns: list[str], is_total: pd.Series, index: Any) -> bool:
    """Mask one more cell in the group of ``index``: its smallest published non-zero cell, else its total."""
    same_group = (table[group_columns] == table.loc[index, group_columns]).all(axis=1)
    candidates = table.index[same_group & (status == PUBLISHED) & (counts > 0) & ~is_total]
    if len(candidates):
        status[counts[candidates].idxmin()] = SECONDARY
        return True
    totals_in_group = table.index[same_group & is_total & (status == PUBLISHED)]
    if len(totals_in_group):
        status[totals_in_group[0]] = SECONDARY
        return True
    return False


def _secondary_pass(table: pd.DataFrame, status: pd.Series, counts: pd.Series, group_columns: list[str], is_total: pd.Series) -> None:
    group_keys = [table[c] for c in group_columns]
    changed = True
    while changed:  # each pass only adds masks, so this ends
        changed = False
        masked = status != PUBLISHED
        masked_per_group = masked.groupby(group_keys, sort=False).transform("sum")
        for index in table.index[(masked_per_group == 1) & masked]:
            changed |= _mask_partner(table, status, counts, group_columns, is_total, index)


def suppress(
    cells: pd.DataFrame,
    group_columns: list[str],
    category_column: str,
    count_column: str,
    total_label: str | None,
    k: int,
) -> tuple[pd.DataFrame, DisclosureReport]:
    """Add group totals and mask small cells; returns (table, report).

    ``cells`` holds one row per (group..., category) with an integer count, zeros included.
    The result has the count as nullable ``Int64`` (null when masked) and a ``diffusion`` column
    (:data:`PUBLISHED`, :data:`PRIMARY` or :data:`SECONDARY`).
    """
    table = _with_totals(cells, group_columns, category_column, count_column, total_label)
    counts = table[count_column].astype("int64")
    status = pd.Series(PUBLISHED, index=table.index, dtype="str")
    status[(counts > 0) & (counts < k)] = PRIMARY
    is_total = table[category_column] == total_label
    if total_label is not None:
        _secondary_pass(table, status, counts, group_columns, is_total)
    return _finish(table, counts, status, count_column, k)


def _finish(table: pd.DataFrame, counts: pd.Series, status: pd.Series, count_column: str, k: int) -> tuple[pd.DataFrame, DisclosureReport]:
    out = table.copy()
    out[count_column] = counts.astype("Int64").mask(status != PUBLISHED)
    out["diffusion"] = status
    report = DisclosureReport(
        k_min=k,
        method=METHOD,
        cells=len(out),
        primary_suppressed=int((status == PRIMARY).sum()),
        secondary_suppressed=int((status == SECONDARY).sum()),
    )
    return out, report


def check_publishable(table: pd.DataFrame, count_column: str, k: int) -> None:
    """Last line of defence before writing: no visible count may be between 1 and k-1."""
    visible = table[count_column].dropna().astype("int64")
    small = visible[(visible > 0) & (visible < k)]
    if not small.empty:
        raise DisclosureError(f"{len(small)} visible count(s) below k={k} in {count_column}: refusing to publish")


def margins_with_one_mask(table: pd.DataFrame, group_columns: list[str], count_column: str) -> int:
    """How many published margins (groups: categories + their total) hide exactly one cell.

    Such a margin gives its masked cell away by subtraction; after secondary suppression this
    must be 0, and it is re-checked on the final table, not trusted from the algorithm.
    """
    masked = table[count_column].isna()
    per_group = masked.groupby([table[c] for c in group_columns], sort=False).sum()
    return int((per_group == 1).sum())


# ---------------------------------------------------------------------------------------------
# The attacker's audit


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


def bounds_for_label(label: str, is_total: bool, k: int) -> tuple[float, float]:
    """What a masked cell's published label alone tells an attacker.

    Zeros are always published, so any masked cell is at least 1. A file that said which cells
    are primary would bound them to [1, k-1]; secondary inner cells are then known to be >= k.
    """
    if label == PRIMARY:
        return 1.0, float(k - 1)
    if label == SECONDARY and not is_total:
        return float(k), math.inf
    return 1.0, math.inf


def earlier_knowledge(
    releases: Iterable[pd.DataFrame], key_columns: list[str], count_column: str
) -> dict[tuple[Any, ...], tuple[float, float]]:
    """Bounds on cells learnt from earlier releases of the same dataset.

    Each release frame has the key columns, the (nullable) count and a boolean ``periode_close``:
    a value published for a closed period is the cell's value; for an open period (releases made
    before closed-period publication) it is a lower bound, counts only growing as data arrives.
    A masked cell is non-zero. Bounds from several releases are intersected.
    """
    known: dict[tuple[Any, ...], tuple[float, float]] = {}
    for release in releases:
        closed = release["periode_close"] if "periode_close" in release else pd.Series(False, index=release.index)
        for key, value, is_closed in zip(
            release[key_columns].itertuples(index=False, name=None), release[count_column], closed, strict=True
        ):
            if pd.isna(value):
                low, high = 1.0, math.inf
            elif bool(is_closed):
                low = high = float(value)
            else:
                low, high = float(value), math.inf
            old_low, old_high = known.get(key, (0.0, math.inf))
            known[key] = (max(low, old_low), min(high, old_high))
    return known


def _solve_range(a_eq: np.ndarray, b_eq: np.ndarray, bounds: list[tuple[float, float]], i: int) -> Interval:
    """min and max of variable ``i`` subject to ``a_eq @ x = b_eq`` and the bounds (linprog, HiGHS)."""
    n = len(bounds)
    lp_bounds = [(lo, None if math.isinf(hi) else hi) for lo, hi in bounds]
    ends = []
    for sign in (1.0, -1.0):
        c = np.zeros(n)
        c[i] = sign
        res = linprog(c, A_eq=a_eq if len(a_eq) else None, b_eq=b_eq if len(b_eq) else None, bounds=lp_bounds, method="highs")
        if res.status == 3:  # unbounded: only possible towards +inf
            ends.append(math.inf if sign < 0 else -math.inf)
        elif res.status != 0:
            raise DisclosureError(f"attacker's audit: the published constraints are inconsistent ({res.message})")
        else:
            ends.append(sign * res.fun)
    return Interval(ends[0], ends[1])


def _single_margin_range(a_eq: np.ndarray, b_eq: np.ndarray, bounds: list[tuple[float, float]], i: int) -> Interval:
    """Exact range of variable ``i`` under at most one equation with +-1 coefficients over a box.

    The projection of {x in box : a.x = b} on one coordinate is an interval whose ends follow from
    the others' extreme values; same answer as the linear programme, without calling a solver.
    """
    low_i, high_i = bounds[i]
    if not len(a_eq):
        return Interval(low_i, high_i)
    a, b = a_eq[0], float(b_eq[0])
    others = [j for j in range(len(bounds)) if j != i]
    s_max = sum(bounds[j][1] if a[j] > 0 else -bounds[j][0] for j in others)
    s_min = sum(bounds[j][0] if a[j] > 0 else -bounds[j][1] for j in others)
    # a_i x_i = b - S, with S = sum over the others of a_j x_j in [s_min, s_max].
    ends = (b - s_max, b - s_min) if a[i] > 0 else (s_min - b, s_max - b)
    low, high = max(low_i, ends[0]), min(high_i, ends[1])
    if low > high:
        raise DisclosureError("attacker's audit: the published constraints are inconsistent")
    return Interval(low, high)


def attacker_intervals(
    table: pd.DataFrame,
    group_columns: list[str],
    category_column: str,
    count_column: str,
    total_label: str | None,
    k: int,
    earlier: dict[tuple[Any, ...], tuple[float, float]] | None = None,
    label_column: str = "diffusion",
    solver: str = "auto",
) -> pd.DataFrame:
    """For each masked cell of ``table`` (as published), the interval an attacker can derive.

    Constraints: in every group, the categories sum to the total (the published margin); published
    cells are known; masked cells are bounded by their published label (:func:`bounds_for_label`)
    and by what earlier releases revealed (``earlier``, from :func:`earlier_knowledge`), and are
    non-negative. Each group is an independent linear programme (no constraint spans two groups).
    Returns the masked rows' keys with ``borne_basse`` and ``borne_haute``. ``solver="linprog"``
    solves every programme with scipy's HiGHS; ``"auto"`` uses the exact closed form when a group
    has a single margin (the case today) and linprog otherwise.
    """
    earlier = earlier or {}
    key_columns = [*group_columns, category_column]
    rows: list[dict[str, Any]] = []
    for _, group in table.groupby(group_columns, sort=False, dropna=False):
        masked = group[group[count_column].isna()]
        if masked.empty:
            continue
        variables = list(masked.index)
        position = {index: j for j, index in enumerate(variables)}
        bounds = []
        for index in variables:
            row = group.loc[index]
            is_total = row[category_column] == total_label
            low, high = bounds_for_label(str(row[label_column]), is_total, k)
            key = tuple(row[c] for c in key_columns)
            e_low, e_high = earlier.get(key, (0.0, math.inf))
            bounds.append((max(low, e_low), min(high, e_high)))
        # The margin: sum(categories) - total = 0, published cells moved to the right-hand side.
        coefficients = np.zeros(len(variables))
        rhs = 0.0
        for index, row in group.iterrows():
            sign = -1.0 if row[category_column] == total_label else 1.0
            if index in position:
                coefficients[position[index]] = sign
            else:
                rhs -= sign * float(row[count_column])
        has_total = (group[category_column] == total_label).any()
        a_eq = coefficients.reshape(1, -1) if has_total else np.zeros((0, len(variables)))
        b_eq = np.array([rhs]) if has_total else np.zeros(0)
        for index in variables:
            if solver == "auto" and len(a_eq) <= 1 and set(np.unique(a_eq)) <= {-1.0, 0.0, 1.0}:
                interval = _single_margin_range(a_eq, b_eq, bounds, position[index])
            else:
                interval = _solve_range(a_eq, b_eq, bounds, position[index])
            rows.append({**{c: group.loc[index, c] for c in key_columns}, "borne_basse": interval.low, "borne_haute": interval.high})
    return pd.DataFrame(rows, columns=[*key_columns, "borne_basse", "borne_haute"])


def protect(
    cells: pd.DataFrame,
    group_columns: list[str],
    category_column: str,
    count_column: str,
    total_label: str | None,
    k: int,
    protection_interval: int,
    earlier: dict[tuple[Any, ...], tuple[float, float]] | None = None,
    published_labels: dict[str, str] | None = None,
    forced: Iterable[tuple[Any, ...]] = (),
) -> tuple[pd.DataFrame, DisclosureReport]:
    """Suppress, then audit as an attacker and mask more until every masked cell is protected.

    ``forced``: keys (group columns..., category) masked from the start as secondary (the joint
    audit of sibling series asks for them); the secondary pass and the audit then run as usual.

    ``published_labels`` maps the internal status to what the file shows (default: every mask
    shows as :data:`MASKED`); the audit reasons on the published labels, as an attacker would.
    Raises :class:`DisclosureError` when the release cannot be protected (e.g. an earlier release
    already revealed a cell that would now be masked) or a margin still hides a single cell.
    """
    if protection_interval < 1:
        raise DisclosureError("the protection interval must be at least 1 (no masked cell recoverable exactly)")
    labels = published_labels or {PUBLISHED: PUBLISHED, PRIMARY: MASKED, SECONDARY: MASKED}
    table = _with_totals(cells, group_columns, category_column, count_column, total_label)
    counts = table[count_column].astype("int64")
    status = pd.Series(PUBLISHED, index=table.index, dtype="str")
    status[(counts > 0) & (counts < k)] = PRIMARY
    is_total = table[category_column] == total_label
    key_columns = [*group_columns, category_column]
    forced = set(forced)
    if forced:
        keys = table[key_columns].itertuples(index=False, name=None)
        status[[key in forced and state == PUBLISHED for key, state in zip(keys, status, strict=True)]] = SECONDARY
    rounds = 0
    while True:
        if total_label is not None:
            _secondary_pass(table, status, counts, group_columns, is_total)
        shown = table.copy()
        shown[count_column] = counts.astype("Int64").mask(status != PUBLISHED)
        shown["diffusion"] = status.map(labels)
        intervals = attacker_intervals(shown, group_columns, category_column, count_column, total_label, k, earlier)
        narrow = intervals[intervals["borne_haute"] - intervals["borne_basse"] < protection_interval]
        if narrow.empty:
            break
        rounds += 1
        keys = set(narrow[key_columns].itertuples(index=False, name=None))
        fixable = False
        for index in table.index[[tuple(r) in keys for r in table[key_columns].itertuples(index=False, name=None)]]:
            fixable |= _mask_partner(table, status, counts, group_columns, is_total, index)
        if not fixable:
            worst = narrow.iloc[0]
            raise DisclosureError(
                f"attacker's audit failed: {len(narrow)} masked cell(s) recoverable within less than "
                f"{protection_interval} (e.g. {dict(worst)}); nothing left to mask, refusing to publish"
            )
    out, report = _finish(table, counts, status, count_column, k)
    out["diffusion"] = status.map(labels)
    lonely = margins_with_one_mask(out, group_columns, count_column) if total_label is not None else 0
    if lonely:
        raise DisclosureError(f"{lonely} published margin(s) hide exactly one cell: refusing to publish")
    check_publishable(out, count_column, k)
    widths = (intervals["borne_haute"] - intervals["borne_basse"]).astype("float64")
    audit = {
        "passed": True,
        "attacker": "cases publiées, marges (totaux de groupe), cases masquées non nulles, diffusions antérieures",
        "masked_cells": len(intervals),
        # null when there is no masked cell or every masked cell is unbounded above
        "min_interval_width": float(widths.min()) if len(widths) and np.isfinite(widths.min()) else None,
        "unbounded_cells": int(np.isinf(widths.to_numpy()).sum()),
        "extra_masking_rounds": rounds,
        "earlier_cells_known": len(earlier or {}),
    }
    report = DisclosureReport(**{**asdict(report), "protection_interval": protection_interval, "audit": audit})
    return out, report


def audit_release(
    table: pd.DataFrame,
    group_columns: list[str],
    category_column: str,
    count_column: str,
    total_label: str | None,
    k: int,
    protection_interval: int,
    earlier_releases: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Re-audit a published table against earlier releases; returns the cells that fail.

    Used by tests and by anyone checking a lake: an empty result means no masked cell can be
    narrowed below the protection interval from everything published.
    """
    earlier = earlier_knowledge(earlier_releases, [*group_columns, category_column], count_column)
    intervals = attacker_intervals(table, group_columns, category_column, count_column, total_label, k, earlier)
    return intervals[intervals["borne_haute"] - intervals["borne_basse"] < protection_interval]
