"""Public lighting outages: the maintenance contractor's daily export of the interventions
closed that day (one row per lamp repaired, so a cabinet failure gives one row per lamp).

Volumes (and why):
- ``SINGLE_PER_DAY`` = 18 single-lamp faults a day (~6,600 a year): about 10 % of the city's
  65,000 light points fail each year (lamp end of life, vandalism, a mast hit by a car).
- Cabinet (armoire) and cable faults: ``lighting_outage.sector_outages_per_day`` in the effects
  file (default 0.6 a day, ~220 a year); a cabinet fault darkens every lamp of the cabinet
  (median ~12, up to ~100), a cable fault about half of them. These are the outages whose
  night-time effect on incidents and accidents is planted.
- Detection: remote monitoring (télégestion) reports cabinets within hours; single lamps wait
  for a patrol, a police report or a citizen (Allô Mairie), 0.5-2 days.
- Repair: working hours; cabinets after a median 1.5 days (at most 10), single lamps after a
  median 4 days (at most 40).
- Rows a day at scale 1: ~18 + 0.6 x 25 ~ 33 (~12,000 a year).

Outages are drawn per day of failure from the world's stream, so the outage an accident feed
sees at night is the one this feed delivers on its repair day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator
from simulator.calendar import is_public_holiday
from simulator.feeds.common import coord_text, on_the_clock
from simulator.truth import Planted
from simulator.world import Outage

FEED = "eclairage_pannes"
SINGLE_PER_DAY = 18.0
ID_SLOT = 400  # intervention numbers reserved per day of failure
TECHNICIANS = 40


def _working_time(moment: datetime, rng: np.random.Generator) -> datetime:
    """The first working-hours slot at or after ``moment`` (Mon-Fri, 08:00-17:00, not holidays)."""
    day = moment.date()
    while True:
        if day.weekday() < 5 and not is_public_holiday(day):
            start = datetime.combine(day, time(8, 0)) + timedelta(minutes=int(rng.integers(0, 9 * 60)))
            if start > moment:
                return start
        day += timedelta(days=1)


def generate_outages(world: Any, day: date) -> list[Outage]:
    """Outages whose lamps went dark on ``day`` (the evening, when the lights switch on)."""
    rng = world.stream("outages", day.toordinal())
    lamps = world.ref.lamps
    cabinet_of = lamps["cabinet_index"]
    first_lamp = np.searchsorted(cabinet_of, np.arange(cabinet_of.max() + 1))
    n_single = int(rng.poisson(SINGLE_PER_DAY * world.scale))
    n_sector = int(rng.poisson(world.effects["lighting_outage"]["sector_outages_per_day"] * world.scale))
    if n_single + n_sector > ID_SLOT:
        raise ValueError(f"{n_single + n_sector} lighting outages on {day} exceed the {ID_SLOT} ids reserved per day")
    outages = []
    technicians = [f"TEC{k:03d}" for k in range(1, TECHNICIANS + 1)]
    for k in range(n_single + n_sector):
        sector = k >= n_single
        lamp = int(rng.integers(len(lamps["id"])))
        if sector:
            c = int(cabinet_of[lamp])
            members = np.arange(first_lamp[c], first_lamp[c + 1] if c + 1 < len(first_lamp) else len(cabinet_of))
            kind = "ARMOIRE" if rng.random() < 0.7 or len(members) < 4 else "CABLE"
            if kind == "CABLE":
                members = members[: max(2, len(members) // 2)]
        else:
            members = np.array([lamp])
            kind = str(rng.choice(["LAMPE", "CANDELABRE_ACCIDENTE", "VANDALISME"], p=[0.85, 0.05, 0.10]))
        start = datetime.combine(day, time(17, 0)) + timedelta(minutes=int(rng.integers(0, 7 * 60)))
        if sector:
            origin = "TELEGESTION" if rng.random() < 0.8 else "POLICE"
            reported = on_the_clock(start + timedelta(minutes=int(rng.integers(20, 240))))
            delay = min(float(rng.lognormal(np.log(1.5), 0.6)), 10.0)
        else:
            origin = str(rng.choice(["PATROUILLE", "ALLO_MAIRIE", "POLICE", "TELEGESTION"], p=[0.45, 0.3, 0.1, 0.15]))
            reported = on_the_clock(start + timedelta(hours=float(rng.uniform(12, 48))))
            delay = min(float(rng.lognormal(np.log(4), 0.7)), 40.0)
        repaired = _working_time(reported + timedelta(days=delay), rng)
        outages.append(Outage(
            id=f"EP{day.year}-{(day.timetuple().tm_yday - 1) * ID_SLOT + k + 1:06d}",
            kind=kind,
            lamps=members,
            cabinet=str(lamps["cabinet"][members[0]]),
            lat=float(lamps["lat"][members].mean()),
            lon=float(lamps["lon"][members].mean()),
            start=start,
            reported=reported,
            repaired=repaired,
            origin=origin,
            technician=technicians[int(rng.integers(TECHNICIANS))],
        ))
    return outages


class EclairagePannes(FeedSimulator):
    """Daily CSV of lighting interventions closed that day (latin-1, ``;``, decimal comma)."""

    feed_name = FEED
    rows_per_day = 37
    delivery_after = (1, 7, 0)
    dirt_targets = {"unknown_code": "type_panne"}
    added_column = ("Puissance (W)", "70")

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        spec = self.spec
        fmt, decimal = spec.format.datetime_format, spec.format.decimal
        lamps = self.world.ref.lamps
        columns = self.empty_columns()
        for outage in self.world.outages_repaired(day):
            ids = lamps["id"][outage.lamps]
            n = len(ids)
            columns["intervention_id"] += [outage.id] * n
            columns["point_lumineux"] += ids.tolist()
            columns["armoire"] += lamps["cabinet"][outage.lamps].tolist()
            columns["type_panne"] += [outage.kind] * n
            columns["origine"] += [outage.origin] * n
            columns["debut_panne"] += [outage.start.strftime(fmt)] * n
            columns["signale_le"] += [outage.reported.strftime(fmt)] * n
            columns["repare_le"] += [outage.repaired.strftime(fmt)] * n
            columns["latitude"] += coord_text(lamps["lat"][outage.lamps], decimal)
            columns["longitude"] += coord_text(lamps["lon"][outage.lamps], decimal)
            columns["technicien_pseudo"] += [outage.technician] * n
            planted.agent_ids.add(outage.technician)
        return columns
