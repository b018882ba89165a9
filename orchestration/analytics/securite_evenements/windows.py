"""Event sessions, their hours, proximity between venues, data coverage and session covariates."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from orchestration.analytics.securite_evenements.inputs import SOURCES
from orchestration.analytics.securite_evenements.parameters import Params


def _floor_hour(ts: datetime) -> datetime:
    return ts.replace(minute=0, second=0, microsecond=0)


def sessions(calendar: pd.DataFrame, p: Params) -> pd.DataFrame:
    """One row per session of every non-cancelled event.

    An event longer than ``seuil_multi_jours_h`` is a multi-day event: one session per day from
    its daily opening time to its daily closing time (attendance is per day). Columns:
    evenement_id, session, debut_session, fin_session (floored local hours), duree_h (>= 1),
    plus the calendar's type, venue, attendance and planned flag.
    """
    rows = []
    keep = calendar[calendar["code_statut"] != "ANNULE"]
    for ev in keep.itertuples(index=False):
        start, end = pd.Timestamp(ev.debut_local).to_pydatetime(), pd.Timestamp(ev.fin_local).to_pydatetime()
        if (end - start).total_seconds() / 3600 <= p.seuil_multi_jours_h:
            windows = [(start, end)]
        else:
            windows = []
            day = start.date()
            while day <= end.date():
                open_at = datetime.combine(day, start.time())
                close_at = datetime.combine(day, end.time())
                windows.append((open_at, close_at if close_at > open_at else close_at + timedelta(days=1)))
                day += timedelta(days=1)
        for i, (open_at, close_at) in enumerate(windows, start=1):
            s, e = _floor_hour(open_at), _floor_hour(close_at)
            rows.append({
                "evenement_id": str(ev.evenement_id), "session": i, "debut_session": s, "fin_session": e,
                "duree_h": max(int((e - s).total_seconds() // 3600), 1),
                "code_type_evenement": str(ev.code_type_evenement), "code_lieu": str(ev.code_lieu),
                "jauge_attendue": int(ev.jauge_attendue), "planifie": bool(ev.planifie),
            })
    cols = ["evenement_id", "session", "debut_session", "fin_session", "duree_h", "code_type_evenement", "code_lieu",
            "jauge_attendue", "planifie"]
    out = pd.DataFrame(rows, columns=cols)
    if not rows:  # no (non-cancelled) event yet: typed empty frame
        out = out.astype({"session": "int64", "duree_h": "int64", "jauge_attendue": "int64", "planifie": bool})
    out["debut_session"] = pd.to_datetime(out["debut_session"])
    out["fin_session"] = pd.to_datetime(out["fin_session"])
    return out


def event_hours(sess: pd.DataFrame, p: Params) -> pd.DataFrame:
    """Each session's hours, ``heures_avant`` before its start to ``heures_apres`` after its end hour.

    ``heure_relative`` counts hours from the start hour; ``segment`` is the profile segment
    (``avant_k``, ``pendant`` for the event's own hours, ``fin`` for the end hour, ``apres_k``);
    ``n_segment`` is how many hours share that segment (the event's duration for ``pendant``).
    """
    parts = []
    for s in sess.itertuples(index=False):
        rel = np.arange(-p.heures_avant, s.duree_h + p.heures_apres + 1)
        seg = [f"avant_{-r}" if r < 0 else "pendant" if r < s.duree_h else ("fin" if r == s.duree_h else f"apres_{r - s.duree_h}") for r in rel]
        parts.append(pd.DataFrame({
            "evenement_id": s.evenement_id, "session": s.session, "heure_relative": rel.astype("int64"),
            "heure_locale": s.debut_session + pd.to_timedelta(rel, unit="h"), "segment": seg,
            "n_segment": np.where(np.array(seg) == "pendant", s.duree_h, 1).astype("int64"),
            "code_lieu": s.code_lieu,
        }))
    if not parts:
        return pd.DataFrame({"evenement_id": pd.Series(dtype=object), "session": pd.Series(dtype="int64"),
                             "heure_relative": pd.Series(dtype="int64"), "heure_locale": pd.Series(dtype="datetime64[us]"),
                             "segment": pd.Series(dtype=object), "n_segment": pd.Series(dtype="int64"),
                             "code_lieu": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True)


def nearby_venues(venues: pd.DataFrame, distance_m: float) -> pd.DataFrame:
    """Pairs (code_lieu, code_lieu_voisin) of venues at most ``distance_m`` apart (a venue is its own neighbour)."""
    v = venues[["code_lieu", "x_laea_50m", "y_laea_50m"]]
    pairs = v.merge(v, how="cross", suffixes=("", "_voisin"))
    d = np.hypot(pairs["x_laea_50m"] - pairs["x_laea_50m_voisin"], pairs["y_laea_50m"] - pairs["y_laea_50m_voisin"])
    return pairs.loc[d <= distance_m, ["code_lieu", "code_lieu_voisin"]].reset_index(drop=True)


def busy_hours(hours: pd.DataFrame, venues: pd.DataFrame, p: Params) -> pd.DataFrame:
    """(code_lieu, heure_locale, nb_evenements): hours whose disc meets the window of an event.

    Two discs of radius r meet when their venues are at most 2 r apart, so an event's window
    makes the hour busy at every such venue. Baselines avoid busy hours; an event hour with
    more than one event is an overlap (its excess cannot be attributed to one event).
    """
    pairs = nearby_venues(venues, 2 * p.rayon_m)
    spread = hours[["evenement_id", "code_lieu", "heure_locale"]].merge(pairs, on="code_lieu")
    return (spread.groupby(["code_lieu_voisin", "heure_locale"])["evenement_id"].nunique().rename("nb_evenements").reset_index()
            .rename(columns={"code_lieu_voisin": "code_lieu"}))


def common_coverage(coverage: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Hours every source covers: from the latest first hour to the earliest last hour.

    ``(NaT, NaT)`` when no hour is covered by every source (a source not delivered yet, or no
    overlap): every comparison with NaT is false, so no hour is observed and nothing is fitted.
    """
    known = coverage.dropna(subset=["premiere_heure_locale", "derniere_heure_locale"])
    if not set(SOURCES) <= set(known["source"]):  # a source without any data covers no hour
        return pd.NaT, pd.NaT
    first, last = pd.Timestamp(known["premiere_heure_locale"].max()), pd.Timestamp(known["derniere_heure_locale"].min())
    if first > last:
        return pd.NaT, pd.NaT
    return first, last


def has_coverage(coverage: tuple[pd.Timestamp, pd.Timestamp]) -> bool:
    """Whether at least one hour is covered by every source."""
    return not (pd.isna(coverage[0]) or pd.isna(coverage[1]))


def observed_sessions(sess: pd.DataFrame, coverage: tuple[pd.Timestamp, pd.Timestamp], p: Params) -> pd.Series:
    """Sessions fully inside the data coverage (their whole window is observed)."""
    first, last = coverage
    lo = sess["debut_session"] - pd.Timedelta(hours=p.heures_avant)
    hi = sess["fin_session"] + pd.Timedelta(hours=p.heures_apres)
    return (lo >= first) & (hi <= last)


def day_type(day: date, holidays_fr: Any) -> str:
    """``ferie`` (French public holiday), ``week_end`` (Saturday, Sunday) or ``semaine``."""
    if day in holidays_fr:
        return "ferie"
    return "week_end" if day.weekday() >= 5 else "semaine"


def session_features(sess: pd.DataFrame, rain: pd.DataFrame, p: Params) -> pd.DataFrame:
    """Covariates per session: day type, rain during the event's hours (null if no weather data)."""
    import holidays

    years = sorted({d.year for d in sess["debut_session"]} | {date.today().year}) if len(sess) else [date.today().year]
    fr = holidays.country_holidays("FR", years=years)
    rain_by_hour = dict(zip(pd.to_datetime(rain["heure_locale"]), rain["pluie_mm"].astype(float), strict=True))
    out = sess.copy()
    out["type_jour"] = [day_type(d.date(), fr) for d in out["debut_session"]]
    wet, known = [], []
    for s in out.itertuples(index=False):
        mm = [rain_by_hour.get(s.debut_session + pd.Timedelta(hours=h)) for h in range(s.duree_h)]
        mm = [m for m in mm if m is not None and not math.isnan(m)]
        known.append(bool(mm))
        wet.append(bool(mm) and max(mm) >= p.seuil_pluie_mm)
    out["pluie"] = wet
    out["meteo_connue"] = known
    return out
