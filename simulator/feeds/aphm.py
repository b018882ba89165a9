"""AP-HM emergency departments: passages of Marseille residents already aggregated by day,
arrondissement of residence and cause, for the causes that matter to public tranquillity.
A daily CSV exported from a spreadsheet: UTF-8 with a byte-order mark, ``;``, dates dd/mm/yyyy.

Volumes (and why): about 70 passages a day for these causes (~25,000 a year), out of the ~500
daily passages of the AP-HM's adult and children's emergency departments: street injuries
(falls, blows) 25, assaults 12, acute alcohol intoxication 12, road accidents 10, psychiatric
crises 8, drug intoxication 3. Allocated to arrondissements by population, alcohol and
assaults weighted up in the centre (x1.5 in the 1er, 2e, 6e). Weekend nights raise alcohol and
assaults (x1.3), summer raises street injuries. Cells with no passage are not written; small
counts (1, 2...) are: disclosure control happens at publication, not at the source.

Planted effects (by arrondissement): events (``events.hospital_per_1000`` passages per 1,000
attendees, venue's arrondissement), night life (ALCOOL, AGRESSION in the night-life quartiers'
arrondissements), rain (AVP). Rows a day: ~50 (~18,000 a year).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from simulator.base import FeedSimulator
from simulator.declarations import codes as declared_codes
from simulator.feeds.common import day_kind
from simulator.geography import quartier_of
from simulator.incidents import event_hour_shares
from simulator.seasonality import season_factor
from simulator.truth import Planted

FEED = "aphm_urgences"
DAILY = {"TRAUMA_VP": 25.0, "AGRESSION": 12.0, "ALCOOL": 12.0, "AVP": 10.0, "PSY": 8.0, "STUPEFIANTS": 3.0}
HOSPITALISED = {"TRAUMA_VP": 0.15, "AGRESSION": 0.12, "ALCOOL": 0.2, "AVP": 0.18, "PSY": 0.35, "STUPEFIANTS": 0.25}
CENTRE = ("13001", "13002", "13006")
NIGHT_SHARE = 0.5  # share of alcohol and assault passages that follow a night out
EVENT_MIX = {"ALCOOL": 0.4, "AGRESSION": 0.3, "TRAUMA_VP": 0.3}


def postcode(arrondissement: str) -> str:
    """INSEE arrondissement code 13201 -> postcode 13001."""
    return f"130{arrondissement[-2:]}"


class AphmUrgences(FeedSimulator):
    """Daily aggregated CSV (UTF-8 with BOM)."""

    feed_name = FEED
    rows_per_day = 48  # at scale 1; fewer cells are non-zero at smaller scales
    delivery_after = (1, 10, 0)
    dirt_targets = {"unknown_code": "motif"}
    added_column = ("Dont mineurs", "")

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        self.codes = declared_codes(self.spec, "motif")
        self.areas = declared_codes(self.spec, "arrondissement")
        geo = self.world.geo
        from simulator.reference_tables import residential_weights

        weights = residential_weights(geo)
        self.area_share = np.array([weights[[postcode(a) == p for a in geo.arrondissements]].sum() for p in self.areas])
        self.area_index = {p: i for i, p in enumerate(self.areas)}

    def expected_rows_per_day(self, scale: float) -> float:
        """Cells with at least one passage: sum over cells of 1 - exp(-mean)."""
        total = 0.0
        for code in self.codes:
            share = self.area_share.copy()
            if code in ("ALCOOL", "AGRESSION"):
                share[[self.area_index[p] for p in CENTRE]] *= 1.5
            lam = DAILY.get(code, 2.0) * scale * share / share.sum()
            total += float((1 - np.exp(-lam)).sum())
        return total

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        cfg = self.world.effects
        weekend = day_kind(day) >= 5 or day.weekday() == 4
        lam = np.zeros((len(self.areas), len(self.codes)))
        for j, code in enumerate(self.codes):
            daily = DAILY.get(code, 2.0) * season_factor(day, 0.15 if code == "TRAUMA_VP" else 0.05)
            if code in ("ALCOOL", "AGRESSION"):
                daily *= 1.3 if weekend else 0.88
            share = self.area_share.copy()
            if code in ("ALCOOL", "AGRESSION"):
                share[[self.area_index[p] for p in CENTRE]] *= 1.5
            lam[:, j] = daily * share / share.sum()
        lam *= scale
        base = lam.copy()
        extra: dict[str, np.ndarray] = {}
        # Rain: road accidents x multiplier for the share of the day's accident hours that were wet.
        rain_m = cfg["rain"]["multiplier"].get(FEED)
        if rain_m:
            wet_share = float(self.world.wet_hours(day)[7:21].mean())
            for code in cfg["rain"]["categories"].get(FEED, []):
                j = self.codes.index(code)
                extra.setdefault("rain", np.zeros_like(lam))[:, j] += base[:, j] * (rain_m - 1) * wet_share
        # Night life: alcohol and assaults in the arrondissements of the night-life quartiers.
        nl = cfg["night_life"]
        geo = self.world.geo
        for code in nl["categories"].get(FEED, []):
            j = self.codes.index(code)
            for q_code, multiplier in nl["quartiers"].items():
                q = int(np.flatnonzero(geo.codes == q_code)[0])
                a = self.area_index[postcode(str(geo.arrondissements[q]))]
                city_daily = base[:, j].sum()
                extra.setdefault("night_life", np.zeros_like(lam))[a, j] += city_daily * NIGHT_SHARE * geo.weights[q] * (multiplier - 1)
        # Events: passages per 1,000 attendees in the venue's arrondissement (after the event).
        per_1000 = cfg["events"]["hospital_per_1000"]
        for event in self.world.events_touching(day):
            share_today = sum(s for _, s in event_hour_shares(event, cfg["events"]["profile"], day))
            q = int(quartier_of(geo, np.array([event.lon]), np.array([event.lat]))[0])
            a = self.area_index[postcode(str(geo.arrondissements[q]))]
            size = event.attendance / 1000 * per_1000 * cfg["events"]["type_multiplier"].get(event.type, 1.0) * share_today * scale
            for code, part in EVENT_MIX.items():
                extra.setdefault("event", np.zeros_like(lam))[a, self.codes.index(code)] += size * part
        total = base + sum(extra.values(), np.zeros_like(lam))
        counts = rng.poisson(total)
        for cause, values in extra.items():  # expected extra passages (aggregates: no row-level cause)
            self.realised[cause] += int(round(values.sum()))
        hospital = np.array([HOSPITALISED.get(c, 0.2) for c in self.codes])
        admitted = rng.binomial(counts, hospital[None, :])
        fmt = self.spec.format.date_format
        columns = self.empty_columns()
        for a, area in enumerate(self.areas):
            for j, code in enumerate(self.codes):
                if counts[a, j] == 0:
                    continue
                columns["jour_passage"].append(day.strftime(fmt))
                columns["arrondissement"].append(area)
                columns["motif"].append(code)
                columns["nb_passages"].append(str(int(counts[a, j])))
                columns["nb_hospitalisations"].append(str(int(admitted[a, j])))
        return columns
