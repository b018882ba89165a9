"""Defects injected into deliveries, each recorded for the truth file.

Row-level kinds (``KINDS``) use the ingestion's quarantine reason codes: ``bad_date``,
``outside_city``, ``duplicate_id``, ``unknown_code``, ``malformed_row``, ``out_of_range``. The
column a kind hits is read from the declaration (the first ``datetime``/``date`` column, the
``latitude``/``longitude`` pair, the natural key, the first column with ``codes``, the first
number with ``min``/``max``), unless the feed's simulator overrides it; a feed without a target
gets no defect of that kind. Malformed rows are written as the partner's broken export would be:
a CSV record one field short (a separator lost between its 2nd and 3rd fields) or one too many, a JSON line cut before its closing brace, a
JSON array element that is an array of values instead of an object.

File-level kinds (``FILE_KINDS``, truth ``line`` null) happen on given days, configured by
``DirtRates.file_defects`` as ``{kind: [[feed, day_offset], ...]}`` (day offset from the start of
the simulation; for weekly/monthly/yearly feeds, the delivery covering that day). A file that is
rejected as a whole (``REJECTING_KINDS``) carries no row-level defect; ``additive_schema_change``,
``late_file`` and ``duplicate_delivery`` files are accepted, and their rows' defects count.

Rules that keep the truth unambiguous:
- a row carries at most one defect, so each defective line has exactly one expected reason;
- the row an exact repeat copies and the row whose key is reused are clean, so the defect is on
  the later line only (ingestion keeps the first occurrence of a natural key);
- a file of at least ``MIN_ROWS_FOR_EVERY_KIND`` rows carries every row-level kind its feed has
  a target for (and both variants of duplicate keys), so a short simulation exercises every check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from orchestration.core.catalog import FeedSpec
from simulator.declarations import bounds, time_format

KINDS: tuple[str, ...] = ("bad_date", "outside_city", "duplicate_id", "unknown_code", "malformed_row", "out_of_range")
FILE_KINDS: tuple[str, ...] = (
    "wrong_encoding", "empty_file", "truncated_file", "breaking_schema_change", "additive_schema_change",
    "duplicate_delivery", "late_file",
)
REJECTING_KINDS: frozenset[str] = frozenset({"wrong_encoding", "empty_file", "truncated_file", "breaking_schema_change"})
MIN_ROWS_FOR_EVERY_KIND = 100

# Codes a partner's software might emit after a local change, never declared in the catalog.
CANDIDATE_UNKNOWN_CODES: tuple[str, ...] = ("XXX", "NUI", "ANI", "TAP2", "RIXE2", "99", "7", "?", "INCONNU")
PARIS = (48.856614, 2.352222)  # the classic geocoder fallback for an unresolved French address


def default_file_defects() -> dict[str, list[list[Any]]]:
    """Each file-level kind once in a 30-day simulation, on feeds with daily files (not the police's)."""
    return {
        "wrong_encoding": [["allo_mairie_demandes", 3]],
        "empty_file": [["rtm_incidents", 6]],
        "truncated_file": [["csu_evenements", 9]],
        "breaking_schema_change": [["marins_pompiers_interventions", 12]],
        "additive_schema_change": [["signalements_citoyens", 15]],
        "duplicate_delivery": [["eclairage_pannes", 18]],
        "late_file": [["meteo_horaire", 21]],
    }


@dataclass(frozen=True)
class DirtRates:
    """Share of rows receiving each kind of defect (per file, drawn binomially; 0 disables a kind),
    and the file-level defects on given days.

    A file of >= ``MIN_ROWS_FOR_EVERY_KIND`` rows gets at least one defect of each enabled kind
    (two duplicate keys: an exact repeat and a reused key), whatever the rate.
    """

    bad_date: float = 0.005
    outside_city: float = 0.005
    duplicate_id: float = 0.005
    unknown_code: float = 0.005
    malformed_row: float = 0.002
    out_of_range: float = 0.003
    file_defects: Mapping[str, Sequence[Sequence[Any]]] = field(default_factory=default_file_defects)
    late_days: int = 3  # a late file arrives this many days after its normal delivery
    redelivery_days: int = 2  # a duplicate delivery comes again this many days after the first

    def __post_init__(self) -> None:
        # Accept one place per kind written flat: {"empty_file": ["rtm_incidents", 6]}.
        normalised = {k: [v] if v and isinstance(v[0], str) else [list(p) for p in v] for k, v in dict(self.file_defects).items()}
        object.__setattr__(self, "file_defects", normalised)
        for kind in KINDS:
            rate = getattr(self, kind)
            if not 0.0 <= rate <= 0.2:
                raise ValueError(f"DirtRates.{kind}={rate}: rates are shares of rows, between 0 and 0.2")
        for kind, places in self.file_defects.items():
            if kind not in FILE_KINDS:
                raise ValueError(f"DirtRates.file_defects: unknown kind {kind!r}; known: {list(FILE_KINDS)}")
            for place in places:
                if len(place) != 2 or not isinstance(place[0], str) or int(place[1]) < 0:
                    raise ValueError(f"DirtRates.file_defects[{kind}]: expected [feed, day_offset >= 0], got {place!r}")
        if self.late_days < 2 or self.redelivery_days < 1:
            raise ValueError("late_days must be >= 2 (later than the next day) and redelivery_days >= 1")

    @classmethod
    def none(cls) -> DirtRates:
        """No defect at all: clean deliveries."""
        return cls(0, 0, 0, 0, 0, 0, file_defects={})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DirtRates:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown dirt setting(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**dict(data))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["file_defects"] = {k: [list(p) for p in v] for k, v in self.file_defects.items()}
        return data

    def file_defects_for(self, feed: str) -> list[tuple[str, int]]:
        return [(kind, int(offset)) for kind, places in self.file_defects.items() for name, offset in places if name == feed]


@dataclass(frozen=True)
class RowDefect:
    """A defect on a record of the assembled file (0-based record index; header excluded)."""

    row: int
    kind: str
    column: str | None
    detail: str


@dataclass(frozen=True)
class Malformed:
    """A record the partner's export broke; the writer renders it according to ``variant``."""

    values: list[Any]
    variant: str


def is_json(spec: FeedSpec) -> bool:
    return spec.format.type in ("json", "jsonl")


def targets(spec: FeedSpec, overrides: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """Our column hit by each row-level kind, for this feed (``None``: a row-wide defect)."""
    names = [c.name for c in spec.columns]
    found: dict[str, str | None] = {}
    times = [c.name for c in spec.columns if c.type == "datetime"] or [c.name for c in spec.columns if c.type == "date"]
    if times:
        found["bad_date"] = times[0]
    if "latitude" in names and "longitude" in names:
        found["outside_city"] = "latitude"
    if spec.natural_key:
        found["duplicate_id"] = spec.natural_key[0]
    if coded := [c.name for c in spec.columns if c.codes]:
        found["unknown_code"] = coded[0]
    found["malformed_row"] = None
    numbers = [
        c.name for c in spec.columns
        if c.type in ("int", "float") and c.name not in ("latitude", "longitude") and any(b is not None for b in bounds(spec, c.name))
    ]
    if numbers:
        found["out_of_range"] = numbers[0]
    for kind, column in (overrides or {}).items():
        if column is None or column == "":
            found.pop(kind, None)
        else:
            found[kind] = column
    return found


def _counts(n: int, rates: DirtRates, targets_: dict[str, str | None], rng: np.random.Generator) -> dict[str, int]:
    """Defects per kind; floors guarantee every kind in a big enough file; never more than rows."""
    counts = {}
    for kind in KINDS:
        rate = getattr(rates, kind)
        if kind not in targets_ or rate == 0 or n == 0:
            counts[kind] = 0
            continue
        count = int(rng.binomial(n, rate))
        if n >= MIN_ROWS_FOR_EVERY_KIND:
            count = max(count, 2 if kind == "duplicate_id" else 1)  # 2: one of each variant
        counts[kind] = count
    # Rows consumed: one per defect, plus a clean source row per duplicate. Trim for tiny files.
    while sum(counts.values()) + counts["duplicate_id"] > n:
        largest = max(KINDS, key=lambda k: counts[k])
        counts[largest] -= 1
    return counts


class Cells:
    """Formats the values a defect writes, the way this feed writes values (CSV text or JSON)."""

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec
        self.json = is_json(spec)
        self.decimal = spec.format.decimal

    def coord(self, value: float) -> Any:
        return round(float(value), 6) if self.json else f"{value:.6f}".replace(".", self.decimal)

    def number(self, column: str, value: float) -> Any:
        if self.spec.column(column).type == "int":
            return int(value) if self.json else str(int(value))
        return round(float(value), 1) if self.json else f"{value:.1f}".replace(".", self.decimal)


def bad_date(fmt: str, day: date, rng: np.random.Generator) -> tuple[str, str]:
    """A value that no parser of ``fmt`` accepts: impossible values, or another layout."""
    if rng.random() < 0.5:
        # Right layout, impossible values (31 February, 25:61).
        out = fmt
        for token, value in (("%Y", f"{day.year}"), ("%y", f"{day.year % 100:02d}"), ("%m", "02"), ("%d", "31"),
                             ("%H", f"{int(rng.integers(24, 30))}"), ("%M", f"{int(rng.integers(60, 100))}"),
                             ("%S", "00"), ("%f", "000"), ("%z", "+01:00")):
            out = out.replace(token, value)
        return out, "impossible_date"
    if fmt.startswith("%d"):
        return f"{day.year}-13-{day.day:02d} 10:00", "wrong_format"
    return f"{day.day:02d}/13/{day.year} 10h00", "wrong_format"


def inject(
    spec: FeedSpec,
    day: date,
    columns: dict[str, list[Any]],
    rng: np.random.Generator,
    rates: DirtRates,
    overrides: Mapping[str, str | None] | None = None,
) -> tuple[list[Any], list[RowDefect]]:
    """Dirty a delivery's clean columns; return the file's records and their defects.

    ``columns`` maps our column names to values (strings for CSV, JSON values for JSON feeds),
    records in delivery order. A returned record is a list of values or a :class:`Malformed`.
    """
    names = [c.name for c in spec.columns]
    n = len(columns[names[0]]) if names else 0
    found = targets(spec, overrides)
    counts = _counts(n, rates, found, rng)
    cells = Cells(spec)
    order = iter(rng.permutation(n).tolist())  # distinct rows for every defect and source
    tags: dict[int, tuple[str, str | None, str]] = {}  # original row -> (kind, column, detail)

    for _ in range(counts["bad_date"]):
        row, column = next(order), found["bad_date"]
        columns[column][row], detail = bad_date(time_format(spec, column), day, rng)
        tags[row] = ("bad_date", column, detail)

    for _ in range(counts["outside_city"]):
        row = next(order)
        variant = int(rng.integers(3))
        if variant == 0:
            lat, lon, detail = cells.coord(0.0), cells.coord(0.0), "null_island"
        elif variant == 1:
            jitter = rng.normal(0.0, 0.01, 2)
            lat, lon, detail = cells.coord(PARIS[0] + jitter[0]), cells.coord(PARIS[1] + jitter[1]), "paris"
        else:
            lat, lon, detail = columns["longitude"][row], columns["latitude"][row], "lat_lon_swapped"
        columns["latitude"][row], columns["longitude"][row] = lat, lon
        tags[row] = ("outside_city", "latitude", detail)

    for _ in range(counts["unknown_code"]):
        row, column = next(order), found["unknown_code"]
        col = spec.column(column)
        declared = set(map(str, col.codes or {}))
        # Unknown after the declared normalisation too: "7" is catv "07" once zero-padded.
        candidates = [c for c in CANDIDATE_UNKNOWN_CODES if c not in declared
                      and not (col.zero_pad and c.isdigit() and c.zfill(col.zero_pad) in declared)]
        columns[column][row] = candidates[int(rng.integers(len(candidates)))]
        tags[row] = ("unknown_code", column, "undeclared_code")

    for _ in range(counts["out_of_range"]):
        row, column = next(order), found["out_of_range"]
        lo, hi = bounds(spec, column)
        if lo is not None and (hi is None or rng.random() < 0.5):
            value, detail = lo - int(rng.integers(1, 10)), "below_min"
        else:
            value, detail = (hi or 0) * 10 + int(rng.integers(1, 10)), "above_max"
        columns[column][row] = cells.number(column, value)
        tags[row] = ("out_of_range", column, detail)

    malformed: dict[int, str] = {}
    for _ in range(counts["malformed_row"]):
        row = next(order)
        if spec.format.type == "csv":
            variant = "missing_field" if rng.random() < 0.5 else "extra_field"
        elif spec.format.type == "jsonl":
            variant = "unterminated_json"
        else:
            variant = "array_instead_of_object"
        malformed[row] = variant
        tags[row] = ("malformed_row", None, variant)

    keys = list(spec.natural_key)
    repeats: list[tuple[int, int]] = []  # (insert after original row, copy of row)
    for k in range(counts["duplicate_id"]):
        if k % 2 == 0:  # a row exported twice, byte for byte
            source = next(order)
            repeats.append((int(rng.integers(source, n)), source))
        else:  # another row given a key already used earlier in the file
            first, second = sorted((next(order), next(order)))
            for key in keys:
                columns[key][second] = columns[key][first]
            tags[second] = ("duplicate_id", keys[0], "reused_id")

    rows: list[Any] = [list(values) for values in zip(*(columns[name] for name in names), strict=True)]
    for row, variant in malformed.items():
        rows[row] = Malformed(rows[row], variant)
    after: dict[int, list[int]] = {}
    for position, source in sorted(repeats):
        after.setdefault(position, []).append(source)
    out: list[Any] = []
    defects: list[RowDefect] = []
    for i, row in enumerate(rows):
        if i in tags:
            defects.append(RowDefect(len(out), *tags[i]))
        out.append(row)
        for source in after.get(i, []):
            defects.append(RowDefect(len(out), "duplicate_id", keys[0], "exact_repeat"))
            out.append(list(rows[source]))
    return out, defects
