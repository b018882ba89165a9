"""The shared point process: a feed's baseline of located, timed events for a day, plus the
extra events each planted effect adds.

A feed gives its expected counts by category and local hour for the day (``means``, C x 24) and
where its baseline happens (quartier weights, or its own placement, e.g. CSU cameras). The
effects configured for that feed then add rows:

- ``rain``: accident categories x multiplier in wet hours (city-wide);
- ``night_life``: night-life categories x multiplier in the listed quartiers at night;
- ``lighting_outage``: night-time rate x multiplier within the radius of active cabinet outages;
- ``event``: per 1,000 attendees within the radius of the venue, by hour relative to the event;
- ``school``: a fixed number per school and entry/exit window on school days, near the school;
- ``anomaly``: x multiplier of one category's rate in one quartier on the burst's days;
- ``outage_report`` / ``public_space``: reports near outages, complaints near works and markets.

Each row carries its cause (``CAUSES``) so the simulator can count what each effect added; the
cause is never written to a partner file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import shapely

from simulator.calendar import is_school_day
from simulator.geography import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON, quartier_of, sample_points
from simulator.seasonality import missing_local_hours
from simulator.world import World

CAUSES: tuple[str, ...] = (
    "base", "rain", "night_life", "lighting_outage", "event", "school", "anomaly", "outage_report", "public_space",
)
C_BASE, C_RAIN, C_NIGHT, C_OUTAGE, C_EVENT, C_SCHOOL, C_ANOMALY, C_REPORT, C_SPACE = range(len(CAUSES))
Placer = Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]


@dataclass
class Points:
    """Rows of a day: category index, local minute of day, position, cause."""

    cat: np.ndarray
    minute: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    cause: np.ndarray

    @staticmethod
    def empty() -> Points:
        z = np.zeros(0)
        return Points(z.astype(int), z.astype(int), z, z, z.astype(int))

    def __len__(self) -> int:
        return len(self.cat)

    @staticmethod
    def concat(parts: list[Points]) -> Points:
        parts = [p for p in parts if len(p)] or [Points.empty()]
        return Points(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("cat", "minute", "lon", "lat", "cause")))

    def take(self, index: np.ndarray) -> Points:
        return Points(self.cat[index], self.minute[index], self.lon[index], self.lat[index], self.cause[index])

    def sorted(self) -> Points:
        """In time order (ties in generation order), as partners export."""
        return self.take(np.argsort(self.minute, kind="stable"))

    def realised(self) -> dict[str, int]:
        counts = np.bincount(self.cause, minlength=len(CAUSES))
        return {CAUSES[i]: int(counts[i]) for i in range(1, len(CAUSES)) if counts[i]}


def hour_cdf(profiles: np.ndarray) -> np.ndarray:
    return np.cumsum(profiles / profiles.sum(axis=1, keepdims=True), axis=1)


def jitter_in_discs(world: World, lon0: np.ndarray, lat0: np.ndarray, radius_m: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One uniform point within ``radius_m`` of each centre, inside the city (retries at sea)."""
    n = len(lon0)
    lon, lat = np.array(lon0, dtype=float), np.array(lat0, dtype=float)
    pending = np.arange(n)
    for _ in range(30):
        if not len(pending):
            break
        r = radius_m / 1000 * np.sqrt(rng.random(len(pending)))
        theta = 2 * np.pi * rng.random(len(pending))
        xs = lon0[pending] + r * np.cos(theta) / KM_PER_DEGREE_LON
        ys = lat0[pending] + r * np.sin(theta) / KM_PER_DEGREE_LAT
        ok = shapely.contains_xy(world.geo.city, xs, ys)
        lon[pending[ok]], lat[pending[ok]] = xs[ok], ys[ok]
        pending = pending[~ok]
    return lon, lat  # the few still pending stay at their (inland) centre


def _expand(lam: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts for a (C, 24) rate matrix -> (category, hour) per row."""
    counts = rng.poisson(np.maximum(lam, 0))
    cat, hour = np.nonzero(counts)
    reps = counts[cat, hour]
    return np.repeat(cat, reps), np.repeat(hour, reps)


def _mix(codes: list[str], mix: dict[str, float] | list[str]) -> np.ndarray:
    """A category mix (dict of shares, or list = equal shares) as a probability vector over codes."""
    if isinstance(mix, list):
        mix = {str(c): 1.0 for c in mix}
    p = np.array([float(mix.get(code, 0.0)) for code in codes])
    return p / p.sum() if p.sum() else p


def _category_indices(codes: list[str], names: list[str] | dict | None) -> np.ndarray:
    if names is None:
        return np.arange(len(codes))
    return np.array([i for i, code in enumerate(codes) if code in set(map(str, names))], dtype=int)


def _weekend_night(day: date, hour: int) -> bool:
    return (hour >= 12 and day.weekday() in (3, 4, 5)) or (hour < 12 and day.weekday() in (4, 5, 6))


def _minutes(hour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return hour * 60 + rng.integers(0, 60, len(hour))


def day_points(
    world: World,
    feed: str,
    day: date,
    rng: np.random.Generator,
    codes: list[str],
    means: np.ndarray,
    weights: np.ndarray | None = None,
    place: Placer | None = None,
    effects_key: str | None = None,
) -> Points:
    """Baseline + effect rows of ``feed`` for ``day`` (not yet in time order).

    ``means``: expected baseline count per category and local hour (already x scale).
    ``weights``: quartier weights of the baseline (default: the city's). ``place``: optional
    placement of baseline rows (e.g. at cameras) instead of uniform points in quartiers.
    ``effects_key``: the key of this feed in the effects file (default: the feed name).
    """
    key = effects_key or feed
    cfg = world.effects
    geo = world.geo
    weights = geo.weights if weights is None else weights
    means = np.array(means, dtype=float)
    wet = world.wet_hours(day)
    night = world.night_hours(day)
    parts: list[Points] = []

    def located(cat: np.ndarray, hour: np.ndarray, cause: int) -> Points:
        if place is not None:
            lon, lat = place(len(cat), rng)
        else:
            q = rng.choice(len(geo), size=len(cat), p=weights)
            lon, lat = sample_points(geo, q, rng)
        return Points(cat, _minutes(hour, rng), lon, lat, np.full(len(cat), cause))

    # People stay in when it rains: night-life categories are thinned in wet hours.
    nl_cats = _category_indices(codes, cfg["night_life"]["categories"].get(key, []))
    if len(nl_cats) and wet.any():
        means[np.ix_(nl_cats, np.flatnonzero(wet))] *= cfg["rain"]["night_life_multiplier"]

    parts.append(located(*_expand(means, rng), C_BASE))

    # (d) rain: accident categories x multiplier in wet hours.
    rain_m = cfg["rain"]["multiplier"].get(key)
    if rain_m and wet.any():
        cats = _category_indices(codes, cfg["rain"]["categories"].get(key))
        lam = np.zeros_like(means)
        lam[np.ix_(cats, np.flatnonzero(wet))] = means[np.ix_(cats, np.flatnonzero(wet))] * (rain_m - 1)
        parts.append(located(*_expand(lam, rng), C_RAIN))

    # (e) night life: listed quartiers x multiplier at night hours.
    nl = cfg["night_life"]
    if len(nl_cats):
        hours = np.array(nl["hours"], dtype=int)
        boost = np.array([nl["weekend_boost"] if _weekend_night(day, int(h)) else 1.0 for h in hours])
        for code, multiplier in nl["quartiers"].items():
            q = int(np.flatnonzero(geo.codes == code)[0])
            lam = np.zeros_like(means)
            lam[np.ix_(nl_cats, hours)] = means[np.ix_(nl_cats, hours)] * weights[q] * (multiplier - 1) * boost
            cat, hour = _expand(lam, rng)
            lon, lat = sample_points(geo, np.full(len(cat), q), rng)
            parts.append(Points(cat, _minutes(hour, rng), lon, lat, np.full(len(cat), C_NIGHT)))

    # (a) lighting outages: night-time rate x multiplier within the radius.
    lo = cfg["lighting_outage"]
    outage_m = lo["night_multiplier"].get(key)
    if outage_m:
        cats = _category_indices(codes, lo["categories"].get(key))
        area_km2 = np.pi * (lo["radius_m"] / 1000) ** 2
        density = geo.density
        start_of_day = datetime.combine(day, datetime.min.time())
        for outage in world.sector_outages_active(day):
            dark = np.array([
                night[h] and outage.start < start_of_day + timedelta(hours=h + 1) and outage.repaired > start_of_day + timedelta(hours=h)
                for h in range(24)
            ])
            if not dark.any():
                continue
            q = int(quartier_of(geo, np.array([outage.lon]), np.array([outage.lat]))[0])
            local_share = density[q] * area_km2 if q >= 0 else 0.0
            lam = np.zeros_like(means)
            lam[np.ix_(cats, np.flatnonzero(dark))] = means[np.ix_(cats, np.flatnonzero(dark))] * local_share * (outage_m - 1)
            cat, hour = _expand(lam, rng)
            lon, lat = jitter_in_discs(world, np.full(len(cat), outage.lon), np.full(len(cat), outage.lat), lo["radius_m"], rng)
            parts.append(Points(cat, _minutes(hour, rng), lon, lat, np.full(len(cat), C_OUTAGE)))

    # (b) events: per 1,000 attendees, by hour relative to the event, within the radius.
    ev = cfg["events"]
    rate = ev["per_1000_attendees"].get(key)
    if rate:
        mix = _mix(codes, ev["categories"][key])
        for event in world.events_touching(day):
            for hour, share in event_hour_shares(event, ev["profile"], day):
                lam = event.attendance / 1000 * rate * ev["type_multiplier"].get(event.type, 1.0) * share * world.scale
                n = int(rng.poisson(lam))
                if not n:
                    continue
                cat = rng.choice(len(codes), size=n, p=mix)
                lon, lat = jitter_in_discs(world, np.full(n, event.lon), np.full(n, event.lat), ev["radius_m"], rng)
                parts.append(Points(cat, _minutes(np.full(n, hour), rng), lon, lat, np.full(n, C_EVENT)))

    # (c) schools: entry and exit windows on school days.
    sc = cfg["schools"]
    per_window = sc["extra_per_school_window"].get(key)
    if per_window:
        parts.append(_school_points(world, day, rng, codes, sc, per_window, key))

    # (f) weak-signal bursts.
    for burst in world.bursts_on(day, feed):
        c = codes.index(burst.category)
        lam = np.zeros_like(means)
        lam[c] = means[c] * weights[burst.quartier_index] * (burst.multiplier - 1)
        floor = float(world.effects["anomalies"].get("min_extra_per_day") or 0)
        if floor > 0 and 0 < lam[c].sum() < floor:
            lam[c] *= floor / lam[c].sum()  # a quiet cell still gets a burst someone could notice
        cat, hour = _expand(lam, rng)
        lon, lat = sample_points(geo, np.full(len(cat), burst.quartier_index), rng)
        parts.append(Points(cat, _minutes(hour, rng), lon, lat, np.full(len(cat), C_ANOMALY)))

    parts.append(_reports(world, feed, day, rng, codes))
    points = Points.concat(parts)
    for missing in sorted(missing_local_hours(day, "Europe/Paris")):
        shift = points.minute // 60 == missing
        points.minute[shift] += 60  # the clock jumps from 02:00 to 03:00: no time in between
    return points


def event_hour_shares(event, profile: dict, day: date) -> list[tuple[int, float]]:
    """(local hour of ``day``, share of the event's extra rows) for the hours of ``day``."""
    shares: dict[datetime, float] = {}
    for open_at, close_at in event.daily_windows():
        start = open_at.replace(minute=0)
        end = close_at.replace(minute=0)
        for offset, share in profile["before_start"].items():
            shares[start + timedelta(hours=int(offset))] = shares.get(start + timedelta(hours=int(offset)), 0) + share
        during = max(int((end - start).total_seconds() // 3600), 1)
        for h in range(during):
            t = start + timedelta(hours=h)
            shares[t] = shares.get(t, 0) + profile["during"] / during
        for offset, share in profile["after_end"].items():
            t = end + timedelta(hours=int(offset))
            shares[t] = shares.get(t, 0) + share
    return sorted((t.hour, s) for t, s in shares.items() if t.date() == day)


def _school_points(world: World, day: date, rng: np.random.Generator, codes: list[str], sc: dict, per_window: float, key: str) -> Points:
    schools = world.ref.schools
    level = schools["level"]
    wednesday = day.weekday() == 2
    windows: list[tuple[str, str, np.ndarray]] = []
    primary_open = is_school_day(day, "ecole")
    secondary_open = is_school_day(day, "secondaire")
    if wednesday:
        if secondary_open:
            windows.append((*sc["windows"]["entree"], level != "ecole"))
            windows.append((*sc["wednesday_noon"], level != "ecole"))
        if primary_open:  # before September 2018, écoles had Wednesday mornings
            windows.append((*sc["windows"]["entree"], level == "ecole"))
            windows.append((*sc["wednesday_noon"], level == "ecole"))
    else:
        for start, end in sc["windows"].values():
            mask = np.where(level == "ecole", primary_open, secondary_open)
            windows.append((start, end, mask))
    mix = _mix(codes, sc["categories"][key])
    parts = []
    for start, end, mask in windows:
        open_schools = np.flatnonzero(mask)
        n = int(rng.poisson(len(open_schools) * per_window * world.scale))
        if not n:
            continue
        chosen = rng.choice(open_schools, size=n)
        h0, m0 = map(int, start.split(":"))
        h1, m1 = map(int, end.split(":"))
        minute = rng.integers(h0 * 60 + m0, h1 * 60 + m1, n)
        lon, lat = jitter_in_discs(world, schools["lon"][chosen], schools["lat"][chosen], sc["radius_m"], rng)
        parts.append(Points(rng.choice(len(codes), size=n, p=mix), minute, lon, lat, np.full(n, C_SCHOOL)))
    return Points.concat(parts)


def _reports(world: World, feed: str, day: date, rng: np.random.Generator, codes: list[str]) -> Points:
    """Citizens reporting outages near them, and complaints near road works and markets."""
    parts = []
    lo = world.effects["lighting_outage"]
    per_day = lo["reports_per_outage_day"].get(feed)
    if per_day:
        c = codes.index(lo["report_category"][feed])
        for outage in world.sector_outages_active(day):
            n = int(rng.poisson(per_day * world.scale))
            if n:
                lon, lat = jitter_in_discs(world, np.full(n, outage.lon), np.full(n, outage.lat), lo["radius_m"], rng)
                hours = rng.integers(7, 21, n)
                parts.append(Points(np.full(n, c), _minutes(hours, rng), lon, lat, np.full(n, C_REPORT)))
    ps = world.effects["public_space"]
    mix = _mix(codes, ps["categories"].get(feed, {})) if feed in ps["categories"] else None
    per_site = ps["worksite_complaints_per_day"].get(feed)
    if per_site and mix is not None:
        sites = [p for p in world.worksites_active(day) if p.restriction != "AUCUNE"]
        n = int(rng.poisson(len(sites) * per_site * world.scale))
        if n:
            chosen = rng.integers(0, len(sites), n)
            lon, lat = jitter_in_discs(world, np.array([sites[i].lon for i in chosen]), np.array([sites[i].lat for i in chosen]), ps["radius_m"], rng)
            parts.append(Points(rng.choice(len(codes), size=n, p=mix), _minutes(rng.integers(8, 19, n), rng), lon, lat, np.full(n, C_SPACE)))
    per_session = ps["market_complaints_per_session"].get(feed)
    if per_session and mix is not None:
        held = [s for s in world.market_sessions(day) if s["status"] == "TENU"]
        n = int(rng.poisson(len(held) * per_session * world.scale))
        if n:
            chosen = rng.integers(0, len(held), n)
            lon, lat = jitter_in_discs(world, np.array([held[i]["lon"] for i in chosen]), np.array([held[i]["lat"] for i in chosen]), ps["radius_m"], rng)
            parts.append(Points(rng.choice(len(codes), size=n, p=mix), _minutes(rng.integers(7, 15, n), rng), lon, lat, np.full(n, C_SPACE)))
    return Points.concat(parts)
