"""Road works permits (arrêtés temporaires de voirie): a weekly CSV of the permits signed that
week, sent on the Monday after (latin-1, ``;``, decimal comma, dates ``dd/mm/yyyy``).

Volumes (and why): ``PER_WORKING_DAY`` = 45 permits per working day (~11,000 a year): a city of
this size signs tens of thousands of temporary traffic and occupation orders a year; we keep
those that occupy the street. Mix (``NATURES``): utility networks 40 % (water, gas, power,
fibre: lane narrowing, alternating traffic, sometimes a closed street), building works 20 %
(scaffolding, skips: parking and pavement), removals 20 % (two parking spaces for a day;
the applicant is often a private person, whose name the file carries: dropped at ingestion),
road maintenance 15 %, filming and events 5 %. Works start 2-21 days after signature and last
from one day (removals) to four months (building works). Weekly file ~225 rows.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator, Period
from simulator.calendar import is_public_holiday
from simulator.feeds.common import coord_text
from simulator.geography import sample_points
from simulator.pii import random_name
from simulator.streets import random_address
from simulator.truth import Planted
from simulator.world import Permit

FEED = "voirie_chantiers"
PER_WORKING_DAY = 45.0
ID_SLOT = 1000

# nature: share, lead days, duration days (lo, hi), area m² (lo, hi), restrictions (code: share), max lanes
NATURES: dict[str, tuple[float, tuple[int, int], tuple[int, int], tuple[float, float], dict[str, float], int]] = {
    "RESEAUX": (0.40, (3, 21), (2, 30), (15, 300), {"CHAUSSEE_REDUITE": 0.45, "ALTERNAT": 0.3, "ROUTE_BARREE": 0.1, "STATIONNEMENT": 0.15}, 2),
    "IMMOBILIER": (0.20, (5, 21), (10, 120), (5, 80), {"STATIONNEMENT": 0.6, "AUCUNE": 0.3, "CHAUSSEE_REDUITE": 0.1}, 1),
    "DEMENAGEMENT": (0.20, (2, 10), (1, 1), (10, 30), {"STATIONNEMENT": 1.0}, 0),
    "VOIRIE": (0.15, (7, 21), (5, 60), (100, 3000), {"CHAUSSEE_REDUITE": 0.4, "ALTERNAT": 0.2, "ROUTE_BARREE": 0.3, "STATIONNEMENT": 0.1}, 3),
    "EVENEMENT": (0.05, (3, 14), (1, 3), (50, 2000), {"STATIONNEMENT": 0.5, "ROUTE_BARREE": 0.5}, 2),
}
REQUESTERS = {
    "RESEAUX": ("Eau de Marseille Métropole", "Enedis", "GRDF", "Orange", "Opérateur fibre optique", "Entreprise de travaux publics"),
    "IMMOBILIER": ("Entreprise de bâtiment", "Syndic de copropriété", "Société de ravalement", "Promoteur immobilier"),
    "VOIRIE": ("Métropole Aix-Marseille-Provence", "Ville de Marseille", "RTM (travaux de voie)"),
    "EVENEMENT": ("Société de production audiovisuelle", "Comité des fêtes", "Association sportive"),
}


def generate_permits(world: Any, day: date) -> list[Permit]:
    """Permits signed on ``day`` (working days only)."""
    if day.weekday() >= 5 or is_public_holiday(day):
        return []
    rng = world.stream("permits", day.toordinal())
    text = random.Random(int(rng.integers(2**63)))
    n = int(rng.poisson(PER_WORKING_DAY * world.scale))
    if n > ID_SLOT:
        raise ValueError(f"{n} road works permits on {day} exceed the {ID_SLOT} numbers reserved per day")
    natures = list(NATURES)
    kinds = rng.choice(len(natures), size=n, p=[NATURES[k][0] for k in natures])
    q = rng.choice(len(world.geo), size=n, p=world.geo.weights)
    lon, lat = sample_points(world.geo, q, rng)
    permits = []
    for i in range(n):
        nature = natures[kinds[i]]
        _, lead, duration, area, restrictions, max_lanes = NATURES[nature]
        start = day + timedelta(days=int(rng.integers(lead[0], lead[1] + 1)))
        end = start + timedelta(days=int(rng.integers(duration[0], duration[1] + 1)) - 1)
        restriction = str(rng.choice(list(restrictions), p=list(restrictions.values())))
        lanes = 0 if restriction in ("AUCUNE", "STATIONNEMENT") else int(rng.integers(1, max_lanes + 1)) if max_lanes else 0
        person = nature == "DEMENAGEMENT" and rng.random() < 0.7
        requester = random_name(text)[0] if person else ("Entreprise de déménagement" if nature == "DEMENAGEMENT" else text.choice(REQUESTERS[nature]))
        permits.append(Permit(
            id=f"{day.year}/{(day.timetuple().tm_yday - 1) * ID_SLOT + i + 1:06d}",
            issued=day, start=start, end=end, nature=nature, restriction=restriction, lanes=lanes,
            area_m2=round(float(rng.uniform(*area)), 1), address=random_address(text), requester=requester,
            requester_is_person=person, lat=float(lat[i]), lon=float(lon[i]),
        ))
    return permits


class VoirieChantiers(FeedSimulator):
    """Weekly CSV of the road works permits signed Monday to Sunday (sent the next Monday)."""

    feed_name = FEED
    rows_per_day = 31
    delivery_after = (1, 9, 0)
    dirt_targets = {"unknown_code": "nature"}
    added_column = ("Référence chantier", "")

    def period_columns(self, period: Period, rng: np.random.Generator, planted: Planted) -> dict[str, list[Any]]:
        spec = self.spec
        date_format, decimal = spec.format.date_format, spec.format.decimal
        columns = self.empty_columns()
        for day in period.days:
            permits = self.world.permits_issued(day)
            for p in permits:
                columns["arrete_id"].append(p.id)
                columns["arrete_le"].append(p.issued.strftime(date_format))
                columns["debut"].append(p.start.strftime(date_format))
                columns["fin"].append(p.end.strftime(date_format))
                columns["nature"].append(p.nature)
                columns["restriction"].append(p.restriction)
                columns["voies_neutralisees"].append(str(p.lanes))
                columns["emprise_m2"].append(f"{p.area_m2:.1f}".replace(".", decimal))
                columns["adresse"].append(p.address)
                columns["demandeur"].append(p.requester)
                columns["latitude"].append(coord_text([p.lat], decimal)[0])
                columns["longitude"].append(coord_text([p.lon], decimal)[0])
                if p.requester_is_person:
                    planted.names.add(p.requester)
        return columns
