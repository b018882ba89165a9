"""RTM (Régie des transports métropolitains): metro ridership by station and hour, and the
network's incident log. Two daily CSV files.

Ridership (``rtm_frequentation``): entries (validations) at the 29 metro stations (Gèze from its
opening on 14 December 2019), per clock hour of service (00:00-00:59 and 05:00-23:59 local).
``WEEKDAY_ENTRIES`` = 220,000 entries on a working day for the two lines (the metro carries on
the order of 70-80 million trips a year); Saturdays x0.75, Sundays and holidays x0.45, August
x0.75, school holidays x0.9. Each station takes its share (``reference_tables.STATIONS``
weights: Saint-Charles, Castellane, Vieux-Port lead), with commuting peaks on working days and
a flatter, later profile at weekends; counts are Poisson around a mean with 8 % day-to-day
noise. Events add entries: attendees travelling by metro (``events.transit_share``) enter at
any station before the event, and at the stations within ``events.transit_radius_m`` of the
venue after it. 580 rows a day (~210,000 a year).

Incidents (``rtm_incidents``): ``INCIDENTS_PER_DAY`` = 25 (~9,000 a year) across metro, tram and
bus: equipment failures and incivilities lead; assaults on staff or passengers ~14 %. Metro
incidents are located at a station, tram and bus incidents on the street. The file is UTF-8,
``;``, decimal comma.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator
from simulator.calendar import school_holiday
from simulator.declarations import codes as declared_codes
from simulator.feeds.common import ALL_DAY, COMMUTE, EVENING, day_kind, hour_matrix, local_times, on_the_clock, shares
from simulator.feeds.texts import rtm_comment
from simulator.geography import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON, distance_m
from simulator.truth import Planted

WEEKDAY_ENTRIES = 220_000.0
SERVICE_HOURS = (0, *range(5, 24))
WORKDAY_PROFILE = {0: 0.4, 5: 0.8, 6: 3.0, 7: 7.5, 8: 9.0, 9: 6.0, 10: 4.8, 11: 5.0, 12: 5.8, 13: 5.8, 14: 5.2, 15: 5.8,
                   16: 7.2, 17: 8.8, 18: 8.6, 19: 6.0, 20: 3.8, 21: 2.8, 22: 2.0, 23: 1.3}
WEEKEND_PROFILE = {0: 1.2, 5: 0.4, 6: 1.0, 7: 2.0, 8: 3.2, 9: 4.5, 10: 5.8, 11: 6.5, 12: 6.8, 13: 6.5, 14: 6.8, 15: 7.0,
                   16: 7.2, 17: 7.2, 18: 6.8, 19: 5.5, 20: 4.2, 21: 3.4, 22: 2.8, 23: 2.2}
DAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 1.02, 0.75, 0.45)


class RtmFrequentation(FeedSimulator):
    """Daily CSV of metro entries by station and hour (UTF-8, ``,``, ``\\n``)."""

    feed_name = "rtm_frequentation"
    rows_per_day = 580  # 29 stations x 20 service hours (560 before Gèze opened)
    scaled = False
    line_terminator = "\n"
    delivery_after = (1, 4, 0)
    dirt_targets = {"unknown_code": "code_station"}
    added_column = ("nb_validations_abonnes", "")

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        labels = self.spec.column("code_station").codes or {}
        self.labels = {str(k): v for k, v in labels.items()}

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        stations = [s for s in self.world.ref.stations if date.fromisoformat(s.opened) <= day]
        weights = np.array([s.weight for s in stations])
        weights /= weights.sum()
        kind = day_kind(day)
        profile = WEEKEND_PROFILE if kind >= 5 else WORKDAY_PROFILE
        hour_share = np.array([profile[h] for h in SERVICE_HOURS])
        hour_share /= hour_share.sum()
        total = WEEKDAY_ENTRIES * DAY_FACTOR[kind] * (0.75 if day.month == 8 else 1.0) * (0.9 if school_holiday(day) else 1.0)
        noise = float(rng.lognormal(0, 0.08))
        mean = total * scale * noise * weights[:, None] * hour_share[None, :]
        mean = self._events(day, stations, weights, mean, scale)
        counts = rng.poisson(mean)
        fmt = self.spec.format.datetime_format
        stamps = [datetime(day.year, day.month, day.day, h).strftime(fmt) for h in SERVICE_HOURS]
        columns = self.empty_columns()
        for s, station in enumerate(stations):
            columns["code_station"] += [station.code] * len(SERVICE_HOURS)
            columns["libelle_station"] += [self.labels.get(station.code, station.code)] * len(SERVICE_HOURS)
            columns["ligne"] += [station.line] * len(SERVICE_HOURS)
            columns["heure_debut"] += stamps
            columns["nb_validations"] += [str(int(c)) for c in counts[s]]
        return columns

    def _events(self, day: date, stations: list, weights: np.ndarray, mean: np.ndarray, scale: float) -> np.ndarray:
        ev = self.world.effects["events"]
        lon = np.array([s.lon for s in stations])
        lat = np.array([s.lat for s in stations])
        hour_index = {h: i for i, h in enumerate(SERVICE_HOURS)}
        added = 0.0
        for event in self.world.events_touching(day):
            riders = event.attendance * ev["transit_share"] * scale
            near = distance_m(event.lon, event.lat, lon, lat) <= ev["transit_radius_m"]
            if not near.any():
                continue
            near_w = weights * near / (weights * near).sum()
            for open_at, close_at in event.daily_windows():
                for moment, where, part in ((open_at - timedelta(hours=2), weights, 0.4), (open_at - timedelta(hours=1), weights, 0.6),
                                            (close_at, near_w, 0.7), (close_at + timedelta(hours=1), near_w, 0.3)):
                    if moment.date() == day and moment.hour in hour_index:
                        mean[:, hour_index[moment.hour]] += riders * part * where
                        added += riders * part
        self.realised["event"] += int(round(added))
        return mean


class RtmIncidents(FeedSimulator):
    """Daily CSV of the network's incident log (UTF-8, ``;``, decimal comma)."""

    feed_name = "rtm_incidents"
    rows_per_day = 24
    delivery_after = (1, 5, 30)
    dirt_targets = {"unknown_code": "nature"}
    added_column = ("Numéro de service", "")
    SHARES = {"AGRESSION_AGENT": 0.06, "AGRESSION_VOYAGEUR": 0.08, "INCIVILITE": 0.20, "COLIS_SUSPECT": 0.05, "MALAISE_VOYAGEUR": 0.12,
              "PANNE_MATERIEL": 0.18, "INTRUSION_VOIES": 0.04, "VANDALISME": 0.10, "ACCIDENT_BUS": 0.07, "AUTRE": 0.10}
    HOURS = {"AGRESSION_AGENT": EVENING, "AGRESSION_VOYAGEUR": EVENING, "INCIVILITE": EVENING, "ACCIDENT_BUS": COMMUTE}
    LINES = {"M1": 0.28, "M2": 0.22, "T1": 0.05, "T2": 0.05, "T3": 0.05, "BUS": 0.35}
    IMPACT = {"PANNE_MATERIEL": (0.2, 0.4, 0.3, 0.1), "INTRUSION_VOIES": (0.0, 0.2, 0.3, 0.5), "COLIS_SUSPECT": (0.1, 0.3, 0.4, 0.2)}
    PER_DAY = 25.0
    AGENTS = 300

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        self.codes = declared_codes(self.spec, "nature")
        self.shares = shares(self.SHARES, self.codes)
        self.hours = hour_matrix(self.HOURS, self.codes, ALL_DAY)
        self.hours[:, 1:5] = 0.0  # no service between 01:00 and 05:00
        self.hours /= self.hours.sum(axis=1, keepdims=True)
        self.lines = declared_codes(self.spec, "ligne")
        self.line_p = shares(self.LINES, self.lines, 0.0)
        self.impacts = declared_codes(self.spec, "impact")
        from orchestration.core.catalog import feed

        self.station_labels = {str(k): v for k, v in (feed("rtm_frequentation").column("code_station").codes or {}).items()}
        pool = self.stream(0).choice(np.arange(10_000, 100_000), size=self.AGENTS, replace=False)
        self.agents = [f"RTM{k}" for k in np.sort(pool)]

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        fmt, decimal = self.spec.format.datetime_format, self.spec.format.decimal
        means = self.PER_DAY * scale * (DAY_FACTOR[day_kind(day)] * 0.3 + 0.7) * self.shares[:, None] * self.hours
        counts = rng.poisson(means)
        cat, hour = np.nonzero(counts)
        reps = counts[cat, hour]
        cat, hour = np.repeat(cat, reps), np.repeat(hour, reps)
        minute = hour * 60 + rng.integers(0, 60, len(cat))
        order = np.argsort(minute, kind="stable")
        cat, minute = cat[order], minute[order]
        n = len(cat)
        line = rng.choice(len(self.lines), size=n, p=self.line_p)
        q = rng.choice(len(self.world.geo), size=n, p=self.world.geo.weights)
        from simulator.geography import sample_points

        lon, lat = sample_points(self.world.geo, q, rng)
        stations = [s for s in self.world.ref.stations if date.fromisoformat(s.opened) <= day]
        text = random.Random(int(rng.integers(2**63)))
        times = local_times(day, minute)
        columns = self.empty_columns()
        for i in range(n):
            code, line_code = self.codes[cat[i]], self.lines[line[i]]
            stop = None
            if line_code in ("M1", "M2"):
                on_line = [s for s in stations if line_code in s.line.split("-")]
                station = on_line[text.randrange(len(on_line))]
                stop = self.station_labels.get(station.code, station.code)
                lon[i] = station.lon + text.uniform(-40, 40) / 1000 / KM_PER_DEGREE_LON
                lat[i] = station.lat + text.uniform(-40, 40) / 1000 / KM_PER_DEGREE_LAT
            if code == "ACCIDENT_BUS" and line_code in ("M1", "M2"):
                line_code = "BUS"
                stop = None
            impact_p = self.IMPACT.get(code, (0.6, 0.3, 0.08, 0.02))
            impact = text.choices(self.impacts, impact_p[: len(self.impacts)])[0]
            ongoing = text.random() < 0.05
            end = None if ongoing else on_the_clock(times[i] + timedelta(minutes=text.randint(10, 150)))
            agent = self.agents[text.randrange(self.AGENTS)]
            columns["incident_id"].append(f"INC{day:%y%m%d}{i + 1:03d}")
            columns["debut_le"].append(times[i].strftime(fmt))
            columns["fin_le"].append(end.strftime(fmt) if end else "")
            columns["nature"].append(code)
            columns["ligne"].append(line_code)
            columns["arret"].append(stop or "")
            columns["impact"].append(impact)
            columns["latitude"].append(f"{lat[i]:.6f}".replace(".", decimal))
            columns["longitude"].append(f"{lon[i]:.6f}".replace(".", decimal))
            columns["agent_pseudo"].append(agent)
            columns["commentaire"].append(rtm_comment(code, text, planted) or "")
            planted.agent_ids.add(agent)
        return columns
