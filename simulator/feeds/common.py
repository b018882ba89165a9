"""Small helpers shared by the feed modules: number, time and id formatting, category means."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from simulator.calendar import is_public_holiday, school_holiday
from simulator.daylight import PARIS
from simulator.seasonality import season_factor


def coord_text(values: np.ndarray, decimal: str = ".", digits: int = 6) -> list[str]:
    """Coordinates as the partner writes them (fixed digits, its decimal separator)."""
    text = [f"{v:.{digits}f}" for v in values]
    return [t.replace(".", decimal) for t in text] if decimal != "." else text


def coord_json(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]


def on_the_clock(local: datetime) -> datetime:
    """A local time that exists: a time in the hour skipped when clocks go forward (02:xx on the
    last Sunday of March) moves one hour later, as partners' software stamps it."""
    back = local.replace(tzinfo=PARIS).astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
    return local if back == local else local + timedelta(hours=1)


def local_times(day: date, minutes: np.ndarray) -> list[datetime]:
    base = datetime(day.year, day.month, day.day)
    return [base + timedelta(minutes=int(m)) for m in minutes]


def iso_offset(local: datetime) -> str:
    """ISO 8601 with the Paris offset, e.g. ``2026-03-02T14:05:33+01:00``."""
    return local.replace(tzinfo=PARIS).isoformat(timespec="seconds")


def iso_utc_millis(local: datetime) -> str:
    """A JavaScript-style UTC timestamp, e.g. ``2026-03-02T13:05:33.120Z``."""
    utc = local.replace(tzinfo=PARIS).astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def day_kind(day: date) -> int:
    """Weekday 0..6, public holidays counted as Sundays."""
    return 6 if is_public_holiday(day) else day.weekday()


def daily_factor(day: date, weekdays: tuple[float, ...], summer: float, holiday_factor: float = 1.0) -> float:
    """Weekday factor (normalised to mean 1) x season x school-holiday factor."""
    weekday = weekdays[day_kind(day)] / (sum(weekdays) / 7)
    holidays = holiday_factor if school_holiday(day) else 1.0
    return weekday * season_factor(day, summer) * holidays


def hour_matrix(profiles: dict[str, tuple[float, ...]], codes: list[str], default: tuple[float, ...]) -> np.ndarray:
    """Hour-of-day shares per code (rows sum to 1), codes without a profile get ``default``."""
    hours = np.array([profiles.get(code, default) for code in codes], dtype=float)
    return hours / hours.sum(axis=1, keepdims=True)


def shares(table: dict[str, float], codes: list[str], default: float = 0.02) -> np.ndarray:
    """Category shares in catalog order (declared codes missing from ``table`` get ``default``)."""
    values = np.array([table.get(code, default) for code in codes], dtype=float)
    return values / values.sum()


# Hour-of-day profiles reused by several feeds (relative weights, 0h..23h).
DAYTIME = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.8, 2.5, 4.5, 5.5, 6, 6, 5, 4.5, 5, 5.5, 5.5, 5, 4, 3, 2, 1.2, 0.8, 0.5)
OFFICE = (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.4, 2.0, 5.5, 7, 7, 6.5, 4.5, 5.5, 6.5, 6.5, 6, 5, 3, 1.8, 1.2, 0.8, 0.5, 0.2)
EVENING = (7, 6, 5, 3.5, 2, 1, 0.6, 0.8, 1, 1.2, 1.5, 2, 2.5, 2.5, 2.5, 3, 3.5, 4.5, 5.5, 6.5, 7, 7.5, 8, 8)
NIGHT = (9, 8, 6, 4, 2, 1, 0.6, 0.6, 0.8, 1, 1.2, 1.5, 1.8, 1.8, 1.8, 2, 2.4, 3, 4, 5, 6, 7.5, 9, 10)
COMMUTE = (0.8, 0.5, 0.4, 0.3, 0.3, 0.6, 1.5, 3.5, 5, 3.5, 3, 3.5, 4.5, 4, 3.5, 3.5, 4, 5, 5.5, 4.5, 3, 2, 1.5, 1.1)
ALL_DAY = (2.5, 2, 1.7, 1.5, 1.4, 1.5, 2.2, 3.2, 4, 4.5, 4.7, 4.8, 4.8, 4.6, 4.5, 4.6, 4.7, 4.8, 4.8, 4.6, 4.2, 3.8, 3.3, 2.9)
WORKDAYS = (1.05, 1.05, 1.05, 1.05, 1.1, 0.9, 0.6)
WEEKEND_NIGHTS = (0.85, 0.85, 0.9, 0.95, 1.15, 1.45, 1.3)
FLAT = (1.0,) * 7
