"""Weak signals: unusual daily counts by quartier x category against a trailing baseline.

Method (a prospective space-time permutation scan with a fixed spatial unit, Kulldorff 2005):
the expected count of series ``s`` (feed x category) in quartier ``q`` on day ``d`` is the city
total of that series on ``d`` times the quartier's share of the series over a trailing window
that ends before the scanned days. Conditioning on the day's city total absorbs weekday,
season, weather and city-wide surges, so what is left is *local* excess. The share is shrunk
towards the quartier's share of the whole feed (empirical Bayes), so sparse categories still get
a sensible baseline after a few days of history.

For each day, windows of 1..L days ending that day are scanned; the score is the smallest
Poisson upper-tail probability P(X >= observed | expected) over the windows, reported as
``-log10``. A cell-day is flagged when its score reaches the declared threshold and the window
holds at least the declared minimum number of cases. The trailing window ends the day before
the longest scanned window starts, so a burst never feeds its own baseline.

Days without ``historique_min_jours`` of history before the scanned window are scored as
missing and never flagged (start of the data window).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from orchestration.core.catalog.mart_schema import conform
from orchestration.core.catalog.parameters import SignauxFaiblesParameters

COUNTS = "int_signaux_faibles__comptages_jour"
QUARTIERS = "int_signaux_faibles__quartiers"

ANOMALIES = "signaux_faibles_anomalies"  # the marts computed here (columns declared in the use case)
QUALITE = "signaux_faibles_qualite_modele"


def declared_series(params: SignauxFaiblesParameters) -> list[tuple[str, str]]:
    """(feed, category code) pairs scanned, from ``params.signaux_faibles.series``."""
    return [(str(f), str(c)) for f, cats in params.signaux_faibles.series.items() for c in cats]


def cube(counts: pd.DataFrame, series: list[tuple[str, str]], quartiers: list[str]) -> tuple[np.ndarray, list[date]]:
    """Dense counts ``Y[series, quartier, day]`` (zeros filled) and the calendar of days.

    ``counts`` has columns flux, code_categorie, code_quartier, jour, nb (non-zero cells only).
    The calendar runs from the first to the last day any scanned feed delivered.
    """
    feeds = {f for f, _ in series}
    seen = counts[counts["flux"].isin(feeds)]
    if seen.empty:
        return np.zeros((len(series), len(quartiers), 0)), []
    first, last = min(seen["jour"]), max(seen["jour"])
    days = [d.date() for d in pd.date_range(first, last, freq="D")]
    s_index = {k: i for i, k in enumerate(series)}
    q_index = {q: i for i, q in enumerate(quartiers)}
    d_index = {d: i for i, d in enumerate(days)}
    y = np.zeros((len(series), len(quartiers), len(days)))
    keys = list(zip(seen["flux"], seen["code_categorie"], strict=True))
    for (f, c), q, d, n in zip(keys, seen["code_quartier"], seen["jour"], seen["nb"], strict=True):
        si, qi = s_index.get((f, c)), q_index.get(q)
        if si is not None and qi is not None:
            y[si, qi, d_index[d]] += n
    return y, days


def _trailing(cum: np.ndarray, end: np.ndarray, length: int) -> np.ndarray:
    """Sum over days ``[end - length + 1, end]`` (clipped at 0) along the last axis, from a cumsum.

    ``cum`` has a leading zero day: ``cum[..., k]`` is the sum of days ``< k``.
    """
    hi = np.clip(end + 1, 0, cum.shape[-1] - 1)
    lo = np.clip(end + 1 - length, 0, cum.shape[-1] - 1)
    return cum[..., hi] - cum[..., lo]


def expected_counts(y: np.ndarray, feed_of_series: np.ndarray, params: SignauxFaiblesParameters) -> tuple[np.ndarray, np.ndarray]:
    """Expected counts ``E[series, quartier, day]`` and the days of history behind each day.

    Share of quartier q in series s = (n_sq + k) / (N_s + k / p_q) over the trailing window,
    with p_q the quartier's share of the whole feed over the same window; times the day's city
    total of the series. Days with too little history get NaN.
    """
    cfg = params.signaux_faibles
    window = int(cfg.fenetre_reference_jours)
    longest = int(max(cfg.fenetres_jours))
    k = float(cfg.force_a_priori)
    min_hist = int(cfg.historique_min_jours)
    n_series, n_q, n_days = y.shape
    days = np.arange(n_days)
    end = days - longest  # last day of the trailing window for windows ending at d
    history = np.clip(np.minimum(end + 1, window), 0, None)
    cum = np.concatenate([np.zeros((n_series, n_q, 1)), np.cumsum(y, axis=2)], axis=2)
    n_sq = _trailing(cum, end, window)  # (S, Q, D)
    n_s = n_sq.sum(axis=1, keepdims=True)
    share = np.empty_like(n_sq)
    for feed in np.unique(feed_of_series):
        rows = feed_of_series == feed
        n_fq = n_sq[rows].sum(axis=0, keepdims=True)
        p_q = n_fq / np.maximum(n_fq.sum(axis=1, keepdims=True), 1e-12)
        # gamma prior on the cell's count with mean N_s * p_q and shape k (in cases): a cell with
        # no case yet keeps a share of k / (N_s + k / p_q) instead of dropping to zero
        with np.errstate(divide="ignore", invalid="ignore"):
            share[rows] = np.where(p_q > 0, (n_sq[rows] + k) / (n_s[rows] + k / np.where(p_q > 0, p_q, 1.0)), 0.0)
    total = y.sum(axis=1, keepdims=True)
    expected = share * total
    expected[:, :, history < min_hist] = np.nan
    return expected, history


def scan(y: np.ndarray, expected: np.ndarray, windows: list[int]) -> tuple[np.ndarray, ...]:
    """Smallest upper-tail Poisson probability over windows ending each day.

    Returns (p, window length, observed in window, expected in window), each (S, Q, D).
    """
    best_p = np.full(y.shape, np.nan)
    best_w = np.zeros(y.shape, dtype=np.int64)
    best_o = y.astype(float).copy()  # unscored days (no history) report the day itself, window 0
    best_e = np.full(y.shape, np.nan)
    cum_y = np.concatenate([np.zeros((*y.shape[:2], 1)), np.cumsum(y, axis=2)], axis=2)
    days = np.arange(y.shape[2])
    for w in sorted(windows):
        o = _trailing(cum_y, days, w)
        # Expected over the window: the baseline of each day in it (NaN if any day lacks history
        # only for the first day of the window; the window's days share the same trailing share).
        e = np.zeros(y.shape)
        for lag in range(w):
            shifted = np.full(y.shape, np.nan)
            shifted[:, :, lag:] = expected[:, :, : y.shape[2] - lag] if lag else expected
            e = e + shifted
        e[:, :, : w - 1] = np.nan
        # The window uses the baseline of its own days; days before the data start do not exist.
        with np.errstate(invalid="ignore"):
            p = np.where(np.isnan(e) | (o <= 0), 1.0, stats.poisson.sf(o - 1, np.where(np.isnan(e), 1.0, e)))
        p = np.where(np.isnan(expected), np.nan, p)
        better = np.isnan(best_p) | (p < best_p)
        better &= ~np.isnan(p)
        best_p = np.where(better, p, best_p)
        best_w = np.where(better, w, best_w)
        best_o = np.where(better, o, best_o)
        best_e = np.where(better, e, best_e)
    return best_p, best_w, best_o, best_e


def detect(counts: pd.DataFrame, quartiers: list[str], params: SignauxFaiblesParameters) -> dict[str, Any]:
    """Run the scan; returns arrays and labels (used by :func:`compute` and the fit-quality mart)."""
    cfg = params.signaux_faibles
    series = declared_series(params)
    y, days = cube(counts, series, quartiers)
    feed_of_series = np.array([f for f, _ in series])
    expected, history = expected_counts(y, feed_of_series, params)
    p, w, o, e = scan(y, expected, [int(x) for x in cfg.fenetres_jours])
    score = -np.log10(np.clip(p, 1e-300, 1.0))
    flag = (score >= float(cfg.seuil_score)) & (o >= int(cfg.nb_min_cas)) & ~np.isnan(p)
    return {"series": series, "quartiers": quartiers, "days": days, "y": y, "expected": expected, "history": history,
            "p": p, "window": w, "observed_window": o, "expected_window": e, "score": score, "flag": flag}


def compute(inputs: Mapping[str, pd.DataFrame], params: SignauxFaiblesParameters) -> pd.DataFrame:
    """Mart ``signaux_faibles_anomalies``: every scored cell-day with a case, or flagged.

    One row per (jour, code_quartier, flux, code_categorie) where the day has at least one case
    (a day with none cannot be an upper-tail anomaly). Aggregates only.
    """
    counts = inputs[COUNTS]
    ref = inputs[QUARTIERS].sort_values("code_quartier")
    quartiers = ref["code_quartier"].astype(str).tolist()
    res = detect(counts, quartiers, params)
    labels = counts.drop_duplicates(["flux", "code_categorie"]).set_index(["flux", "code_categorie"])["categorie"].to_dict()
    names = dict(zip(ref["code_quartier"].astype(str), ref["nom_quartier"].astype(str), strict=True))
    y = res["y"]
    keep = (y > 0) | res["flag"]
    s_i, q_i, d_i = np.nonzero(keep)
    series, days = res["series"], res["days"]
    frame = pd.DataFrame(
        {
            "jour": [days[d] for d in d_i],
            "code_quartier": [quartiers[q] for q in q_i],
            "nom_quartier": [names[quartiers[q]] for q in q_i],
            "flux": [series[s][0] for s in s_i],
            "code_categorie": [series[s][1] for s in s_i],
            "categorie": [str(labels.get(series[s], series[s][1])) for s in s_i],
            "nb_observe": y[s_i, q_i, d_i],
            "nb_attendu": res["expected"][s_i, q_i, d_i],
            "fenetre_jours": res["window"][s_i, q_i, d_i],
            "nb_observe_fenetre": res["observed_window"][s_i, q_i, d_i],
            "nb_attendu_fenetre": res["expected_window"][s_i, q_i, d_i],
            "p_valeur": res["p"][s_i, q_i, d_i],
            "score": res["score"][s_i, q_i, d_i],
            "alerte": res["flag"][s_i, q_i, d_i],
            "jours_historique": res["history"][d_i],
        }
    )
    return conform(frame.sort_values(["jour", "flux", "code_categorie", "code_quartier"]).reset_index(drop=True), ANOMALIES)




def inject_bursts(counts: pd.DataFrame, quartiers: list[str], params: SignauxFaiblesParameters) -> tuple[pd.DataFrame, list[tuple[str, str, str, list[date]]]]:
    """Add synthetic bursts to the real counts (self-test): declared number, length and multiplier.

    Each burst picks a scanned series, a quartier among the busier half for that series and a
    start day after the minimum history; it adds Poisson(multiplier - 1) x the cell's mean daily
    count over the whole window (at least 1 per day), so the test mirrors a realistic burst.
    """
    cfg = params.signaux_faibles
    inj = cfg.injection
    rng = np.random.default_rng(int(inj.graine))
    series = declared_series(params)
    y, days = cube(counts, series, quartiers)
    if not days:
        return counts, []
    start_min = int(cfg.historique_min_jours) + int(max(cfg.fenetres_jours))
    length = int(inj.jours)
    if len(days) < start_min + length:
        return counts, []
    mean = y.mean(axis=2)
    extra_rows, bursts = [], []
    for _ in range(int(inj.nombre)):
        s = int(rng.integers(len(series)))
        busy = np.flatnonzero(mean[s] >= np.median(mean[s]))
        q = int(rng.choice(busy))
        d0 = int(rng.integers(start_min, len(days) - length + 1))
        rate = max(float(mean[s, q]), 1.0) * (float(inj.multiplicateur) - 1)
        burst_days = days[d0 : d0 + length]
        for d in burst_days:
            n = int(rng.poisson(rate))
            if n:
                extra_rows.append({"flux": series[s][0], "code_categorie": series[s][1], "categorie": series[s][1],
                                   "code_quartier": quartiers[q], "jour": d, "nb": n})
        bursts.append((series[s][0], series[s][1], quartiers[q], burst_days))
    injected = pd.concat([counts, pd.DataFrame(extra_rows)], ignore_index=True) if extra_rows else counts
    return injected, bursts


def recall_and_false_alarms(res: Mapping[str, Any], bursts: list[tuple[str, str, str, list[date]]]) -> tuple[float, float, int]:
    """(recall, false alarms per 1,000 scored cell-days outside bursts, bursts evaluated).

    A burst is found when at least one of its days is flagged.
    """
    s_ix = {s: i for i, s in enumerate(res["series"])}
    q_ix = {q: i for i, q in enumerate(res["quartiers"])}
    d_ix = {d: i for i, d in enumerate(res["days"])}
    inside = np.zeros(res["y"].shape, dtype=bool)
    found = 0
    evaluated = 0
    for feed, cat, q, bdays in bursts:
        cells = [(s_ix[(feed, cat)], q_ix[q], d_ix[d]) for d in bdays if d in d_ix and (feed, cat) in s_ix and q in q_ix]
        if not cells:
            continue
        evaluated += 1
        for c in cells:
            inside[c] = True
        found += any(bool(res["flag"][c]) for c in cells)
    scored = ~np.isnan(res["p"])
    outside = scored & ~inside
    fa = 1000 * float((res["flag"] & outside).sum()) / max(int(outside.sum()), 1)
    return (found / evaluated if evaluated else float("nan")), fa, evaluated


def compute_quality(inputs: Mapping[str, pd.DataFrame], params: SignauxFaiblesParameters) -> pd.DataFrame:
    """Mart ``signaux_faibles_qualite_modele``: data window, alert rate, calibration, injected-burst recall."""
    cfg = params.signaux_faibles
    counts = inputs[COUNTS]
    quartiers = sorted(inputs[QUARTIERS]["code_quartier"].astype(str))
    res = detect(counts, quartiers, params)
    scored = ~np.isnan(res["p"])
    n_scored = int(scored.sum())
    flags = int(res["flag"].sum())
    y, e = res["y"], res["expected"]
    ok = scored & (e > 0)
    calibration = float(y[ok].sum() / e[ok].sum()) if ok.any() else float("nan")
    dof = max(int(ok.sum()) - 1, 1)
    dispersion = float((((y[ok] - e[ok]) ** 2) / e[ok]).sum() / dof) if ok.any() else float("nan")
    unscored_days = int((res["history"] < int(cfg.historique_min_jours)).sum())
    injected, bursts = inject_bursts(counts, quartiers, params)
    recall, fa_injected, evaluated = recall_and_false_alarms(detect(injected, quartiers, params), bursts)
    inj = cfg.injection
    rows = [
        ("donnees", "jours_fenetre", float(len(res["days"])), "jours", "Jours couverts par les flux scrutés."),
        ("donnees", "jours_sans_score", float(unscored_days), "jours",
         f"Premiers jours sans score : moins de {cfg.historique_min_jours} jours d'historique avant la fenêtre la plus longue."),
        ("donnees", "cellules_jours_scorees", float(n_scored), "cellules quartier-catégorie-jour", "Cellules (y compris à zéro) qui ont reçu un score."),
        ("alertes", "alertes", float(flags), "cellules-jours", "Cellules-jours en alerte."),
        ("alertes", "alertes_pour_mille", 1000 * flags / max(n_scored, 1), "pour 1 000 cellules-jours",
         f"Taux d'alerte global ; cible déclarée de fausses alertes : {cfg.taux_fausses_alertes_max_pour_mille} pour 1 000."),
        ("calibration", "observe_sur_attendu", calibration, "ratio", "Total observé / total attendu sur les cellules scorées (1 = référence bien calée)."),
        ("calibration", "dispersion_pearson", dispersion, "ratio", "Chi2 de Pearson / ddl des comptes quotidiens (> 1 : plus variable que Poisson)."),
        ("auto_test", "rappel_anomalies_injectees", recall, "proportion",
         f"{evaluated} hausses de {inj.jours} jours x {inj.multiplicateur} injectées dans les données réelles ; trouvée = alerte sur au moins un de ses jours."),
        ("auto_test", "fausses_alertes_pour_mille_hors_injection", fa_injected, "pour 1 000 cellules-jours", "Alertes hors des cellules-jours injectées (données réelles : contient aussi les vraies hausses)."),
    ]
    return conform(pd.DataFrame(rows, columns=["perimetre", "indicateur", "valeur", "unite", "commentaire"]), QUALITE)
