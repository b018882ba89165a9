"""The Bataillon de marins-pompiers de Marseille (BMPM): a daily CSV of the interventions whose
call came in that day, with call, departure, on-scene and end times.

Volumes (and why): ``DAILY_MEAN`` = 340 interventions a day (~124,000 a year), the order of
magnitude the BMPM reports for the city (120,000-130,000 a year), three quarters of them rescue
to people (SAP). Vegetation fires peak in summer (x ~3 in July-August), bins and car fires at
night, road accidents at commuting hours. Timing: departure 1-4 min after the call, on scene a
median 8 min later, on scene 15 min (false alarm) to 3 h (vegetation fire); 30 % of false alarms
are cancelled en route (no on-scene time).

Planted effects: events and night life (SAP_VP), lighting outages (SAP_VP, AVP at night),
rain (AVP). The file is written by a server: UTF-8, ``,``, decimal point, ``\\n``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator
from simulator.declarations import codes as declared_codes
from simulator.feeds.common import (
    ALL_DAY,
    COMMUTE,
    DAYTIME,
    EVENING,
    FLAT,
    NIGHT,
    WEEKEND_NIGHTS,
    daily_factor,
    hour_matrix,
    local_times,
    on_the_clock,
    shares,
)
from simulator.feeds.texts import pompiers_observation
from simulator.geography import quartier_of
from simulator.incidents import day_points
from simulator.streets import random_address
from simulator.truth import Planted

FEED = "marins_pompiers_interventions"
DAILY_MEAN = 340.0
ID_SLOT = 2500

SHARES = {
    "SAP": 0.52, "SAP_VP": 0.10, "AVP": 0.08, "INC_HABITATION": 0.03, "INC_VEHICULE": 0.03, "INC_POUBELLE": 0.05,
    "FEU_VEGETATION": 0.02, "OPERATION_DIVERSE": 0.12, "FAUSSE_ALERTE": 0.05,
}
HOURS = {
    "SAP": ALL_DAY, "SAP_VP": EVENING, "AVP": COMMUTE, "INC_HABITATION": EVENING, "INC_VEHICULE": NIGHT, "INC_POUBELLE": NIGHT,
    "FEU_VEGETATION": DAYTIME, "OPERATION_DIVERSE": DAYTIME, "FAUSSE_ALERTE": ALL_DAY,
}
SUMMER = {"FEU_VEGETATION": 0.9, "SAP_VP": 0.2, "INC_POUBELLE": 0.1}
WEEKEND = ("SAP_VP", "INC_VEHICULE", "INC_POUBELLE")
DURATION_MIN = {"SAP": 45, "SAP_VP": 40, "AVP": 50, "INC_HABITATION": 120, "INC_VEHICULE": 50, "INC_POUBELLE": 30,
                "FEU_VEGETATION": 180, "OPERATION_DIVERSE": 60, "FAUSSE_ALERTE": 15}
VICTIMS = {"SAP": 1.0, "SAP_VP": 1.2, "AVP": 1.4, "INC_HABITATION": 0.3, "INC_VEHICULE": 0.05, "FEU_VEGETATION": 0.02}
ENGINES = {"INC_HABITATION": (3, 8), "FEU_VEGETATION": (3, 15), "AVP": (1, 4), "INC_VEHICULE": (1, 2)}


class MarinsPompiersInterventions(FeedSimulator):
    """Daily CSV from the BMPM's dispatch system."""

    feed_name = FEED
    rows_per_day = 350
    line_terminator = "\n"
    delivery_after = (1, 3, 0)
    dirt_targets = {"unknown_code": "motif"}
    added_column = ("CODE_SINUS", "")

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        self.codes = declared_codes(self.spec, "motif")
        self.shares = shares(SHARES, self.codes)
        self.hours = hour_matrix(HOURS, self.codes, ALL_DAY)

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        spec = self.spec
        fmt = spec.format.datetime_format
        factor = np.array([daily_factor(day, WEEKEND_NIGHTS if c in WEEKEND else FLAT, SUMMER.get(c, 0.05)) for c in self.codes])
        means = DAILY_MEAN * scale * (self.shares * factor)[:, None] * self.hours
        points = day_points(self.world, FEED, day, rng, self.codes, means).sorted()
        self.realised.update(points.realised())
        n = len(points)
        if n > ID_SLOT:
            raise ValueError(f"{n} interventions on {day} exceed the {ID_SLOT} numbers reserved per day")
        text = random.Random(int(rng.integers(2**63)))
        calls = [t + timedelta(seconds=int(s)) for t, s in zip(local_times(day, points.minute), rng.integers(0, 60, n), strict=True)]
        arrondissement = self.world.geo.arrondissements[np.maximum(quartier_of(self.world.geo, points.lon, points.lat), 0)]
        victim_rate = np.array([0.0 if c in ("FAUSSE_ALERTE", "OPERATION_DIVERSE", "INC_POUBELLE") else VICTIMS.get(c, 0.5) for c in self.codes])
        victims = np.minimum(rng.poisson(victim_rate[points.cat]), 12)
        first = (day.timetuple().tm_yday - 1) * ID_SLOT + 1
        columns = self.empty_columns()
        for i in range(n):
            code = self.codes[points.cat[i]]
            call = calls[i]
            departure = on_the_clock(call + timedelta(seconds=text.randint(60, 240)))
            cancelled = code == "FAUSSE_ALERTE" and text.random() < 0.3
            arrival = None if cancelled else on_the_clock(departure + timedelta(minutes=max(2.0, text.lognormvariate(np.log(8), 0.4))))
            end = on_the_clock((arrival or departure) + timedelta(minutes=max(5.0, text.lognormvariate(np.log(DURATION_MIN.get(code, 45)), 0.5))))
            lo, hi = ENGINES.get(code, (1, 2))
            columns["intervention_id"].append(f"{day.year}-{first + i:06d}")
            columns["appel_le"].append(call.strftime(fmt))
            columns["depart_le"].append(departure.strftime(fmt))
            columns["arrivee_le"].append(arrival.strftime(fmt) if arrival else "")
            columns["fin_le"].append(end.strftime(fmt))
            columns["motif"].append(code)
            columns["centre"].append(f"CS{arrondissement[i][-2:]}")
            columns["adresse"].append(random_address(text))
            columns["latitude"].append(f"{points.lat[i]:.6f}")
            columns["longitude"].append(f"{points.lon[i]:.6f}")
            columns["nb_victimes"].append(str(int(victims[i])))
            columns["nb_engins"].append(str(text.randint(lo, hi)))
            columns["observations"].append(pompiers_observation(code, text, planted) or "")
        return columns
