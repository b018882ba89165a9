"""The city's events calendar: one JSON document per month, published around the 20th of the
month before (matches, concerts, declared demonstrations, festivals, trade fairs).

Volumes (and why), about 400-450 events a year:
- Olympique de Marseille home games at the Orange Vélodrome: two league games a month from
  August to May (19 a season) on weekend evenings, plus a European or cup night in autumn and
  February-March; 50,000-65,000 expected (capacity 67,394).
- Stadium concerts at the Vélodrome: two in June and two in July, 45,000-62,000.
- Arenas and halls: Le Dôme (~7 shows a month, 3,000-8,500), Le Silo (~6, 1,000-2,050), Palais
  des Sports (~3, 2,500-7,000), Friche la Belle de Mai (~4, 800-3,500), Palais du Pharo
  (congresses, ~2), Théâtre Silvain (open-air, June-August, ~6); quieter in July and August.
- Parc Chanot: ~2 trade fairs a month over 2-4 days (3,000-15,000 a day), and the Foire
  internationale de Marseille, 11 days from the last Friday of September (~30,000 a day).
- Declared demonstrations (~5 a month): Vieux-Port or the Préfecture, 2-3 hours, median 1,500
  with a long tail (one in ten above 10,000).
- Fixed festivities: Fête de la musique (21 June) and 14 July fireworks at the Vieux-Port,
  New Year's Eve, Delta Festival (Plages du Prado, last weekend of August), Marsatac (Parc
  Borély, mid-June), Fiesta des Suds (Dock des Suds, mid-October), rugby at Stade Delort.
- 2 % of entries are cancelled (``statut`` ANNULE): they stay in the calendar and plant nothing.

``jauge_attendue`` is per day for multi-day events. Titles are generic except real club names.
"""

from __future__ import annotations

import calendar as _calendar
import random
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator, Period
from simulator.feeds.common import iso_offset
from simulator.pii import random_name
from simulator.truth import Planted
from simulator.world import Event

FEED = "evenements"
CLUBS = (
    "Paris Saint-Germain", "Olympique lyonnais", "AS Monaco", "LOSC Lille", "OGC Nice", "Stade rennais",
    "RC Lens", "Stade brestois", "FC Nantes", "Montpellier HSC", "RC Strasbourg", "Toulouse FC",
    "Stade de Reims", "Le Havre AC", "AJ Auxerre", "Angers SCO", "AS Saint-Étienne", "FC Lorient",
)
CONCERTS = ("Concert", "Concert (tournée nationale)", "Concert électro", "Concert de rap", "Concert symphonique")
SHOWS = ("Spectacle d'humour", "Comédie musicale", "Ballet", "Spectacle de cirque", "Théâtre")
ORGANISERS = ("Ville de Marseille", "Office de tourisme", "Association culturelle", "Société de production", "Comité des fêtes")
DEMOS = ("Manifestation intersyndicale", "Marche pour le climat", "Rassemblement associatif", "Manifestation de soutien",
         "Manifestation des personnels hospitaliers", "Rassemblement de riverains")
DEMO_ORGS = ("Intersyndicale départementale", "Collectif d'associations", "Union locale", "Coordination étudiante",
             "Association de riverains", "Collectif citoyen")


def _days_of_month(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, _calendar.monthrange(year, month)[1] + 1)]


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm))


def generate_month(world: Any, year: int, month: int) -> list[Event]:
    """The calendar of ``year``-``month`` for the world's seed (independent of the simulated window)."""
    rng = world.stream("events", year, month)
    text = random.Random(int(rng.integers(2**63)))
    venues = {v.code: v for v in world.ref.venues}
    days = _days_of_month(year, month)
    weekends = [d for d in days if d.weekday() == 5]
    drafts: list[dict[str, Any]] = []

    def add(kind: str, title: str, venue: str, start: datetime, end: datetime, attendance: float, organiser: str, declarant: str = "") -> None:
        cap = venues[venue].capacity
        drafts.append({"type": kind, "title": title, "venue": venue, "start": start, "end": end,
                       "attendance": int(min(max(attendance, 50), cap)), "organiser": organiser, "declarant": declarant})

    # Football: two home league games a month, August to May, on distinct weekends.
    if month in (8, 9, 10, 11, 12, 1, 2, 3, 4, 5) and len(weekends) >= 2:
        for saturday in sorted(rng.choice(len(weekends), size=2, replace=False).tolist()):
            day = weekends[saturday] + timedelta(days=int(rng.integers(0, 2)))
            kick = [(21, 0), (17, 0), (20, 45)][int(rng.integers(3))]
            start = _at(day, *kick)
            add("MATCH_FOOTBALL", f"Olympique de Marseille – {text.choice(CLUBS)}", "VELODROME", start, start + timedelta(minutes=115),
                rng.uniform(50_000, 65_000), "Olympique de Marseille")
    if month in (9, 10, 11, 12, 2, 3):  # a European or cup night
        weekdays = [d for d in days if d.weekday() in (2, 3)]
        day = weekdays[int(rng.integers(len(weekdays)))]
        start = _at(day, 21, 0)
        add("MATCH_FOOTBALL", "Olympique de Marseille – match de coupe d'Europe", "VELODROME", start, start + timedelta(minutes=115),
            rng.uniform(55_000, 66_000), "Olympique de Marseille")
    if month in (6, 7):  # stadium concerts
        for day in sorted(rng.choice([d for d in days if d.weekday() in (4, 5)], size=2, replace=False).tolist()):
            add("CONCERT", "Concert au stade", "VELODROME", _at(day, 20, 30), _at(day, 23, 30), rng.uniform(45_000, 62_000), "Société de production")

    def shows(venue: str, per_month: float, lo: int, hi: int, start_hm: tuple[int, int], hours: float) -> None:
        count = int(rng.poisson(per_month * (0.3 if month in (7, 8) else 1.0)))
        for day in sorted(rng.choice(days, size=min(count, len(days)), replace=False).tolist()):
            start = _at(day, *start_hm)
            kind = "CONCERT" if rng.random() < 0.7 else "SPECTACLE"
            add(kind, text.choice(CONCERTS if kind == "CONCERT" else SHOWS), venue, start, start + timedelta(hours=hours), rng.uniform(lo, hi), text.choice(ORGANISERS))

    shows("DOME", 7, 3_000, 8_500, (20, 30), 2.5)
    shows("SILO", 6, 1_000, 2_050, (20, 0), 3.0)
    shows("PALAIS_SPORTS", 3, 2_500, 7_000, (20, 0), 2.5)
    shows("FRICHE", 4, 800, 3_500, (19, 30), 4.0)
    if month in (6, 7, 8):
        count = int(rng.poisson(6))
        for day in sorted(rng.choice(days, size=count, replace=False).tolist()):
            add("SPECTACLE", "Spectacle en plein air", "SILVAIN", _at(day, 21, 0), _at(day, 23, 0), rng.uniform(800, 1_900), "Ville de Marseille")
    for day in sorted(rng.choice(days, size=int(rng.poisson(2)), replace=False).tolist()):
        add("SALON", "Congrès", "PHARO", _at(day, 9, 0), _at(day, 18, 0), rng.uniform(400, 1_500), "Association professionnelle")

    # Parc Chanot: trade fairs over a few days; the Foire internationale at the end of September.
    if month not in (7, 8):
        for _ in range(int(rng.poisson(2))):
            first = days[int(rng.integers(len(days) - 4))]
            length = int(rng.integers(2, 5))
            add("SALON", "Salon professionnel et grand public", "PARC_CHANOT", _at(first, 10), _at(first + timedelta(days=length - 1), 19),
                rng.uniform(3_000, 15_000), "Société d'exposition")
    if month == 9:
        friday = max(d for d in days if d.weekday() == 4)
        add("SALON", "Foire internationale de Marseille", "PARC_CHANOT", _at(friday, 10), _at(friday + timedelta(days=10), 20),
            rng.uniform(27_000, 33_000), "Société d'exposition")
    if month in (9, 10, 11, 12, 1, 2, 3, 4, 5, 6):
        sundays = [d for d in days if d.weekday() == 6]
        day = sundays[int(rng.integers(len(sundays)))]
        add("MATCH_RUGBY", "Match de rugby", "STADE_DELORT", _at(day, 15), _at(day, 17), rng.uniform(2_500, 5_000), "Club de rugby")

    # Declared demonstrations.
    for day in sorted(rng.choice(days, size=min(int(rng.poisson(5)), len(days)), replace=False).tolist()):
        start = _at(day, 14) if day.weekday() == 5 or rng.random() < 0.5 else _at(day, 10, 30)
        size = float(np.exp(rng.normal(np.log(1_500), 1.3)))
        venue = "VIEUX_PORT" if rng.random() < 0.7 else "PREFECTURE"
        add("MANIFESTATION", text.choice(DEMOS), venue, start, start + timedelta(minutes=int(rng.integers(120, 181))), min(size, 80_000),
            text.choice(DEMO_ORGS), random_name(text)[0])

    # Fixed festivities.
    if month == 6:
        add("FESTIVAL", "Fête de la musique", "VIEUX_PORT", _at(date(year, 6, 21), 18), _at(date(year, 6, 22), 1), rng.uniform(70_000, 90_000), "Ville de Marseille")
        friday = next(d for d in days if d.weekday() == 4 and 10 <= d.day <= 16)
        add("FESTIVAL", "Festival de musiques actuelles", "PARC_BORELY", _at(friday, 18), _at(friday + timedelta(days=2), 23, 59), rng.uniform(12_000, 18_000), "Association culturelle")
    if month == 7:
        add("FEU_ARTIFICE", "Feu d'artifice du 14 juillet", "VIEUX_PORT", _at(date(year, 7, 14), 21), _at(date(year, 7, 14), 23, 30), rng.uniform(100_000, 140_000), "Ville de Marseille")
    if month == 8:
        saturday = max(d for d in days if d.weekday() == 5)
        add("FESTIVAL", "Festival de plage", "PLAGES_PRADO", _at(saturday - timedelta(days=1), 16), _at(saturday, 23, 59), rng.uniform(35_000, 45_000), "Association culturelle")
    if month == 10:
        friday = next(d for d in days if d.weekday() == 4 and 12 <= d.day <= 18)
        add("FESTIVAL", "Festival des musiques du monde", "DOCK_SUDS", _at(friday, 19), _at(friday + timedelta(days=1), 23, 59), rng.uniform(6_000, 9_000), "Association culturelle")
    if month == 12:
        add("FESTIVAL", "Réveillon du Nouvel An", "VIEUX_PORT", _at(date(year, 12, 31), 22), _at(date(year + 1, 1, 1), 1), rng.uniform(30_000, 50_000), "Ville de Marseille")

    drafts.sort(key=lambda d: (d["start"], d["venue"]))
    events = []
    for k, d in enumerate(drafts, start=1):
        venue = venues[d["venue"]]
        status = "ANNULE" if rng.random() < 0.02 else "PREVU"
        events.append(Event(f"EVT{year}-{month:02d}{k:02d}", d["type"], d["title"], venue.code, venue.lat, venue.lon,
                            d["start"], d["end"], d["attendance"], d["organiser"], d["declarant"], status))
    return events


class Evenements(FeedSimulator):
    """Monthly JSON export of the events office's calendar (a top-level array)."""

    feed_name = FEED
    rows_per_day = 1.1
    scaled = False
    dirt_targets = {"unknown_code": "type_evenement"}

    def delivered_at(self, period: Period, rng: np.random.Generator) -> datetime:
        from simulator.daylight import PARIS

        local = datetime.combine(period.start - timedelta(days=11), time(10, int(rng.integers(0, 50))))
        return local.replace(tzinfo=PARIS)

    def period_columns(self, period: Period, rng: np.random.Generator, planted: Planted) -> dict[str, list[Any]]:
        columns = self.empty_columns()
        for e in self.world.events_in_month(period.start.year, period.start.month):
            columns["evenement_id"].append(e.id)
            columns["type_evenement"].append(e.type)
            columns["titre"].append(e.title)
            columns["lieu"].append(e.venue)
            columns["nom_lieu"].append(next(v.name for v in self.world.ref.venues if v.code == e.venue))
            columns["latitude"].append(e.lat)
            columns["longitude"].append(e.lon)
            columns["debut"].append(iso_offset(e.start))
            columns["fin"].append(iso_offset(e.end))
            columns["jauge_attendue"].append(e.attendance)
            columns["organisateur"].append(e.organiser)
            columns["declarant"].append(e.declarant or None)
            columns["statut"].append(e.status)
            if e.declarant:
                planted.names.add(e.declarant)
        return columns
