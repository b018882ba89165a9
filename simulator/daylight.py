"""Sun elevation over Marseille: night hours, dusk and dawn (public lighting, BAAC ``lum``).

NOAA's low-precision solar position (declination and equation of time from the fractional
year), accurate to a few minutes, which is all an hourly simulation needs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np

LATITUDE, LONGITUDE = 43.2965, 5.3698  # Marseille, Hôtel de Ville
PARIS = ZoneInfo("Europe/Paris")
SUNSET_ELEVATION = -0.833  # degrees: the sun's upper limb on the horizon, with refraction
CIVIL_TWILIGHT = -6.0


def solar_elevation(when_utc: np.ndarray) -> np.ndarray:
    """Sun elevation in degrees at Marseille for UTC datetimes (numpy ``datetime64``)."""
    when = when_utc.astype("datetime64[s]")
    year_start = when.astype("datetime64[Y]")
    day_of_year = (when - year_start).astype("timedelta64[s]").astype(float) / 86400.0
    hours = (when - when.astype("datetime64[D]")).astype("timedelta64[s]").astype(float) / 3600.0
    gamma = 2 * np.pi / 365.0 * (day_of_year - 1 + (hours - 12) / 24)
    eqtime = 229.18 * (
        0.000075 + 0.001868 * np.cos(gamma) - 0.032077 * np.sin(gamma) - 0.014615 * np.cos(2 * gamma) - 0.040849 * np.sin(2 * gamma)
    )
    decl = (
        0.006918 - 0.399912 * np.cos(gamma) + 0.070257 * np.sin(gamma) - 0.006758 * np.cos(2 * gamma)
        + 0.000907 * np.sin(2 * gamma) - 0.002697 * np.cos(3 * gamma) + 0.00148 * np.sin(3 * gamma)
    )
    true_solar_minutes = hours * 60 + eqtime + 4 * LONGITUDE
    hour_angle = np.radians(true_solar_minutes / 4 - 180)
    lat = np.radians(LATITUDE)
    cos_zenith = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    return 90 - np.degrees(np.arccos(np.clip(cos_zenith, -1, 1)))


@cache
def hourly_light(day: date) -> tuple[np.ndarray, np.ndarray]:
    """For each local hour of ``day`` (0..23): ``(night, twilight)`` booleans at the hour's middle.

    ``night``: the sun is below the horizon (street lights on); ``twilight``: night but the sun is
    less than 6 degrees below it (BAAC's "crépuscule ou aube").
    """
    stamps = []
    for hour in range(24):
        local = datetime(day.year, day.month, day.day, hour, 30, tzinfo=PARIS)
        stamps.append(local.astimezone(UTC).replace(tzinfo=None))
    elevation = solar_elevation(np.array(stamps, dtype="datetime64[s]"))
    night = elevation < SUNSET_ELEVATION
    twilight = night & (elevation >= CIVIL_TWILIGHT)
    return night, twilight


def elevation_at(local: datetime) -> float:
    """Sun elevation at a local (Europe/Paris, naive) time."""
    utc = local.replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)
    return float(solar_elevation(np.array([utc], dtype="datetime64[s]"))[0])


def minutes_light(day: date, minutes: np.ndarray) -> np.ndarray:
    """BAAC ``lum`` base code for local minutes of ``day``: 1 day, 2 dusk/dawn, 5 night (lit).

    Night-time codes 3 (no public lighting) and 4 (lighting not lit) are decided by the caller.
    """
    base = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    offset = base.utcoffset() or timedelta(0)
    utc_midnight = np.datetime64(base.replace(tzinfo=None) - offset, "s")
    elevation = solar_elevation(utc_midnight + minutes.astype("timedelta64[m]"))
    return np.where(elevation >= SUNSET_ELEVATION, 1, np.where(elevation >= CIVIL_TWILIGHT, 2, 5))
