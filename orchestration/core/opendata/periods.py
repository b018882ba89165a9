"""Periods of publication (day, week, month, year) and when each is closed.

A period is *closed* once its last day is covered by the data (``as_of``): only closed periods are
published, so a release never shows a partial period as if it were complete.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal

import pandas as pd

TemporalLevel = Literal["day", "week", "month", "year"]

# Column name and French description of each level's period label in the open files.
PERIOD_COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("jour", "Jour (AAAA-MM-JJ), heure de Paris."),
    "week": ("semaine", "Semaine ISO 8601 (AAAA-Wss, du lundi au dimanche), heure de Paris."),
    "month": ("mois", "Mois (AAAA-MM), heure de Paris."),
    "year": ("annee", "Année civile (AAAA)."),
}
PERIODICITY = {"day": "quotidienne", "week": "hebdomadaire", "month": "mensuelle", "year": "annuelle"}


def period_column(level: str) -> str:
    """The open file's column holding the period label for ``level``."""
    return PERIOD_COLUMNS[level][0]


def period_labels(days: pd.Series, level: str) -> pd.Series:
    """The period label of each day: 2026-03-02, 2026-W10, 2026-03 or 2026."""
    if level == "year" and not pd.api.types.is_datetime64_any_dtype(days) and days.map(lambda v: isinstance(v, str)).all():
        # A label naming its year (e.g. "BAAC 2018 réel"): the year is read from it.
        return days.str.extract(r"(\d{4})", expand=False)
    stamps = pd.to_datetime(days)
    if level == "day":
        return stamps.dt.strftime("%Y-%m-%d")
    if level == "week":
        iso = stamps.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(int).map("{:02d}".format)
    if level == "month":
        return stamps.dt.strftime("%Y-%m")
    if level == "year":
        return stamps.dt.strftime("%Y")
    raise ValueError(f"unknown temporal level {level!r}")


def period_bounds(label: str, level: str) -> tuple[date, date]:
    """First and last day of the period ``label``."""
    if level == "day":
        day = date.fromisoformat(label)
        return day, day
    if level == "week":
        year, week = label.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        return first, first + timedelta(days=6)
    if level == "month":
        year, month = (int(p) for p in label.split("-"))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if level == "year":
        return date(int(label), 1, 1), date(int(label), 12, 31)
    raise ValueError(f"unknown temporal level {level!r}")


def is_closed(label: str, level: str, as_of: date) -> bool:
    """Whether the period is over and covered by data known through ``as_of``."""
    return period_bounds(label, level)[1] <= as_of
