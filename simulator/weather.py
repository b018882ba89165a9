"""Hourly weather of Marseille, one continuous series per (seed, year), in UTC.

The figures (and why): monthly normals of the Marseille area (Météo-France, 1991-2020 order of
magnitude): mean temperature 7 °C in January to 25 °C in July, daily range 8-12 °C; about
540 mm of rain a year on ~55 wet days (>= 1 mm), concentrated in September-November, almost
none in July; the mistral (north-westerly, 10-20 m/s) blows on about a third of winter days and
a fifth of summer days, with a sea breeze from the south-west on calm summer afternoons.

- Wet days follow a two-state Markov chain whose stationary probability is the month's share of
  wet days (rain comes in spells); a wet day has one episode of 3-16 hours (about 7 on average), possibly running
  past midnight, holding a gamma-distributed amount split unevenly between its hours.
- Temperature: the month's normal (interpolated day by day) + a daily cycle (minimum around
  06:00, maximum around 15:00 local) + an AR(1) daily anomaly (sd 2 °C), cooler under rain.
- Humidity follows temperature inversely, rises under rain, drops with the mistral.
- A few sensor gaps: humidity and wind are missing (empty) in ~0.3 % of hours, as in real files.

The whole year is drawn at once from a stream keyed by (seed, year), so any day's weather is the
same whatever the simulated window; feeds read it (``local_rain``) to plant the rain effect.
"""

from __future__ import annotations

import calendar
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

import numpy as np

from simulator.daylight import PARIS

MEAN_T = (7.4, 8.3, 11.3, 14.3, 18.1, 22.2, 25.0, 24.7, 20.9, 16.8, 11.6, 8.2)
DAILY_RANGE_T = (8.5, 9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 11.0, 10.0, 9.0, 8.5, 8.0)
RAIN_MM = (51, 32, 33, 55, 41, 25, 8, 27, 76, 82, 58, 49)
WET_DAYS = (5.5, 4.5, 4.5, 5.8, 4.5, 3.0, 1.2, 2.5, 4.2, 6.0, 6.0, 5.5)
MISTRAL_SHARE = (0.35, 0.35, 0.35, 0.3, 0.25, 0.2, 0.25, 0.2, 0.2, 0.25, 0.3, 0.35)
SPELL_PERSISTENCE = 0.35  # P(wet | wet yesterday) - P(wet): rain comes in spells
GAP_RATE = 0.003


@dataclass(frozen=True)
class WeatherYear:
    """Hourly series from 1 January 00:00 UTC to 31 December 23:00 UTC of ``year``."""

    year: int
    rain_mm: np.ndarray  # RR1, 0.1 mm resolution
    temperature: np.ndarray  # T, °C, 0.1
    humidity: np.ndarray  # U, %, float with NaN for gaps
    wind_speed: np.ndarray  # FF, m/s, 0.1, NaN for gaps
    wind_direction: np.ndarray  # DD, degrees (multiple of 10), NaN for gaps

    def index(self, when_utc: datetime) -> int:
        return int((when_utc - datetime(self.year, 1, 1)).total_seconds() // 3600)


@cache
def weather_year(seed: int, year: int) -> WeatherYear:
    """The year's hourly weather for this seed (cached)."""
    rng = np.random.default_rng([seed, zlib.crc32(b"weather"), year])
    n_days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(n_days)]
    month = np.array([d.month - 1 for d in days])
    month_len = np.array([calendar.monthrange(year, m + 1)[1] for m in range(12)])

    # Wet days: Markov chain with the month's stationary probability.
    p = np.array(WET_DAYS)[month] / month_len[month]
    p_wet_wet = np.minimum(p + SPELL_PERSISTENCE, 0.9)
    p_wet_dry = p * (1 - p_wet_wet) / (1 - p)
    draws = rng.random(n_days)
    wet = np.zeros(n_days, dtype=bool)
    for i in range(n_days):
        wet[i] = draws[i] < (p_wet_wet[i] if i and wet[i - 1] else p_wet_dry[i])
    mean_wet_total = np.array(RAIN_MM)[month] / np.maximum(np.array(WET_DAYS)[month], 0.5)

    hours = n_days * 24
    rain = np.zeros(hours + 24)  # spill-over room past 31 December, dropped at the end
    shape = 0.8
    totals = rng.gamma(shape, mean_wet_total / shape)
    starts = rng.integers(0, 24, n_days)
    lengths = np.minimum(2 + rng.geometric(0.2, n_days), 16)
    for i in np.flatnonzero(wet):
        split = rng.dirichlet(np.full(lengths[i], 0.7)) * max(totals[i], 1.0)
        first = i * 24 + starts[i]
        rain[first : first + lengths[i]] += split
    rain = np.round(rain[:hours], 1)

    # Temperature: monthly normals interpolated to the day, daily cycle, AR(1) anomaly.
    day_of_year = np.arange(n_days)
    mid_month = np.array([15 + sum(month_len[:m]) for m in range(12)])
    normal = np.interp(day_of_year, np.r_[mid_month - n_days, mid_month, mid_month + n_days], np.tile(MEAN_T, 3))
    daily_range = np.interp(day_of_year, np.r_[mid_month - n_days, mid_month, mid_month + n_days], np.tile(DAILY_RANGE_T, 3))
    anomaly = np.zeros(n_days)
    shocks = rng.normal(0, 2.0 * np.sqrt(1 - 0.8**2), n_days)
    for i in range(1, n_days):
        anomaly[i] = 0.8 * anomaly[i - 1] + shocks[i]
    utc_hour = np.tile(np.arange(24), n_days)
    local_hour = (utc_hour + 1.5) % 24  # ~UTC+1/+2: the cycle's phase, no need for DST precision
    cycle = -np.cos(2 * np.pi * (local_hour - 4.5) / 24) * 0.5  # min ~04:30-06:00, max ~15:00-16:00
    temperature = np.repeat(normal + anomaly, 24) + np.repeat(daily_range, 24) * cycle
    raining = rain > 0
    temperature = np.round(temperature - 1.5 * raining + rng.normal(0, 0.3, hours), 1)

    # Wind: mistral days vs calm days with an afternoon sea breeze.
    mistral_day = rng.random(n_days) < np.array(MISTRAL_SHARE)[month] * ~wet
    mistral = np.repeat(mistral_day, 24)
    calm_speed = rng.gamma(2.0, 1.7, hours)
    breeze = (local_hour >= 12) & (local_hour <= 19) & ~mistral
    speed = np.where(mistral, rng.normal(12.5, 3.0, hours), calm_speed + 2.0 * breeze)
    speed = np.round(np.clip(speed, 0, 35), 1)
    direction = np.where(
        mistral, rng.normal(320, 12, hours), np.where(breeze, rng.normal(225, 20, hours), rng.uniform(0, 360, hours))
    )
    direction = (np.round(direction / 10) * 10) % 360
    direction = np.where(direction == 0, 360, direction)

    humidity = 72 - 2.2 * (temperature - np.repeat(normal, 24)) + 22 * raining - 22 * mistral + rng.normal(0, 5, hours)
    humidity = np.round(np.clip(humidity, 12, 100))

    gaps = rng.random(hours) < GAP_RATE
    humidity = np.where(gaps, np.nan, humidity)
    wind_gaps = rng.random(hours) < GAP_RATE
    speed = np.where(wind_gaps, np.nan, speed)
    direction = np.where(wind_gaps, np.nan, direction)
    return WeatherYear(year, rain, temperature, humidity, speed, direction)


def utc_hours_of_local_day(day: date) -> list[datetime]:
    """The UTC start of each local hour of ``day`` (23, 24 or 25 of them)."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=PARIS).astimezone(UTC)
    count = int((end - start).total_seconds() // 3600)
    return [(start + timedelta(hours=h)).replace(tzinfo=None) for h in range(count)]


def rain_at(seed: int, when_utc: datetime) -> float:
    year = weather_year(seed, when_utc.year)
    return float(year.rain_mm[year.index(when_utc)])


@cache
def local_rain(seed: int, day: date) -> np.ndarray:
    """Rain (mm) in each local clock hour 0..23 of ``day`` (the hour's first UTC hour on DST days)."""
    out = np.zeros(24)
    for hour in range(24):
        local = datetime(day.year, day.month, day.day, hour, 30, tzinfo=PARIS)
        utc = local.astimezone(UTC).replace(tzinfo=None, minute=0)
        out[hour] = rain_at(seed, utc)
    return out
