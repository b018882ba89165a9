"""Reference tables of the simulated city, generated once per seed: venues, metro stations,
markets, schools, CSU cameras, street lamps and their cabinets.

Real where the facts are public: venue and metro station names and approximate positions
(within ~100-300 m, good enough for a quartier-level observatory), the best-known markets.
Synthetic otherwise, drawn from the seed: schools (names built from the quartier), cameras,
lamps, and the markets of the other quartiers. Codes that a partner uses (venue codes of the
events calendar, RTM station codes) are declared in the feed YAML; this module only adds what
the partner does not send (positions, capacities, weights) and is checked against the YAML.

Figures (and why):
- ``SCHOOL_COUNTS``: ~440 public and private écoles (maternelles + élémentaires), ~75 collèges
  and ~45 lycées for 886,000 inhabitants (French averages: one école per ~2,000 inhabitants).
- ``CAMERAS`` = 1,600: the order of magnitude the city announced for its video-protection
  network in the 2020s; concentrated in the centre (weight squared) plus a ring around venues.
- ``LAMPS`` = 65,000 light points (a large French city has about one per 13 inhabitants),
  grouped into cabinets (armoires) by ~250 m cells: a cabinet feeds ~20-40 lamps.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np

from simulator.geography import (
    CENTRE_ARRONDISSEMENTS,
    CENTRE_BOOST,
    KM_PER_DEGREE_LAT,
    KM_PER_DEGREE_LON,
    CityGeography,
    marseille,
    points_in_disc,
    quartier_of,
    sample_points,
)


@dataclass(frozen=True)
class Venue:
    code: str  # the events office's venue code (declared in evenements.yaml)
    name: str
    lat: float
    lon: float
    capacity: int


VENUES: tuple[Venue, ...] = (
    Venue("VELODROME", "Orange Vélodrome", 43.2698, 5.3959, 67394),
    Venue("DOME", "Le Dôme", 43.3087, 5.3985, 8500),
    Venue("PALAIS_SPORTS", "Palais des Sports", 43.2660, 5.3995, 7200),
    Venue("PARC_CHANOT", "Parc Chanot", 43.2738, 5.3917, 30000),
    Venue("SILO", "Le Silo", 43.3125, 5.3655, 2050),
    Venue("VIEUX_PORT", "Vieux-Port (quai des Belges)", 43.2951, 5.3744, 150000),
    Venue("PREFECTURE", "Place Félix-Baret (Préfecture)", 43.2890, 5.3800, 20000),
    Venue("STADE_DELORT", "Stade Delort", 43.2672, 5.3923, 5000),
    Venue("DOCK_SUDS", "Dock des Suds", 43.3120, 5.3685, 5000),
    Venue("PLAGES_PRADO", "Plages du Prado", 43.2605, 5.3740, 60000),
    Venue("PARC_BORELY", "Parc Borély", 43.2590, 5.3820, 30000),
    Venue("FRICHE", "Friche la Belle de Mai", 43.3105, 5.3905, 4000),
    Venue("PHARO", "Palais du Pharo", 43.2925, 5.3615, 1500),
    Venue("SILVAIN", "Théâtre Silvain", 43.2830, 5.3540, 1900),
)


@dataclass(frozen=True)
class Station:
    code: str  # RTM station code (declared in rtm_frequentation.yaml)
    line: str  # M1, M2 or M1-M2
    lat: float
    lon: float
    weight: float  # share of the network's entries (relative)
    opened: str = "1977-11-26"


# Approximate positions of the station entrances; weights from the stations' role (hubs, centre).
STATIONS: tuple[Station, ...] = (
    Station("LA_ROSE", "M1", 43.3338, 5.4273, 4.0),
    Station("FRAIS_VALLON", "M1", 43.3263, 5.4165, 2.0),
    Station("MALPASSE", "M1", 43.3216, 5.4120, 2.0),
    Station("SAINT_JUST", "M1", 43.3163, 5.4072, 2.5),
    Station("CHARTREUX", "M1", 43.3107, 5.4005, 2.0),
    Station("CINQ_AVENUES", "M1", 43.3048, 5.3966, 3.0),
    Station("REFORMES", "M1", 43.2995, 5.3855, 4.0),
    Station("SAINT_CHARLES", "M1-M2", 43.3030, 5.3805, 12.0),
    Station("COLBERT", "M1", 43.2985, 5.3760, 3.0),
    Station("VIEUX_PORT", "M1", 43.2960, 5.3755, 8.0),
    Station("ESTRANGIN", "M1", 43.2897, 5.3790, 3.0),
    Station("CASTELLANE", "M1-M2", 43.2857, 5.3835, 9.0),
    Station("BAILLE", "M1", 43.2865, 5.3935, 2.0),
    Station("LA_TIMONE", "M1", 43.2880, 5.4020, 5.0),
    Station("LA_BLANCARDE", "M1", 43.2950, 5.4080, 3.0),
    Station("LOUIS_ARMAND", "M1", 43.2985, 5.4155, 1.5),
    Station("SAINT_BARNABE", "M1", 43.3030, 5.4175, 2.0),
    Station("LA_FOURRAGERE", "M1", 43.3035, 5.4300, 3.0),
    Station("GEZE", "M2", 43.3290, 5.3660, 3.0, "2019-12-14"),
    Station("BOUGAINVILLE", "M2", 43.3245, 5.3655, 4.0),
    Station("NATIONAL", "M2", 43.3175, 5.3680, 2.0),
    Station("DESIREE_CLARY", "M2", 43.3125, 5.3675, 2.0),
    Station("JOLIETTE", "M2", 43.3050, 5.3668, 5.0),
    Station("JULES_GUESDE", "M2", 43.3020, 5.3735, 2.0),
    Station("NOAILLES", "M2", 43.2975, 5.3810, 5.0),
    Station("NOTRE_DAME_DU_MONT", "M2", 43.2920, 5.3845, 3.0),
    Station("PERIER", "M2", 43.2800, 5.3870, 2.0),
    Station("ROND_POINT_DU_PRADO", "M2", 43.2715, 5.3930, 5.0),
    Station("SAINTE_MARGUERITE_DROMEL", "M2", 43.2625, 5.4005, 4.0),
)


@dataclass(frozen=True)
class Market:
    code: str
    name: str
    place: str
    lat: float
    lon: float
    weekdays: tuple[int, ...]  # 0 = Monday
    start: str
    end: str
    stalls: int
    kind: str  # a code of marches.yaml's type_marche


REAL_MARKETS: tuple[Market, ...] = (
    Market("MAR001", "Marché du Prado", "avenue du Prado", 43.2800, 5.3850, (0, 1, 2, 3, 4, 5), "07:30", "13:30", 180, "FORAIN"),
    Market("MAR002", "Marché des Capucins (Noailles)", "place des Capucins", 43.2963, 5.3810, (0, 1, 2, 3, 4, 5), "08:00", "19:00", 35, "ALIMENTAIRE"),
    Market("MAR003", "Marché de la Plaine", "place Jean-Jaurès", 43.2945, 5.3875, (1, 3, 5), "07:30", "13:30", 220, "FORAIN"),
    Market("MAR004", "Marché paysan du cours Julien", "cours Julien", 43.2932, 5.3835, (2,), "08:00", "13:00", 25, "PRODUCTEURS"),
    Market("MAR005", "Marché aux poissons du Vieux-Port", "quai des Belges", 43.2952, 5.3745, (0, 1, 2, 3, 4, 5, 6), "08:00", "13:00", 10, "POISSON"),
    Market("MAR006", "Marché de la Joliette", "place de la Joliette", 43.3040, 5.3665, (1, 4), "08:00", "13:00", 40, "ALIMENTAIRE"),
    Market("MAR007", "Marché aux puces", "avenue du Cap-Pinède", 43.3400, 5.3600, (1, 2, 3, 4, 5, 6), "08:00", "17:00", 300, "PUCES"),
)
GENERATED_MARKETS = 30
SCHOOL_COUNTS = {"ecole": 440, "college": 75, "lycee": 45}
CAMERAS = 1600
CAMERAS_PER_VENUE = 8
LAMPS = 65_000
CABINET_CELL_M = 250.0


@dataclass(frozen=True)
class ReferenceTables:
    venues: tuple[Venue, ...]
    stations: tuple[Station, ...]
    markets: tuple[Market, ...]
    schools: dict[str, np.ndarray]  # id, name, level, quartier, lat, lon
    cameras: dict[str, np.ndarray]  # id, lat, lon
    lamps: dict[str, np.ndarray]  # id, cabinet, lat, lon

    def venue(self, code: str) -> Venue:
        return next(v for v in self.venues if v.code == code)

    def as_rows(self) -> dict[str, tuple[list[str], list[list[str]]]]:
        """Each table as (header, rows) of strings, for the simulator's reference files."""
        tables: dict[str, tuple[list[str], list[list[str]]]] = {
            "venues": (["code", "nom", "latitude", "longitude", "capacite"],
                       [[v.code, v.name, f"{v.lat:.6f}", f"{v.lon:.6f}", str(v.capacity)] for v in self.venues]),
            "stations": (["code_station", "ligne", "latitude", "longitude", "poids", "ouverture"],
                         [[s.code, s.line, f"{s.lat:.6f}", f"{s.lon:.6f}", f"{s.weight:g}", s.opened] for s in self.stations]),
            "markets": (["code", "nom", "lieu", "latitude", "longitude", "jours", "debut", "fin", "etals", "type"],
                        [[m.code, m.name, m.place, f"{m.lat:.6f}", f"{m.lon:.6f}", "".join(map(str, m.weekdays)), m.start, m.end, str(m.stalls), m.kind] for m in self.markets]),
        }
        s = self.schools
        tables["schools"] = (["id", "nom", "niveau", "code_quartier", "latitude", "longitude"],
                             [[s["id"][i], s["name"][i], s["level"][i], s["quartier"][i], f"{s['lat'][i]:.6f}", f"{s['lon'][i]:.6f}"] for i in range(len(s["id"]))])
        c = self.cameras
        tables["cameras"] = (["id", "latitude", "longitude"], [[c["id"][i], f"{c['lat'][i]:.6f}", f"{c['lon'][i]:.6f}"] for i in range(len(c["id"]))])
        lp = self.lamps
        tables["lamps"] = (["id", "armoire", "latitude", "longitude"], [[lp["id"][i], lp["cabinet"][i], f"{lp['lat'][i]:.6f}", f"{lp['lon'][i]:.6f}"] for i in range(len(lp["id"]))])
        return tables


def residential_weights(geo: CityGeography) -> np.ndarray:
    """Quartier weights without the centre's daytime boost: where people live."""
    weights = geo.weights.copy()
    weights[np.isin(geo.arrondissements, CENTRE_ARRONDISSEMENTS)] /= CENTRE_BOOST
    return weights / weights.sum()


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"reference:{name}".encode())])


def _schools(geo: CityGeography, seed: int) -> dict[str, np.ndarray]:
    rng = _rng(seed, "schools")
    weights = residential_weights(geo)
    ids, names, levels, quartiers, lats, lons = [], [], [], [], [], []
    label = {"ecole": "École", "college": "Collège", "lycee": "Lycée"}
    for level, count in SCHOOL_COUNTS.items():
        q = rng.choice(len(geo), size=count, p=weights)
        lon, lat = sample_points(geo, q, rng)
        seen: dict[str, int] = {}
        for i in range(count):
            name = str(geo.names[q[i]])
            seen[name] = seen.get(name, 0) + 1
            suffix = f" {seen[name]}" if seen[name] > 1 else ""
            ids.append(f"{level[:3].upper()}{len(ids) + 1:04d}")
            names.append(f"{label[level]} {name}{suffix}")
            levels.append(level)
            quartiers.append(str(geo.codes[q[i]]))
            lats.append(lat[i])
            lons.append(lon[i])
    return {"id": np.array(ids), "name": np.array(names), "level": np.array(levels), "quartier": np.array(quartiers),
            "lat": np.array(lats), "lon": np.array(lons)}


def _cameras(geo: CityGeography, seed: int) -> dict[str, np.ndarray]:
    rng = _rng(seed, "cameras")
    weights = geo.weights**2 / (geo.weights**2).sum()
    n_spread = CAMERAS - CAMERAS_PER_VENUE * len(VENUES)
    q = rng.choice(len(geo), size=n_spread, p=weights)
    lon, lat = sample_points(geo, q, rng)
    for venue in VENUES:
        vlon, vlat = points_in_disc(geo, venue.lon, venue.lat, 300, CAMERAS_PER_VENUE, rng)
        lon, lat = np.r_[lon, vlon], np.r_[lat, vlat]
    order = np.lexsort((lon, lat))
    return {"id": np.array([f"CAM-{i + 1:04d}" for i in range(CAMERAS)]), "lat": lat[order], "lon": lon[order]}


def _lamps(geo: CityGeography, seed: int) -> dict[str, np.ndarray]:
    rng = _rng(seed, "lamps")
    weights = residential_weights(geo) ** 0.8
    q = rng.choice(len(geo), size=LAMPS, p=weights / weights.sum())
    lon, lat = sample_points(geo, q, rng)
    cell_x = np.floor(lon * KM_PER_DEGREE_LON * 1000 / CABINET_CELL_M).astype(np.int64)
    cell_y = np.floor(lat * KM_PER_DEGREE_LAT * 1000 / CABINET_CELL_M).astype(np.int64)
    cells, cabinet = np.unique(cell_y * 1_000_000 + cell_x, return_inverse=True)
    order = np.lexsort((lon, cabinet))  # lamps numbered cabinet by cabinet
    cabinet, lon, lat = cabinet[order], lon[order], lat[order]
    assert len(cells) < 10_000, "cabinet ids have four digits"
    return {
        "id": np.array([f"PL{i + 1:06d}" for i in range(LAMPS)]),
        "cabinet": np.array([f"AR{c + 1:04d}" for c in cabinet]),
        "cabinet_index": cabinet,
        "lat": lat,
        "lon": lon,
    }


def _markets(geo: CityGeography, seed: int) -> tuple[Market, ...]:
    rng = _rng(seed, "markets")
    taken = set(quartier_of(geo, np.array([m.lon for m in REAL_MARKETS]), np.array([m.lat for m in REAL_MARKETS])).tolist())
    weights = residential_weights(geo).copy()
    weights[list(taken)] = 0
    chosen = rng.choice(len(geo), size=GENERATED_MARKETS, replace=False, p=weights / weights.sum())
    chosen = np.sort(chosen)
    lon, lat = sample_points(geo, chosen, rng)
    markets = list(REAL_MARKETS)
    for i, q in enumerate(chosen):
        n_days = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        days = tuple(sorted(rng.choice(6, size=n_days, replace=False).tolist()))
        kind = str(rng.choice(["ALIMENTAIRE", "FORAIN", "PRODUCTEURS"], p=[0.55, 0.35, 0.1]))
        markets.append(Market(
            f"MAR{len(markets) + 1:03d}", f"Marché de {geo.names[q]}", f"place du marché, {geo.names[q]}",
            round(float(lat[i]), 6), round(float(lon[i]), 6), days, "07:30", "13:00", int(rng.integers(15, 70)), kind,
        ))
    return tuple(markets)


@cache
def reference_tables(seed: int) -> ReferenceTables:
    """The city's reference tables for ``seed`` (computed once per process and seed)."""
    geo = marseille()
    return ReferenceTables(
        venues=VENUES,
        stations=STATIONS,
        markets=_markets(geo, seed),
        schools=_schools(geo, seed),
        cameras=_cameras(geo, seed),
        lamps=_lamps(geo, seed),
    )
