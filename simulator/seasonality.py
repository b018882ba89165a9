"""Calendar effects shared by feeds: season, festive nights, and the local clock's DST gap.

Weekday and hour-of-day effects depend on the kind of incident, so feeds declare them next to
their categories (see ``police.py``); this module holds what does not.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

# Mid-July: the peak of tourism, beaches and outdoor night life.
SEASON_PEAK_DAY_OF_YEAR = 196

# Fixed-date nights of celebration in France (New Year, Fête de la musique, national day); a
# night-life analysis should find them as exogenous factors.
FESTIVE_DAYS: tuple[tuple[int, int], ...] = ((1, 1), (6, 21), (7, 14), (12, 31))


def season_factor(day: date, amplitude: float) -> float:
    """1 + amplitude x a cosine peaking mid-July (so it averages 1 over a year)."""
    angle = 2 * math.pi * (day.timetuple().tm_yday - SEASON_PEAK_DAY_OF_YEAR) / 365.25
    return 1.0 + amplitude * math.cos(angle)


def is_festive(day: date) -> bool:
    """Whether the day is one of the fixed-date festive days."""
    return (day.month, day.day) in FESTIVE_DAYS


@cache
def missing_local_hours(day: date, tz_name: str) -> frozenset[int]:
    """Local hours that do not exist on ``day`` (02:xx when clocks jump forward in spring).

    A partner's software never writes such a time, so neither does the simulator.
    """
    tz = ZoneInfo(tz_name)
    missing = set()
    for hour in range(24):
        wall = datetime(day.year, day.month, day.day, hour, 30, tzinfo=tz)
        round_trip = wall.astimezone(UTC).astimezone(tz)
        if round_trip.replace(tzinfo=None) != wall.replace(tzinfo=None):
            missing.add(hour)
    return frozenset(missing)
