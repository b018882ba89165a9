"""French public holidays and zone-B school holidays (académie d'Aix-Marseille).

The reference is two maintained packages, pinned in the lock file:

- ``vacances-scolaires-france`` (0.12.0): the official school calendar day by day for zones A, B
  and C, 1990-2028, built from the Ministry of Education's open data (the arrêtés published in
  the Bulletin officiel). Chosen as *the* reference because it is the official zone-by-zone data
  itself, maintained upstream, rather than a table typed by hand. It holds the arrêtés as
  published: the COVID change of spring 2021 (all zones 10-25 April) is not in it, so the
  simulated spring 2021 follows the original zone-B dates (24 April - 9 May).
- ``holidays`` (0.109) for the eleven public holidays (Code du travail art. L3133-1), in French.

Outside the package's range (after 2028), ``school_holiday`` falls back to an approximate rule
(summer 4 July - 31 August, Christmas 20 December - 3 January) and ``calendar_coverage`` says so;
the truth file records which was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays as public_holidays_package
from vacances_scolaires_france import SchoolHolidayDates

ZONE = "B"
REFERENCE = "vacances-scolaires-france 0.12.0"
# The package calls them "Vacances d'hiver"...; the simulator and the truth file use short names.
_SHORT_NAMES = {
    "Vacances de la Toussaint": "Toussaint",
    "Vacances de Noël": "Noël",
    "Vacances d'hiver": "Hiver",
    "Vacances de printemps": "Printemps",
    "Pont de l'Ascension": "Pont de l'Ascension",
    "Vacances d'été": "Été",
}


@cache
def public_holidays(year: int) -> dict[date, str]:
    """The French public holidays of ``year``, by date, with their French names."""
    return dict(sorted(public_holidays_package.France(years=year, language="fr").items()))


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


@dataclass(frozen=True)
class SchoolHoliday:
    school_year: str
    name: str
    first: date  # first day without classes
    last: date  # last day without classes (classes resume the next day)
    status: str  # where the dates come from

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


@cache
def _zone_days() -> dict[date, str]:
    """Every zone-B holiday day of the reference, with its short name."""
    reference = SchoolHolidayDates()
    days: dict[date, str] = {}
    for year in range(1990, 2029):
        for day, info in reference.holidays_for_year_and_zone(year, ZONE).items():
            days[day] = _SHORT_NAMES.get(info["nom_vacances"], info["nom_vacances"])
    return days


@cache
def _periods() -> tuple[SchoolHoliday, ...]:
    """Consecutive zone-B holiday days grouped into named periods."""
    periods: list[SchoolHoliday] = []
    first = previous = None
    name = ""
    for day in sorted(_zone_days()):
        if previous is not None and day == previous + timedelta(days=1) and _zone_days()[day] == name:
            previous = day
            continue
        if first is not None:
            periods.append(_period(first, previous, name))  # type: ignore[arg-type]
        first = previous = day
        name = _zone_days()[day]
    if first is not None:
        periods.append(_period(first, previous, name))  # type: ignore[arg-type]
    return tuple(periods)


def _period(first: date, last: date, name: str) -> SchoolHoliday:
    start_year = first.year if first.month >= 8 else first.year - 1  # school years start in September
    return SchoolHoliday(f"{start_year}-{start_year + 1}", name, first, last, REFERENCE)


TABLE_START = date(1990, 1, 1)
TABLE_END = date(2028, 12, 31)


def school_periods() -> tuple[SchoolHoliday, ...]:
    """Zone-B school holiday periods known to the reference."""
    return _periods()


def calendar_coverage(day: date) -> str:
    """``reference`` when the package covers ``day``, else ``approximate``."""
    return "reference" if TABLE_START <= day <= TABLE_END else "approximate"


@cache
def school_holiday(day: date) -> str | None:
    """The zone-B school holiday ``day`` falls in (its name), or ``None`` on a school period day."""
    if calendar_coverage(day) == "reference":
        return _zone_days().get(day)
    if (day.month, day.day) >= (7, 4) and day.month <= 8:
        return "Été"
    if (day.month, day.day) >= (12, 20) or (day.month, day.day) <= (1, 3):
        return "Noël"
    return None


def is_school_day(day: date, level: str = "ecole") -> bool:
    """Whether pupils of ``level`` have classes on ``day``.

    Marseille's public primary schools (``ecole``) work four days (Monday, Tuesday, Thursday,
    Friday) since September 2018; before that, Wednesday morning too. Collèges and lycées
    (``secondaire``) work Monday to Friday, Wednesday morning only.
    """
    if school_holiday(day) or is_public_holiday(day) or day.weekday() >= 5:
        return False
    if day.weekday() == 2:  # Wednesday: mornings only, see ``wednesday_morning_only``
        return level != "ecole" or day < date(2018, 9, 1)
    return True


def holidays_between(first: date, last: date) -> dict[str, list]:
    """Public and school holidays overlapping ``[first, last]``, for the truth file."""
    public = [
        {"date": d.isoformat(), "name": name}
        for year in range(first.year, last.year + 1)
        for d, name in public_holidays(year).items()
        if first <= d <= last
    ]
    school = [
        {"school_year": p.school_year, "name": p.name, "first": p.first.isoformat(), "last": p.last.isoformat(), "status": p.status}
        for p in school_periods()
        if p.first <= last and p.last >= first
    ]
    coverage = sorted({calendar_coverage(first), calendar_coverage(last)})
    return {"public_holidays": public, "school_holidays_zone_b": school, "school_calendar": "+".join(coverage)}
