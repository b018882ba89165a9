"""Telecom operator presence counts: people present in each quartier each hour, already
aggregated and extrapolated to the whole population by the operator (never individual data).
A daily CSV per local day; hours are UTC (``2026-03-02T07:00:00Z``), 23 to 25 of them.

The figures (and why):
- Residents: each quartier's population (arrondissement population split by lived-in area,
  886,040 in all) is mostly at home at night (93 %), 55 % on working-day afternoons, 75 % at
  weekends; those away are present in the city's activity areas (centre-weighted).
- Commuters from outside the city: 80,000 on working days 08:00-18:00, in activity areas.
- Visitors: French 25,000 (winter) to 70,000 (summer), foreign 10,000 to 45,000, in the centre
  and along the coast, fewer at night.
- Event attendees (``events.presence_share``) are counted in the venue's quartier from an hour
  before to an hour after the event: 65 % residents, 30 % French visitors, 5 % foreign.
- Counts are rounded to the nearest 10, as operators publish them; ``scale`` multiplies them.
111 quartiers x 24 hours = 2,664 rows a day, ~970,000 a year: the biggest feed.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator
from simulator.daylight import PARIS
from simulator.feeds.common import day_kind
from simulator.geography import quartier_of
from simulator.reference_tables import residential_weights
from simulator.seasonality import season_factor
from simulator.truth import Planted
from simulator.weather import utc_hours_of_local_day

FEED = "telecom_presence"
POPULATION = 886_040
COMMUTERS = 80_000
AT_HOME = np.array([0.93] * 7 + [0.8, 0.65, 0.58, 0.56, 0.58, 0.6, 0.57, 0.55, 0.55, 0.56, 0.62, 0.72, 0.8, 0.85, 0.88, 0.9, 0.92])
AT_HOME_WEEKEND = np.array([0.93] * 8 + [0.88, 0.8, 0.74, 0.72, 0.72, 0.74, 0.74, 0.75, 0.76, 0.78, 0.8, 0.84, 0.86, 0.88, 0.9, 0.92])
VISITORS_AWAKE = np.array([0.5] * 7 + [0.7, 0.9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.95, 0.85, 0.7, 0.6])


class TelecomPresence(FeedSimulator):
    """Daily CSV of hourly presence by quartier (UTF-8, ``,``, ``\\n``)."""

    feed_name = FEED
    rows_per_day = 2664
    scaled = False
    line_terminator = "\n"
    delivery_after = (2, 5, 0)  # operators deliver at D+2
    dirt_targets = {"out_of_range": "nb_residents"}
    added_column = ("nb_presents_total", "")

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        geo = self.world.geo
        self.population = residential_weights(geo) * POPULATION
        activity = geo.weights**1.3
        self.activity = activity / activity.sum()
        visitors = geo.weights**2
        self.visitors = visitors / visitors.sum()

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        hours_utc = utc_hours_of_local_day(day)
        local_hours = np.array([h.replace(tzinfo=UTC).astimezone(PARIS).hour for h in hours_utc])
        working = day_kind(day) < 5
        home = (AT_HOME if working else AT_HOME_WEEKEND)[local_hours]  # (H,)
        residents_home = self.population[:, None] * home[None, :]
        away = (self.population.sum() * (1 - home))[None, :] * self.activity[:, None]
        commuting = np.where((local_hours >= 8) & (local_hours < 18) & working, COMMUTERS, 0.0)
        french = (47_500 + 22_500 * (season_factor(day, 1.0) - 1)) * VISITORS_AWAKE[local_hours]
        foreign = (27_500 + 17_500 * (season_factor(day, 1.0) - 1)) * VISITORS_AWAKE[local_hours]
        residents = residents_home + away
        visitors_fr = commuting[None, :] * self.activity[:, None] + french[None, :] * self.visitors[:, None]
        visitors_int = foreign[None, :] * self.visitors[:, None]
        self._events(day, hours_utc, residents, visitors_fr, visitors_int)
        noise = rng.lognormal(0, 0.03, (3, *residents.shape))
        tables = [np.round(t * scale * e / 10) * 10 for t, e in zip((residents, visitors_fr, visitors_int), noise, strict=True)]
        fmt = self.spec.format.datetime_format
        stamps = [h.strftime(fmt) for h in hours_utc]
        codes = self.world.geo.codes
        q_count, h_count = residents.shape
        columns = self.empty_columns()
        columns["code_quartier"] = [str(c) for c in codes for _ in range(h_count)]
        columns["heure_debut"] = stamps * q_count
        columns["nb_residents"] = [str(int(v)) for v in tables[0].ravel()]
        columns["nb_visiteurs_france"] = [str(int(v)) for v in tables[1].ravel()]
        columns["nb_visiteurs_etranger"] = [str(int(v)) for v in tables[2].ravel()]
        return columns

    def _events(self, day: date, hours_utc: list, residents: np.ndarray, french: np.ndarray, foreign: np.ndarray) -> None:
        share = self.world.effects["events"]["presence_share"]
        geo = self.world.geo
        added = 0.0
        for event in self.world.events_touching(day):
            q = int(quartier_of(geo, np.array([event.lon]), np.array([event.lat]))[0])
            for open_at, close_at in event.daily_windows():
                lo = (open_at - timedelta(hours=1)).replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)
                hi = (close_at + timedelta(hours=1)).replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)
                for h, start in enumerate(hours_utc):
                    if lo < start + timedelta(hours=1) and start < hi:
                        people = event.attendance * share
                        residents[q, h] += 0.65 * people
                        french[q, h] += 0.30 * people
                        foreign[q, h] += 0.05 * people
                        added += people
        self.realised["event"] += int(round(added))
