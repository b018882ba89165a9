"""Citizen reports from the city's mobile app: a daily JSON document (an API dump) whose
``signalements`` key holds the reports created that day, with a photo flag (never the photo).

Volumes (and why): ``DAILY_MEAN`` = 120 reports a day (~44,000 a year): app reporting is smaller
than the phone and web channels of Allô Mairie, busiest on weekends and evenings; fly-tipping,
cleanliness and parking lead. GPS positions come with the phone's accuracy (median 12 m);
65 % of reports carry a photo. Accounts: 20,000 users per seed, a few very active ones (Zipf).
Timestamps are UTC with milliseconds (``2026-03-02T13:05:33.120Z``), as the app's backend
writes them; the file of day d holds the reports created on local day d.

Planted effects: lighting outages reported (ECLAIRAGE), cleanliness and parking complaints
after markets, weak-signal bursts (DEPOT_SAUVAGE, TAG).
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

import numpy as np

from simulator.base import FeedSimulator, Period
from simulator.declarations import codes as declared_codes
from simulator.feeds.common import daily_factor, hour_matrix, iso_offset, iso_utc_millis, local_times, shares
from simulator.feeds.texts import app_description
from simulator.incidents import day_points
from simulator.truth import Planted

FEED = "signalements_citoyens"
DAILY_MEAN = 120.0
USERS = 20_000
SHARES = {"DEPOT_SAUVAGE": 0.22, "TAG": 0.10, "NID_DE_POULE": 0.10, "ECLAIRAGE": 0.06, "STATIONNEMENT": 0.12, "BRUIT": 0.05,
          "PROPRETE": 0.15, "MOBILIER_URBAIN": 0.07, "VEGETATION": 0.05, "AUTRE": 0.08}
APP_HOURS = (0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.8, 2.5, 4.5, 5, 5, 5, 5, 4.8, 4.8, 5, 5.2, 5.8, 6.2, 5.8, 4.5, 3.2, 2.2, 1.4)
WEEKDAYS = (0.95, 0.95, 0.95, 0.95, 1.0, 1.15, 1.05)


class SignalementsCitoyens(FeedSimulator):
    """Daily JSON API dump (UTF-8), records under ``signalements``."""

    feed_name = FEED
    rows_per_day = 123
    line_terminator = "\n"
    delivery_after = (1, 0, 30)
    dirt_targets = {"unknown_code": "categorie"}
    added_column = ("version_app", "4.2.0")

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        self.codes = declared_codes(self.spec, "categorie")
        self.shares = shares(SHARES, self.codes)
        self.hours = hour_matrix({}, self.codes, APP_HOURS)
        self.statuses = declared_codes(self.spec, "statut")
        users = self.stream(0).integers(0, 16**10, USERS)
        self.users = [f"usr_{u:010x}" for u in users]
        zipf = 1 / np.arange(1, USERS + 1) ** 0.8
        self.user_p = zipf / zipf.sum()

    def json_head(self, period: Period, count: int, delivered_at: datetime) -> dict[str, Any]:
        return {"source": "application-signalements", "version_api": "2.3", "date_extraction": iso_offset(delivered_at.replace(tzinfo=None)),
                "jour": period.start.isoformat(), "nombre": count}

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        means = DAILY_MEAN * scale * daily_factor(day, WEEKDAYS, 0.1) * self.shares[:, None] * self.hours
        points = day_points(self.world, FEED, day, rng, self.codes, means).sorted()
        self.realised.update(points.realised())
        n = len(points)
        text = random.Random(int(rng.integers(2**63)))
        millis = rng.integers(0, 60_000, n)
        times = [t.replace(second=int(m // 1000), microsecond=int(m % 1000) * 1000) for t, m in zip(local_times(day, points.minute), millis, strict=True)]
        ids = rng.integers(0, 2**63, (n, 2))
        user = rng.choice(USERS, size=n, p=self.user_p)
        precision = np.minimum(np.round(rng.lognormal(np.log(12), 0.9, n)), 2000).astype(int)
        columns = self.empty_columns()
        for i in range(n):
            code = self.codes[points.cat[i]]
            hexa = f"{int(ids[i, 0]):016x}{int(ids[i, 1]):016x}"
            columns["signalement_id"].append(f"{hexa[:8]}-{hexa[8:12]}-4{hexa[13:16]}-a{hexa[17:20]}-{hexa[20:32]}")
            columns["cree_le"].append(iso_utc_millis(times[i]))
            columns["categorie"].append(code)
            columns["latitude"].append(round(float(points.lat[i]), 6))
            columns["longitude"].append(round(float(points.lon[i]), 6))
            columns["precision_m"].append(int(precision[i]))
            columns["avec_photo"].append(text.random() < 0.65)
            columns["description"].append(app_description(code, text, planted))
            columns["utilisateur_pseudo"].append(self.users[user[i]])
            columns["statut"].append(text.choices(self.statuses, [0.5, 0.3, 0.15, 0.05][: len(self.statuses)])[0])
        planted.user_ids.update(columns["utilisateur_pseudo"])
        return columns
