"""Defects injected into a day's delivery, each recorded with its line for the truth file.

The dirt is generic: which column a kind of defect hits is read from the feed declaration (the
``datetime`` column, the column with ``codes``, the natural key, ``latitude``/``longitude``),
so every simulated feed gets the same treatment. A feed lacking a target simply gets no defect
of that kind.

Rules that keep the truth file unambiguous:
- a row carries at most one defect, so each defective line has exactly one expected reason;
- the row an exact repeat copies and the row whose id is reused are clean, so the defect is on
  the later line only (ingestion keeps the first occurrence of a natural key);
- a file of at least ``MIN_ROWS_FOR_EVERY_KIND`` rows carries every kind whose rate is not zero
  (and both variants of duplicate ids), so even a short simulation exercises every check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import numpy as np

from orchestration.catalog import FeedSpec

KINDS: tuple[str, ...] = ("bad_date", "outside_city", "duplicate_id", "unknown_code")
MIN_ROWS_FOR_EVERY_KIND = 100

# Codes a partner's software might emit after a local change, never declared in the catalog.
CANDIDATE_UNKNOWN_CODES: tuple[str, ...] = ("NUI", "ANI", "XXX", "TAP2", "RIXE", "99", "?")
PARIS = (48.856614, 2.352222)  # the classic geocoder fallback for an unresolved French address


@dataclass(frozen=True)
class DirtRates:
    """Share of rows receiving each kind of defect (per file, drawn binomially; 0 disables a kind).

    A file of >= ``MIN_ROWS_FOR_EVERY_KIND`` rows gets at least one defect of each enabled kind
    (two duplicate ids: an exact repeat and a reused id), whatever the rate.
    """

    bad_date: float = 0.005
    outside_city: float = 0.005
    duplicate_id: float = 0.005
    unknown_code: float = 0.005

    def __post_init__(self) -> None:
        for kind, rate in self.as_dict().items():
            if not 0.0 <= rate <= 0.2:
                raise ValueError(f"DirtRates.{kind}={rate}: rates are shares of rows, between 0 and 0.2")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class RowDefect:
    """A defect on a row of the assembled file (0-based data-row index; header excluded)."""

    row: int
    kind: str
    column: str
    detail: str


def _targets(spec: FeedSpec) -> dict[str, str]:
    """Our column name hit by each kind of defect, for this feed."""
    names = [c.name for c in spec.columns]
    targets: dict[str, str] = {}
    if dates := [c.name for c in spec.columns if c.type == "datetime"]:
        targets["bad_date"] = dates[0]
    if "latitude" in names and "longitude" in names:
        targets["outside_city"] = "latitude"
    if len(spec.natural_key) == 1:
        targets["duplicate_id"] = spec.natural_key[0]
    if coded := [c.name for c in spec.columns if c.codes]:
        targets["unknown_code"] = coded[0]
    return targets


def _counts(n: int, rates: DirtRates, targets: dict[str, str], rng: np.random.Generator) -> dict[str, int]:
    """Defects per kind; floors guarantee every kind in a big enough file; never more than rows."""
    counts = {}
    for kind in KINDS:
        rate = getattr(rates, kind)
        if kind not in targets or rate == 0 or n == 0:
            counts[kind] = 0
            continue
        count = int(rng.binomial(n, rate))
        if n >= MIN_ROWS_FOR_EVERY_KIND:
            count = max(count, 2 if kind == "duplicate_id" else 1)  # 2: one of each variant
        counts[kind] = count
    # Rows consumed: one per defect, plus a clean source row per duplicate (two rows per id
    # reuse pair, one per repeated row). Trim the largest counts for tiny files.
    while sum(counts.values()) + counts["duplicate_id"] > n:
        largest = max(KINDS, key=lambda k: counts[k])
        counts[largest] -= 1
    return counts


def _decimal(value: float, spec: FeedSpec) -> str:
    return f"{value:.6f}".replace(".", spec.format["decimal"])


def _bad_date(day: date, rng: np.random.Generator) -> tuple[str, str]:
    variant = int(rng.integers(3))
    if variant == 0:
        # e.g. "31/02/2026 25:61": right layout, impossible values.
        day_of_month, hour, minute = (int(rng.integers(low, high)) for low, high in ((30, 32), (24, 30), (60, 100)))
        return f"{day_of_month}/02/{day.year} {hour}:{minute}", "impossible_date"
    if variant == 1:
        return f"{day.year}-13-{day.day:02d}", "wrong_format"
    return "", "empty"


def inject(
    spec: FeedSpec,
    day: date,
    columns: dict[str, list[str]],
    rng: np.random.Generator,
    rates: DirtRates,
) -> tuple[list[list[str]], list[RowDefect]]:
    """Dirty a day's clean columns in place of some rows; return the file's rows and their defects.

    ``columns`` maps our column names to formatted values, rows in delivery order.
    """
    names = [c.name for c in spec.columns]
    n = len(columns[names[0]]) if names else 0
    targets = _targets(spec)
    counts = _counts(n, rates, targets, rng)
    order = iter(rng.permutation(n).tolist())  # distinct rows for every defect and source
    tags: dict[int, tuple[str, str, str]] = {}  # original row -> (kind, column, detail)

    for _ in range(counts["bad_date"]):
        row, column = next(order), targets["bad_date"]
        columns[column][row], detail = _bad_date(day, rng)
        tags[row] = ("bad_date", column, detail)

    for _ in range(counts["outside_city"]):
        row = next(order)
        variant = int(rng.integers(3))
        if variant == 0:
            lat, lon, detail = _decimal(0.0, spec), _decimal(0.0, spec), "null_island"
        elif variant == 1:
            jitter = rng.normal(0.0, 0.01, 2)
            lat, lon, detail = _decimal(PARIS[0] + jitter[0], spec), _decimal(PARIS[1] + jitter[1], spec), "paris"
        else:
            lat, lon, detail = columns["longitude"][row], columns["latitude"][row], "lat_lon_swapped"
        columns["latitude"][row], columns["longitude"][row] = lat, lon
        tags[row] = ("outside_city", targets["outside_city"], detail)

    for _ in range(counts["unknown_code"]):
        row, column = next(order), targets["unknown_code"]
        declared = spec.column(column).codes or {}
        candidates = [c for c in CANDIDATE_UNKNOWN_CODES if c not in declared]
        columns[column][row] = candidates[int(rng.integers(len(candidates)))]
        tags[row] = ("unknown_code", column, "undeclared_code")

    repeats: list[tuple[int, int]] = []  # (insert after original row, copy of row)
    for k in range(counts["duplicate_id"]):
        column = targets["duplicate_id"]
        if k % 2 == 0:  # a row exported twice, byte for byte
            source = next(order)
            repeats.append((int(rng.integers(source, n)), source))
        else:  # another row given an id already used earlier in the file
            first, second = sorted((next(order), next(order)))
            columns[column][second] = columns[column][first]
            tags[second] = ("duplicate_id", column, "reused_id")

    rows = [list(values) for values in zip(*(columns[name] for name in names), strict=True)]
    after: dict[int, list[int]] = {}
    for position, source in sorted(repeats):
        after.setdefault(position, []).append(source)
    out: list[list[str]] = []
    defects: list[RowDefect] = []
    for i, row in enumerate(rows):
        if i in tags:
            defects.append(RowDefect(len(out), *tags[i]))
        out.append(row)
        for source in after.get(i, []):
            defects.append(RowDefect(len(out), "duplicate_id", targets["duplicate_id"], "exact_repeat"))
            out.append(list(rows[source]))
    return out, defects
