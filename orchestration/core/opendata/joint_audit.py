"""The attacker's audit across sibling series: one mart's counts published over two period grids.

A month and the ISO weeks it contains are sums of the same days. When ``interventions ... par mois``
and ``... par semaine`` are both published, an attacker can difference them: over a run of months
that starts on a Monday and ends on a Sunday (1 January - 31 March 2024 = weeks 1-13), the months
of a category add up to its weeks, so one masked week (or month) is recovered exactly when the rest
is published; elsewhere it is bounded by the straddling weeks' counts, small where masking happens.

The joint audit reasons as that attacker, per zone:

* **atoms**: the day ranges cut by every published period boundary (ISO week ∩ calendar month)
  × category; unknown, non-negative;
* **equalities**: each published cell of any sibling series (every release, the candidate
  included) equals the sum of its atoms; a published total (``total_label``) sums every category;
* **inequalities**: a masked cell is at least 1 (zeros are always published); a value published
  for an open period (legacy releases) is a lower bound;
* for each masked cell, ``min`` and ``max`` of its sum by linear programming (scipy's HiGHS);
* series released on different days may disagree (late rows reach the later release only, a
  published period is never revised): the attacker then assumes the smallest total revision
  that reconciles them (an elastic programme, :func:`_elastic`).

The LP relaxation is solved, then rounded inwards (counts are integers: every integer solution
lies in ``[ceil(min), floor(max)]``). An integer attacker can only do as well or better, so
``integer=True`` re-solves the cells whose rounded interval is finite with integrality (MIP) and
keeps the narrower answer.

**Datasets of different marts** (:mod:`overlap`): two datasets may count some of the same source
rows, filtered and dated differently (police interventions by calendar day, all hours; night-life
facts of the police's night categories at night hours, an hour before noon dated to the previous
evening). Each series then carries a :class:`Counting`: the atoms are refined to zone x category
(a partner code shared by both) x calendar day x hour class (hours that every series counts alike,
e.g. 22-23 h, 0-4 h, the other hours), and a cell dated ``d`` sums the classes it counts on calendar
day ``d + offset``. Without a counting (siblings of one mart) a series has one class, offset 0,
and its labels are the atoms: the programme is the one above.

**Exact decomposition**: periods that overlap share atoms; a date that starts a period of every
series and ends none of them (for weeks and months: a Monday that is the 1st) cuts the time line
into independent blocks. Each (zone, block) is its own small programme; a block where only one
series has cells adds nothing to that series' own audit and is skipped.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import scipy
from scipy.optimize import linprog
from scipy.sparse import csc_matrix, csr_matrix, hstack, identity, vstack

from orchestration.core.disclosure import DisclosureError
from orchestration.core.opendata.periods import period_bounds

ONE_DAY = timedelta(days=1)
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Counting:
    """How a series' cells sum the common atoms of datasets of different marts.

    ``pieces``: (hour class, day offset): a cell dated ``d`` counts that class's rows of calendar day
    ``d + offset``. ``atoms``: category label -> the atom categories it sums (the total label: every
    atom category of the series). ``classes`` names each hour class's hours, for the report.
    """

    pieces: tuple[tuple[str, int], ...]
    atoms: dict[str, tuple[str, ...]]
    classes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def extent(self) -> tuple[int, int]:
        """The smallest and largest day offset: a cell's calendar days reach this far."""
        offsets = [o for _, o in self.pieces]
        return min(offsets), max(offsets)


@dataclass(frozen=True)
class Series:
    """One open dataset's published tables, in the joint audit's terms.

    ``tables`` are every release, oldest first, the candidate last: the last one is the current
    state (its masked cells are audited); all of them constrain the attacker. A table holds the
    zone, period, category and count columns, and optionally ``periode_close`` (False: its values
    are lower bounds, for legacy releases of open periods).
    """

    dataset: str
    level: str
    period_column: str
    zone_columns: tuple[str, ...]  # the zone, and a breakdown if any: cells of different values share no atom
    category_column: str
    count_column: str
    total_label: str | None
    tables: tuple[pd.DataFrame, ...]
    counting: Counting | None = None  # None: one hour class, calendar days, labels are the atoms (siblings)


@dataclass(frozen=True)
class JointResult:
    """Every audited masked cell with its interval, and the blocks the audit solved."""

    intervals: pd.DataFrame  # dataset, zone, period, category, start, end, borne_basse, borne_haute
    blocks: list[tuple[date, date]] = field(default_factory=list)
    programmes: int = 0
    revision: float = 0.0  # least total revision that reconciles the series (late data), 0 when they agree

    def narrow(self, protection_interval: float) -> pd.DataFrame:
        """The audited cells an attacker can pin within less than ``protection_interval``."""
        widths = self.intervals["borne_haute"] - self.intervals["borne_basse"]
        return self.intervals[widths < protection_interval]

    def summary(self, protection_interval: float) -> dict[str, Any]:
        """The figures the disclosure report publishes."""
        widths = (self.intervals["borne_haute"] - self.intervals["borne_basse"]).astype("float64")
        finite = widths[np.isfinite(widths)]
        narrowest = None
        if len(finite):
            row = self.intervals.loc[finite.idxmin()]
            narrowest = {
                "dataset": row["dataset"],
                "zone": row["zone"],
                "period": row["period"],
                "category": row["category"],
                "low": float(row["borne_basse"]),
                "high": float(row["borne_haute"]),
                "width": float(finite.min()),
            }
        return {
            "cells_audited": len(self.intervals),
            "blocks": [[str(a), str(b)] for a, b in self.blocks],
            "programmes": self.programmes,
            "min_interval_width": float(finite.min()) if len(finite) else None,
            "unbounded_cells": int(np.isinf(widths.to_numpy()).sum()),
            "narrowest": narrowest,
            "narrow_cells": int((widths < protection_interval).sum()),
            "late_data_revision_assumed": self.revision,
        }


# ---------------------------------------------------------------------------------------------
# Facts: what every release of every series tells


def _facts(series: Sequence[Series], keep: dict[str, set[str]]) -> pd.DataFrame:
    """One row per (dataset, zone, period, category): value known, lower bound, masked now.

    ``value`` is the published value of a closed period (NaN if never published as such), ``low``
    the best lower bound (1 for a masked cell), ``masked`` whether the current state masks it.
    Only the periods in ``keep`` (dataset -> period labels) are read.
    """
    frames = []
    for s in series:
        for position, whole in enumerate(s.tables):
            table = whole[whole[s.period_column].astype(str).isin(keep.get(s.dataset, set()))]
            if table.empty:  # an earlier release with nothing in the audited blocks
                continue
            closed = table["periode_close"].astype(bool) if "periode_close" in table else pd.Series(True, index=table.index)
            frames.append(
                pd.DataFrame(
                    {
                        "dataset": s.dataset,
                        "zone": _zone_labels(table, s.zone_columns),
                        "period": table[s.period_column].astype(str),
                        "category": table[s.category_column].astype(str),
                        "count": pd.to_numeric(table[s.count_column], errors="coerce").astype("float64"),
                        "closed": closed.to_numpy(),
                        "current": position == len(s.tables) - 1,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["dataset", "zone", "period", "category", "value", "low", "masked"])
    rows = pd.concat(frames, ignore_index=True)
    rows["value"] = rows["count"].where(rows["closed"])
    rows["low"] = rows["count"].where(~rows["closed"], np.nan).fillna(0.0)
    rows.loc[rows["count"].isna(), "low"] = 1.0
    rows["masked"] = rows["count"].isna() & rows["current"]
    key = ["dataset", "zone", "period", "category"]
    facts = rows.groupby(key, sort=False).agg(value=("value", "max"), low=("low", "max"), masked=("masked", "any")).reset_index()
    # A cell masked now but published (closed) in an earlier release is known: not "masked" any more.
    facts.loc[facts["value"].notna(), "masked"] = False
    return facts


def _zone_labels(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series | str:
    """Each row's zone (and breakdown) as one label, ``zone|breakdown``; ``""`` for city-wide series."""
    if not columns:
        return ""
    labels = table[columns[0]].astype(str)
    for column in columns[1:]:
        labels = labels + "|" + table[column].astype(str)
    return labels


def time_blocks(spans: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Connected runs of overlapping day spans (inclusive ends), in order: the exact decomposition.

    Two periods that share no day share no atom; a run ends where no period straddles the next
    day, e.g. weeks and months split at a Monday that is a 1st (1 April 2024, 1 July 2024).
    """
    blocks: list[list[date]] = []
    for start, end in sorted(spans):
        if blocks and start <= blocks[-1][1]:
            blocks[-1][1] = max(blocks[-1][1], end)
        else:
            blocks.append([start, end])
    return [(a, b) for a, b in blocks]


# ---------------------------------------------------------------------------------------------
# One (zone, block) programme


def _solve(
    c: np.ndarray, a_eq: Any, b_eq: np.ndarray, a_ub: Any, b_ub: np.ndarray, integer: int = 0, points: list[np.ndarray] | None = None
) -> float | None:
    """``min c.x`` over the attacker's constraints, ``x >= 0``; ``None`` when unbounded below.

    ``integer``: how many leading variables are integers (0: the LP relaxation). ``points``: the
    optimum found is appended (a feasible point, for :func:`_certified`).
    """
    integrality = np.r_[np.ones(integer), np.zeros(len(c) - integer)] if integer else None
    res = linprog(
        c,
        A_eq=a_eq if b_eq.size else None,
        b_eq=b_eq if b_eq.size else None,
        A_ub=a_ub if b_ub.size else None,
        b_ub=b_ub if b_ub.size else None,
        bounds=(0, None),
        method="highs",
        integrality=integrality,
    )
    if res.status == 3:
        return None
    if res.status != 0:
        raise DisclosureError(f"joint attacker's audit: the published constraints are inconsistent ({res.message})")
    if points is not None and res.x is not None:
        points.append(np.asarray(res.x))
    return float(res.fun)


# scipy's own HiGHS bindings (the solver ``linprog`` calls), used directly to keep one model per
# (zone, block) across its cells. scipy does not document this module: the version it was checked
# with is pinned here and by a test; on any other, or if the import fails, every programme goes
# through ``linprog`` as before (same bounds, slower).
WARM_CHECKED_WITH = "1.17.1"
try:
    from scipy.optimize._highspy import _core as _highs
except ImportError:  # pragma: no cover - another scipy layout: linprog only
    _highs = None
_WARM = _highs is not None and scipy.__version__ == WARM_CHECKED_WITH


class _Programme:
    """The attacker's constraints of one (zone, block), minimised for one objective after another.

    ``linprog`` builds and solves each programme from scratch, about 2,000 per release of a
    cross-mart group over four months. Here the model is built once and only the objective changes:
    the previous optimum stays a feasible vertex, so the primal simplex goes on from it (a few
    pivots) instead of starting over. The optimum's value is the programme's, whichever vertex
    attains it; anything but an optimum or a clear unboundedness is solved again by ``linprog``,
    which decides (and raises on inconsistent constraints) as before.
    """

    def __init__(self, a_eq: Any, b_eq: np.ndarray, a_ub: Any, b_ub: np.ndarray) -> None:
        self.constraints = (a_eq, b_eq, a_ub, b_ub)
        self.model: Any = None
        self.solved = False  # an optimum was found: the constraints are feasible
        if not _WARM:
            return
        n = a_eq.shape[1]
        inf = _highs.kHighsInf
        matrix = csc_matrix(vstack([a_eq, a_ub], format="csr"))
        lp = _highs.HighsLp()
        lp.num_col_, lp.num_row_ = n, matrix.shape[0]
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.zeros(n), np.zeros(n), np.full(n, inf)
        lp.row_lower_ = np.r_[b_eq, np.full(b_ub.size, -inf)].astype("float64")
        lp.row_upper_ = np.r_[b_eq, b_ub].astype("float64")
        lp.a_matrix_.format_ = _highs.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, matrix.shape[0]
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
        model = _highs._Highs()
        model.setOptionValue("output_flag", False)
        model.setOptionValue("solver", "simplex")
        model.setOptionValue("simplex_strategy", 4)  # primal: a new objective keeps the basis primal feasible
        model.passModel(lp)
        self.model = model

    def minimum(self, c: np.ndarray, points: list[np.ndarray]) -> float | None:
        """``min c.x`` (as :func:`_solve`), the optimum appended to ``points``; ``None`` when unbounded below."""
        if self.model is not None:
            self.model.changeColsCost(len(c), np.arange(len(c), dtype=np.int32), np.asarray(c, dtype="float64"))
            self.model.run()
            status = self.model.getModelStatus()
            if status == _highs.HighsModelStatus.kOptimal:
                self.solved = True
                points.append(np.asarray(self.model.getSolution().col_value))
                return float(self.model.getInfo().objective_function_value)
            if status == _highs.HighsModelStatus.kUnbounded and self.solved:
                return None
        return _solve(c, *self.constraints, points=points)


def _certified(objective: np.ndarray, points: list[np.ndarray], unbounded: bool, width: float | None) -> tuple[float, float] | None:
    """An interval the attacker's one contains, if feasible points already prove it at least ``width`` wide.

    Every optimum solved in a (zone, block) is a point satisfying all its constraints, so the cell's
    values at those points lie in the attacker's interval: ``[min, max]`` of them is inside it (the
    LP relaxation's, rounded inwards to integers). When that inner interval is already as wide as
    the protection interval the cell is not narrow and its two programmes are skipped: the reported
    bounds are then that inner interval (the attacker's is at least as wide). Only for the LP
    relaxation (``width`` is None otherwise): fractional points prove nothing about an integer attacker.
    """
    if width is None or not points:
        return None
    values = np.vstack(points) @ objective
    low = math.ceil(float(values.min()) - _TOLERANCE)
    high = math.inf if unbounded else math.floor(float(values.max()) + _TOLERANCE)
    return (float(low), float(high)) if high - low >= width else None


def _elastic(a_eq: Any, b_eq: np.ndarray, a_ub: Any, b_ub: np.ndarray) -> tuple[Any, Any, np.ndarray, float]:
    """The published equalities, with the smallest total revision that makes them consistent.

    Series released on different days may disagree (late data: a published period is never
    revised, the sibling released later counts the late rows). An attacker then assumes the
    smallest revisions: ``A x + s+ - s- = b`` with ``sum(s) <= s*``, ``s*`` the least total revision
    (0 when the releases agree: the programme is then the plain one). Returns the extended
    matrices (revision variables after ``x``) and ``s*``.
    """
    n, m = a_eq.shape[1], a_eq.shape[0]
    eye = identity(m, format="csr")
    a_eq2 = hstack([a_eq, eye, -eye], format="csr")
    a_ub2 = hstack([a_ub, csr_matrix((a_ub.shape[0], 2 * m))], format="csr")
    least = _solve(np.r_[np.zeros(n), np.ones(2 * m)], a_eq2, b_eq, a_ub2, b_ub) or 0.0
    if least <= _TOLERANCE:
        return a_eq, a_ub, b_ub, 0.0
    budget = vstack([a_ub2, csr_matrix(np.r_[np.zeros(n), np.ones(2 * m)].reshape(1, -1))], format="csr")
    return a_eq2, budget, np.r_[b_ub, least + _TOLERANCE * max(1.0, least)], least


def _block_intervals(cells: pd.DataFrame, integer: bool, width: float | None = None) -> tuple[list[tuple[float, float]], int, float]:
    """Interval of each audited cell in one (zone, block), the programmes solved and the revision assumed.

    ``cells`` has ``pieces`` (calendar day ranges with their hour class), ``atoms`` (the atom
    categories it sums), value (published for a closed period), low, and ``audit`` (the masked
    cells whose interval is wanted). Variables are the atoms some cell sums: (day segment, hour
    class, atom category), the segments cut at every piece's start and end.
    """
    bounds = sorted({day for pieces in cells["pieces"] for start, end, _ in pieces for day in (start, end + ONE_DAY)})
    variables: dict[tuple[int, str, str], int] = {}
    rows, cols = [], []
    for r, (pieces, atoms) in enumerate(zip(cells["pieces"], cells["atoms"], strict=True)):
        for start, end, hour_class in pieces:
            first, last = bisect.bisect_left(bounds, start), bisect.bisect_left(bounds, end + ONE_DAY)
            for segment in range(first, last):
                for atom in atoms:
                    rows.append(r)
                    cols.append(variables.setdefault((segment, hour_class, atom), len(variables)))
    n = len(variables)
    matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cells), n))
    known = cells["value"].notna().to_numpy()
    bounded = (~known) & (cells["low"].to_numpy() > 0)
    a_eq, b_eq = matrix[known], cells["value"].to_numpy()[known]
    a_ub, b_ub = -matrix[bounded], -cells["low"].to_numpy()[bounded]
    # An atom in no published equality is unbounded above: a cell holding one has no finite maximum.
    free = np.asarray(abs(a_eq).sum(axis=0)).ravel() == 0
    a_eq, a_ub, b_ub, revision = _elastic(a_eq, b_eq, a_ub, b_ub)
    extra = a_eq.shape[1] - n
    out, programmes = [], 1
    points: list[np.ndarray] = []  # optima found so far: feasible points of this programme
    programme = _Programme(a_eq, b_eq, a_ub, b_ub)
    for r in np.flatnonzero(cells["audit"].to_numpy()):
        atoms = matrix[r].toarray().ravel()
        objective = np.r_[atoms, np.zeros(extra)]
        unbounded = bool((free & (atoms > 0)).any())
        known = _certified(objective, points, unbounded, None if integer else width)
        if known is not None:
            out.append(known)
            continue
        low = programme.minimum(objective, points)
        high = None if unbounded else programme.minimum(-objective, points)
        programmes += 1 if high is None else 2
        low = 0.0 if low is None else math.ceil(low - _TOLERANCE)
        high = math.inf if high is None else math.floor(-high + _TOLERANCE)
        if integer and math.isfinite(high) and high > low:
            # The LP relaxation may be wider than what an integer attacker attains: check it.
            low = max(low, math.ceil(_solve(objective, a_eq, b_eq, a_ub, b_ub, n) - _TOLERANCE))
            high = min(high, math.floor(-_solve(-objective, a_eq, b_eq, a_ub, b_ub, n) + _TOLERANCE))
            programmes += 2
        out.append((float(low), float(high)))
    return out, programmes, revision


def _cell_shapes(facts: pd.DataFrame, series: Sequence[Series], totals: set[str]) -> tuple[list[Any], list[Any]]:
    """Each fact's calendar pieces (start, end, hour class) and the atom categories it sums.

    A series without a :class:`Counting` is one class on its own days, its labels the atoms, a
    total every label (as siblings of one mart publish them).
    """
    by_name = {s.dataset: s for s in series}
    plain = sorted(set(facts["category"]) - totals)
    pieces, atoms = [], []
    for dataset, category, start, end in zip(facts["dataset"], facts["category"], facts["start"], facts["end"], strict=True):
        counting = by_name[dataset].counting
        if counting is None:
            pieces.append(((start, end, ""),))
            atoms.append(tuple(plain) if category in totals else (category,))
            continue
        shift = [(start + o * ONE_DAY, end + o * ONE_DAY, hour_class) for hour_class, o in counting.pieces]
        pieces.append(tuple(shift))
        atoms.append(counting.atoms.get(category, (f"{dataset}:{category}",)))
    return pieces, atoms


def joint_intervals(
    series: Sequence[Series],
    within: Sequence[tuple[date, date]] | None = None,
    integer: bool = False,
    only: set[tuple[str, str, str, str]] | None = None,
    protection_interval: float | None = None,
) -> JointResult:
    """For each masked cell of every series, the interval an attacker derives from all of them.

    ``within`` (day spans) restricts the audit to the blocks overlapping one of them (a release's
    new periods: the other blocks are unchanged since they were last audited).
    ``integer``: re-solve with integrality (MIP) every cell whose rounded LP interval is finite and
    not a point, keeping the narrower answer (an integer attacker can only be closer than the LP).
    ``only``: audit just these masked cells (dataset, zone, period, category); the others still
    constrain the attacker.
    ``protection_interval``: skip the programmes of a cell that feasible points already show at
    least this wide (:func:`_certified`; its bounds are then an inner interval). None: exact bounds
    for every cell.
    """
    columns = ["dataset", "zone", "period", "category", "start", "end", "borne_basse", "borne_haute"]
    totals = {s.total_label for s in series if s.total_label is not None}
    # Blocks first, from the period labels alone: only the wanted blocks' rows are read further.
    spans = {
        (s.dataset, str(p)): period_bounds(str(p), s.level)
        for s in series
        for p in set().union(*(set(t[s.period_column].dropna().astype(str)) for t in s.tables))
    }
    # The calendar days a cell reaches (an evening-dated night reaches the next morning): the blocks.
    reach = {s.dataset: s.counting.extent() if s.counting else (0, 0) for s in series}
    blocks = time_blocks({(a + reach[d][0] * ONE_DAY, z + reach[d][1] * ONE_DAY) for (d, _), (a, z) in spans.items()})
    spans_reached = {(d, p): (a + reach[d][0] * ONE_DAY, z + reach[d][1] * ONE_DAY) for (d, p), (a, z) in spans.items()}
    starts = [a for a, _ in blocks]
    block_of = {key: bisect.bisect_right(starts, span[0]) - 1 for key, span in spans_reached.items()}
    wanted = set(range(len(blocks)))
    if within is not None:
        wanted = {b for b, (a, z) in enumerate(blocks) if any(a <= end and start <= z for start, end in within)}
    # A block where one series alone has cells adds nothing to that series' own audit.
    shared = {b for b in wanted if len({d for (d, _), block in block_of.items() if block == b}) > 1}
    keep: dict[str, set[str]] = {}
    for (d, p), block in block_of.items():
        if block in shared:
            keep.setdefault(d, set()).add(p)
    facts = _facts(series, keep) if keep else pd.DataFrame()
    if facts.empty:
        return JointResult(pd.DataFrame(columns=columns))
    facts["start"] = [spans[(d, p)][0] for d, p in zip(facts["dataset"], facts["period"], strict=True)]
    facts["end"] = [spans[(d, p)][1] for d, p in zip(facts["dataset"], facts["period"], strict=True)]
    facts["block"] = [block_of[(d, p)] for d, p in zip(facts["dataset"], facts["period"], strict=True)]
    facts["pieces"], facts["atoms"] = _cell_shapes(facts, series, totals)
    facts["audit"] = facts["masked"]
    if only is not None:
        keys = facts[["dataset", "zone", "period", "category"]].itertuples(index=False, name=None)
        facts["audit"] = facts["masked"] & np.array([key in only for key in keys], dtype=bool)
    results: list[dict[str, Any]] = []
    audited_blocks: set[int] = set()
    programmes, revised = 0, 0.0
    for (_zone, block), cells in facts[facts["block"].isin(wanted)].groupby(["zone", "block"], sort=True):
        if cells["dataset"].nunique() < 2 or not cells["audit"].any():
            continue  # one series alone: its own audit already covers the block exactly
        cells = cells.reset_index(drop=True)
        found, solved, revision = _block_intervals(cells, integer, protection_interval)
        programmes += solved
        revised += revision
        audited_blocks.add(block)
        masked = cells[cells["audit"]]
        for (_, cell), (low, high) in zip(masked.iterrows(), found, strict=True):
            results.append({c: cell[c] for c in columns[:6]} | {"borne_basse": low, "borne_haute": high})
    return JointResult(pd.DataFrame(results, columns=columns), [blocks[b] for b in sorted(audited_blocks)], programmes, revised)
