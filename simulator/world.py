"""The simulated city shared by every feed of one simulation: reference tables, weather, events,
lighting outages, road works, market sessions and weak-signal bursts.

Everything here is drawn from streams keyed by the seed and by the *calendar* (a day, a month,
a year), never by the simulated window, so a given day is the same whatever window is simulated,
and two feeds that look at the same outage or event see the same one. The world also answers the
truth file: which concrete instances of each effect touched the simulated days.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np

from simulator.calendar import is_public_holiday, school_holiday
from simulator.daylight import hourly_light
from simulator.effects import load_effects
from simulator.geography import CityGeography, marseille, quartier_of
from simulator.reference_tables import ReferenceTables, reference_tables
from simulator.weather import local_rain

T = TypeVar("T")


@dataclass(frozen=True)
class Event:
    """One entry of the events calendar (times local, naive)."""

    id: str
    type: str
    title: str
    venue: str
    lat: float
    lon: float
    start: datetime
    end: datetime
    attendance: int  # expected attendance (per day for multi-day events)
    organiser: str
    declarant: str  # person declaring a demonstration, "" otherwise
    status: str  # PREVU | ANNULE

    def daily_windows(self) -> list[tuple[datetime, datetime]]:
        """(start, end) of each day's session: one for a single-day event, one per day otherwise."""
        if self.end - self.start <= timedelta(hours=20):
            return [(self.start, self.end)]
        windows = []
        day = self.start.date()
        while day <= self.end.date():
            open_at = datetime.combine(day, self.start.time())
            close_at = datetime.combine(day, self.end.time())
            windows.append((open_at, close_at if close_at > open_at else close_at + timedelta(days=1)))
            day += timedelta(days=1)
        return windows


@dataclass(frozen=True)
class Outage:
    """A lighting fault: one lamp, or a cabinet / cable section with many."""

    id: str
    kind: str  # a code of eclairage_pannes.type_panne
    lamps: np.ndarray  # indices into the lamp table
    cabinet: str
    lat: float  # centre of the affected lamps
    lon: float
    start: datetime  # lamps go dark
    reported: datetime
    repaired: datetime
    origin: str
    technician: str

    @property
    def sector(self) -> bool:
        return len(self.lamps) > 1


@dataclass(frozen=True)
class Permit:
    """A road works permit (arrêté de voirie)."""

    id: str
    issued: date
    start: date
    end: date
    nature: str
    restriction: str
    lanes: int
    area_m2: float
    address: str
    requester: str
    requester_is_person: bool
    lat: float
    lon: float


@dataclass(frozen=True)
class Burst:
    """A weak-signal anomaly: one category in one quartier multiplied on a few days."""

    feed: str
    quartier: str
    quartier_index: int
    category: str
    start: date
    days: int
    multiplier: float
    origin: str  # generated | explicit

    def covers(self, day: date) -> bool:
        return self.start <= day < self.start + timedelta(days=self.days)


@dataclass
class World:
    """The city of one simulation (seed, scale, effect sizes)."""

    seed: int
    scale: float = 1.0
    effects: dict[str, Any] = field(default_factory=lambda: load_effects()[0])
    geo: CityGeography = field(init=False)
    ref: ReferenceTables = field(init=False)
    _memo: dict[tuple, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.geo = marseille()
        self.ref = reference_tables(self.seed)

    # -- plumbing ---------------------------------------------------------------------------
    def stream(self, name: str, *keys: int) -> np.random.Generator:
        """A stream owned by the world: ``name`` says what it draws, ``keys`` which day/month."""
        return np.random.default_rng([self.seed, zlib.crc32(f"world:{name}".encode()), *keys])

    def memo(self, key: tuple, build: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    # -- calendar and weather ---------------------------------------------------------------
    def wet_hours(self, day: date) -> np.ndarray:
        """Local hours 0..23 of ``day`` with at least ``rain.wet_hour_mm`` of rain."""
        return local_rain(self.seed, day) >= self.effects["rain"]["wet_hour_mm"]

    @staticmethod
    def night_hours(day: date) -> np.ndarray:
        return hourly_light(day)[0]

    @staticmethod
    def day_kind(day: date) -> int:
        """Weekday 0..6 with public holidays counted as Sundays."""
        return 6 if is_public_holiday(day) else day.weekday()

    @staticmethod
    def school_holiday(day: date) -> str | None:
        return school_holiday(day)

    # -- events -----------------------------------------------------------------------------
    def events_in_month(self, year: int, month: int) -> list[Event]:
        from simulator.feeds.evenements import generate_month

        return self.memo(("events", year, month), lambda: generate_month(self, year, month))

    def events_touching(self, day: date, margin_hours: int = 4) -> list[Event]:
        """Planned events whose effect window (start - margin, end + margin) meets ``day``."""
        found = []
        lo = datetime.combine(day, datetime.min.time())
        hi = lo + timedelta(days=1)
        margin = timedelta(hours=margin_hours)
        months = {(d.year, d.month) for d in (day - timedelta(days=31), day - timedelta(days=12), day)}
        for year, month in sorted(months):
            for event in self.events_in_month(year, month):
                if event.status == "PREVU" and event.start - margin < hi and event.end + margin > lo:
                    found.append(event)
        return found

    # -- lighting outages -------------------------------------------------------------------
    def outages_started(self, day: date) -> list[Outage]:
        from simulator.feeds.eclairage import generate_outages

        return self.memo(("outages", day), lambda: generate_outages(self, day))

    def outages_repaired(self, day: date, lookback_days: int = 45) -> list[Outage]:
        found = []
        for back in range(lookback_days, -1, -1):
            found.extend(o for o in self.outages_started(day - timedelta(days=back)) if o.repaired.date() == day)
        return sorted(found, key=lambda o: (o.repaired, o.id))

    def sector_outages_active(self, day: date, lookback_days: int = 20) -> list[Outage]:
        """Outages of at least ``min_lamps`` lamps dark at some time of ``day``."""
        min_lamps = self.effects["lighting_outage"]["min_lamps"]
        lo = datetime.combine(day, datetime.min.time())
        hi = lo + timedelta(days=1)
        found = []
        for back in range(lookback_days, -1, -1):
            for outage in self.outages_started(day - timedelta(days=back)):
                if len(outage.lamps) >= min_lamps and outage.start < hi and outage.repaired > lo:
                    found.append(outage)
        return found

    # -- road works and markets -------------------------------------------------------------
    def permits_issued(self, day: date) -> list[Permit]:
        from simulator.feeds.voirie import generate_permits

        return self.memo(("permits", day), lambda: generate_permits(self, day))

    def worksites_active(self, day: date, lookback_days: int = 120) -> list[Permit]:
        return [
            p
            for back in range(lookback_days, -1, -1)
            for p in self.permits_issued(day - timedelta(days=back))
            if p.start <= day <= p.end
        ]

    def market_sessions(self, day: date) -> list[dict[str, Any]]:
        from simulator.feeds.marches import sessions

        return self.memo(("markets", day), lambda: sessions(self, day))

    # -- weak signals -----------------------------------------------------------------------
    def bursts_in_month(self, year: int, month: int) -> list[Burst]:
        return self.memo(("bursts", year, month), lambda: self._bursts(year, month))

    def _bursts(self, year: int, month: int) -> list[Burst]:
        config = self.effects["anomalies"]
        rng = self.stream("bursts", year, month)
        first = date(year, month, 1)
        days_in_month = ((first + timedelta(days=32)).replace(day=1) - first).days
        weights = self.geo.weights.copy()
        weights[weights < np.median(weights)] = 0  # bursts where a baseline exists
        weights /= weights.sum()
        candidates = [(feed, str(cat)) for feed, cats in config["candidates"].items() for cat in cats]
        found = []
        for _ in range(int(config["per_month"])):
            feed, category = candidates[int(rng.integers(len(candidates)))]
            q = int(rng.choice(len(self.geo), p=weights))
            lo, hi = config["days"]
            length = int(rng.integers(lo, hi + 1))
            mlo, mhi = config["multiplier"]
            found.append(Burst(feed, str(self.geo.codes[q]), q, category, first + timedelta(days=int(rng.integers(days_in_month))),
                               length, round(float(rng.uniform(mlo, mhi)), 2), "generated"))
        for raw in config.get("bursts") or []:
            start = date.fromisoformat(str(raw["start"]))
            if (start.year, start.month) == (year, month):
                q = int(np.flatnonzero(self.geo.codes == str(raw["quartier"]))[0])
                found.append(Burst(raw["feed"], str(raw["quartier"]), q, str(raw["category"]), start, int(raw["days"]),
                                   float(raw["multiplier"]), "explicit"))
        return found

    def bursts_on(self, day: date, feed: str) -> list[Burst]:
        months = {(d.year, d.month) for d in (day - timedelta(days=10), day)}
        return [b for ym in sorted(months) for b in self.bursts_in_month(*ym) if b.feed == feed and b.covers(day)]

    # -- truth ------------------------------------------------------------------------------
    def instances(self, first: date, last: date) -> dict[str, Any]:
        """The concrete effect instances that touched ``[first, last]``, for the truth file."""
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        outages: dict[str, Outage] = {}
        for day in days:
            for outage in self.sector_outages_active(day):
                outages.setdefault(outage.id, outage)
        lo_cfg = self.effects["lighting_outage"]
        months = sorted({(d.year, d.month) for d in days})
        events = [e for ym in months for e in self.events_in_month(*ym) if e.start.date() <= last and e.end.date() >= first]
        bursts = [b for ym in months for b in self.bursts_in_month(*ym)
                  if b.start <= last and b.start + timedelta(days=b.days - 1) >= first]
        wet = [f"{day.isoformat()}T{hour:02d}" for day in days for hour in np.flatnonzero(self.wet_hours(day))]
        venue_quartier = quartier_of(self.geo, np.array([v.lon for v in self.ref.venues]), np.array([v.lat for v in self.ref.venues]))
        return {
            "lighting_outages": [
                {"id": o.id, "type_panne": o.kind, "armoire": o.cabinet, "lamps": len(o.lamps),
                 "latitude": round(o.lat, 6), "longitude": round(o.lon, 6), "start": o.start.isoformat(),
                 "repaired": o.repaired.isoformat(), "radius_m": lo_cfg["radius_m"]}
                for o in sorted(outages.values(), key=lambda o: (o.start, o.id))
            ],
            "events": [
                {"id": e.id, "type": e.type, "venue": e.venue, "latitude": e.lat, "longitude": e.lon,
                 "start": e.start.isoformat(), "end": e.end.isoformat(), "attendance": e.attendance, "status": e.status,
                 "code_quartier": str(self.geo.codes[venue_quartier[[v.code for v in self.ref.venues].index(e.venue)]])}
                for e in sorted(events, key=lambda e: (e.start, e.id))
            ],
            "anomalies": [
                {"feed": b.feed, "quartier": b.quartier, "category": b.category, "start": b.start.isoformat(),
                 "days": b.days, "multiplier": b.multiplier, "origin": b.origin}
                for b in sorted(bursts, key=lambda b: (b.start, b.feed, b.quartier))
            ],
            "wet_hours_local": wet,
            "schools": {"count": len(self.ref.schools["id"]), "radius_m": self.effects["schools"]["radius_m"],
                        "reference_file": "schools.csv"},
            "night_life": {"quartiers": self.effects["night_life"]["quartiers"], "hours": self.effects["night_life"]["hours"]},
        }
