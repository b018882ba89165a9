"""French display formats shared by the pages (numbers, dates, months, arrondissements).

Kept free of Streamlit so it can be unit-tested and reused by the API later. The system locale
is not relied upon (containers rarely ship ``fr_FR``), hence the explicit month names.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# French typography separates thousands with a narrow no-break space.
THOUSANDS_SEP = "\u202f"

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def fr_int(value: int | float) -> str:
    """Format a count the French way: ``12345`` -> ``"12 345"`` (narrow no-break space)."""
    return f"{int(value):,}".replace(",", THOUSANDS_SEP)


def fr_date(day: date) -> str:
    """``date(2026, 1, 31)`` -> ``"31/01/2026"``."""
    return day.strftime("%d/%m/%Y")


def to_paris(moment: datetime) -> datetime:
    """Express a timestamp in Marseille's local time (naive timestamps are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(PARIS)


def fr_datetime(moment: datetime) -> str:
    """Local date and time: ``"22/11/2026 à 22:03"`` (Europe/Paris)."""
    local = to_paris(moment)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def fr_month(month: str) -> str:
    """``"2026-01"`` -> ``"janvier 2026"``; anything unparsable is returned unchanged."""
    try:
        year, number = month.split("-")[:2]
        return f"{MONTHS_FR[int(number) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return month


def fr_period(period: str) -> str:
    """An open-data period in French: ``"2026-03"`` -> ``"mars 2026"``, ``"2026-W12"`` ->
    ``"semaine 12 de 2026"``, ``"2026"`` -> ``"2026"``, ``"2026-03-05"`` -> ``"05/03/2026"``."""
    text = str(period)
    if len(text) == 8 and text[4:6] == "-W" and text[:4].isdigit() and text[6:].isdigit():
        return f"semaine {int(text[6:])} de {text[:4]}"
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:]}/{text[5:7]}/{text[:4]}"
    return fr_month(text) if len(text) == 7 else text


def arrondissement_label(code: str) -> str:
    """INSEE code of a Marseille arrondissement -> short label: ``"13201"`` -> ``"1er"``."""
    try:
        number = int(str(code)[-2:])
    except ValueError:
        return str(code)
    return "1er" if number == 1 else f"{number}e"


def parse_timestamp(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp from a published JSON file; ``None`` when absent or invalid."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def parse_day(text: str | None) -> date | None:
    """Parse an ISO date (``"2026-01-31"``); ``None`` when absent or invalid."""
    if not text:
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------------
# Numbers, percentages, booleans, declared values
# ----------------------------------------------------------------------------------------------

# French typography puts a (narrow) no-break space before "%" ("2,5 %").
PERCENT_SUFFIX = "\u202f%"
MISSING = "–"  # an absent value (never "None", "nan" or "NaT" on a page)


def is_missing(value: object) -> bool:
    """``None``, NaN, NaT and ``pd.NA`` (without importing pandas here)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # NaN, NaT and NA are not equal to themselves
    except (TypeError, ValueError):
        return False


def fr_number(value: float | int | None, decimals: int = 1) -> str:
    """A number the French way: ``12345.678`` -> ``"12 345,7"`` (decimal comma, narrow
    no-break space between thousands); missing -> ``"–"``."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", THOUSANDS_SEP)


def fr_percent(proportion: float | None, decimals: int = 1) -> str:
    """A proportion (0 to 1) as a French percentage: ``0.025`` -> ``"2,5 %"``."""
    if is_missing(proportion):
        return MISSING
    return fr_number(float(proportion) * 100, decimals) + PERCENT_SUFFIX  # type: ignore[arg-type]


def fr_bool(value: object) -> str:
    """``True`` -> ``"oui"``, ``False`` -> ``"non"``, missing -> ``"–"``."""
    if is_missing(value):
        return MISSING
    return "oui" if bool(value) else "non"


def smart_decimals(value: float) -> int:
    """Decimals that keep about three significant digits: 1234 -> 0, 12.3 -> 1, 0.123 -> 2..."""
    magnitude = abs(value)
    if magnitude >= 100 or magnitude == 0:
        return 0
    if magnitude >= 10:
        return 1
    if magnitude >= 0.1:
        return 2
    return 3


def fr_measure(value: float | int | None, unit: str | None = None, decimals: int | None = None) -> str:
    """A measure with its declared unit's convention: ``proportion`` as a percentage, ``ratio``
    with two decimals, integral values as integers, anything else with about three significant
    digits; ``decimals`` forces the number of decimals (to align a column)."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if unit == "proportion":
        return fr_percent(number, 1 if decimals is None else decimals)
    if unit == "%":
        return fr_number(number, 1 if decimals is None else decimals) + PERCENT_SUFFIX
    if decimals is not None:
        return fr_number(number, decimals)
    if unit == "ratio":
        return fr_number(number, 2)
    if number.is_integer() and abs(number) >= 1:
        return fr_int(number)
    return fr_number(number, smart_decimals(number))


def with_unit(text: str, unit: str | None) -> str:
    """``"12,5"`` + ``"accidents/km²/an"`` -> ``"12,5 accidents/km²/an"`` (no unit for ratios,
    proportions and percentages, which carry their own sign)."""
    if not unit or unit in ("ratio", "proportion", "%") or text == MISSING:
        return text
    return f"{text}\u00a0{unit}"


def fr_datetime_local(moment: object) -> str:
    """A naive local timestamp (already Europe/Paris, as the marts' ``*_local`` columns) ->
    ``"05/03/2026 20:00"``; aware timestamps are converted to Marseille time first."""
    if is_missing(moment):
        return MISSING
    if isinstance(moment, datetime):
        local = to_paris(moment) if moment.tzinfo is not None else moment
        return f"{local:%d/%m/%Y %H:%M}"
    return str(moment)


def fr_day(value: object) -> str:
    """A date, a timestamp or an ISO string -> ``"dd/mm/yyyy"``; missing -> ``"–"``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, datetime):
        return fr_date(value.date())
    if isinstance(value, date):
        return fr_date(value)
    parsed = parse_day(str(value))
    return fr_date(parsed) if parsed else str(value)


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def fr_text(text: str) -> str:
    """Free text written by the pipeline, in French typography: ``"IC 95 % 0.32 – 3.10"`` ->
    ``"IC 95 % 0,32 – 3,10"``, ``"2026-11-13"`` -> ``"13/11/2026"``."""
    return _ISO_DAY.sub(r"\3/\2/\1", _DECIMAL_POINT.sub(",", text))


def fr_hour(hour: int | float) -> str:
    """An hour of the day: ``21`` -> ``"21 h"``, ``-2`` (relative) stays ``"-2 h"``."""
    return f"{int(hour)}\u00a0h"


# ----------------------------------------------------------------------------------------------
# Vega-Lite (Altair) locale: French numbers and dates in every chart, set in the spec itself so
# that nothing is fetched and the browser's own locale does not matter.
# ----------------------------------------------------------------------------------------------

DAYS_FR = ("dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
SHORT_DAYS_FR = ("dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam.")
SHORT_MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")

VEGA_NUMBER_LOCALE: dict[str, object] = {
    "decimal": ",",
    "thousands": THOUSANDS_SEP,
    "grouping": [3],
    "currency": ["", "\u00a0€"],
    "percent": PERCENT_SUFFIX,
}
VEGA_TIME_LOCALE: dict[str, object] = {
    "dateTime": "%A %e %B %Y à %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["", ""],
    "days": list(DAYS_FR),
    "shortDays": list(SHORT_DAYS_FR),
    "months": list(MONTHS_FR),
    "shortMonths": list(SHORT_MONTHS_FR),
}
