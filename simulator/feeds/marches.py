"""Street markets: the markets office's monthly CSV of market sessions (one row per market and
day it is held or cancelled), sent on the 5th of the following month.

Volumes (and why): the 37 markets of ``reference_tables`` (the best-known real ones, and one
market in 30 other quartiers drawn per seed) hold ~170 sessions a week, ~750 rows a month.
Stalls vary around the market's usual count (80-105 %, 10 % fewer in August); sessions falling
on a public holiday are cancelled seven times in ten, other sessions once in a hundred
(weather, works).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from simulator.base import FeedSimulator, Period
from simulator.calendar import is_public_holiday
from simulator.feeds.common import coord_text
from simulator.truth import Planted

FEED = "marches"
MAX_STALLS = 400


def sessions(world: Any, day: date) -> list[dict[str, Any]]:
    """The market sessions of ``day`` (held or cancelled)."""
    rng = world.stream("markets", day.toordinal())
    found = []
    for market in world.ref.markets:
        if day.weekday() not in market.weekdays:
            continue
        cancelled = rng.random() < (0.7 if is_public_holiday(day) else 0.01)
        summer = 0.9 if day.month == 8 else 1.0
        stalls = 0 if cancelled else int(min(MAX_STALLS, round(market.stalls * rng.uniform(0.8, 1.05) * summer)))
        found.append({"market": market, "status": "ANNULE" if cancelled else "TENU", "stalls": stalls,
                      "lat": market.lat, "lon": market.lon})
    return found


class Marches(FeedSimulator):
    """Monthly CSV of market sessions (UTF-8, ``;``)."""

    feed_name = FEED
    rows_per_day = 11.5
    scaled = False
    delivery_after = (5, 11, 0)
    dirt_targets = {"unknown_code": "type_marche"}
    added_column = ("Placier", "")

    def period_columns(self, period: Period, rng: np.random.Generator, planted: Planted) -> dict[str, list[Any]]:
        spec = self.spec
        date_format, decimal = spec.format.date_format, spec.format.decimal
        columns = self.empty_columns()
        for day in period.days:
            for s in self.world.market_sessions(day):
                m = s["market"]
                columns["marche_id"].append(m.code)
                columns["nom"].append(m.name)
                columns["lieu"].append(m.place)
                columns["jour"].append(day.strftime(date_format))
                columns["heure_debut"].append(m.start)
                columns["heure_fin"].append(m.end)
                columns["type_marche"].append(m.kind)
                columns["nb_etals"].append(str(s["stalls"]))
                columns["statut"].append(s["status"])
                columns["latitude"].append(coord_text([m.lat], decimal)[0])
                columns["longitude"].append(coord_text([m.lon], decimal)[0])
        return columns
