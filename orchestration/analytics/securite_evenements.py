"""Events security: observed excess near each event by hour, a forecast model, staffing, backtest.

Pipeline (pure functions, no I/O; every rule comes from the use case's ``parameters``):

1. ``sessions``: one row per event session (a multi-day event has one session a day, as the
   calendar's attendance is per day), cancelled events dropped.
2. ``event_hours``: each session's local hours from ``heures_avant`` before its start hour to
   ``heures_apres`` after its end hour, with the relative hour and its profile segment.
3. ``excess``: per event hour and source, the facts within ``rayon_m`` of the venue against a
   baseline: the mean count at the same venue, weekday and hour on the ``semaines_reference``
   nearest weeks that have data and no event nearby. Excess = observed - baseline.
4. ``fit_model``: per source, a Poisson likelihood with an additive event term,
   ``mu = baseline + attendance/1000 * exp(x'beta) * w_segment / hours_in_segment``, where x
   holds the event type (ridge-shrunk towards the overall rate, so a type never seen gets the
   overall rate), the day type and rain; ``w`` is the relative-hour profile (softmax).
5. ``forecast`` / ``staffing`` / ``backtest`` use it; ``compute_*`` are the mart entry points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from orchestration.analytics.stats import Z95
from orchestration.core.mart_shapes.securite_evenements import (  # shared with the quality suites
    DAY_TYPES,
    EXCESS_COLUMNS,
    FORECAST_COLUMNS,
    QUALITY_COLUMNS,
    SOURCES,
    STAFFING_COLUMNS,
)

FACTS = "int_securite_evenements__faits_lieu_heure"
VENUES = "int_securite_evenements__lieux"
COVERAGE = "int_securite_evenements__couverture"
RAIN = "int_securite_evenements__pluie_heure"
CALENDAR = "securite_evenements_calendrier"


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Params:
    """The declared rules the analytics read (``parameters`` of the use-case YAML)."""

    rayon_m: float
    heures_avant: int
    heures_apres: int
    semaines_reference: int
    semaines_recherche: int
    poids_moyenne_horaire: float
    seuil_multi_jours_h: float
    seuil_pluie_mm: float
    penalite_type: float
    penalite_autres: float
    niveau_intervalle: float
    backtest_entrainement_jours: int
    backtest_pas_jours: int
    doctrine: Mapping[str, Any]

    @staticmethod
    def of(params: Mapping[str, Any]) -> Params:
        base = params["baseline"]
        model = params["modele"]
        return Params(
            rayon_m=float(params["rayon_m"]),
            heures_avant=int(params["fenetre"]["heures_avant"]),
            heures_apres=int(params["fenetre"]["heures_apres"]),
            semaines_reference=int(base["semaines_reference"]),
            semaines_recherche=int(base["semaines_recherche"]),
            poids_moyenne_horaire=float(base["poids_moyenne_horaire"]),
            seuil_multi_jours_h=float(params["fenetre"]["seuil_multi_jours_h"]),
            seuil_pluie_mm=float(model["seuil_pluie_mm"]),
            penalite_type=float(model["penalite_type"]),
            penalite_autres=float(model["penalite_autres"]),
            niveau_intervalle=float(model["niveau_intervalle"]),
            backtest_entrainement_jours=int(params["backtest"]["entrainement_min_jours"]),
            backtest_pas_jours=int(params["backtest"]["pas_jours"]),
            doctrine=params["doctrine"],
        )


def segments(p: Params) -> list[str]:
    """Profile segments: each hour before the start, the event itself, the end hour, each hour after."""
    return [f"avant_{k}" for k in range(p.heures_avant, 0, -1)] + ["pendant", "fin"] + [f"apres_{k}" for k in range(1, p.heures_apres + 1)]


# --------------------------------------------------------------------------------------------
# Sessions and event hours
# --------------------------------------------------------------------------------------------
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


def counts_within(facts: pd.DataFrame, p: Params) -> pd.DataFrame:
    """Facts within ``rayon_m`` of each venue by source and local hour (summing the 50 m rings)."""
    if len(facts) and p.rayon_m > float(facts["rayon_couvert_m"].min()):
        raise ValueError(f"rayon_m {p.rayon_m} exceeds the radius the intermediate model covers ({facts['rayon_couvert_m'].min()} m)")
    inside = facts[facts["distance_max_m"] <= p.rayon_m]
    out = inside.groupby(["code_lieu", "source", "heure_locale"], as_index=False)["nb_faits"].sum()
    out["heure_locale"] = pd.to_datetime(out["heure_locale"])
    return out


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


def hourly_means(counts: pd.DataFrame, busy: pd.DataFrame, venues: pd.DataFrame, coverage: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    """Mean count per venue, source, weekday and local hour over every covered hour with no event nearby.

    Same weekday because night life makes Friday and Saturday nights unlike other nights; a
    venue busy at that weekday and hour every week (a weekly event) falls back to its mean at
    that hour over all weekdays.
    """
    first, last = coverage
    grid_hours = pd.date_range(first, last, freq="h") if has_coverage(coverage) else pd.DatetimeIndex([], dtype="datetime64[ns]")
    grid = pd.DataFrame({"code_lieu": np.repeat(venues["code_lieu"].to_numpy(), len(grid_hours)),
                         "heure_locale": np.tile(grid_hours, len(venues))})
    grid = grid.merge(busy, on=["code_lieu", "heure_locale"], how="left")
    grid = grid[grid["nb_evenements"].isna()].drop(columns="nb_evenements")
    grid["heure"] = grid["heure_locale"].dt.hour
    grid["jour_semaine"] = grid["heure_locale"].dt.weekday
    full = pd.DataFrame([(v, d, h) for v in venues["code_lieu"] for d in range(7) for h in range(24)],
                        columns=["code_lieu", "jour_semaine", "heure"])
    parts = []
    for source in SOURCES:
        c = counts[counts["source"] == source][["code_lieu", "heure_locale", "nb_faits"]]
        g = grid.merge(c, on=["code_lieu", "heure_locale"], how="left").fillna({"nb_faits": 0.0})
        by_day = g.groupby(["code_lieu", "jour_semaine", "heure"])["nb_faits"].mean().rename("m_jour").reset_index()
        by_hour = g.groupby(["code_lieu", "heure"])["nb_faits"].mean().rename("m_heure").reset_index()
        m = full.merge(by_day, on=["code_lieu", "jour_semaine", "heure"], how="left").merge(by_hour, on=["code_lieu", "heure"], how="left")
        m["moyenne_horaire"] = m["m_jour"].fillna(m["m_heure"])
        m["source"] = source
        parts.append(m.loc[m["moyenne_horaire"].notna(), ["code_lieu", "source", "jour_semaine", "heure", "moyenne_horaire"]])
    return pd.concat(parts, ignore_index=True)


def excess(hours: pd.DataFrame, counts: pd.DataFrame, busy: pd.DataFrame, coverage: tuple[pd.Timestamp, pd.Timestamp], p: Params,
           means: pd.DataFrame | None = None) -> pd.DataFrame:
    """Observed, baseline and excess per event hour and source.

    Baseline: mean count at the same venue and local hour, ``7 k`` days away, over the
    ``semaines_reference`` smallest |k| (k = +-1 ... +-``semaines_recherche``) that are inside the
    data coverage and not busy with any event, shrunk towards the venue's mean at that weekday
    and hour over all event-free weeks (``means``) with the weight of ``poids_moyenne_horaire`` weeks:
    ``(sum of comparable counts + w * hourly mean) / (comparables + w)``. A handful of weeks is
    often all zeros at a quiet venue; the shrinkage keeps the baseline from being zero where
    facts do happen, which would otherwise push the excess up. Hours outside the coverage get no
    observed value (``observe`` null) but still a baseline (planned events use the latest weeks).
    """
    first, last = coverage
    base = hours[["evenement_id", "session", "heure_relative", "code_lieu", "heure_locale"]].drop_duplicates()
    ks = np.array([k for k in range(-p.semaines_recherche, p.semaines_recherche + 1) if k], dtype=int)
    cand = base.loc[base.index.repeat(len(ks))].copy()
    cand["k"] = np.tile(ks, len(base))
    cand["heure_ref"] = cand["heure_locale"] + pd.to_timedelta(7 * cand["k"], unit="D")
    cand = cand[(cand["heure_ref"] >= first) & (cand["heure_ref"] <= last)]
    cand = cand.merge(busy.rename(columns={"heure_locale": "heure_ref"}), on=["code_lieu", "heure_ref"], how="left")
    cand = cand[cand["nb_evenements"].isna()].drop(columns="nb_evenements")
    cand["abs_k"] = cand["k"].abs()
    cand = cand.sort_values(["evenement_id", "session", "heure_relative", "abs_k", "k"])
    cand = cand.groupby(["evenement_id", "session", "heure_relative"], sort=False).head(p.semaines_reference)
    w = p.poids_moyenne_horaire if means is not None else 0.0
    rows = []
    for source in SOURCES:
        c = counts[counts["source"] == source][["code_lieu", "heure_locale", "nb_faits"]]
        ref = cand.merge(c.rename(columns={"heure_locale": "heure_ref"}), on=["code_lieu", "heure_ref"], how="left")
        ref = ref.groupby(["evenement_id", "session", "heure_relative"], as_index=False).agg(
            somme_ref=("nb_faits", lambda s: float(s.fillna(0).sum())), nb_heures_reference=("heure_ref", "size"))
        obs = base.merge(c, on=["code_lieu", "heure_locale"], how="left")
        inside = (obs["heure_locale"] >= first) & (obs["heure_locale"] <= last)
        obs["observe"] = np.where(inside, obs["nb_faits"].fillna(0), np.nan)
        obs = obs.drop(columns="nb_faits").merge(ref, on=["evenement_id", "session", "heure_relative"], how="left")
        obs["nb_heures_reference"] = obs["nb_heures_reference"].fillna(0).astype("int64")
        obs["somme_ref"] = obs["somme_ref"].fillna(0.0)
        if means is not None:
            m = means[means["source"] == source][["code_lieu", "jour_semaine", "heure", "moyenne_horaire"]]
            obs["heure"] = obs["heure_locale"].dt.hour
            obs["jour_semaine"] = obs["heure_locale"].dt.weekday
            obs = obs.merge(m, on=["code_lieu", "jour_semaine", "heure"], how="left").drop(columns=["heure", "jour_semaine"])
            prior = obs["moyenne_horaire"].fillna(0.0)
            has_prior = obs["moyenne_horaire"].notna()
        else:
            prior, has_prior = 0.0, pd.Series(False, index=obs.index)
        weight = np.where(has_prior, w, 0.0)
        denom = obs["nb_heures_reference"] + weight
        obs["reference"] = np.where(denom > 0, (obs["somme_ref"] + weight * prior) / np.where(denom > 0, denom, 1), np.nan)
        obs["poids_reference"] = denom.astype(float)
        obs = obs.drop(columns=[c for c in ("somme_ref", "moyenne_horaire") if c in obs.columns])
        obs["source"] = source
        rows.append(obs)
    out = pd.concat(rows, ignore_index=True)
    out["exces"] = out["observe"] - out["reference"]
    # Overlap: another event's window meets this disc in this hour.
    out = out.merge(busy, on=["code_lieu", "heure_locale"], how="left")
    out["chevauchement"] = out["nb_evenements"].fillna(1) > 1
    return out.drop(columns="nb_evenements")


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


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------
@dataclass
class Fit:
    """A fitted event-excess model for one source."""

    source: str
    types: list[str]
    segments: list[str]
    beta: np.ndarray  # [alpha, gamma_type..., delta_week_end, delta_ferie, rho_pluie]
    theta: np.ndarray  # profile logits, one per segment
    cov: np.ndarray  # covariance of (beta, theta), scaled by the dispersion
    dispersion: float
    deviance: float
    n_obs: int
    n_sessions: int

    @property
    def weights(self) -> np.ndarray:
        e = np.exp(self.theta - self.theta.max())
        return e / e.sum()

    def design(self, frame: pd.DataFrame) -> np.ndarray:
        """Session covariates -> rows of x (types unseen in training get only the intercept)."""
        x = np.zeros((len(frame), 1 + len(self.types) + 3))
        x[:, 0] = 1.0
        idx = {t: i for i, t in enumerate(self.types)}
        for r, t in enumerate(frame["code_type_evenement"]):
            if t in idx:
                x[r, 1 + idx[t]] = 1.0
        x[:, 1 + len(self.types)] = (frame["type_jour"] == "week_end").to_numpy(float)
        x[:, 2 + len(self.types)] = (frame["type_jour"] == "ferie").to_numpy(float)
        x[:, 3 + len(self.types)] = frame["pluie"].astype(bool).to_numpy(float)
        return x

    def rate_per_1000(self, type_code: str) -> tuple[float, float, float]:
        """Excess per 1,000 attendees over a session (weekday, dry) for a type, with its 95 % interval."""
        frame = pd.DataFrame({"code_type_evenement": [type_code], "type_jour": ["semaine"], "pluie": [False]})
        x = self.design(frame)[0]
        eta = float(x @ self.beta)
        k = len(self.beta)
        se = math.sqrt(max(float(x @ self.cov[:k, :k] @ x), 0.0))
        return math.exp(eta), math.exp(eta - Z95 * se), math.exp(eta + Z95 * se)

    def predict(self, rows: pd.DataFrame, level: float) -> pd.DataFrame:
        """Expected excess per row (an event hour with its session covariates) and its interval.

        ``e = A exp(x'beta) w_seg / n_seg``. The interval (two-sided ``level``) multiplies the
        interval of the session rate ``exp(x'beta)`` (delta method on the log scale) by that of
        the profile share ``w_seg`` (delta method on the share itself, clipped to [0, 1]): a
        share near zero is then bounded by its absolute uncertainty instead of exploding on the
        log scale. Taking both bounds together makes the interval slightly conservative.
        """
        x = self.design(rows)
        seg_idx = np.array([self.segments.index(s) for s in rows["segment"]])
        w = self.weights
        k = len(self.beta)
        a = rows["jauge_attendue"].to_numpy(float) / 1000.0
        n = rows["n_segment"].to_numpy(float)
        eta = x @ self.beta
        se_eta = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", x, self.cov[:k, :k], x), 0, None))
        jac = np.diag(w) - np.outer(w, w)  # d w / d theta
        sd_w = np.sqrt(np.clip(np.diag(jac @ self.cov[k:, k:] @ jac.T), 0, None))
        z = stats.norm.ppf(0.5 + level / 2)
        scale = a / n
        e = scale * np.exp(eta) * w[seg_idx]
        low = scale * np.exp(eta - z * se_eta) * np.clip(w[seg_idx] - z * sd_w[seg_idx], 0, 1)
        high = scale * np.exp(eta + z * se_eta) * np.clip(w[seg_idx] + z * sd_w[seg_idx], 0, 1)
        return pd.DataFrame({"exces_attendu": e, "exces_bas": np.minimum(low, e), "exces_haut": np.maximum(high, e)}, index=rows.index)


def training_rows(exc: pd.DataFrame, feats: pd.DataFrame, hours: pd.DataFrame, source: str) -> pd.DataFrame:
    """Event hours usable to fit a source: observed, with a baseline, not overlapping another event."""
    keys = ["evenement_id", "session", "heure_relative"]
    r = exc[(exc["source"] == source) & exc["observe"].notna() & exc["reference"].notna() & ~exc["chevauchement"]]
    r = r.merge(hours[[*keys, "segment", "n_segment"]], on=keys).merge(
        feats[["evenement_id", "session", "code_type_evenement", "jauge_attendue", "type_jour", "pluie", "debut_session", "fin_session"]],
        on=["evenement_id", "session"])
    return r


def profile_baseline(e: np.ndarray, y: np.ndarray, s: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Baseline maximising the joint likelihood of an hour, given its event term ``e``.

    Data of the hour: the event-hour count ``y ~ Poisson(b + e)`` and the comparable hours'
    total ``s ~ Poisson(k b)`` (``k`` comparable hours, shrinkage weight included). The score in
    ``b`` is ``s/b - k + y/(b+e) - 1 = 0``, a quadratic: ``(k+1) b^2 + A b - s e = 0`` with
    ``A = (k+1) e - s - y``; its non-negative root, written to avoid cancellation.
    """
    k1 = k + 1.0
    a = k1 * e - s - y
    root = np.sqrt(a * a + 4.0 * k1 * s * e)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(a > 0, 2.0 * s * e / (a + root), (-a + root) / (2.0 * k1))
    return np.clip(np.nan_to_num(b, nan=0.0), 0.0, None)


def fit_model(rows: pd.DataFrame, source: str, segs: list[str], p: Params) -> Fit:
    """Penalised maximum likelihood of ``y ~ Poisson(b + A exp(x'beta) w_seg / n_seg)``.

    The hour's baseline ``b`` is not taken as known: the comparable hours are data too
    (their total ~ Poisson(k b)) and ``b`` is profiled out in closed form
    (:func:`profile_baseline`). Treating a noisy baseline as exact would bias small events'
    excess upwards (an hour whose comparables were all zero gets a huge weight). Ridge
    penalties: ``penalite_type`` on the type deviations (shrinks rare types to the overall
    rate), ``penalite_autres`` on day type and rain, a small one on the profile logits.
    """
    types = sorted(rows["code_type_evenement"].unique())
    shell = Fit(source, types, segs, np.zeros(1 + len(types) + 3), np.zeros(len(segs)), np.eye(1), 1.0, 0.0, 0, 0)
    x = shell.design(rows)
    seg_idx = np.array([segs.index(s) for s in rows["segment"]])
    y = rows["observe"].to_numpy(float)
    k = rows["poids_reference"].to_numpy(float)
    s_ref = rows["reference"].to_numpy(float) * k
    a = rows["jauge_attendue"].to_numpy(float) / 1000.0
    n = rows["n_segment"].to_numpy(float)
    kb = x.shape[1]
    pen = np.concatenate([[0.0], np.full(len(types), p.penalite_type), np.full(3, p.penalite_autres), np.full(len(segs), 0.01)])

    def unpack(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        beta, theta = v[:kb], v[kb:]
        w = np.exp(theta - theta.max())
        w /= w.sum()
        return beta, w, a * np.exp(np.clip(x @ beta, -30, 30)) * w[seg_idx] / n

    def objective(v: np.ndarray) -> tuple[float, np.ndarray]:
        beta, w, e = unpack(v)
        b = profile_baseline(e, y, s_ref, k)
        mu = b + e
        bb = np.clip(b, 1e-12, None)
        nll = float(np.sum(mu - y * np.log(mu) + k * bb - s_ref * np.log(bb))) + 0.5 * float(np.sum(pen * v * v))
        # envelope theorem: at the profiled b, d nll / d e = 1 - y / mu
        d = 1.0 - y / mu
        g_beta = x.T @ (d * e)
        g_theta = np.bincount(seg_idx, weights=d * e, minlength=len(segs)) - w * np.sum(d * e)
        return nll, np.concatenate([g_beta, g_theta]) + pen * v

    v0 = np.zeros(kb + len(segs))
    tot_a = float(np.sum(a)) or 1.0
    v0[0] = math.log(max(float(np.sum(y - s_ref / np.clip(k, 1e-9, None))) / tot_a, 1e-3))
    res = optimize.minimize(objective, v0, jac=True, method="L-BFGS-B", options={"maxiter": 3000})
    v = res.x
    beta, w, e = unpack(v)
    b = profile_baseline(e, y, s_ref, k)
    mu = b + e
    # Information for the event term once b is profiled out: weight 1 / (mu + b / k) per hour.
    var_y = mu + b / np.clip(k, 1e-9, None)
    g_theta = -np.outer(e, w)
    g_theta[np.arange(len(e)), seg_idx] += e
    g = np.hstack([x * e[:, None], g_theta])
    info = (g / var_y[:, None]).T @ g + np.diag(pen)
    n_par = len(v)
    dispersion = float(np.sum((y - mu) ** 2 / var_y)) / max(len(y) - n_par, 1)
    # Over-dispersion widens the intervals; under-dispersion never narrows them.
    cov = np.linalg.pinv(info) * max(dispersion, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = 2 * float(np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))
    return Fit(source, types, segs, beta, v[kb:], cov, dispersion, dev, len(y), int(rows[["evenement_id", "session"]].drop_duplicates().shape[0]))


# --------------------------------------------------------------------------------------------
# Shared preparation
# --------------------------------------------------------------------------------------------
@dataclass
class Prepared:
    p: Params
    sessions: pd.DataFrame  # with features
    hours: pd.DataFrame
    excess: pd.DataFrame
    coverage: tuple[pd.Timestamp, pd.Timestamp]


def prepare(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> Prepared:
    """Sessions, event hours, excess and covariates from the dbt inputs."""
    p = Params.of(params)
    calendar = inputs[CALENDAR]
    sess = sessions(calendar, p)
    hours = event_hours(sess, p)
    venues = inputs[VENUES]
    busy = busy_hours(hours, venues, p)
    cov = common_coverage(inputs[COVERAGE])
    counts = counts_within(inputs[FACTS], p)
    exc = excess(hours, counts, busy, cov, p, hourly_means(counts, busy, venues, cov))
    feats = session_features(sess, inputs[RAIN], p)
    return Prepared(p, feats, hours, exc, cov)


def _fits(prep: Prepared, sessions_mask: pd.Series | None = None) -> dict[str, Fit]:
    segs = segments(prep.p)
    feats = prep.sessions if sessions_mask is None else prep.sessions[sessions_mask]
    fits = {}
    for source in SOURCES:
        rows = training_rows(prep.excess, feats, prep.hours, source)
        if len(rows):
            fits[source] = fit_model(rows, source, segs, prep.p)
    return fits


def _observed_sessions(prep: Prepared) -> pd.Series:
    """Sessions fully inside the data coverage (their whole window is observed)."""
    first, last = prep.coverage
    s = prep.sessions
    lo = s["debut_session"] - pd.Timedelta(hours=prep.p.heures_avant)
    hi = s["fin_session"] + pd.Timedelta(hours=prep.p.heures_apres)
    return (lo >= first) & (hi <= last)


# --------------------------------------------------------------------------------------------
# Marts
# --------------------------------------------------------------------------------------------


def compute_exces(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_exces_heure``: observed excess per past event, hour and source."""
    prep = prepare(inputs, params)
    keys = ["evenement_id", "session", "heure_relative"]
    e = prep.excess[prep.excess["observe"].notna() & prep.excess["reference"].notna()]
    e = e.merge(prep.hours[[*keys, "segment"]], on=keys).merge(
        prep.sessions[["evenement_id", "session", "code_type_evenement", "jauge_attendue"]], on=["evenement_id", "session"])
    e["jour"] = [t.date() for t in e["heure_locale"]]
    out = e[EXCESS_COLUMNS].copy()
    return _types(out, ints=["session", "heure_relative", "jauge_attendue", "observe", "nb_heures_reference"],
                  floats=["reference", "exces"], strs=["evenement_id", "segment", "code_type_evenement", "code_lieu", "source"],
                  bools=["chevauchement"]).sort_values(["evenement_id", "session", "source", "heure_relative"]).reset_index(drop=True)




def forecast(prep: Prepared, fits: Mapping[str, Fit]) -> pd.DataFrame:
    """Expected excess and counts per event hour and source, for every session (past and planned)."""
    keys = ["evenement_id", "session", "heure_relative"]
    level = prep.p.niveau_intervalle
    rows = prep.hours.merge(prep.sessions.drop(columns=["code_lieu"]), on=["evenement_id", "session"])
    parts = []
    for source, fit in fits.items():
        r = rows.copy()
        r["source"] = source
        r = r.merge(prep.excess[prep.excess["source"] == source][[*keys, "reference"]], on=keys, how="left")
        r = pd.concat([r, fit.predict(r, level)], axis=1)
        r["reference_attendue"] = r["reference"].fillna(0.0)
        r["faits_attendus"] = r["reference_attendue"] + r["exces_attendu"]
        # Upper plausible count of the hour: Poisson quantile at the upper expected value.
        r["faits_haut"] = stats.poisson.ppf(0.5 + level / 2, r["reference_attendue"] + r["exces_haut"]).astype(float)
        parts.append(r)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FORECAST_COLUMNS)
    out["jour"] = [t.date() for t in out["heure_locale"]]
    return out


def compute_prevision(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_prevision_heure``: the model's expected excess per event, hour, source."""
    prep = prepare(inputs, params)
    out = forecast(prep, _fits(prep, _observed_sessions(prep)))[FORECAST_COLUMNS].copy()
    return _types(out, ints=["session", "heure_relative", "jauge_attendue"],
                  floats=["reference_attendue", "exces_attendu", "exces_bas", "exces_haut", "faits_attendus", "faits_haut"],
                  strs=["evenement_id", "segment", "code_type_evenement", "code_lieu", "type_jour", "source"],
                  bools=["pluie", "planifie"]).sort_values(["evenement_id", "session", "source", "heure_relative"]).reset_index(drop=True)




def staffing(fc: pd.DataFrame, doctrine: Mapping[str, Any]) -> pd.DataFrame:
    """Recommended agents and barriers per event hour from the doctrine.

    agents = max(ceil(agents_par_fait_attendu x upper expected excess of the ``sources_agents``),
    ceil(jauge/1000 x agents_min_pour_1000) within the presence window); barriers =
    max(ceil(jauge/1000 x barrieres_pour_1000), barrieres_min_par_lieu) from ``barrieres_pose_h``
    before the start hour to ``barrieres_depose_h`` after the end hour, 0 otherwise.
    """
    keys = ["evenement_id", "session", "heure_relative"]
    agent_src = list(doctrine["sources_agents"])
    if not len(fc):  # nothing forecast (no event, or no fitted model): no recommendation
        return pd.DataFrame({c: pd.Series(dtype=object) for c in STAFFING_COLUMNS})
    base = fc[fc["source"] == fc["source"].iloc[0]][[*keys, "jour", "heure_locale", "segment", "code_type_evenement", "code_lieu",
                                                       "jauge_attendue", "planifie"]]
    load = fc[fc["source"].isin(agent_src)].groupby(keys, as_index=False)["exces_haut"].sum().rename(columns={"exces_haut": "faits_supplementaires_haut"})
    rescue = fc[fc["source"] == doctrine["source_secours"]][[*keys, "exces_haut"]].rename(columns={"exces_haut": "interventions_secours_haut"})
    out = base.merge(load, on=keys, how="left").merge(rescue, on=keys, how="left")
    out[["faits_supplementaires_haut", "interventions_secours_haut"]] = out[["faits_supplementaires_haut", "interventions_secours_haut"]].fillna(0.0)
    # Hours from the start hour: before the start the relative hour is negative; the end hour
    # and after are the segments "fin" / "apres_k".
    after = out["segment"].str.extract(r"apres_(\d+)")[0].astype(float).fillna(0.0)
    is_end_or_after = out["segment"].isin(["fin"]) | out["segment"].str.startswith("apres_")
    rel_before = -out["heure_relative"].where(out["heure_relative"] < 0, 0)
    presence = ~((rel_before > doctrine["presence_avant_h"]) | (is_end_or_after & (after > doctrine["presence_apres_h"])))
    barrier_window = ~((rel_before > doctrine["barrieres_pose_h"]) | (is_end_or_after & (after > doctrine["barrieres_depose_h"])))
    thousand = out["jauge_attendue"].astype(float) / 1000.0
    out["agents_selon_faits"] = np.ceil(out["faits_supplementaires_haut"] * float(doctrine["agents_par_fait_attendu"]) - 1e-9).astype("int64")
    out["agents_minimum_jauge"] = np.where(presence, np.ceil(thousand * float(doctrine["agents_min_pour_1000"]) - 1e-9), 0).astype("int64")
    out["agents"] = np.maximum(out["agents_selon_faits"], out["agents_minimum_jauge"]).astype("int64")
    n_barriers = np.maximum(np.ceil(thousand * float(doctrine["barrieres_pour_1000"]) - 1e-9), float(doctrine["barrieres_min_par_lieu"]))
    out["barrieres"] = np.where(barrier_window, n_barriers, 0).astype("int64")
    return out[STAFFING_COLUMNS]


def compute_dispositif(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_dispositif``: agents and barriers per event and hour (planned and past)."""
    prep = prepare(inputs, params)
    fc = forecast(prep, _fits(prep, _observed_sessions(prep)))
    out = staffing(fc, prep.p.doctrine)
    return _types(out, ints=["session", "heure_relative", "jauge_attendue", "agents", "agents_selon_faits", "agents_minimum_jauge", "barrieres"],
                  floats=["faits_supplementaires_haut", "interventions_secours_haut"], strs=["evenement_id", "code_type_evenement", "code_lieu"],
                  bools=["planifie"]).sort_values(["evenement_id", "session", "heure_relative"]).reset_index(drop=True)


def backtest(prep: Prepared) -> pd.DataFrame:
    """Rolling-origin backtest: at each origin, fit on sessions ended before it, predict the next step.

    Origins every ``pas_jours`` from ``entrainement_min_jours`` after the first covered day. Only
    observed, non-overlapping hours with a baseline are scored, against the observed excess.
    Naive baseline: the training sessions' pooled excess per 1,000 attendees (all types),
    spread evenly over the session's window hours. Returns one row per scored hour and source
    with ``prevu_modele``, ``prevu_naif`` and ``exces``.
    """
    p = prep.p
    first, last = prep.coverage
    observed = _observed_sessions(prep)
    segs = segments(p)
    parts = []
    origin = first.normalize() + pd.Timedelta(days=p.backtest_entrainement_jours) if has_coverage(prep.coverage) else None
    while origin is not None and origin <= last:
        stop = origin + pd.Timedelta(days=p.backtest_pas_jours)
        end_window = prep.sessions["fin_session"] + pd.Timedelta(hours=p.heures_apres)
        train_mask = observed & (end_window < origin)
        test_mask = observed & (prep.sessions["debut_session"] >= origin) & (prep.sessions["debut_session"] < stop)
        if train_mask.any() and test_mask.any():
            for source in SOURCES:
                train = training_rows(prep.excess, prep.sessions[train_mask], prep.hours, source)
                test = training_rows(prep.excess, prep.sessions[test_mask], prep.hours, source)
                if not len(train) or not len(test):
                    continue
                fit = fit_model(train, source, segs, p)
                test = test.copy()
                test["prevu_modele"] = fit.predict(test, p.niveau_intervalle)["exces_attendu"].to_numpy()
                rate = float(train["exces"].sum()) / float((train.drop_duplicates(["evenement_id", "session"])["jauge_attendue"] / 1000).sum())
                width = (test["fin_session"] - test["debut_session"]).dt.total_seconds() / 3600
                n_hours = np.maximum(width, 1) + p.heures_avant + p.heures_apres + 1
                test["prevu_naif"] = rate * test["jauge_attendue"] / 1000 / n_hours
                test["origine"] = origin
                parts.append(test)
        origin = stop
    if not parts:
        return pd.DataFrame(columns=["source", "evenement_id", "session", "heure_relative", "exces", "prevu_modele", "prevu_naif", "origine"])
    return pd.concat(parts, ignore_index=True)


def observed_rates(prep: Prepared) -> pd.DataFrame:
    """Pooled excess per 1,000 attendees by source and event type, model-free.

    Over sessions fully observed with no overlapping hour and a baseline for every hour:
    sum of excess / sum of attendance/1000, with a normal 95 % interval from
    var = sum(observed) + sum(baseline / comparable hours).
    """
    observed = prep.sessions[_observed_sessions(prep)][["evenement_id", "session", "code_type_evenement", "jauge_attendue"]]
    e = prep.excess.merge(observed, on=["evenement_id", "session"])
    bad = e.groupby(["evenement_id", "session"])[["chevauchement"]].any()
    bad["sans_ref"] = e.assign(m=e["reference"].isna()).groupby(["evenement_id", "session"])["m"].any()
    clean = bad[~bad["chevauchement"] & ~bad["sans_ref"]].reset_index()[["evenement_id", "session"]]
    e = e.merge(clean, on=["evenement_id", "session"])
    e["var"] = e["observe"] + e["reference"] / (e["nb_heures_reference"] + prep.p.poids_moyenne_horaire).clip(lower=1)
    g = e.groupby(["source", "code_type_evenement"]).agg(exces=("exces", "sum"), var=("var", "sum")).reset_index()
    att = e.drop_duplicates(["source", "evenement_id", "session"]).groupby(["source", "code_type_evenement"]).agg(
        milliers=("jauge_attendue", lambda s: float(s.sum()) / 1000), sessions=("evenement_id", "size")).reset_index()
    g = g.merge(att, on=["source", "code_type_evenement"])
    g["taux"] = g["exces"] / g["milliers"]
    se = np.sqrt(g["var"]) / g["milliers"]
    g["ic_bas"], g["ic_haut"] = g["taux"] - Z95 * se, g["taux"] + Z95 * se
    return g




def compute_qualite(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_qualite``: fit quality, backtest vs naive, recovered rates (long format)."""
    prep = prepare(inputs, params)
    observed = _observed_sessions(prep)
    fits = _fits(prep, observed)
    rows: list[tuple[str, str, float, str, str]] = []
    first, last = prep.coverage
    if has_coverage(prep.coverage):
        rows.append(("global", "fenetre_jours", float((last.normalize() - first.normalize()).days + 1), "jours",
                     f"Heures couvertes par toutes les sources : {first:%Y-%m-%d %H:00} à {last:%Y-%m-%d %H:00} (heure locale)."))
    else:
        rows.append(("global", "fenetre_jours", 0.0, "jours",
                     "Données insuffisantes : aucune heure couverte à la fois par les trois sources (source pas encore livrée)."))
    ev = prep.sessions.drop_duplicates("evenement_id")
    rows.append(("global", "nb_evenements_observes", float(ev[~ev["planifie"]]["evenement_id"].nunique()), "événements", "Événements non annulés ayant commencé au plus tard le dernier jour observé."))
    rows.append(("global", "nb_evenements_planifies", float(ev[ev["planifie"]]["evenement_id"].nunique()), "événements", "Événements non annulés à venir : prévision et dispositif."))
    rows.append(("global", "nb_sessions_apprentissage", float(observed.sum()), "sessions", "Sessions (un jour d'événement) entièrement observées, utilisées pour l'ajustement."))
    for source in SOURCES:
        if source not in fits:
            rows.append((source, "nb_heures_apprentissage", 0.0, "heures",
                         "Données insuffisantes : aucune heure-événement passée observée avec référence, "
                         "pas d'ajustement ni de prévision."))
    for source, fit in fits.items():
        rows.append((source, "dispersion", fit.dispersion, "ratio", "Khi2 de Pearson / ddl ; au-dessus de 1 (surdispersion), les intervalles sont élargis d'autant."))
        rows.append((source, "deviance", fit.deviance, "déviance", f"Déviance de Poisson sur {fit.n_obs} heures-événement."))
        rows.append((source, "nb_heures_apprentissage", float(fit.n_obs), "heures", "Heures-événement observées, avec référence, sans chevauchement."))
        for seg, w in zip(fit.segments, fit.weights, strict=True):
            rows.append((f"{source}|{seg}", "part_profil", float(w), "part", "Part du surcroît d'une session dans ce segment horaire (modèle)."))
        for t in fit.types:
            r, lo, hi = fit.rate_per_1000(t)
            rows.append((f"{source}|{t}", "taux_pour_1000_modele", r, "faits pour 1 000 personnes", "Surcroît par session, jour de semaine sans pluie (modèle)."))
            rows.append((f"{source}|{t}", "taux_pour_1000_modele_ic_bas", lo, "faits pour 1 000 personnes", "Borne basse à 95 %."))
            rows.append((f"{source}|{t}", "taux_pour_1000_modele_ic_haut", hi, "faits pour 1 000 personnes", "Borne haute à 95 %."))
        k = len(fit.types)
        for name, j in (("irr_week_end", 1 + k), ("irr_ferie", 2 + k), ("irr_pluie", 3 + k)):
            se = math.sqrt(max(fit.cov[j, j], 0.0))
            rows.append((source, name, math.exp(fit.beta[j]), "ratio", f"Rapport du surcroît (IC 95 % {math.exp(fit.beta[j] - Z95 * se):.2f} – {math.exp(fit.beta[j] + Z95 * se):.2f})."))
    for r in observed_rates(prep).itertuples(index=False):
        per = f"{r.source}|{r.code_type_evenement}"
        rows.append((per, "taux_pour_1000_observe", float(r.taux), "faits pour 1 000 personnes", f"Surcroît observé cumulé / jauge, {int(r.sessions)} sessions sans chevauchement."))
        rows.append((per, "taux_pour_1000_observe_ic_bas", float(r.ic_bas), "faits pour 1 000 personnes", "Borne basse à 95 % (approximation normale)."))
        rows.append((per, "taux_pour_1000_observe_ic_haut", float(r.ic_haut), "faits pour 1 000 personnes", "Borne haute à 95 % (approximation normale)."))
    bt = backtest(prep)
    for source in SOURCES:
        if source not in set(bt["source"]):
            rows.append((source, "backtest_nb_heures", 0.0, "heures",
                         "Données insuffisantes : pas assez d'événements passés pour une rétro-évaluation à origine glissante."))
    for source, g in bt.groupby("source"):
        n_ev = g["evenement_id"].nunique()
        tot = g.groupby(["evenement_id", "session"])[["exces", "prevu_modele", "prevu_naif"]].sum()
        for level, frame in (("heure", g), ("session", tot)):
            for who in ("modele", "naif"):
                err = frame[f"prevu_{who}"] - frame["exces"]
                rows.append((source, f"backtest_mae_{level}_{who}", float(err.abs().mean()), "faits",
                             f"Erreur absolue moyenne par {level} ({'modèle' if who == 'modele' else 'référence naïve : surcroît moyen pour 1 000 personnes'}), origine glissante, {n_ev} événements."))
                rows.append((source, f"backtest_biais_{level}_{who}", float(err.mean()), "faits", f"Biais moyen (prévu - observé) par {level}."))
    out = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    return _types(out, floats=["valeur"], strs=["perimetre", "indicateur", "unite", "commentaire"])


def _types(frame: pd.DataFrame, ints: list[str] = (), floats: list[str] = (), strs: list[str] = (), bools: list[str] = ()) -> pd.DataFrame:  # type: ignore[assignment]
    """Stable mart dtypes (the columns are the mart's contract), also when the mart is empty."""
    out = frame.copy()
    if "heure_locale" in out.columns:
        out["heure_locale"] = pd.to_datetime(out["heure_locale"]).astype("datetime64[us]")
    if "jour" in out.columns:  # calendar dates (datetime.date objects)
        out["jour"] = out["jour"].astype(object)
    for c in ints:
        out[c] = out[c].astype("int64")
    for c in floats:
        out[c] = out[c].astype("float64")
    for c in strs:
        out[c] = out[c].astype(str)
    for c in bools:
        out[c] = out[c].astype(bool)
    return out
