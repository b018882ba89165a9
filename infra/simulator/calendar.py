"""French public holidays and zone-B school holidays (académie d'Aix-Marseille).

Why this module and not a package
---------------------------------
The reference would be ``vacances-scolaires-france`` (official zone-by-zone dates, maintained from
the ministry's open data) together with ``holidays`` for public holidays. Neither is in the
project's lock file and the lock is not ours to change, so the calendar is computed here:

- **Public holidays** (jours fériés, Code du travail art. L3133-1): eight fixed dates plus
  Easter Monday, Ascension (Easter + 39 days) and Whit Monday (Easter + 50 days), Easter from
  the anonymous Gregorian computus (Meeus/Jones/Butcher). Alsace-Moselle's extra days do not
  apply to Marseille.
- **School holidays, zone B** (Aix-Marseille has been in zone B since before 2015): the table
  ``SCHOOL_HOLIDAYS`` below, school years 2014-15 to 2027-28. Source: the official school
  calendar (calendrier scolaire officiel, Ministère de l'Éducation nationale, arrêtés published
  in the Bulletin officiel). Each period runs from the first day without classes (the Saturday
  after the last class) to the last day before classes resume. ``status`` says how each entry
  was checked:

  * ``verified``: cross-checked against the day-by-day dataset that backs
    ``vacances-scolaires-france`` (zones A/B/C by day, 2014 to 2022) or, for 2022-23 and
    2025-26, against published copies of the arrêté;
  * ``recalled``: from the arrêté as published, not re-checked here (2023-24, 2024-25 Toussaint
    and Noël, 2026-27 Toussaint and Noël);
  * ``projected``: not yet published when this table was written; dates follow the usual
    zone rotation and must be replaced by the official ones (2026-27 winter, spring and summer,
    all of 2027-28).

  Spring 2021 is the COVID calendar actually applied (all zones 10-25 April), not the original
  arrêté. Other COVID closures (16 March - 11 May 2020) are not modelled.

Outside the table, ``school_holiday`` falls back to an approximate rule (summer 4 July -
31 August, Christmas 20 December - 3 January) and ``calendar_coverage`` says so; the truth file
records which was used.

If the lock could take it, ``vacances-scolaires-france`` would replace ``SCHOOL_HOLIDAYS`` (it is
the maintained copy of the official dates) and this module would only adapt its API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache


def easter(year: int) -> date:
    """Easter Sunday (Gregorian), anonymous computus (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


FIXED_PUBLIC_HOLIDAYS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "Jour de l'an"),
    (5, 1, "Fête du Travail"),
    (5, 8, "Victoire 1945"),
    (7, 14, "Fête nationale"),
    (8, 15, "Assomption"),
    (11, 1, "Toussaint"),
    (11, 11, "Armistice 1918"),
    (12, 25, "Noël"),
)


@cache
def public_holidays(year: int) -> dict[date, str]:
    """The eleven French public holidays of ``year``, by date."""
    found = {date(year, m, d): name for m, d, name in FIXED_PUBLIC_HOLIDAYS}
    sunday = easter(year)
    found[sunday + timedelta(days=1)] = "Lundi de Pâques"
    found[sunday + timedelta(days=39)] = "Ascension"
    found[sunday + timedelta(days=50)] = "Lundi de Pentecôte"
    return dict(sorted(found.items()))


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


@dataclass(frozen=True)
class SchoolHoliday:
    school_year: str
    name: str
    first: date  # first day without classes
    last: date  # last day without classes (classes resume the next day)
    status: str  # verified | recalled | projected

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


def _p(year: str, name: str, first: str, last: str, status: str) -> SchoolHoliday:
    return SchoolHoliday(year, name, date.fromisoformat(first), date.fromisoformat(last), status)


V, R, P = "verified", "recalled", "projected"
# Zone B (académie d'Aix-Marseille). "Pont de l'Ascension" is national since 2019-20.
SCHOOL_HOLIDAYS: tuple[SchoolHoliday, ...] = (
    _p("2014-2015", "Toussaint", "2014-10-18", "2014-11-02", V),
    _p("2014-2015", "Noël", "2014-12-20", "2015-01-04", V),
    _p("2014-2015", "Hiver", "2015-02-21", "2015-03-08", V),
    _p("2014-2015", "Printemps", "2015-04-25", "2015-05-10", V),
    _p("2014-2015", "Été", "2015-07-04", "2015-08-31", V),
    _p("2015-2016", "Toussaint", "2015-10-17", "2015-11-01", V),
    _p("2015-2016", "Noël", "2015-12-19", "2016-01-03", V),
    _p("2015-2016", "Hiver", "2016-02-06", "2016-02-21", V),
    _p("2015-2016", "Printemps", "2016-04-02", "2016-04-17", V),
    _p("2015-2016", "Été", "2016-07-05", "2016-08-31", V),
    _p("2016-2017", "Toussaint", "2016-10-19", "2016-11-02", R),
    _p("2016-2017", "Noël", "2016-12-17", "2017-01-02", V),
    _p("2016-2017", "Hiver", "2017-02-11", "2017-02-26", V),
    _p("2016-2017", "Printemps", "2017-04-08", "2017-04-23", V),
    _p("2016-2017", "Été", "2017-07-08", "2017-09-03", V),
    _p("2017-2018", "Toussaint", "2017-10-21", "2017-11-05", V),
    _p("2017-2018", "Noël", "2017-12-23", "2018-01-07", V),
    _p("2017-2018", "Hiver", "2018-02-24", "2018-03-11", V),
    _p("2017-2018", "Printemps", "2018-04-21", "2018-05-06", V),
    _p("2017-2018", "Été", "2018-07-07", "2018-09-02", V),
    _p("2018-2019", "Toussaint", "2018-10-20", "2018-11-04", V),
    _p("2018-2019", "Noël", "2018-12-22", "2019-01-06", V),
    _p("2018-2019", "Hiver", "2019-02-09", "2019-02-24", V),
    _p("2018-2019", "Printemps", "2019-04-06", "2019-04-22", V),
    _p("2018-2019", "Pont de l'Ascension", "2019-05-30", "2019-06-02", V),
    _p("2018-2019", "Été", "2019-07-06", "2019-09-01", V),
    _p("2019-2020", "Toussaint", "2019-10-19", "2019-11-03", V),
    _p("2019-2020", "Noël", "2019-12-21", "2020-01-05", V),
    _p("2019-2020", "Hiver", "2020-02-15", "2020-03-01", V),
    _p("2019-2020", "Printemps", "2020-04-11", "2020-04-26", V),
    _p("2019-2020", "Pont de l'Ascension", "2020-05-21", "2020-05-24", V),
    _p("2019-2020", "Été", "2020-07-04", "2020-08-31", V),
    _p("2020-2021", "Toussaint", "2020-10-17", "2020-11-01", V),
    _p("2020-2021", "Noël", "2020-12-19", "2021-01-03", V),
    _p("2020-2021", "Hiver", "2021-02-20", "2021-03-07", V),
    _p("2020-2021", "Printemps", "2021-04-10", "2021-04-25", R),  # COVID: unified for all zones
    _p("2020-2021", "Pont de l'Ascension", "2021-05-13", "2021-05-16", V),
    _p("2020-2021", "Été", "2021-07-06", "2021-09-01", V),
    _p("2021-2022", "Toussaint", "2021-10-23", "2021-11-07", V),
    _p("2021-2022", "Noël", "2021-12-18", "2022-01-02", V),
    _p("2021-2022", "Hiver", "2022-02-12", "2022-02-27", V),
    _p("2021-2022", "Printemps", "2022-04-16", "2022-05-01", V),
    _p("2021-2022", "Pont de l'Ascension", "2022-05-26", "2022-05-29", V),
    _p("2021-2022", "Été", "2022-07-07", "2022-08-31", V),
    _p("2022-2023", "Toussaint", "2022-10-22", "2022-11-06", V),
    _p("2022-2023", "Noël", "2022-12-17", "2023-01-02", V),
    _p("2022-2023", "Hiver", "2023-02-11", "2023-02-26", V),
    _p("2022-2023", "Printemps", "2023-04-15", "2023-05-01", V),
    _p("2022-2023", "Pont de l'Ascension", "2023-05-18", "2023-05-21", V),
    _p("2022-2023", "Été", "2023-07-08", "2023-09-03", R),
    _p("2023-2024", "Toussaint", "2023-10-21", "2023-11-05", R),
    _p("2023-2024", "Noël", "2023-12-23", "2024-01-07", R),
    _p("2023-2024", "Hiver", "2024-02-24", "2024-03-10", R),
    _p("2023-2024", "Printemps", "2024-04-20", "2024-05-05", R),
    _p("2023-2024", "Pont de l'Ascension", "2024-05-09", "2024-05-12", R),
    _p("2023-2024", "Été", "2024-07-06", "2024-09-01", R),
    _p("2024-2025", "Toussaint", "2024-10-19", "2024-11-03", R),
    _p("2024-2025", "Noël", "2024-12-21", "2025-01-05", R),
    _p("2024-2025", "Hiver", "2025-02-08", "2025-02-23", V),
    _p("2024-2025", "Printemps", "2025-04-05", "2025-04-21", V),
    _p("2024-2025", "Pont de l'Ascension", "2025-05-29", "2025-06-01", V),
    _p("2024-2025", "Été", "2025-07-05", "2025-08-31", V),
    _p("2025-2026", "Toussaint", "2025-10-18", "2025-11-02", V),
    _p("2025-2026", "Noël", "2025-12-20", "2026-01-04", V),
    _p("2025-2026", "Hiver", "2026-02-14", "2026-03-01", V),
    _p("2025-2026", "Printemps", "2026-04-11", "2026-04-26", V),
    _p("2025-2026", "Pont de l'Ascension", "2026-05-14", "2026-05-17", V),
    _p("2025-2026", "Été", "2026-07-04", "2026-08-31", R),
    _p("2026-2027", "Toussaint", "2026-10-17", "2026-11-01", R),
    _p("2026-2027", "Noël", "2026-12-19", "2027-01-03", R),
    _p("2026-2027", "Hiver", "2027-02-20", "2027-03-07", P),
    _p("2026-2027", "Printemps", "2027-04-17", "2027-05-02", P),
    _p("2026-2027", "Pont de l'Ascension", "2027-05-06", "2027-05-09", P),
    _p("2026-2027", "Été", "2027-07-03", "2027-08-31", P),
    _p("2027-2028", "Toussaint", "2027-10-23", "2027-11-07", P),
    _p("2027-2028", "Noël", "2027-12-18", "2028-01-02", P),
    _p("2027-2028", "Hiver", "2028-02-05", "2028-02-20", P),
    _p("2027-2028", "Printemps", "2028-04-01", "2028-04-17", P),
    _p("2027-2028", "Pont de l'Ascension", "2028-05-25", "2028-05-28", P),
    _p("2027-2028", "Été", "2028-07-01", "2028-08-31", P),
)
# Summer before the first school year of the table (classes resumed on 2 September 2014).
TABLE_START = date(2014, 9, 2)
TABLE_END = date(2028, 8, 31)


def calendar_coverage(day: date) -> str:
    """``table`` when ``day`` is covered by ``SCHOOL_HOLIDAYS``, else ``approximate``."""
    return "table" if TABLE_START <= day <= TABLE_END else "approximate"


@cache
def school_holiday(day: date) -> str | None:
    """The zone-B school holiday ``day`` falls in (its name), or ``None`` on a school period day."""
    if calendar_coverage(day) == "table":
        for period in SCHOOL_HOLIDAYS:
            if day in period:
                return period.name
        return None
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
        for p in SCHOOL_HOLIDAYS
        if p.first <= last and p.last >= first
    ]
    coverage = sorted({calendar_coverage(first), calendar_coverage(last)})
    return {"public_holidays": public, "school_holidays_zone_b": school, "school_calendar": "+".join(coverage)}
