"""Allô Mairie: the city's citizen request service (phone, website, app, e-mail, desk); a daily
CSV export of the requests created that day, with the caller's name, phone and e-mail.

Volumes (and why): ``DAILY_MEAN`` = 250 requests a day on average (~90,000 a year, ~100 per
1,000 inhabitants: the order of magnitude of French cities' "relation usagers" services), 30 %
more on working days than at weekends (the phone line closes on Sunday; web and app do not).
Themes: cleanliness and bulky waste first, then roads, parking, noise, lighting...
Channel depends on the hour (the phone line answers 08:00-18:00 on working days). Contacts:
a phone number for every phone call and 60 % of web forms; an e-mail for every web, app and
e-mail request. 25 % of requests are closed the same day (``Date de clôture``).

Planted effects: night life (BRUIT), citizens reporting lighting outages (ECLAIRAGE), complaints
near road works and markets, weak-signal bursts.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator
from simulator.declarations import codes as declared_codes
from simulator.feeds.common import EVENING, OFFICE, WORKDAYS, daily_factor, day_kind, hour_matrix, local_times, on_the_clock, shares
from simulator.feeds.texts import allo_description
from simulator.incidents import day_points
from simulator.pii import random_email, random_name, random_phone
from simulator.streets import random_address
from simulator.truth import Planted

FEED = "allo_mairie_demandes"
DAILY_MEAN = 250.0
ID_SLOT = 5000

SHARES = {
    "PROPRETE": 0.22, "ENCOMBRANTS": 0.12, "VOIRIE": 0.14, "ECLAIRAGE": 0.06, "BRUIT": 0.08, "STATIONNEMENT": 0.10,
    "ESPACES_VERTS": 0.07, "TAGS": 0.06, "ANIMAUX": 0.04, "OCCUPATION_ESPACE_PUBLIC": 0.04, "AUTRE": 0.07,
}
WEB_HOURS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 4.5, 4.5, 4.2, 3.8, 4, 4.2, 4.2, 4, 3.8, 3.6, 3.5, 3.4, 3.2, 2.6, 1.8)
HOURS = {"BRUIT": EVENING}
PHONE_OPEN = range(8, 18)


class AlloMairieDemandes(FeedSimulator):
    """Daily CSV export of the CRM (UTF-8, ``;``, decimal comma, ``\\r\\n``)."""

    feed_name = FEED
    rows_per_day = 265
    delivery_after = (1, 6, 0)
    dirt_targets = {"unknown_code": "thematique"}
    added_column = ("Quartier", "")

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        self.codes = declared_codes(self.spec, "thematique")
        self.shares = shares(SHARES, self.codes)
        mixed = 0.6 * np.array(OFFICE) / sum(OFFICE) + 0.4 * np.array(WEB_HOURS) / sum(WEB_HOURS)
        self.hours = hour_matrix(HOURS, self.codes, tuple(mixed))
        self.channels = declared_codes(self.spec, "canal")
        self.statuses = declared_codes(self.spec, "statut")

    def _channel(self, day: date, hour: int, rnd: random.Random) -> str:
        phone_open = (day_kind(day) < 5 and hour in PHONE_OPEN) or (day_kind(day) == 5 and 9 <= hour < 12)
        if phone_open:
            options, weights = ("TEL", "WEB", "APP", "COURRIEL", "GUICHET"), (0.55, 0.2, 0.15, 0.06, 0.04)
        else:
            options, weights = ("WEB", "APP", "COURRIEL"), (0.5, 0.4, 0.1)
        return rnd.choices(options, weights)[0]

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        spec = self.spec
        fmt, decimal = spec.format.datetime_format, spec.format.decimal
        means = DAILY_MEAN * scale * daily_factor(day, WORKDAYS, 0.05) * self.shares[:, None] * self.hours
        points = day_points(self.world, FEED, day, rng, self.codes, means).sorted()
        self.realised.update(points.realised())
        n = len(points)
        if n > ID_SLOT:
            raise ValueError(f"{n} Allô Mairie requests on {day} exceed the {ID_SLOT} numbers reserved per day")
        text = random.Random(int(rng.integers(2**63)))
        seconds = rng.integers(0, 60, n)
        times = [t.replace(second=int(s)) for t, s in zip(local_times(day, points.minute), seconds, strict=True)]
        first = (day.timetuple().tm_yday - 1) * ID_SLOT + 1
        columns = self.empty_columns()
        for i in range(n):
            code = self.codes[points.cat[i]]
            channel = self._channel(day, times[i].hour, text)
            name = random_name(text)[0]
            wants_phone = {"TEL": 1.0, "GUICHET": 0.7, "WEB": 0.6, "APP": 0.3, "COURRIEL": 0.2}[channel]
            wants_mail = {"WEB": 1.0, "APP": 1.0, "COURRIEL": 1.0, "TEL": 0.2, "GUICHET": 0.1}[channel]
            phone = random_phone(text) if text.random() < wants_phone else ""
            email = random_email(text, name) if text.random() < wants_mail else ""
            planted.names.add(name)
            if phone:
                planted.phones.add(phone)
            if email:
                planted.emails.add(email)
            closed = text.random() < 0.25
            closing = on_the_clock(times[i] + timedelta(minutes=text.randint(20, 600))) if closed else None
            if closing is not None and closing.date() > day:
                closing = None
                closed = False
            status = "CLOTUREE" if closed else text.choices(("NOUVELLE", "EN_COURS", "TRANSMISE"), (0.3, 0.3, 0.4))[0]
            columns["demande_id"].append(f"AM{day.year}{first + i:07d}")
            columns["cree_le"].append(times[i].strftime(fmt))
            columns["thematique"].append(code)
            columns["canal"].append(channel)
            columns["adresse"].append(random_address(text))
            columns["latitude"].append(f"{points.lat[i]:.6f}".replace(".", decimal))
            columns["longitude"].append(f"{points.lon[i]:.6f}".replace(".", decimal))
            columns["demandeur_nom"].append(name)
            columns["demandeur_telephone"].append(phone)
            columns["demandeur_courriel"].append(email)
            columns["description"].append(allo_description(code, text, planted))
            columns["statut"].append(status)
            columns["cloture_le"].append(closing.strftime(fmt) if closing else "")
        return columns
