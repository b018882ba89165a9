"""What a simulated partner feed provides; one subclass per feed, registered in ``__init__``.

A feed produces the *clean* records of one delivery, as values keyed by our column names from
its declaration (strings for CSV feeds, JSON values for JSON feeds). Dirt, writing, the truth
file and seeding are shared, so adding a feed is one module with its volumes and categories.

Deliveries follow the declared cadence: ``daily`` feeds deliver each simulated day; ``weekly``,
``monthly`` and ``yearly`` feeds deliver every period that overlaps the simulated window, each
generated in full (a month's calendar does not depend on which of its days were simulated).
Daily feeds implement :meth:`FeedSimulator.day_columns`; others override
:meth:`FeedSimulator.period_columns`.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
import zlib
from abc import ABC
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

import numpy as np

from orchestration.core.catalog import FeedSpec, feed
from simulator.daylight import PARIS
from simulator.truth import Planted


@dataclass(frozen=True)
class Period:
    """The days one delivery covers (inclusive); ``start`` is the date in the file name."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def periods(cadence: str, start: date, days: int) -> list[Period]:
    """The deliveries of a cadence that overlap ``[start, start + days)``."""
    if days <= 0:
        return []
    last = start + timedelta(days=days - 1)
    found: list[Period] = []
    if cadence == "daily":
        return [Period(d, d) for d in (start + timedelta(days=i) for i in range(days))]
    if cadence == "weekly":
        monday = start - timedelta(days=start.weekday())
        while monday <= last:
            found.append(Period(monday, monday + timedelta(days=6)))
            monday += timedelta(days=7)
        return found
    if cadence == "monthly":
        first = start.replace(day=1)
        while first <= last:
            end = first.replace(day=_stdlib_calendar.monthrange(first.year, first.month)[1])
            found.append(Period(first, end))
            first = end + timedelta(days=1)
        return found
    if cadence == "yearly":
        return [Period(date(y, 1, 1), date(y, 12, 31)) for y in range(start.year, last.year + 1)]
    raise ValueError(f"unsupported cadence {cadence!r}")


def file_name_for(spec: FeedSpec, stamp: date) -> str:
    """The partner's file name for the period starting ``stamp`` (inverse of ``delivery_date``).

    Like ``FeedSpec.file_name`` but the date group may hold nested groups (BAAC patterns
    distinguish year ranges with alternations). A feed that declares
    ``delivery.simulated_file_pattern`` gets that name: simulated files never carry the names of
    real deliveries, and ingestion labels their rows ``simule``.
    """
    pattern = spec.delivery.simulated_file_pattern or spec.delivery.file_pattern
    begin = pattern.index("(?P<date>")
    depth, end = 0, begin
    for end in range(begin, len(pattern)):
        if pattern[end] == "(" and pattern[end - 1 : end] != "\\":
            depth += 1
        elif pattern[end] == ")" and pattern[end - 1 : end] != "\\":
            depth -= 1
            if depth == 0:
                break
    rendered = pattern[:begin] + stamp.strftime(spec.delivery.date_format) + pattern[end + 1 :]
    name = re.sub(r"\\(.)", r"\1", rendered)
    if spec.delivery_date(name) != stamp:
        raise ValueError(f"{spec.name}: file name {name!r} does not parse back to {stamp}")
    return name


class FeedSimulator(ABC):
    """A partner stand-in for one feed of the catalog."""

    feed_name: ClassVar[str]
    # How the partner writes its files.
    line_terminator: ClassVar[str] = "\r\n"
    quote_all: ClassVar[bool] = False
    # Row-level dirt: kind -> our column (None disables the kind for this feed).
    dirt_targets: ClassVar[dict[str, str | None]] = {}
    # When a delivery arrives: days after the period's last day, local hour and minute, and a
    # random delay of up to ``delivery_jitter_minutes``.
    delivery_after: ClassVar[tuple[int, int, int]] = (1, 2, 0)
    delivery_jitter_minutes: ClassVar[int] = 45
    # Additive schema change: the column the partner adds on that day, and its value.
    added_column: ClassVar[tuple[str, str]] = ("Version export", "2.1")
    # Documented volume: clean records per day at scale 1, effects included (see each module).
    rows_per_day: ClassVar[float] = 0.0
    scaled: ClassVar[bool] = True  # False for fixed-structure aggregates (quartier x hour...)

    def __init__(self, seed: int, world: Any = None) -> None:
        from simulator.world import World

        self.seed = seed
        self.world = world if world is not None else World(seed)
        self.spec: FeedSpec = feed(self.feed_name)
        self.realised: Counter[str] = Counter()  # rows each effect added, over the simulation

    @property
    def cadence(self) -> str:
        return self.spec.delivery.cadence

    @property
    def scale(self) -> float:
        return self.world.scale

    def stream(self, *keys: int) -> np.random.Generator:
        """A random stream owned by this feed and seed; ``keys`` select e.g. a day or a pool."""
        # crc32, not hash(): str hashes are salted per process and would break reproducibility.
        return np.random.default_rng([self.seed, zlib.crc32(self.feed_name.encode()), *keys])

    def check(self, start: date, days: int, scale: float) -> None:  # noqa: B027 - optional hook
        """Raise ``ValueError`` before anything is written if the parameters cannot be honoured."""

    def periods(self, start: date, days: int) -> list[Period]:
        return periods(self.cadence, start, days)

    def file_name(self, period: Period) -> str:
        return file_name_for(self.spec, period.start)

    def delivered_at(self, period: Period, rng: np.random.Generator) -> datetime:
        """When the partner drops the file (aware, Europe/Paris)."""
        after, hour, minute = self.delivery_after
        local = datetime.combine(period.end + timedelta(days=after), time(hour, minute))
        local += timedelta(minutes=int(rng.integers(0, self.delivery_jitter_minutes + 1)))
        return local.replace(tzinfo=PARIS)

    def json_head(self, period: Period, count: int, delivered_at: datetime) -> dict[str, Any] | None:
        """For ``json`` feeds with a ``records_path``: the document's other keys."""
        return None

    def period_columns(self, period: Period, rng: np.random.Generator, planted: Planted) -> dict[str, list[Any]]:
        """The clean records of the delivery covering ``period``: our column name -> values."""
        if period.start != period.end:
            raise NotImplementedError(f"{self.feed_name}: non-daily feeds override period_columns")
        return self.day_columns(period.start, rng, self.scale, planted)

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        """The clean rows of a daily delivery covering ``day`` (daily feeds implement this)."""
        raise NotImplementedError

    def expected_rows_per_day(self, scale: float) -> float:
        """The documented number of clean records per day of delivery (tests check volumes against it)."""
        return self.rows_per_day * (scale if self.scaled else 1.0)

    def empty_columns(self) -> dict[str, list[Any]]:
        return {c.name: [] for c in self.spec.columns}
