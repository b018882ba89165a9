"""The urban video-supervision centre (CSU): a daily JSON-lines export of the events its
operators detected on screen (never images): abandoned objects, gatherings, fights, blocked
lanes, fly-tipping, accidents...

Volumes (and why): ``DAILY_MEAN`` = 90 events a day (~33,000 a year). A centre watching ~1,600
cameras with 10-15 operators per shift flags a few events per operator-hour; most are minor
(parking, obstruction, fly-tipping), fights and gatherings concentrate in the evening and at
weekends. Events are located at a camera (the operator's estimate, within ~50 m of it): the CSU
only sees where cameras look. Planted effects (events, night life, lighting outages, school
windows, rain on ACCIDENT) add rows only when a camera within 300 m can see them.

Record keys are the declared sources; ``horodatage`` is ISO 8601 with the Paris offset.
"""

from __future__ import annotations

import random
from datetime import date
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
    coord_json,
    daily_factor,
    hour_matrix,
    iso_offset,
    local_times,
    shares,
)
from simulator.feeds.texts import csu_comment
from simulator.geography import distance_m
from simulator.incidents import C_BASE, day_points, jitter_in_discs
from simulator.truth import Planted

FEED = "csu_evenements"
DAILY_MEAN = 90.0
SEEN_WITHIN_M = 300.0
OPERATORS = 60
ID_DIGITS = 4  # CSU-YYYYMMDD-NNNN

SHARES = {
    "OBJET_ABANDONNE": 0.08, "ATTROUPEMENT": 0.14, "RIXE": 0.08, "OBSTRUCTION_VOIE": 0.10, "DEPOT_SAUVAGE": 0.10,
    "ACCIDENT": 0.08, "STATIONNEMENT_GENANT": 0.16, "INCENDIE": 0.03, "VENTE_SAUVETTE": 0.07, "INTRUSION": 0.04,
    "DEGRADATION": 0.07, "PERSONNE_VULNERABLE": 0.05,
}
HOURS = {
    "OBJET_ABANDONNE": DAYTIME, "ATTROUPEMENT": EVENING, "RIXE": NIGHT, "OBSTRUCTION_VOIE": COMMUTE, "DEPOT_SAUVAGE": DAYTIME,
    "ACCIDENT": COMMUTE, "STATIONNEMENT_GENANT": DAYTIME, "INCENDIE": EVENING, "VENTE_SAUVETTE": DAYTIME, "INTRUSION": NIGHT,
    "DEGRADATION": NIGHT, "PERSONNE_VULNERABLE": ALL_DAY,
}
NIGHT_CODES = ("ATTROUPEMENT", "RIXE", "DEGRADATION", "INTRUSION")
FOLLOW_UP = {"AUCUNE": 0.35, "PM": 0.30, "PN": 0.12, "BMPM": 0.08, "LEVEE_DOUTE": 0.15}


class CsuEvenements(FeedSimulator):
    """Daily JSON lines of operator-detected events (UTF-8)."""

    feed_name = FEED
    rows_per_day = 95
    line_terminator = "\n"
    delivery_after = (1, 1, 0)
    dirt_targets = {"unknown_code": "type_evenement"}
    added_column = ("niveau_priorite", "2")

    def __init__(self, seed: int, world: Any = None) -> None:
        super().__init__(seed, world)
        self.codes = declared_codes(self.spec, "type_evenement")
        self.shares = shares(SHARES, self.codes)
        self.hours = hour_matrix(HOURS, self.codes, ALL_DAY)
        self.night = np.array([c in NIGHT_CODES for c in self.codes])
        self.follow_codes = declared_codes(self.spec, "suite_donnee")
        self.follow_p = shares(FOLLOW_UP, self.follow_codes, 0.0)
        cams = self.world.ref.cameras
        self.cam_lon, self.cam_lat, self.cam_id = cams["lon"], cams["lat"], cams["id"]
        self.operators = [f"OPV{k:03d}" for k in range(1, OPERATORS + 1)]

    def _at_cameras(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        cam = rng.integers(0, len(self.cam_id), n)
        return self._near(cam, rng)

    def _near(self, cam: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Within 50 m of the camera (on land: coastal cameras look at the sea too)."""
        return jitter_in_discs(self.world, self.cam_lon[cam], self.cam_lat[cam], 50.0, rng)

    def day_columns(self, day: date, rng: np.random.Generator, scale: float, planted: Planted) -> dict[str, list[Any]]:
        factor = np.array([daily_factor(day, WEEKEND_NIGHTS if n else FLAT, 0.15 if n else 0.05) for n in self.night])
        means = DAILY_MEAN * scale * (self.shares * factor)[:, None] * self.hours
        points = day_points(self.world, FEED, day, rng, self.codes, means, place=self._at_cameras)
        # Effect rows happen where the effect is; the CSU sees them only near a camera.
        extra = np.flatnonzero(points.cause != C_BASE)
        keep = np.ones(len(points), dtype=bool)
        camera = np.full(len(points), -1)
        for i in extra:
            d = distance_m(points.lon[i], points.lat[i], self.cam_lon, self.cam_lat)
            nearest = int(np.argmin(d))
            if d[nearest] <= SEEN_WITHIN_M:
                camera[i] = nearest
            else:
                keep[i] = False
        points = points.take(np.flatnonzero(keep))
        camera = camera[keep]
        base = camera < 0
        if base.any():  # baseline rows were placed near a camera: find which one
            for i in np.flatnonzero(base):
                camera[i] = int(np.argmin(distance_m(points.lon[i], points.lat[i], self.cam_lon, self.cam_lat)))
        order = np.argsort(points.minute, kind="stable")
        points, camera = points.take(order), camera[order]
        extra_rows = points.cause != C_BASE
        if extra_rows.any():  # located at the camera that saw them
            points.lon[extra_rows], points.lat[extra_rows] = self._near(camera[extra_rows], rng)
        self.realised.update(points.realised())

        n = len(points)
        if n >= 10**ID_DIGITS:
            raise ValueError(f"{n} CSU events on {day} exceed the {10**ID_DIGITS - 1} numbers of a day")
        text = random.Random(int(rng.integers(2**63)))
        seconds = rng.integers(0, 60, n)
        follow = rng.choice(len(self.follow_codes), size=n, p=self.follow_p)
        duration = np.minimum(np.round(rng.lognormal(np.log(12), 0.8, n)), 600).astype(int)
        operator = rng.integers(0, OPERATORS, n)
        times = local_times(day, points.minute)
        columns = self.empty_columns()
        columns["evenement_id"] = [f"CSU-{day:%Y%m%d}-{i + 1:0{ID_DIGITS}d}" for i in range(n)]
        columns["detecte_le"] = [iso_offset(t.replace(second=int(s))) for t, s in zip(times, seconds, strict=True)]
        columns["type_evenement"] = [self.codes[c] for c in points.cat]
        columns["camera_id"] = [str(self.cam_id[c]) for c in camera]
        columns["latitude"] = coord_json(points.lat)
        columns["longitude"] = coord_json(points.lon)
        columns["operateur_pseudo"] = [self.operators[o] for o in operator]
        columns["duree_suivi_min"] = [int(d) for d in duration]
        columns["suite_donnee"] = [self.follow_codes[f] for f in follow]
        columns["extraction_images"] = [
            bool(text.random() < (0.25 if self.codes[c] in ("RIXE", "DEGRADATION", "ACCIDENT") else 0.04)) for c in points.cat
        ]
        columns["commentaire"] = [csu_comment(self.codes[c], text, planted) for c in points.cat]
        planted.agent_ids.update(columns["operateur_pseudo"])
        return columns
