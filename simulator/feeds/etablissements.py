"""Schools reference: the Éducation nationale's open "Annuaire de l'éducation", restricted to the
commune, downloaded as a full snapshot on the first of each month (CSV ``;``, UTF-8).

Volumes (and why): the ~560 schools of ``reference_tables`` (écoles, collèges, lycées; see
``SCHOOL_COUNTS``), every one in every monthly snapshot: ~18 rows per day of the month. The UAI
is the real format (seven digits and a check letter, the letter being the digits modulo 23 in
the ministry's alphabet); about one school in five is private under contract (the national
share). The snapshot is the same school list every month (the reference tables are fixed for a
seed), as the real annuaire is between two school years.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import numpy as np

from simulator.base import FeedSimulator, Period
from simulator.daylight import PARIS
from simulator.feeds.common import coord_text
from simulator.truth import Planted

FEED = "etablissements_scolaires"
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q
TYPES = {"ecole": "Ecole", "college": "Collège", "lycee": "Lycée"}
PRIVATE_SHARE = 0.2


def uai(index: int) -> str:
    """The UAI of the ``index``-th school of the reference tables (``013`` = Bouches-du-Rhône)."""
    digits = f"013{index + 1:04d}"
    return digits + UAI_LETTERS[int(digits) % 23]


class EtablissementsScolaires(FeedSimulator):
    """Monthly snapshot of the schools annuaire (UTF-8, ``;``)."""

    feed_name = FEED
    rows_per_day = 560 / 30.44
    scaled = False  # the city's schools do not shrink with the simulation's scale
    line_terminator = "\n"
    dirt_targets = {"unknown_code": "type_etablissement"}
    added_column = ("Ecole_maternelle", "")

    def delivered_at(self, period: Period, rng: np.random.Generator) -> datetime:
        """On the first day of the period, early morning: the snapshot the file is named after."""
        local = datetime.combine(period.start, time(6, 0)) + timedelta(minutes=int(rng.integers(0, self.delivery_jitter_minutes + 1)))
        return local.replace(tzinfo=PARIS)

    def period_columns(self, period: Period, rng: np.random.Generator, planted: Planted) -> dict[str, list[Any]]:
        schools = self.world.ref.schools
        decimal = self.spec.format.decimal
        # Public or private is a property of the school, not of the month: a stream of its own.
        status = self.stream(0).random(len(schools["id"])) < PRIVATE_SHARE
        columns = self.empty_columns()
        lat_text = coord_text(schools["lat"], decimal)
        lon_text = coord_text(schools["lon"], decimal)
        for i in range(len(schools["id"])):
            columns["uai"].append(uai(i))
            columns["date_instantane"].append(period.start.strftime(self.spec.format.date_format))
            columns["nom"].append(str(schools["name"][i]))
            columns["type_etablissement"].append(TYPES[str(schools["level"][i])])
            columns["statut"].append("Privé" if status[i] else "Public")
            columns["code_commune"].append(str(schools["quartier"][i])[:5])
            columns["etat"].append("OUVERT")
            columns["latitude"].append(lat_text[i])
            columns["longitude"].append(lon_text[i])
        return columns
