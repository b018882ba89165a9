"""The municipal police (DPM) as a partner: one CSV of mains courantes per day.

Volumes (the figures, and why)
------------------------------
- ``DAILY_MEAN`` = 180 mains courantes a day for the whole city (~66,000 a year, ~74 per 1,000
  of the 886,040 inhabitants). Why: Marseille's municipal police has about ``AGENTS`` = 450
  agents. With three shifts, rest days and leave, about a third are on duty on a given day, in
  crews of two or three: ~60 crew-shifts. A crew logs about three interventions per shift
  (calls dispatched by the CIC plus what it sees on patrol): ~180. An order of magnitude chosen
  to give a realistic load, not a published statistic.
- Category mix (``PROFILES[code].share``, an assumption): parking (STA, 17 %) and noise (TAP,
  16 %) lead, the core of a municipal police's daily work; codes the catalog declares but this
  table lacks get the ``DEFAULT_PROFILE``; undeclared codes are written only as dirt.
- Weekday: night categories (TAP, IVP, RIX, DEG) peak on Friday and Saturday (Sunday counts the
  early hours of Saturday night); parking and street occupation drop on Sunday. Each code's
  weekday factors are normalised to average 1, so ``DAILY_MEAN`` stays the yearly mean.
- Season: a cosine peaking mid-July, amplitude 5 % to 20 % by category (night life, terraces and
  tourism in summer).
- Festive nights (1 Jan, 21 June, 14 July, 31 Dec): night categories x1.6 to x2.5.
- Public holidays (``calendar.py``) count as Sundays.
- Each category's count is Poisson around its mean, so a day's total is Poisson too; everything
  is multiplied by ``scale``.
- On top of this baseline, the planted effects (``effects.default.yaml``: events, night life,
  lighting outages, school windows, rain on ACC, weak-signal bursts) add rows; with the default
  sizes they add ~8 % over a year (more on match days and festive nights).
- Resulting range at scale 1: daily mean ~154 (winter weekday) to ~223 (summer Saturday), ~200
  on New Year's Day, ~246 on 14 July, ~282 for a Fête de la musique on a weekend; the yearly
  baseline mean is 180. With the planted effects (the 14 July fireworks add ~85, a match ~55)
  the busiest days reach a mean of ~350, so observed counts stay within ``DAILY_RANGE`` =
  100-480 (extreme means +/- 4 standard deviations). A year holds ~72,000 rows (~19 MB of CSV).

Hours follow category profiles (night for TAP/IVP/RIX, daytime for STA/OVP, commuting peaks for
ACC...), in Paris local time, never in the hour skipped when clocks go forward.

Ids are "MC-YYYY-NNNNNN": NNNNNN = (day of year - 1) x ``ID_SLOT`` + rank in the day, so numbers
increase through the year like the software's counter, while each day is generated on its own.
Six digits (the contract's pattern) leave room for 2,700 a day, i.e. ``scale`` up to about 9 on
the busiest days; a larger scale is refused before anything is written, rather than producing
ids that overlap the next day or that the contract rejects.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from orchestration.core.catalog import feed
from simulator.base import FeedSimulator
from simulator.calendar import is_public_holiday
from simulator.feeds.common import COMMUTE, DAYTIME, EVENING, FLAT, NIGHT, WEEKEND_NIGHTS, WORKDAYS
from simulator.incidents import day_points
from simulator.pii import random_name
from simulator.police_recits import recit
from simulator.seasonality import is_festive, season_factor
from simulator.streets import random_address
from simulator.truth import Planted

FEED = "police_mains_courantes"
DAILY_MEAN = 180.0
DAILY_RANGE = (100, 480)  # documented bounds of a day's clean rows at scale 1 (see above)
AGENTS = 450
EFFECTS_MARGIN = 1.4  # planted effects add up to ~40 % on the busiest days (match + festive night)
ID_SLOT = 2700  # ids reserved per day: 366 x 2,700 still fits the six digits of "MC-YYYY-NNNNNN"


# Relative weights by hour of day, 0h..23h (the shared ones come from feeds/common.py).
AFTERNOON = (1, 0.7, 0.5, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4, 4.5, 4.5, 4.5, 5, 5.5, 6, 6, 5.5, 5, 4, 3, 2, 1.5)
LATE = (3, 2, 1.2, 0.6, 0.3, 0.2, 0.2, 0.4, 0.8, 1.2, 2, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 6.5, 6, 5.5, 5, 4)
HOME = (2.5, 1.5, 1, 0.6, 0.4, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 3, 3, 3, 3.5, 4, 4.5, 5, 5.5, 5.5, 5, 4.5, 3.5)
OFFICE = (0.8, 0.6, 0.5, 0.4, 0.4, 0.5, 1, 2, 3, 3.5, 3.5, 3.5, 3, 3, 3.5, 3.5, 3.5, 3.5, 3, 2.5, 2, 1.5, 1.2, 1)

# Relative weights by weekday, Monday..Sunday (normalised to mean 1 when used).
TRAFFIC = (1.05, 1.05, 1.05, 1.05, 1.1, 0.85, 0.75)
LEISURE = (0.95, 0.95, 0.95, 0.95, 1.0, 1.1, 1.1)


@dataclass(frozen=True)
class NatureProfile:
    """How one nature code behaves: share of the volume, timing, and what its rows contain."""

    share: float
    hours: tuple[float, ...]
    weekdays: tuple[float, ...]
    summer: float  # seasonal amplitude
    festive: float  # multiplier on festive days
    p_person: float  # chance the "person implicated" column is filled
    p_plate: float  # chance the narrative cites plates


PROFILES: dict[str, NatureProfile] = {
    "TAP": NatureProfile(0.16, NIGHT, WEEKEND_NIGHTS, 0.20, 2.0, 0.20, 0.05),
    "RIX": NatureProfile(0.06, EVENING, WEEKEND_NIGHTS, 0.20, 1.8, 0.60, 0.10),
    "DEG": NatureProfile(0.07, EVENING, WEEKEND_NIGHTS, 0.10, 1.6, 0.35, 0.20),
    "VOL": NatureProfile(0.08, AFTERNOON, FLAT, 0.10, 1.0, 0.45, 0.25),
    "STU": NatureProfile(0.06, LATE, FLAT, 0.05, 1.0, 0.70, 0.20),
    "IVP": NatureProfile(0.06, NIGHT, WEEKEND_NIGHTS, 0.20, 2.5, 0.55, 0.05),
    "STA": NatureProfile(0.17, DAYTIME, WORKDAYS, 0.05, 1.0, 0.10, 0.85),
    "OVP": NatureProfile(0.08, DAYTIME, WORKDAYS, 0.15, 1.0, 0.30, 0.20),
    "ACC": NatureProfile(0.07, COMMUTE, TRAFFIC, 0.05, 1.0, 0.25, 0.90),
    "DIV": NatureProfile(0.09, HOME, LEISURE, 0.05, 1.0, 0.35, 0.05),
    "AUT": NatureProfile(0.10, OFFICE, FLAT, 0.05, 1.0, 0.10, 0.10),
}
DEFAULT_PROFILE = NatureProfile(0.05, OFFICE, FLAT, 0.05, 1.0, 0.20, 0.10)


def nature_codes() -> list[str]:
    """The declared nature codes, in catalog order (the catalog is the only list)."""
    return list(feed(FEED).column("code_nature").codes or {})


def _profiles() -> list[NatureProfile]:
    return [PROFILES.get(code, DEFAULT_PROFILE) for code in nature_codes()]


def category_means(day: date, scale: float = 1.0) -> np.ndarray:
    """Expected count per nature code (catalog order) for ``day``."""
    profiles = _profiles()
    total_share = sum(p.share for p in profiles)
    festive = is_festive(day)
    weekday_index = 6 if is_public_holiday(day) else day.weekday()
    means = []
    for p in profiles:
        weekday = p.weekdays[weekday_index] / (sum(p.weekdays) / 7)
        mean = DAILY_MEAN * p.share / total_share * weekday * season_factor(day, p.summer)
        means.append(mean * (p.festive if festive else 1.0) * scale)
    return np.array(means)


def expected_daily_mean(day: date, scale: float = 1.0) -> float:
    """Expected number of clean baseline rows in the delivery of ``day`` (before planted effects)."""
    return float(category_means(day, scale).sum())


def hour_profiles() -> np.ndarray:
    """Hour-of-day shares per nature code (catalog order), rows summing to 1."""
    hours = np.array([p.hours for p in _profiles()], dtype=float)
    return hours / hours.sum(axis=1, keepdims=True)


class PoliceMainsCourantes(FeedSimulator):
    """Daily export of the municipal police's main courante software."""

    feed_name = FEED
    rows_per_day = 195

    def __init__(self, seed: int, world: object = None) -> None:
        super().__init__(seed, world)
        self.codes = np.array(nature_codes())
        profiles = _profiles()
        self.hours = hour_profiles()
        self.p_person = np.array([p.p_person for p in profiles])
        self.p_plate = np.array([p.p_plate for p in profiles])
        # The force's roster: fixed for a seed, shared by every day of the simulation.
        pool = self.stream(0).choice(np.arange(1, 10_000), size=AGENTS, replace=False)
        self.agents = np.array([f"PM{number:04d}" for number in np.sort(pool)])

    def check(self, start: date, days: int, scale: float) -> None:
        """Refuse a scale whose busiest day could overflow the day's block of ids."""
        for offset in range(days):
            day = start + timedelta(days=offset)
            mean = expected_daily_mean(day, scale) * EFFECTS_MARGIN
            if mean + 6 * math.sqrt(mean) > ID_SLOT:
                raise ValueError(
                    f"scale {scale} gives ~{mean:.0f} mains courantes on {day} on average, too close to "
                    f"the {ID_SLOT} six-digit ids a day can hold; use a smaller scale"
                )

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[str]]:
        spec = self.spec
        means = category_means(day, scale)[:, None] * self.hours
        points = day_points(self.world, FEED, day, rng, list(self.codes), means).sorted()
        self.realised.update(points.realised())
        n = len(points)
        if n > ID_SLOT:
            raise ValueError(f"{n} mains courantes on {day} exceed the {ID_SLOT} ids reserved per day")
        code, minute_of_day, lon, lat = points.cat, points.minute, points.lon, points.lat

        agent = self.agents[rng.integers(0, len(self.agents), n)]
        has_person = rng.random(n) < self.p_person[code]
        # Text is built row by row: Python's Random is much faster than numpy for scalar draws.
        text = random.Random(int(rng.integers(2**63)))

        datetime_format, decimal = spec.format.datetime_format, spec.format.decimal
        first_number = (day.timetuple().tm_yday - 1) * ID_SLOT + 1
        columns: dict[str, list[str]] = {c.name: [] for c in spec.columns}
        for i in range(n):
            nature = str(self.codes[code[i]])
            person = ""
            if has_person[i]:
                person = random_name(text)[0]
                planted.names.add(person)
            occurred = datetime(day.year, day.month, day.day, *divmod(int(minute_of_day[i]), 60))
            columns["incident_id"].append(f"MC-{day.year}-{first_number + i:06d}")
            columns["occurred_at"].append(occurred.strftime(datetime_format))
            columns["code_nature"].append(nature)
            columns["adresse"].append(random_address(text))
            columns["latitude"].append(f"{lat[i]:.6f}".replace(".", decimal))
            columns["longitude"].append(f"{lon[i]:.6f}".replace(".", decimal))
            columns["agent_pseudo"].append(str(agent[i]))
            columns["personne_pseudo"].append(person)
            columns["recit"].append(recit(nature, person, float(self.p_plate[code[i]]), text, planted))
        planted.agent_ids.update(columns["agent_pseudo"])
        return columns
