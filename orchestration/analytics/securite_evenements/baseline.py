"""Facts near each venue and the baseline they are compared with: the observed excess.

The baseline of an event hour is the mean count at the same venue, weekday and hour on the
``semaines_reference`` nearest weeks that have data and no event nearby, shrunk towards the
venue's mean at that weekday and hour over all event-free weeks. Excess = observed - baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.analytics.securite_evenements.inputs import SOURCES
from orchestration.analytics.securite_evenements.parameters import Params
from orchestration.analytics.securite_evenements.windows import has_coverage
from orchestration.analytics.stats import Z95


def counts_within(facts: pd.DataFrame, p: Params) -> pd.DataFrame:
    """Facts within ``rayon_m`` of each venue by source and local hour (summing the 50 m rings)."""
    if len(facts) and p.rayon_m > float(facts["rayon_couvert_m"].min()):
        raise ValueError(f"rayon_m {p.rayon_m} exceeds the radius the intermediate model covers ({facts['rayon_couvert_m'].min()} m)")
    inside = facts[facts["distance_max_m"] <= p.rayon_m]
    out = inside.groupby(["code_lieu", "source", "heure_locale"], as_index=False)["nb_faits"].sum()
    out["heure_locale"] = pd.to_datetime(out["heure_locale"])
    return out


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


def observed_rates(sess: pd.DataFrame, exc: pd.DataFrame, observed: pd.Series, p: Params) -> pd.DataFrame:
    """Pooled excess per 1,000 attendees by source and event type, model-free.

    Over sessions fully observed with no overlapping hour and a baseline for every hour:
    sum of excess / sum of attendance/1000, with a normal 95 % interval from
    var = sum(observed) + sum(baseline / comparable hours). ``observed`` masks ``sess`` (the
    sessions fully inside the data coverage).
    """
    kept = sess[observed][["evenement_id", "session", "code_type_evenement", "jauge_attendue"]]
    e = exc.merge(kept, on=["evenement_id", "session"])
    bad = e.groupby(["evenement_id", "session"])[["chevauchement"]].any()
    bad["sans_ref"] = e.assign(m=e["reference"].isna()).groupby(["evenement_id", "session"])["m"].any()
    clean = bad[~bad["chevauchement"] & ~bad["sans_ref"]].reset_index()[["evenement_id", "session"]]
    e = e.merge(clean, on=["evenement_id", "session"])
    e["var"] = e["observe"] + e["reference"] / (e["nb_heures_reference"] + p.poids_moyenne_horaire).clip(lower=1)
    g = e.groupby(["source", "code_type_evenement"]).agg(exces=("exces", "sum"), var=("var", "sum")).reset_index()
    att = e.drop_duplicates(["source", "evenement_id", "session"]).groupby(["source", "code_type_evenement"]).agg(
        milliers=("jauge_attendue", lambda s: float(s.sum()) / 1000), sessions=("evenement_id", "size")).reset_index()
    g = g.merge(att, on=["source", "code_type_evenement"])
    g["taux"] = g["exces"] / g["milliers"]
    se = np.sqrt(g["var"]) / g["milliers"]
    g["ic_bas"], g["ic_haut"] = g["taux"] - Z95 * se, g["taux"] + Z95 * se
    return g
