"""Hourly weather of the city's reference station, in Météo-France's hourly layout (``H_*``
files of the "données climatologiques de base horaires": ``;``, decimal point, UTC timestamps
``AAAAMMJJHH``, empty cells for missing values). One file per UTC day, extracted each night.

The series comes from ``weather.py`` (one continuous year per seed), so the rain the accident
feeds react to is exactly the rain in these files. As at Météo-France, ``RR1`` at ``AAAAMMJJHH``
is the rain of the hour *ending* then (07:00-08:00 UTC is on the 08 row): the effects use the
hour starting at each local clock hour, so an analysis must shift by one hour (a classic trap).
Temperature, humidity and wind are the values at the hour. 24 rows a day, 8,760 a year (not scaled).
The station is Marseille's intra-muros observatory site (Palais Longchamp); its number and
name follow Météo-France's conventions but are not checked against the real station list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator, Period
from simulator.daylight import PARIS
from simulator.truth import Planted
from simulator.weather import rain_at, weather_year

FEED = "meteo_horaire"
STATION = ("13055001", "MARSEILLE-LONGCHAMP", 43.305500, 5.395800, 75)


def _num(value: float, digits: int) -> str:
    return "" if np.isnan(value) else f"{value:.{digits}f}"


class MeteoHoraire(FeedSimulator):
    """Daily CSV of the station's 24 UTC hours (UTF-8, ``;``, ``\\n``)."""

    feed_name = FEED
    rows_per_day = 24
    scaled = False
    line_terminator = "\n"
    dirt_targets = {"outside_city": None, "out_of_range": "humidite_pct"}
    added_column = ("VV", "")

    def delivered_at(self, period: Period, rng: np.random.Generator) -> datetime:
        utc = datetime.combine(period.end + timedelta(days=1), time(1, int(rng.integers(0, 30))))

        return utc.replace(tzinfo=UTC).astimezone(PARIS)

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        year = weather_year(self.seed, day.year)
        first = year.index(datetime(day.year, day.month, day.day))
        hours = slice(first, first + 24)
        fmt = self.spec.format.datetime_format
        number, name, lat, lon, alt = STATION
        columns = self.empty_columns()
        columns["num_poste"] = [number] * 24
        columns["nom_poste"] = [name] * 24
        columns["latitude"] = [f"{lat:.6f}"] * 24
        columns["longitude"] = [f"{lon:.6f}"] * 24
        columns["altitude_m"] = [str(alt)] * 24
        columns["heure"] = [(datetime(day.year, day.month, day.day) + timedelta(hours=h)).strftime(fmt) for h in range(24)]
        columns["pluie_mm"] = [_num(rain_at(self.seed, datetime(day.year, day.month, day.day) + timedelta(hours=h - 1)), 1) for h in range(24)]
        columns["temperature_c"] = [_num(v, 1) for v in year.temperature[hours]]
        columns["humidite_pct"] = [_num(v, 0) for v in year.humidity[hours]]
        columns["vent_ms"] = [_num(v, 1) for v in year.wind_speed[hours]]
        columns["vent_direction"] = [_num(v, 0) for v in year.wind_direction[hours]]
        return columns
