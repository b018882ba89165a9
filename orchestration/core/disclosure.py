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
* **known margins over zones** (``known_margins`` of a dataset, :class:`ZoneMargin`): where the sum
  of a (period, category) over every zone is public elsewhere (e.g. the city's yearly accident count),
  it is a margin too: secondary suppression across zones (never exactly one masked zone in such a
  group; the partner is the group's smallest published non-zero cell, ties by zone code; when there
  is none, the whole group is masked, zeros included, and its cells are bounded below by 0), iterated
  with the within-(zone, period) margin until stable, and an equality in the attacker's audit. A
  cell can never be hidden better than the public sum itself: its required width is at most that sum;
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

    release: str | None = None  # the version refused, set by the publisher (which knows it)


@dataclass(frozen=True)
class DisclosureReport:
    k_min: int
    method: str
    cells: int
    primary_suppressed: int
    secondary_suppressed: int
    protection_interval: int | None = None
    audit: dict[str, Any] = field(default_factory=dict)
    known_margins: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        if self.known_margins is None:  # no declared margin: the report keeps its former shape
            del out["known_margins"]
        return out


ZONE_MARGIN_METHOD = (
    " Le total sur toutes les zones de chaque période et catégorie est connu par ailleurs : c'est "
    "aussi une marge. Une période et catégorie n'ont donc jamais une seule "
    "zone masquée (la plus petite zone publiée non nulle est masquée aussi, à égalité le plus petit "
    "code), et l'audit compte ce total parmi ce que sait l'attaquant. Quand aucune zone publiée non "
    "nulle ne peut protéger les cases masquées, toute la période et catégorie est masquée, zones "
    "nulles comprises : elle ne dit alors rien de plus que le total connu."
)
ZONE_MARGIN_ATTACKER = "totaux sur les zones connus par ailleurs"


@dataclass(frozen=True)
class ZoneMargin:
    """Sums over zones an attacker knows from elsewhere (a dataset's declared ``known_margins``).

    For each (period, breakdown..., category) in ``categories`` (``None``: every category, the total
    included), the sum of the cells over every value of ``zone_column`` is known.
    """

    zone_column: str
    categories: frozenset[str] | None = None
    reason: str = ""

    def key_columns(self, group_columns: Sequence[str], category_column: str) -> list[str]:
        """The columns naming one margin group: every cell key column but the zone."""
        return [c for c in group_columns if c != self.zone_column] + [category_column]

    def members(self, table: pd.DataFrame, category_column: str) -> pd.Series:
        """Which rows of ``table`` the margin sums (boolean)."""
        if self.categories is None:
            return pd.Series(True, index=table.index)
        return table[category_column].isin(self.categories)

    def totals(self, table: pd.DataFrame, counts: pd.Series, group_columns: Sequence[str], category_column: str) -> dict[tuple[Any, ...], float]:
        """The known sums (from the true counts), by margin group key."""
        keys = self.key_columns(group_columns, category_column)
        inside = self.members(table, category_column)
        sums = counts[inside].groupby([table.loc[inside, c] for c in keys], sort=False).sum()
        return {(key if isinstance(key, tuple) else (key,)): float(value) for key, value in sums.items()}


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


def _zone_groups(table: pd.DataFrame, zone_margin: ZoneMargin, group_columns: list[str], category_column: str) -> pd.Series:
    """Each row's zone-margin group number (-1: the row is not summed by the margin)."""
    keys = zone_margin.key_columns(group_columns, category_column)
    numbers = table.groupby(keys, sort=False, dropna=False).ngroup()
    return numbers.where(zone_margin.members(table, category_column), -1)


def _mask_zone_partner(
    table: pd.DataFrame, status: pd.Series, counts: pd.Series, zone_groups: pd.Series, zone_column: str, index: Any
) -> list[Any]:
    """Mask more zones in the zone-margin group of ``index``; returns the rows masked (none: nothing left).

    The group's smallest published non-zero cell, ties broken by zone code (deterministic). When no
    published cell is non-zero, no partner can hide the masked ones (the public sum minus zeros is
    theirs): the whole group is withheld, zeros included, so that it tells no more than that sum.
    """
    in_group = table.index[(zone_groups == zone_groups[index]) & (status == PUBLISHED)]
    candidates = in_group[counts[in_group] > 0]
    if not len(candidates):
        status[in_group] = SECONDARY
        return list(in_group)
    order = pd.DataFrame({"n": counts[candidates], "zone": table.loc[candidates, zone_column].astype(str)})
    chosen = order.sort_values(["n", "zone"], kind="stable").index[0]
    status[chosen] = SECONDARY
    return [chosen]


def _zone_secondary_pass(table: pd.DataFrame, status: pd.Series, counts: pd.Series, zone_groups: pd.Series, zone_column: str) -> set[Any]:
    """No zone-margin group may hide exactly one cell; returns the rows masked for it."""
    added: set[Any] = set()
    changed = True
    while changed:
        changed = False
        masked = (status != PUBLISHED) & (zone_groups >= 0)
        per_group = masked.groupby(zone_groups, sort=False).transform("sum")
        for index in table.index[(per_group == 1) & masked]:
            chosen = _mask_zone_partner(table, status, counts, zone_groups, zone_column, index)
            if not chosen:
                raise DisclosureError("a zone margin group has a single zone: its masked cell is the known total; refusing to publish")
            added.update(chosen)
            changed = True
    return added


def _secondary_until_stable(
    table: pd.DataFrame, status: pd.Series, counts: pd.Series, group_columns: list[str], is_total: pd.Series,
    total_label: str | None, zone_groups: pd.Series, zone_column: str,
) -> set[Any]:
    """Both margins (within each (zone, period) group, and across zones) until neither masks more."""
    by_zone: set[Any] = set()
    while True:
        before = int((status != PUBLISHED).sum())
        if total_label is not None:
            _secondary_pass(table, status, counts, group_columns, is_total)
        by_zone |= _zone_secondary_pass(table, status, counts, zone_groups, zone_column)
        if int((status != PUBLISHED).sum()) == before:
            return by_zone


def withheld_cells(table: pd.DataFrame, zone_margin: ZoneMargin, group_columns: list[str], category_column: str, count_column: str) -> pd.Series:
    """Cells of a zone-margin group masked whole (boolean): they may be zero, the attacker knows only the group's sum."""
    groups = _zone_groups(table, zone_margin, group_columns, category_column)
    masked = table[count_column].isna()
    whole = masked.groupby(groups, sort=False).transform("all")
    return whole & (groups >= 0)


def zone_margins_with_one_mask(
    table: pd.DataFrame, zone_margin: ZoneMargin, group_columns: list[str], category_column: str, count_column: str
) -> int:
    """How many known zone-margin groups hide exactly one cell (must be 0; re-checked on the final table)."""
    groups = _zone_groups(table, zone_margin, group_columns, category_column)
    masked = table[count_column].isna() & (groups >= 0)
    per_group = masked.groupby(groups, sort=False).sum()
    return int((per_group.drop(index=-1, errors="ignore") == 1).sum())


def suppress(
    cells: pd.DataFrame,
    group_columns: list[str],
    category_column: str,
    count_column: str,
    total_label: str | None,
    k: int,
    zone_margin: ZoneMargin | None = None,
) -> tuple[pd.DataFrame, DisclosureReport]:
    """Add group totals and mask small cells; returns (table, report).

    ``cells`` holds one row per (group..., category) with an integer count, zeros included.
    The result has the count as nullable ``Int64`` (null when masked) and a ``diffusion`` column
    (:data:`PUBLISHED`, :data:`PRIMARY` or :data:`SECONDARY`). ``zone_margin``: sums over zones
    known elsewhere, protected as margins too (secondary suppression across zones).
    """
    table = _with_totals(cells, group_columns, category_column, count_column, total_label)
    counts = table[count_column].astype("int64")
    status = pd.Series(PUBLISHED, index=table.index, dtype="str")
    status[(counts > 0) & (counts < k)] = PRIMARY
    is_total = table[category_column] == total_label
    if zone_margin is not None:
        zone_groups = _zone_groups(table, zone_margin, group_columns, category_column)
        _secondary_until_stable(table, status, counts, group_columns, is_total, total_label, zone_groups, zone_margin.zone_column)
    elif total_label is not None:
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
    releases: Iterable[pd.DataFrame], key_columns: list[str], count_column: str, masked_low: float = 1.0
) -> dict[tuple[Any, ...], tuple[float, float]]:
    """Bounds on cells learnt from earlier releases of the same dataset.

    Each release frame has the key columns, the (nullable) count and a boolean ``periode_close``:
    a value published for a closed period is the cell's value; for an open period (releases made
    before closed-period publication) it is a lower bound, counts only growing as data arrives.
    A masked cell is non-zero (``masked_low=0`` for a dataset with a known zone margin, whose masked
    cells may be zero). Bounds from several releases are intersected.
    """
    known: dict[tuple[Any, ...], tuple[float, float]] = {}
    for release in releases:
        closed = release["periode_close"] if "periode_close" in release else pd.Series(False, index=release.index)
        for key, value, is_closed in zip(
            release[key_columns].itertuples(index=False, name=None), release[count_column], closed, strict=True
        ):
            if pd.isna(value):
                low, high = masked_low, math.inf
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
    zone_margin: ZoneMargin | None = None,
    zone_totals: dict[tuple[Any, ...], float] | None = None,
) -> pd.DataFrame:
    """For each masked cell of ``table`` (as published), the interval an attacker can derive.

    With ``zone_margin``, the attacker also knows ``zone_totals`` (the sum over zones of each
    (period, breakdown..., category) group, by :meth:`ZoneMargin.key_columns` key): those equalities
    link the groups of one period, solved by :func:`_intervals_with_zone_margin`.

    Constraints: in every group, the categories sum to the total (the published margin); published
    cells are known; masked cells are bounded by their published label (:func:`bounds_for_label`)
    and by what earlier releases revealed (``earlier``, from :func:`earlier_knowledge`), and are
    non-negative. Each group is an independent linear programme (no constraint spans two groups).
    Returns the masked rows' keys with ``borne_basse`` and ``borne_haute``. ``solver="linprog"``
    solves every programme with scipy's HiGHS; ``"auto"`` uses the exact closed form when a group
    has a single margin (the case today) and linprog otherwise.
    """
    earlier = earlier or {}
    if zone_margin is not None:
        return _intervals_with_zone_margin(
            table, group_columns, category_column, count_column, total_label, k, earlier, label_column, solver, zone_margin, zone_totals or {}
        )
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


Equation = tuple[dict[int, float], float]  # {variable: coefficient}, right-hand side


def _margin_equations(
    table: pd.DataFrame, group_columns: list[str], category_column: str, count_column: str, total_label: str | None,
    position: dict[Any, int], zone_margin: ZoneMargin, zone_totals: dict[tuple[Any, ...], float],
) -> list[Equation]:
    """Every published or known margin that involves a masked cell, published cells on the right."""
    values = table[count_column]
    equations: list[Equation] = []
    if total_label is not None:  # within each (zone, period) group: categories - total = 0
        for _, group in table.groupby(group_columns, sort=False, dropna=False):
            if not (group[category_column] == total_label).any():
                continue
            coefficients: dict[int, float] = {}
            rhs = 0.0
            for index, category in group[category_column].items():
                sign = -1.0 if category == total_label else 1.0
                if index in position:
                    coefficients[position[index]] = sign
                else:
                    rhs -= sign * float(values[index])
            if coefficients:
                equations.append((coefficients, rhs))
    inside = zone_margin.members(table, category_column)
    keys = zone_margin.key_columns(group_columns, category_column)
    for key, group in table[inside].groupby(keys, sort=False, dropna=False):
        known = zone_totals.get(key if isinstance(key, tuple) else (key,))
        masked = [position[index] for index in group.index if index in position]
        if known is None or not masked:
            continue
        equations.append((dict.fromkeys(masked, 1.0), known - float(values[group.index].dropna().sum())))
    return equations


def _components(n: int, equations: list[Equation]) -> list[list[int]]:
    """Variables linked by shared equations (union-find), each component an independent programme."""
    parent = list(range(n))

    def root(j: int) -> int:
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    for coefficients, _ in equations:
        first, *rest = coefficients
        for j in rest:
            parent[root(j)] = root(first)
    members: dict[int, list[int]] = {}
    for j in range(n):
        members.setdefault(root(j), []).append(j)
    return list(members.values())


def _intervals_with_zone_margin(
    table: pd.DataFrame, group_columns: list[str], category_column: str, count_column: str, total_label: str | None, k: int,
    earlier: dict[tuple[Any, ...], tuple[float, float]], label_column: str, solver: str,
    zone_margin: ZoneMargin, zone_totals: dict[tuple[Any, ...], float],
) -> pd.DataFrame:
    """:func:`attacker_intervals` with the known zone sums: one programme per set of linked masked cells.

    A cell of a zone-margin group masked whole (withheld, zeros included) is bounded below by 0.
    """
    key_columns = [*group_columns, category_column]
    variables = list(table.index[table[count_column].isna()])
    if not variables:
        return pd.DataFrame(columns=[*key_columns, "borne_basse", "borne_haute"])
    withheld = withheld_cells(table, zone_margin, group_columns, category_column, count_column)
    position = {index: j for j, index in enumerate(variables)}
    keys = list(table.loc[variables, key_columns].itertuples(index=False, name=None))
    bounds = []
    for index, key in zip(variables, keys, strict=True):
        low, high = bounds_for_label(str(table.at[index, label_column]), table.at[index, category_column] == total_label, k)
        if withheld[index]:
            low = 0.0
        e_low, e_high = earlier.get(key, (0.0, math.inf))
        bounds.append((max(low, e_low), min(high, e_high)))
    equations = _margin_equations(table, group_columns, category_column, count_column, total_label, position, zone_margin, zone_totals)
    intervals: dict[int, Interval] = {}
    for component in _components(len(variables), equations):
        local = {j: i for i, j in enumerate(component)}
        rows = [(c, rhs) for c, rhs in equations if next(iter(c)) in local]
        a_eq = np.zeros((len(rows), len(component)))
        for r, (coefficients, _) in enumerate(rows):
            for j, value in coefficients.items():
                a_eq[r, local[j]] = value
        b_eq = np.array([rhs for _, rhs in rows])
        sub_bounds = [bounds[j] for j in component]
        for j in component:
            if solver == "auto" and len(rows) <= 1:
                intervals[j] = _single_margin_range(a_eq, b_eq, sub_bounds, local[j])
            else:
                intervals[j] = _solve_range(a_eq, b_eq, sub_bounds, local[j])
    out = pd.DataFrame(keys, columns=key_columns)
    out["borne_basse"] = [intervals[j].low for j in range(len(variables))]
    out["borne_haute"] = [intervals[j].high for j in range(len(variables))]
    return out


def required_widths(
    intervals: pd.DataFrame, protection_interval: int, zone_margin: ZoneMargin | None,
    zone_totals: dict[tuple[Any, ...], float] | None, group_columns: list[str], category_column: str,
) -> pd.Series:
    """The width each masked cell's interval must reach: the protection interval, or less where the
    public zone sum itself is smaller (no release can hide a cell better than [0, that sum])."""
    required = pd.Series(float(protection_interval), index=intervals.index)
    if zone_margin is None or not zone_totals or intervals.empty:
        return required
    keys = intervals[zone_margin.key_columns(group_columns, category_column)].itertuples(index=False, name=None)
    inside = zone_margin.members(intervals, category_column)
    known = pd.Series([zone_totals.get(key, math.inf) for key in keys], index=intervals.index)
    return required.where(~inside, np.minimum(required, known))


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
    zone_margin: ZoneMargin | None = None,
) -> tuple[pd.DataFrame, DisclosureReport]:
    """Suppress, then audit as an attacker and mask more until every masked cell is protected.

    ``forced``: keys (group columns..., category) masked from the start as secondary (the joint
    audit of sibling series asks for them); the secondary pass and the audit then run as usual.
    ``zone_margin``: sums over zones the attacker knows (computed here from ``cells``): secondary
    suppression across zones, iterated with the within-group margin, and equalities in the audit;
    the report lists the margin and the cells masked for it (``known_margins``).

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
    zone_groups = _zone_groups(table, zone_margin, group_columns, category_column) if zone_margin else None
    zone_totals = zone_margin.totals(table, counts, group_columns, category_column) if zone_margin else None
    by_zone: set[Any] = set()
    rounds = 0
    while True:
        if zone_margin is not None and zone_groups is not None:
            by_zone |= _secondary_until_stable(table, status, counts, group_columns, is_total, total_label, zone_groups, zone_margin.zone_column)
        elif total_label is not None:
            _secondary_pass(table, status, counts, group_columns, is_total)
        shown = table.copy()
        shown[count_column] = counts.astype("Int64").mask(status != PUBLISHED)
        shown["diffusion"] = status.map(labels)
        intervals = attacker_intervals(
            shown, group_columns, category_column, count_column, total_label, k, earlier, zone_margin=zone_margin, zone_totals=zone_totals
        )
        if zone_margin is None:
            narrow = intervals[intervals["borne_haute"] - intervals["borne_basse"] < protection_interval]
        else:
            required = required_widths(intervals, protection_interval, zone_margin, zone_totals, group_columns, category_column)
            narrow = intervals[intervals["borne_haute"] - intervals["borne_basse"] < required]
        if narrow.empty:
            break
        rounds += 1
        keys = set(narrow[key_columns].itertuples(index=False, name=None))
        fixable = False
        widened: set[int] = set()  # one more zone per narrow zone group and round
        for index in table.index[[tuple(r) in keys for r in table[key_columns].itertuples(index=False, name=None)]]:
            if zone_margin is None or zone_groups is None:
                fixable |= _mask_partner(table, status, counts, group_columns, is_total, index)
                continue
            if total_label is not None:
                fixable |= _mask_partner(table, status, counts, group_columns, is_total, index)
            if zone_groups[index] >= 0 and zone_groups[index] not in widened:
                widened.add(int(zone_groups[index]))
                chosen = _mask_zone_partner(table, status, counts, zone_groups, zone_margin.zone_column, index)
                by_zone.update(chosen)
                fixable |= bool(chosen)
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
    if zone_margin is not None and zone_margins_with_one_mask(out, zone_margin, group_columns, category_column, count_column):
        raise DisclosureError("a known zone margin hides exactly one cell: refusing to publish")
    check_publishable(out, count_column, k)
    widths = (intervals["borne_haute"] - intervals["borne_basse"]).astype("float64")
    attacker = "cases publiées, marges (totaux de groupe), cases masquées non nulles, diffusions antérieures"
    if zone_margin is not None:
        attacker = f"cases publiées, marges (totaux de groupe), {ZONE_MARGIN_ATTACKER}, cases masquées, diffusions antérieures"
    audit = {
        "passed": True,
        "attacker": attacker,
        "masked_cells": len(intervals),
        # null when there is no masked cell or every masked cell is unbounded above
        "min_interval_width": float(widths.min()) if len(widths) and np.isfinite(widths.min()) else None,
        "unbounded_cells": int(np.isinf(widths.to_numpy()).sum()),
        "extra_masking_rounds": rounds,
        "earlier_cells_known": len(earlier or {}),
    }
    extra: dict[str, Any] = {}
    if zone_margin is not None and zone_totals is not None and zone_groups is not None:
        masked = status != PUBLISHED
        extra = {
            "method": f"{METHOD}{ZONE_MARGIN_METHOD} Ce total connu : {zone_margin.reason}",
            "known_margins": [{
                "over": "zone",
                "zone_column": zone_margin.zone_column,
                "categories": sorted(zone_margin.categories) if zone_margin.categories is not None else "toutes",
                "reason": zone_margin.reason,
                "groups": len(zone_totals),
                "groups_with_masked_cells": int(zone_groups[masked & (zone_groups >= 0)].nunique()),
                "cells_masked_for_margin": len(by_zone),
                "zero_cells_masked": int((masked & (counts == 0)).sum()),
                "groups_withheld": int(zone_groups[withheld_cells(out, zone_margin, group_columns, category_column, count_column)].nunique()),
                "cells_capped_by_known_total": int((required_widths(
                    intervals, protection_interval, zone_margin, zone_totals, group_columns, category_column
                ) < protection_interval).sum()),
            }],
        }
    report = DisclosureReport(**{**asdict(report), "protection_interval": protection_interval, "audit": audit, **extra})
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
    zone_margin: ZoneMargin | None = None,
    zone_totals: dict[tuple[Any, ...], float] | None = None,
) -> pd.DataFrame:
    """Re-audit a published table against earlier releases; returns the cells that fail.

    Used by tests and by anyone checking a lake: an empty result means no masked cell can be
    narrowed below the protection interval from everything published. With ``zone_margin``, the
    attacker also knows ``zone_totals`` (the public sums over zones, which the table does not hold).
    """
    masked_low = 0.0 if zone_margin is not None else 1.0
    earlier = earlier_knowledge(earlier_releases, [*group_columns, category_column], count_column, masked_low)
    intervals = attacker_intervals(
        table, group_columns, category_column, count_column, total_label, k, earlier, zone_margin=zone_margin, zone_totals=zone_totals
    )
    required = required_widths(intervals, protection_interval, zone_margin, zone_totals, group_columns, category_column)
    return intervals[intervals["borne_haute"] - intervals["borne_basse"] < required]
