"""The event-excess model: per source, a penalised Poisson fit with an additive event term.

``mu = baseline + attendance/1000 * exp(x'beta) * w_segment / hours_in_segment``, where x holds
the event type (ridge-shrunk towards the overall rate, so a type never seen gets the overall
rate), the day type and rain; ``w`` is the relative-hour profile (softmax).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from orchestration.analytics.securite_evenements.inputs import SOURCES
from orchestration.analytics.securite_evenements.parameters import Params
from orchestration.analytics.stats import Z95


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


def training_rows(exc: pd.DataFrame, feats: pd.DataFrame, hours: pd.DataFrame, source: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Event hours usable to fit a source: observed, with a baseline, not overlapping another event.

    ``extra``: more columns of ``feats`` to carry (after the usual ones).
    """
    keys = ["evenement_id", "session", "heure_relative"]
    r = exc[(exc["source"] == source) & exc["observe"].notna() & exc["reference"].notna() & ~exc["chevauchement"]]
    r = r.merge(hours[[*keys, "segment", "n_segment"]], on=keys).merge(
        feats[["evenement_id", "session", "code_type_evenement", "jauge_attendue", "type_jour", "pluie", "debut_session", "fin_session", *extra]],
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
        _beta, w, e = unpack(v)
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


def fit_sources(exc: pd.DataFrame, feats: pd.DataFrame, hours: pd.DataFrame, segs: list[str], p: Params) -> dict[str, Fit]:
    """One fit per source on the training rows of the sessions in ``feats`` (sources without rows are left out)."""
    fits = {}
    for source in SOURCES:
        rows = training_rows(exc, feats, hours, source)
        if len(rows):
            fits[source] = fit_model(rows, source, segs, p)
    return fits
