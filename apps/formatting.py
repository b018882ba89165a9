"""French display formats shared by the pages (numbers, dates, months, arrondissements).

Kept free of Streamlit so it can be unit-tested and reused by the API later. The system locale
is not relied upon (containers rarely ship ``fr_FR``), hence the explicit month names.
"""

from __future__ import annotations

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
