"""ONISR road accident files (BAAC), one file per table and year, in both published layouts.

- **2005-2018 layout** (``baac_*_2005_2018``): ``,``-separated, Latin-1, unquoted, as the original
  national files: ``caracteristiques-YYYY.csv`` (Num_Acc, an [two digits], mois, jour, hrmn
  [HHMM without leading zeros: "830" is 08:30], lum, agg, int, atm, col, com [3 digits, "201"
  for the 1st arrondissement], adr, gps, lat, long [integers, degrees x 100,000], dep ["130"]),
  ``lieux``, ``vehicules`` (codes zero-padded: catv "07") and ``usagers`` (secu as two digits).
  The real extract in ``../shared/data/open/baac-2018-marseille`` is a *reduced* third-party copy
  of 2018 (``caracteristiques`` without an, jour, col, com, adr, gps, dep and with decimal
  degrees; ``usagers`` with Num_Acc and grav only); the simulator writes the full original
  layout instead.
- **2019+ layout** (``baac_*``): ``;``-separated, every field quoted, UTF-8, decimal comma:
  ``caracteristiques`` (Num_Acc, jour, mois, an [four digits], hrmn "HH:MM", lum, dep "13", com
  "13201", agg, int, atm, col, adr, lat, long [decimal degrees "43,29612000"]), ``lieux`` (with
  ``vma``), ``vehicules`` (with ``id_vehicule`` "138 306 524" and ``motor``), ``usagers`` (with
  ``id_vehicule``, ``secu1..3``); missing codes are "-1". From 2021 ONISR adds ``id_usager`` and
  in 2022 renames Num_Acc to Accident_Id: not simulated (see the README).

Volumes (and why): ``ANNUAL`` = 2,100 injury accidents a year in Marseille (the 2018 extract holds
2,086), ~1.8 vehicles and ~2.2 persons per accident. Road, vehicle and person attributes are
resampled from the real 2018 Marseille accidents (a real accident's road description, vehicles
and injury severities are copied together), so their mix is Marseille's. Time, place, light,
weather and road surface are simulated: accidents follow commuting hours and weekdays; in wet
hours (``rain.multiplier.baac``) there are more of them, with ``atm`` 2 or 3 and ``surf`` 2; at
night near a dark cabinet (``lighting_outage.night_multiplier.baac``) there are more of them,
with ``lum`` 4 ("public lighting not lit"). Files are yearly, delivered in October of the next
year; a window overlapping a year generates that whole year.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, ClassVar

import numpy as np

from orchestration.core.settings import REFERENCE_DIR
from simulator.base import FeedSimulator, Period
from simulator.daylight import PARIS, minutes_light
from simulator.feeds.common import COMMUTE
from simulator.geography import distance_m, quartier_of
from simulator.incidents import C_OUTAGE, day_points
from simulator.seasonality import season_factor
from simulator.streets import STREETS
from simulator.truth import Planted
from simulator.weather import local_rain

EXTRACT = REFERENCE_DIR / "baac-2018-marseille"  # copy of ../shared/data/open (Licence Ouverte)
ANNUAL = 2100.0
TRAFFIC = (1.05, 1.05, 1.05, 1.05, 1.1, 0.85, 0.75)
INT = {"1": 0.682, "3": 0.112, "2": 0.098, "9": 0.054, "6": 0.029, "4": 0.016, "7": 0.005, "5": 0.002, "8": 0.002}
COL = {"1": 0.07, "2": 0.17, "3": 0.30, "4": 0.05, "5": 0.04, "6": 0.27, "7": 0.10}
OLD_LAST_YEAR = 2018


@dataclass(frozen=True)
class Template:
    """A real 2018 Marseille accident: its road, its vehicles, its persons' severities."""

    lieu: dict[str, str]
    vehicles: list[dict[str, str]]
    gravities: list[str]


@cache
def templates() -> list[Template]:
    if not EXTRACT.exists():
        raise FileNotFoundError(f"the BAAC simulation resamples the real 2018 extract, not found in {EXTRACT}")

    def read(name: str) -> list[dict[str, str]]:
        with (EXTRACT / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    lieux = {r["Num_Acc"]: r for r in read("lieux-2018.csv")}
    vehicles: dict[str, list[dict[str, str]]] = {}
    for r in read("vehicules-2018.csv"):
        vehicles.setdefault(r["Num_Acc"], []).append(r)
    gravities: dict[str, list[str]] = {}
    for r in read("usagers-2018.reduced-lijie97.csv"):
        gravities.setdefault(r["Num_Acc"], []).append(r["grav"])
    found = []
    for num in sorted(lieux):
        if num in vehicles and num in gravities:
            own = sorted(vehicles[num], key=lambda v: v["num_veh"])
            found.append(Template(lieux[num], own, gravities[num]))
    return found


@dataclass
class Accident:
    when: datetime
    lat: float
    lon: float
    com: str  # INSEE arrondissement code, 13201..13216
    lum: str
    atm: str
    wet: bool
    agg: str
    int_: str
    col: str
    adr: str
    template: Template
    persons: list[dict[str, Any]]
    num: int = 0


def _choice(rnd: random.Random, table: dict[str, float]) -> str:
    return rnd.choices(list(table), list(table.values()))[0]


def _persons(template: Template, year: int, rnd: random.Random) -> list[dict[str, Any]]:
    """Distribute the template's severities over drivers, pedestrians and passengers."""
    gravs = list(template.gravities)
    persons: list[dict[str, Any]] = []
    vehicles = template.vehicles
    for v in vehicles:
        if not gravs:
            break
        persons.append({"veh": v["num_veh"], "catu": "1", "place": "1", "grav": gravs.pop(0), "age": rnd.randint(18, 82)})
    for v in vehicles:
        if gravs and v.get("obsm") == "1":
            persons.append({"veh": v["num_veh"], "catu": "3", "place": "pedestrian", "grav": gravs.pop(0), "age": rnd.randint(5, 92)})
    seat = {v["num_veh"]: 2 for v in vehicles}
    k = 0
    while gravs and vehicles and k < 40:
        v = vehicles[k % len(vehicles)]["num_veh"]
        k += 1
        if seat[v] > 9:
            continue
        persons.append({"veh": v, "catu": "2", "place": str(seat[v]), "grav": gravs.pop(0), "age": rnd.randint(1, 90)})
        seat[v] += 1
    for p in persons:
        p["sexe"] = "1" if rnd.random() < (0.7 if p["catu"] == "1" else 0.5) else "2"
        p["an_nais"] = year - p["age"]
        p["trajet"] = rnd.choices(["0", "1", "2", "3", "4", "5", "9"], [0.25, 0.2, 0.04, 0.08, 0.1, 0.28, 0.05])[0]
    return persons


def generate_year(world: Any, year: int) -> list[Accident]:
    """The city's injury accidents of ``year`` (same for both layouts, cached by the world)."""
    rng = world.stream("baac", year)
    text = random.Random(int(rng.integers(2**63)))
    pool = templates()
    hours = np.array(COMMUTE, dtype=float) / sum(COMMUTE)
    geo = world.geo
    accidents: list[Accident] = []
    day = date(year, 1, 1)
    while day.year == year:
        weekday = TRAFFIC[6 if world.day_kind(day) == 6 else day.weekday()] / (sum(TRAFFIC) / 7)
        mean = ANNUAL / 365 * weekday * season_factor(day, 0.05) * world.scale
        points = day_points(world, "baac", day, rng, ["ACC"], (mean * hours)[None, :], effects_key="baac").sorted()
        world_realised = world.memo(("baac_realised", year), dict)
        for cause, n in points.realised().items():
            world_realised[cause] = world_realised.get(cause, 0) + n
        if len(points):
            base_lum = minutes_light(day, points.minute)
            rain = local_rain(world.seed, day)
            quartier = quartier_of(geo, points.lon, points.lat)
            dark_sites = list(world.sector_outages_active(day))
            for i in range(len(points)):
                when = datetime.combine(day, time()) + timedelta(minutes=int(points.minute[i]))
                lum = str(base_lum[i])
                if lum == "5":
                    roll = text.random()
                    lum = "3" if roll < 0.03 else "4" if roll < 0.05 else "5"
                    for o in dark_sites:
                        if o.start <= when <= o.repaired and distance_m(o.lon, o.lat, points.lon[i], points.lat[i]) <= world.effects["lighting_outage"]["radius_m"]:
                            lum = "4"
                if points.cause[i] == C_OUTAGE:
                    lum = "4"
                mm = rain[when.hour]
                wet = mm >= world.effects["rain"]["wet_hour_mm"]
                atm = ("3" if mm >= 4 else "2") if wet else _choice(text, {"1": 0.88, "8": 0.08, "7": 0.02, "9": 0.01, "6": 0.005, "5": 0.005})
                template = pool[text.randrange(len(pool))]
                street = text.choice(STREETS).upper()
                adr = f"{text.randint(1, 200)} {street}" if text.random() < 0.4 else street
                q = int(quartier[i]) if quartier[i] >= 0 else 0
                pedestrian = any(v.get("obsm") == "1" for v in template.vehicles)
                accidents.append(Accident(
                    when=when, lat=float(points.lat[i]), lon=float(points.lon[i]), com=str(geo.arrondissements[q]), lum=lum, atm=atm, wet=wet,
                    agg="1" if text.random() < 0.09 else "2", int_=_choice(text, INT), col="6" if pedestrian else _choice(text, COL),
                    adr=adr, template=template, persons=_persons(template, year, text),
                ))
        day += timedelta(days=1)
    # National numbering: the department's accidents get sparse, increasing numbers.
    number = 8_000 + int(rng.integers(0, 500))
    for index in rng.permutation(len(accidents)):
        number += int(rng.integers(1, 4))
        accidents[index].num = number
    return accidents


def _blank_to(value: str, missing: str) -> str:
    return value if value not in ("",) else missing


def _unpad(value: str) -> str:
    return str(int(value)) if value.strip().isdigit() else value


class _Baac(FeedSimulator):
    """One BAAC table in one layout: yearly files."""

    table: ClassVar[str]
    old_layout: ClassVar[bool]
    delivery_jitter_minutes = 0
    line_terminator = "\n"
    added_column = ("source", "ONISR")

    def periods(self, start: date, days: int) -> list[Period]:
        return [p for p in super().periods(start, days) if (p.start.year <= OLD_LAST_YEAR) == self.old_layout and p.start.year >= 2005]

    def delivered_at(self, period: Period, rng: np.random.Generator) -> datetime:
        return datetime(period.start.year + 1, 10, 15, 10, 0, tzinfo=PARIS)

    def accidents(self, year: int) -> list[Accident]:
        return self.world.memo(("baac", year), lambda: generate_year(self.world, year))

    def period_columns(self, period: Period, rng: np.random.Generator, planted: Planted) -> dict[str, list[Any]]:
        columns = self.empty_columns()
        accidents = sorted(self.accidents(period.start.year), key=lambda a: a.num)
        realised = self.world.memo(("baac_realised", period.start.year), dict)
        if self.table == "caracteristiques":
            self.realised.update(realised)
        for a in accidents:
            for row in self.rows(a, period.start.year):
                for key, value in row.items():
                    columns[key].append(value)
        return columns

    def rows(self, a: Accident, year: int) -> list[dict[str, str]]:
        raise NotImplementedError


class _Caracteristiques(_Baac):
    table = "caracteristiques"
    dirt_targets = {"unknown_code": "lum", "out_of_range": "mois"}
    rows_per_day = ANNUAL / 365

    def rows(self, a: Accident, year: int) -> list[dict[str, str]]:
        t = a.when
        if self.old_layout:
            missing_gps = (a.num % 50) == 0  # ~2 % of old records have no coordinates
            return [{
                "accident_id": f"{year}{a.num:08d}", "an": str(year % 100), "mois": str(t.month), "jour_mois": str(t.day),
                "hrmn": str(t.hour * 100 + t.minute), "lum": a.lum, "agg": a.agg, "intersection": a.int_, "atm": a.atm, "col": a.col,
                "com": a.com[-3:], "adr": a.adr, "gps": "M", "lat_1e5": "" if missing_gps else str(round(a.lat * 1e5)),
                "long_1e5": "" if missing_gps else str(round(a.lon * 1e5)), "dep": "130",
            }]
        return [{
            "accident_id": f"{year}{a.num:08d}", "jour_mois": str(t.day), "mois": str(t.month), "an": str(year), "hrmn": f"{t:%H:%M}",
            "lum": a.lum, "dep": "13", "com": a.com, "agg": a.agg, "intersection": a.int_, "atm": a.atm, "col": a.col, "adr": a.adr,
            "latitude": f"{a.lat:.8f}".replace(".", ","), "longitude": f"{a.lon:.8f}".replace(".", ","),
        }]


class _Lieux(_Baac):
    table = "lieux"
    dirt_targets = {"unknown_code": "catr"}
    rows_per_day = ANNUAL / 365
    OLD = ("catr", "voie", "v1", "v2", "circ", "nbv", "pr", "pr1", "vosp", "prof", "plan", "lartpc", "larrout", "surf", "infra", "situ", "env1")

    def rows(self, a: Accident, year: int) -> list[dict[str, str]]:
        lieu = dict(a.template.lieu)
        surf = "2" if a.wet else ("1" if lieu["surf"] in ("2", "3", "4") else lieu["surf"])
        if self.old_layout:
            row = {k: lieu[k] for k in self.OLD}
            row["surf"] = surf
            return [{"accident_id": f"{year}{a.num:08d}", **row}]
        catr = lieu["catr"] or "-1"
        vma = {"1": "90", "2": "70", "3": "50"}.get(catr, "30" if (a.num % 5) == 0 else "50")

        def metres(dm: str) -> str:
            return "" if not dm.strip() or int(dm) == 0 else f"{int(dm) / 10:g}".replace(".", ",")

        return [{
            "accident_id": f"{year}{a.num:08d}", "catr": catr, "voie": lieu["voie"], "v1": lieu["v1"], "v2": lieu["v2"],
            "circ": _blank_to(_unpad(lieu["circ"]), "-1"), "nbv": _blank_to(_unpad(lieu["nbv"]), "-1"),
            "vosp": _blank_to(lieu["vosp"], "-1"), "prof": _blank_to(lieu["prof"], "-1"), "pr": _blank_to(lieu["pr"], "-1"),
            "pr1": _blank_to(lieu["pr1"], "-1"), "plan": _blank_to(lieu["plan"], "-1"), "lartpc": metres(lieu["lartpc"]),
            "larrout": metres(lieu["larrout"]) or "-1", "surf": _blank_to(surf, "-1"), "infra": _blank_to(lieu["infra"], "-1"),
            "situ": _blank_to(lieu["situ"], "-1"), "vma": vma,
        }]


class _Vehicules(_Baac):
    table = "vehicules"
    dirt_targets = {"unknown_code": "catv"}
    rows_per_day = ANNUAL * 1.77 / 365

    def rows(self, a: Accident, year: int) -> list[dict[str, str]]:
        out = []
        for k, v in enumerate(a.template.vehicles):
            if self.old_layout:
                out.append({"accident_id": f"{year}{a.num:08d}", "senc": v["senc"], "catv": v["catv"], "occutc": v["occutc"] or "000",
                            "obs": v["obs"], "obsm": v["obsm"], "choc": v["choc"], "manv": v["manv"], "num_veh": v["num_veh"]})
                continue
            motor = {"01": "5", "80": "3", "50": "3", "60": "5"}.get(v["catv"], "1")
            occutc = str(int(v["occutc"])) if v["occutc"].strip() and int(v["occutc"]) else ""
            out.append({
                "accident_id": f"{year}{a.num:08d}", "vehicule_id": vehicle_id(year, a.num, k), "num_veh": v["num_veh"],
                "senc": _blank_to(v["senc"], "-1"), "catv": v["catv"] or "-1", "obs": _blank_to(_unpad(v["obs"]), "-1"),
                "obsm": _blank_to(v["obsm"], "-1"), "choc": _blank_to(v["choc"], "-1"), "manv": _blank_to(_unpad(v["manv"]), "-1"),
                "motor": motor, "occutc": occutc,
            })
        return out


def vehicle_id(year: int, num: int, k: int) -> str:
    """ONISR's national vehicle id (2019+), written with spaces: "138 306 524"."""
    value = 100_000_000 + (year - 2019) * 1_000_000 + num * 20 + k
    digits = f"{value:09d}"
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


class _Usagers(_Baac):
    table = "usagers"
    dirt_targets = {"unknown_code": "catu", "out_of_range": "an_nais"}
    rows_per_day = ANNUAL * 2.17 / 365

    def rows(self, a: Accident, year: int) -> list[dict[str, str]]:
        out = []
        ids = {v["num_veh"]: vehicle_id(year, a.num, k) for k, v in enumerate(a.template.vehicles)}
        for p in a.persons:
            pedestrian = p["catu"] == "3"
            h = (a.num * 7 + int(p["age"])) % 10  # deterministic variety without another stream
            if self.old_layout:
                secu = "" if pedestrian else ("11" if p["catu"] != "1" or h < 6 else "21" if h < 9 else "13")
                out.append({
                    "accident_id": f"{year}{a.num:08d}", "place": "0" if pedestrian else p["place"], "catu": p["catu"], "grav": p["grav"],
                    "sexe": p["sexe"], "trajet": p["trajet"], "secu": secu, "locp": str(1 + h % 8) if pedestrian else "0",
                    "actp": str(1 + h % 9) if pedestrian else "0", "etatp": str(1 + h % 3) if pedestrian else "0",
                    "an_nais": str(p["an_nais"]), "num_veh": p["veh"],
                })
            else:
                out.append({
                    "accident_id": f"{year}{a.num:08d}", "vehicule_id": ids[p["veh"]], "num_veh": p["veh"],
                    "place": "10" if pedestrian else p["place"], "catu": p["catu"], "grav": p["grav"], "sexe": p["sexe"],
                    "an_nais": str(p["an_nais"]), "trajet": p["trajet"], "secu1": "-1" if pedestrian else ("1" if h < 7 else "2"),
                    "secu2": "-1" if pedestrian else ("0" if h < 8 else "8"), "secu3": "-1",
                    "locp": str(1 + h % 8) if pedestrian else "-1", "actp": str(1 + h % 9) if pedestrian else "-1",
                    "etatp": str(1 + h % 3) if pedestrian else "-1",
                })
        return out


class BaacCaracteristiques20052018(_Caracteristiques):
    feed_name = "baac_caracteristiques_2005_2018"
    old_layout = True


class BaacLieux20052018(_Lieux):
    feed_name = "baac_lieux_2005_2018"
    old_layout = True


class BaacVehicules20052018(_Vehicules):
    feed_name = "baac_vehicules_2005_2018"
    old_layout = True


class BaacUsagers20052018(_Usagers):
    feed_name = "baac_usagers_2005_2018"
    old_layout = True


class BaacCaracteristiques(_Caracteristiques):
    feed_name = "baac_caracteristiques"
    old_layout = False
    quote_all = True


class BaacLieux(_Lieux):
    feed_name = "baac_lieux"
    old_layout = False
    quote_all = True


class BaacVehicules(_Vehicules):
    feed_name = "baac_vehicules"
    old_layout = False
    quote_all = True


class BaacUsagers(_Usagers):
    feed_name = "baac_usagers"
    old_layout = False
    quote_all = True


BAAC_FEEDS: tuple[type[FeedSimulator], ...] = (
    BaacCaracteristiques20052018, BaacLieux20052018, BaacVehicules20052018, BaacUsagers20052018,
    BaacCaracteristiques, BaacLieux, BaacVehicules, BaacUsagers,
)
