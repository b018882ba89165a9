"""Night life: where and when night-time incidents exceed what a quartier's daytime level predicts.

Zones (indirect standardisation, as a standardised incidence ratio):
for quartier q and a kind of night (weeknight / Thursday-Friday-Saturday night), the expected
night-life count is, per feed, the city's night-life count of that feed in those hours times the
quartier's share of the feed's *daytime* activity (every category, declared day hours). The
ratio observed / expected is divided by its median over quartiers, so 1 means "as busy at night
as an ordinary quartier given its daytime level" (the city total itself contains the hot spots'
excess, which the median removes). Interval: Poisson on the night count plus the noise of the
daytime share (delta method). A quartier is a problem area when the ratio and its lower bound
pass the declared thresholds.

Factors (Poisson GLM, quasi-Poisson intervals, ``stats.poisson_irr``): on city night hours,
count ~ hour + month + Thu/Fri/Sat night + wet hour + public holiday + school holidays (zone B);
on quartier nights, count ~ event in the quartier that night, offset by the quartier's expected
count. The weekend surplus of the problem areas (excess on Thu/Fri/Sat nights / excess on other
nights) is reported with a parametric bootstrap interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from orchestration.analytics import per_distinct, shared, stats
from orchestration.core.catalog.mart_schema import column_names, conform
from orchestration.core.catalog.parameters import VieNocturneConfig, VieNocturneParameters

COUNTS = "vie_nocturne_comptages_horaires"
RAIN = "int_vie_nocturne__heures_pluie"
EVENTS = "int_vie_nocturne__evenements"
QUARTIERS = "int_vie_nocturne__quartiers"

PERIODS = ("semaine", "fin_de_semaine", "toutes")

# The marts computed here (their columns and grain are declared in the use case).
ZONES = "vie_nocturne_zones"
PROFIL = "vie_nocturne_profil_horaire"
FACTEURS = "vie_nocturne_facteurs"
QUALITE = "vie_nocturne_qualite_modele"


# -- calendar -------------------------------------------------------------------------------------


def night_of(day: date, hour: int) -> date:
    """The evening a local hour belongs to: small hours (before noon) belong to the previous evening."""
    return day - timedelta(days=1) if hour < 12 else day


def is_weekend_night(night: date, weekend_evenings: list[int]) -> bool:
    """Thursday, Friday and Saturday evenings (and their small hours), by declared weekdays (0 = Monday)."""
    return night.weekday() in set(weekend_evenings)


@cache
def _public_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.France(years=year))


def is_holiday_night(night: date) -> bool:
    """A night is festive when its evening or the next day is a public holiday (eve of a holiday)."""
    return any(d in _public_holidays(d.year) for d in (night, night + timedelta(days=1)))


@cache
def _school_calendar() -> Any:
    # Loading the reference parses its whole CSV (~0.5 s): once per process.
    from vacances_scolaires_france import SchoolHolidayDates

    return SchoolHolidayDates()


@cache
def is_school_holiday(night: date, zone: str = "B") -> bool:
    """The evening falls in the school holidays of the zone (Aix-Marseille is zone B)."""
    return bool(_school_calendar().is_holiday_for_zone(night, zone))


# -- preparation ----------------------------------------------------------------------------------


def _cfg(params: VieNocturneParameters) -> VieNocturneConfig:
    return params.vie_nocturne


def night_life_rows(counts: pd.DataFrame, params: VieNocturneParameters) -> pd.DataFrame:
    """Night-life categories of the declared feeds, during the declared night hours."""
    cfg = _cfg(params)
    pairs = {(f, str(c)) for f, cats in cfg.categories.items() for c in cats}
    keep = per_distinct(lambda f, c: (f, c) in pairs, counts["flux"], counts["code_categorie"], dtype=bool)
    rows = counts[keep & counts["heure"].isin(cfg.heures_nuit)].copy()
    weekend = per_distinct(lambda night: is_weekend_night(night, cfg.soirs_fin_de_semaine), rows["jour_nuit"], dtype=bool)
    rows["weekend"] = pd.Series(weekend, index=rows.index, dtype=bool)
    return rows


def daytime_shares(counts: pd.DataFrame, params: VieNocturneParameters) -> pd.DataFrame:
    """Per feed of the zone model, each quartier's share of daytime activity (all categories).

    Columns flux, code_quartier, nb_jour (daytime count), part (share of the feed).
    """
    cfg = _cfg(params)
    day = counts[counts["heure"].isin(cfg.heures_jour) & counts["flux"].isin(cfg.flux_modele_zones)]
    out = day.groupby(["flux", "code_quartier"], as_index=False)["nb_incidents"].sum().rename(columns={"nb_incidents": "nb_jour"})
    out["part"] = out["nb_jour"] / out.groupby("flux")["nb_jour"].transform("sum")
    return out


def _period_mask(rows: pd.DataFrame, period: str) -> pd.Series:
    if period == "semaine":
        return ~rows["weekend"]
    if period == "fin_de_semaine":
        return rows["weekend"]
    return pd.Series(True, index=rows.index)


def standardised_ratios(nights: pd.DataFrame, shares: pd.DataFrame, quartiers: list[str],
                        excluded: set[tuple[str, date]] | None = None) -> pd.DataFrame:
    """Observed / expected night counts per quartier, normalised by the median quartier.

    ``nights``: night-life rows of the zone-model feeds (flux, code_quartier, nb_incidents).
    ``shares``: :func:`daytime_shares`. ``excluded``: (quartier, night) pairs left out of both
    the observed and the expected count of that quartier (nights touched by an event). Returns
    code_quartier, nb_observe, nb_attendu, irr, ic_bas, ic_haut (95 %), with ``nb_attendu``
    already on the normalised scale.
    """
    totals = nights.groupby("flux")["nb_incidents"].sum()
    sh = shares[shares["flux"].isin(totals.index)].copy()
    sh["total_nuit"] = sh["flux"].map(totals).astype(float)
    if excluded:
        per_night = nights.groupby(["flux", "jour_nuit"], as_index=False)["nb_incidents"].sum()
        excl = pd.DataFrame(sorted(excluded), columns=["code_quartier", "jour_nuit"])
        lost = excl.merge(per_night, on="jour_nuit").groupby(["flux", "code_quartier"])["nb_incidents"].sum()
        sh["total_nuit"] -= [float(lost.get((f, q), 0)) for f, q in zip(sh["flux"], sh["code_quartier"], strict=True)]
        keep = [(q, n) not in excluded for q, n in zip(nights["code_quartier"], nights["jour_nuit"], strict=True)]
        nights = nights[np.array(keep, dtype=bool)]
    sh["attendu"] = sh["part"] * sh["total_nuit"]
    # delta method: var(attendu_fq) ~ attendu_fq^2 / nb_jour_fq (Poisson noise of the daytime count)
    sh["var_attendu"] = sh["attendu"] ** 2 / sh["nb_jour"].clip(lower=1)
    exp_q = sh.groupby("code_quartier")[["attendu", "var_attendu"]].sum()
    obs_q = nights.groupby("code_quartier")["nb_incidents"].sum()
    out = pd.DataFrame(index=pd.Index(quartiers, name="code_quartier"))
    out["nb_observe"] = obs_q.reindex(out.index).fillna(0).astype("int64")
    out["attendu_brut"] = exp_q["attendu"].reindex(out.index).fillna(0.0)
    out["var_attendu"] = exp_q["var_attendu"].reindex(out.index).fillna(0.0)
    valid = out["attendu_brut"] > 0
    raw = out["nb_observe"] / out["attendu_brut"].where(valid)
    reference = float(np.nanmedian(raw[valid])) if valid.any() else math.nan
    if not reference or math.isnan(reference):
        reference = 1.0
    out["nb_attendu"] = out["attendu_brut"] * reference
    out["irr"] = (raw / reference).astype(float)
    o = out["nb_observe"].astype(float)
    rel_var_exp = out["var_attendu"] / out["attendu_brut"].where(valid) ** 2
    se = np.sqrt(1 / o.where(o > 0) + rel_var_exp)
    out["ic_bas"] = np.where(o > 0, out["irr"] * np.exp(-stats.Z95 * se), 0.0)
    # zero observed: exact Poisson upper bound (3.689 events) over the expected count
    out["ic_haut"] = np.where(o > 0, out["irr"] * np.exp(stats.Z95 * se), 3.689 / out["nb_attendu"].where(valid))
    out.attrs["reference"] = reference
    return out.reset_index()


@shared  # every mart of the use case starts from it
def zone_table(counts: pd.DataFrame, quartiers: pd.DataFrame, params: VieNocturneParameters,
               events: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per quartier and kind of night (semaine, fin_de_semaine, toutes).

    Quartier nights touched by an event (``events``, see :func:`event_nights`) are left out:
    the ratio measures ordinary nights; what events add is the ``evenement`` factor.
    """
    excluded = event_nights(events, params) if events is not None and len(events) else set()
    cfg = _cfg(params)
    rows = night_life_rows(counts, params)
    model_rows = rows[rows["flux"].isin(cfg.flux_modele_zones)]
    shares = daytime_shares(counts, params)
    codes = quartiers["code_quartier"].astype(str).tolist()
    names = dict(zip(codes, quartiers["nom_quartier"].astype(str), strict=True))
    all_nights = sorted({night_of(d, int(h)) for d, h in zip(counts["jour"], counts["heure"], strict=True)})
    flag = cfg.zone_a_probleme
    frames = []
    for period in PERIODS:
        part = model_rows[_period_mask(model_rows, period)]
        table = standardised_ratios(part, shares, codes, excluded)
        table["type_nuit"] = period
        nights = [n for n in all_nights if period == "toutes" or is_weekend_night(n, cfg.soirs_fin_de_semaine) == (period == "fin_de_semaine")]
        table["nb_nuits"] = len(nights)
        table["premiere_nuit"] = min(nights) if nights else None
        table["derniere_nuit"] = max(nights) if nights else None
        table["zone_a_probleme"] = (table["irr"] >= float(flag.irr_min)) & (table["ic_bas"] > float(flag.ic_bas_min))
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["nom_quartier"] = out["code_quartier"].map(names)
    out["irr"] = out["irr"].fillna(0.0)
    out["ic_bas"] = out["ic_bas"].fillna(0.0)
    out["ic_haut"] = out["ic_haut"].fillna(0.0)
    out = out.dropna(subset=["premiere_nuit"])
    return conform(out, ZONES).sort_values(["type_nuit", "code_quartier"]).reset_index(drop=True)


def hour_profile(counts: pd.DataFrame, quartiers: pd.DataFrame, params: VieNocturneParameters,
                 events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per quartier and night hour: the same standardised ratio as the zones, hour by hour.

    The expected count of hour h uses the city's night-life count at h (so the city's own night
    profile is the baseline) and the quartier's daytime share; the median quartier of each hour
    is the reference. An hour is a problem hour by the zones' declared rule.
    """
    cfg = _cfg(params)
    excluded = event_nights(events, params) if events is not None and len(events) else set()
    rows = night_life_rows(counts, params)
    rows = rows[rows["flux"].isin(cfg.flux_modele_zones)]
    shares = daytime_shares(counts, params)
    codes = quartiers["code_quartier"].astype(str).tolist()
    names = dict(zip(codes, quartiers["nom_quartier"].astype(str), strict=True))
    flag = cfg.zone_a_probleme
    frames = []
    for h in cfg.heures_nuit:
        table = standardised_ratios(rows[rows["heure"] == int(h)], shares, codes, excluded)
        table["heure"] = int(h)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["nom_quartier"] = out["code_quartier"].map(names)
    for col in ("irr", "ic_bas", "ic_haut"):
        out[col] = out[col].fillna(0.0)
    out["heure_a_probleme"] = (out["irr"] >= float(flag.irr_min)) & (out["ic_bas"] > float(flag.ic_bas_min))
    return conform(out, PROFIL).sort_values(["code_quartier", "heure"]).reset_index(drop=True)


def compute_profile(inputs: Mapping[str, pd.DataFrame], params: VieNocturneParameters) -> pd.DataFrame:
    """Mart ``vie_nocturne_profil_horaire``: night-activity ratio per quartier and night hour."""
    return hour_profile(inputs[COUNTS], inputs[QUARTIERS], params, inputs[EVENTS])


# -- factors --------------------------------------------------------------------------------------


def wet_hours(rain: pd.DataFrame, params: VieNocturneParameters) -> pd.DataFrame:
    """(jour, heure) -> mouillee (bool): rain of the hour starting at ``heure`` >= declared threshold."""
    out = rain[["jour", "heure"]].copy()
    out["mouillee"] = rain["pluie_mm"].astype(float) >= float(_cfg(params).seuil_pluie_mm)
    return out.drop_duplicates(["jour", "heure"])


def city_slots(rows: pd.DataFrame, counts: pd.DataFrame, rain: pd.DataFrame, params: VieNocturneParameters) -> pd.DataFrame:
    """City night-life count per (night, hour) with its covariates; hours without weather dropped."""
    cfg = _cfg(params)
    days = sorted(set(counts["jour"]))
    grid = pd.DataFrame([(d, h) for d in days for h in cfg.heures_nuit], columns=["jour", "heure"])
    n = rows.groupby(["jour", "heure"], as_index=False)["nb_incidents"].sum()
    slots = grid.merge(n, on=["jour", "heure"], how="left").fillna({"nb_incidents": 0})
    slots = slots.merge(wet_hours(rain, params), on=["jour", "heure"], how="inner")
    slots["jour_nuit"] = [night_of(d, int(h)) for d, h in zip(slots["jour"], slots["heure"], strict=True)]
    # the first small hours of the window belong to an evening outside it
    slots = slots[slots["jour_nuit"] >= min(days)] if days else slots
    slots["fin_de_semaine"] = [int(is_weekend_night(x, cfg.soirs_fin_de_semaine)) for x in slots["jour_nuit"]]
    slots["ferie"] = [int(is_holiday_night(x)) for x in slots["jour_nuit"]]
    slots["vacances"] = [int(is_school_holiday(x, cfg.zone_vacances)) for x in slots["jour_nuit"]]
    slots["pluie"] = slots["mouillee"].astype(int)
    slots["mois"] = [f"{x.year}-{x.month:02d}" for x in slots["jour_nuit"]]
    slots["n"] = slots["nb_incidents"].astype(float)
    return slots.reset_index(drop=True)


def _formula(slots: pd.DataFrame) -> str:
    terms = ["C(heure)"]
    if slots["mois"].nunique() > 1:
        terms.append("C(mois)")
    terms += [t for t in ("fin_de_semaine", "pluie", "ferie", "vacances") if slots[t].nunique() > 1]
    return "n ~ " + " + ".join(terms)


FACTOR_LABELS = {
    "fin_de_semaine": ("nuits_jeudi_vendredi_samedi", "jeudi, vendredi ou samedi soir", "autres soirs"),
    "pluie": ("pluie", "heure pluvieuse", "heure sèche"),
    "ferie": ("jour_ferie", "veille ou soir de jour férié", "autres soirs"),
    "vacances": ("vacances_scolaires", "vacances scolaires (zone B)", "période scolaire"),
    "evenement": ("evenement", "événement dans le quartier ce soir-là", "pas d'événement dans le quartier"),
}


def _fittable(slots: pd.DataFrame) -> bool:
    """Enough city night hours to fit the GLM: some incidents and residual degrees of freedom left."""
    if slots.empty or float(slots["n"].sum()) <= 0:
        return False
    n_params = slots["heure"].nunique() + max(slots["mois"].nunique() - 1, 0)
    n_params += sum(int(slots[t].nunique() > 1) for t in ("fin_de_semaine", "pluie", "ferie", "vacances"))
    return len(slots) > n_params


def city_factors(slots: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """IRR of each exogenous factor on city night hours (quasi-Poisson GLM).

    Too little data to fit (no night hour with weather, no incident, no residual degree of
    freedom): no factor, and a fit quality of NaN that the quality mart reports as such.
    """
    if not _fittable(slots):
        return pd.DataFrame(columns=column_names(FACTEURS)), {"deviance": math.nan, "ddl": math.nan, "dispersion": math.nan}
    fit = stats.poisson_irr(slots, _formula(slots))
    rows = []
    for term, (name, level, ref) in FACTOR_LABELS.items():
        hit = fit[fit["terme"] == term]
        if hit.empty:
            continue
        r = hit.iloc[0]
        rows.append({"facteur": name, "modalite": level, "reference": ref, "irr": r["irr"], "ic_bas": r["ic_bas"],
                     "ic_haut": r["ic_haut"], "p_valeur": r["p_valeur"], "modele": "glm_poisson_heures_nuit_ville"})
    quality = {"deviance": float(fit["deviance"].iloc[0]), "ddl": float(fit["ddl"].iloc[0]), "dispersion": float(fit["dispersion"].iloc[0])}
    return pd.DataFrame(rows), quality


def event_nights(events: pd.DataFrame, params: VieNocturneParameters) -> set[tuple[str, date]]:
    """(quartier, night) pairs where a planned event within the declared radius overlaps the night hours.

    ``events`` has one row per event and nearby quartier (code_quartier, distance_m, debut_local,
    fin_local); the radius is ``rayon_evenement_m`` (events add incidents around the venue, not
    only in its own quartier).
    """
    cfg = _cfg(params)
    hours = [int(h) for h in cfg.heures_nuit]
    near = events[events["distance_m"].astype(float) <= float(cfg.rayon_evenement_m)]
    found: set[tuple[str, date]] = set()
    for q, start, end in zip(near["code_quartier"], near["debut_local"], near["fin_local"], strict=True):
        if q is None or pd.isna(start) or pd.isna(end):
            continue
        start, end = pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()
        day = start.date() - timedelta(days=1)
        while day <= end.date() + timedelta(days=1):
            for h in hours:
                slot = datetime.combine(day, datetime.min.time()) + timedelta(hours=h)
                if start < slot + timedelta(hours=1) and end > slot:
                    found.add((str(q), night_of(day, h)))
            day += timedelta(days=1)
    return found


def event_factor(rows: pd.DataFrame, zones: pd.DataFrame, counts: pd.DataFrame, events: pd.DataFrame,
                 params: VieNocturneParameters) -> pd.DataFrame:
    """IRR of an event in the quartier that night, offset by the quartier's expected night count.

    Rows are quartier x night; the offset is the quartier's share of the city's night count that
    night (from its daytime level) times its own night ratio, so the term measures what an event
    adds on top of an ordinary night there.
    """
    cfg = _cfg(params)
    model_rows = rows[rows["flux"].isin(cfg.flux_modele_zones)]
    shares = daytime_shares(counts, params)
    q_share = shares.groupby("code_quartier")["part"].mean()
    per_night = model_rows.groupby("jour_nuit")["nb_incidents"].sum()
    obs = model_rows.groupby(["code_quartier", "jour_nuit"])["nb_incidents"].sum()
    ratio = zones[zones["type_nuit"] == "toutes"].set_index("code_quartier")["nb_attendu"] / zones[zones["type_nuit"] == "toutes"].set_index("code_quartier")["nb_attendu"].sum()
    hits = event_nights(events, params)
    frame = pd.DataFrame([(q, n) for q in q_share.index for n in per_night.index], columns=["code_quartier", "jour_nuit"])
    frame = frame.merge(obs.rename("n").reset_index(), on=["code_quartier", "jour_nuit"], how="left")
    frame["n"] = frame["n"].fillna(0).astype(float)
    zone_irr = zones[zones["type_nuit"] == "toutes"].set_index("code_quartier")["irr"]
    frame["attendu"] = frame["code_quartier"].map(ratio).fillna(0) * frame["jour_nuit"].map(per_night)
    frame["attendu"] *= frame["code_quartier"].map(zone_irr).fillna(1.0).clip(lower=0.05) / max(
        float((ratio * zone_irr.reindex(ratio.index).fillna(1.0)).sum()), 1e-9)
    frame["evenement"] = [int((q, n) in hits) for q, n in zip(frame["code_quartier"], frame["jour_nuit"], strict=True)]
    frame = frame[frame["attendu"] > 0]
    if frame["evenement"].nunique() < 2:
        return pd.DataFrame(columns=column_names(FACTEURS))
    fit = stats.poisson_irr(frame, "n ~ evenement", exposure="attendu")
    r = fit[fit["terme"] == "evenement"].iloc[0]
    name, level, ref = FACTOR_LABELS["evenement"]
    return pd.DataFrame([{"facteur": name, "modalite": level, "reference": ref, "irr": r["irr"], "ic_bas": r["ic_bas"],
                          "ic_haut": r["ic_haut"], "p_valeur": r["p_valeur"], "modele": "glm_poisson_quartier_nuit"}])


def weekend_surplus(zones: pd.DataFrame, params: VieNocturneParameters, draws: int = 400, seed: int = 20260105) -> dict[str, float]:
    """Excess of the problem areas on Thu/Fri/Sat nights divided by their excess on other nights.

    Estimate: sum_q (irr_we - 1) E_we / sum_q (irr_wk - 1) E_we over the problem areas (of all
    nights); interval from a parametric bootstrap of the night counts (Poisson), percentiles.
    """
    wk = zones[zones["type_nuit"] == "semaine"].set_index("code_quartier")
    we = zones[zones["type_nuit"] == "fin_de_semaine"].set_index("code_quartier")
    # a window without weeknights or without weekend nights has no row for that kind of night
    flagged = [q for q in zones[(zones["type_nuit"] == "toutes") & zones["zone_a_probleme"]]["code_quartier"]
               if q in wk.index and q in we.index]
    if not flagged:
        return {"ratio": math.nan, "low": math.nan, "high": math.nan}
    wk, we = wk.loc[flagged], we.loc[flagged]
    e_wk, e_we = wk["nb_attendu"].to_numpy(float), we["nb_attendu"].to_numpy(float)
    o_wk, o_we = wk["nb_observe"].to_numpy(float), we["nb_observe"].to_numpy(float)

    def ratio(a: np.ndarray, b: np.ndarray) -> float:
        den = ((a / e_wk - 1) * e_we).sum()
        return float(((b / e_we - 1) * e_we).sum() / den) if den > 0 else math.nan

    rng = np.random.default_rng(seed)
    boot = np.array([ratio(rng.poisson(o_wk), rng.poisson(o_we)) for _ in range(draws)])
    boot = boot[np.isfinite(boot)]
    low, high = (np.percentile(boot, [2.5, 97.5]) if len(boot) else (math.nan, math.nan))
    return {"ratio": ratio(o_wk, o_we), "low": float(low), "high": float(high)}


# -- marts ----------------------------------------------------------------------------------------


def compute_zones(inputs: Mapping[str, pd.DataFrame], params: VieNocturneParameters) -> pd.DataFrame:
    """Mart ``vie_nocturne_zones``: night-activity ratio per quartier and kind of night."""
    return zone_table(inputs[COUNTS], inputs[QUARTIERS], params, inputs[EVENTS])


def compute_factors(inputs: Mapping[str, pd.DataFrame], params: VieNocturneParameters) -> pd.DataFrame:
    """Mart ``vie_nocturne_facteurs``: exogenous factors (and the weekend surplus of problem areas) as IRRs."""
    return _factors_and_quality(inputs, params)[0]


def compute_quality(inputs: Mapping[str, pd.DataFrame], params: VieNocturneParameters) -> pd.DataFrame:
    """Mart ``vie_nocturne_qualite_modele``: fit quality and data window, long format."""
    return _factors_and_quality(inputs, params)[1]


@shared  # one computation for the marts facteurs and qualite_modele
def _factors_and_quality(inputs: Mapping[str, pd.DataFrame], params: VieNocturneParameters) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts, rain, events = inputs[COUNTS], inputs[RAIN], inputs[EVENTS]
    zones = zone_table(counts, inputs[QUARTIERS], params, events)
    rows = night_life_rows(counts, params)
    slots = city_slots(rows, counts, rain, params)
    factors, fit = city_factors(slots)
    ev = event_factor(rows, zones, counts, events, params)
    surplus = weekend_surplus(zones, params)
    # No quartier night at all (nothing delivered yet): no surplus row either, the mart is empty.
    extra = pd.DataFrame(columns=column_names(FACTEURS)) if zones.empty else pd.DataFrame([{"facteur": "surcroit_fin_de_semaine_zones", "modalite": "excès jeudi-vendredi-samedi / excès autres soirs",
                           "reference": "zones à problème, autres soirs", "irr": surplus["ratio"], "ic_bas": surplus["low"],
                           "ic_haut": surplus["high"], "p_valeur": math.nan, "modele": "ratio_standardise_bootstrap"}])
    parts = [f for f in (factors, ev, extra) if not f.empty]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=column_names(FACTEURS))
    factors_mart = conform(out, FACTEURS)
    quality = _quality(counts, zones, slots, fit, params, events)
    return factors_mart, quality


def backtest(counts: pd.DataFrame, quartiers: pd.DataFrame, params: VieNocturneParameters, events: pd.DataFrame | None = None) -> dict[str, float]:
    """Fit the zone ratios on the first half of the nights, predict the second half's counts per quartier.

    Returns MAE of the model and of the naive baseline (daytime share only, ratio 1), in incidents.
    """
    nights = sorted({night_of(d, int(h)) for d, h in zip(counts["jour"], counts["heure"], strict=True)})
    if len(nights) < 14:
        return {"mae_modele": math.nan, "mae_naif": math.nan, "nuits_test": 0.0}
    cut = nights[len(nights) // 2]
    first = counts[counts["jour_nuit"] < cut]
    second = counts[counts["jour_nuit"] >= cut]
    z1 = zone_table(first, quartiers, params, events)
    z1 = z1[z1["type_nuit"] == "toutes"].set_index("code_quartier")
    cfg = _cfg(params)
    rows2 = night_life_rows(second, params)
    rows2 = rows2[rows2["flux"].isin(cfg.flux_modele_zones)]
    excluded = event_nights(events, params) if events is not None and len(events) else set()
    table2 = standardised_ratios(rows2, daytime_shares(first, params), quartiers["code_quartier"].astype(str).tolist(), excluded).set_index("code_quartier")
    naive = table2["attendu_brut"] * table2.attrs.get("reference", 1.0)
    model = naive * z1["irr"].reindex(table2.index).fillna(1.0)
    # the model's prediction is rescaled to the same city total as the naive one (only shares differ)
    model *= table2["nb_observe"].sum() / max(float(model.sum()), 1e-9)
    naive *= table2["nb_observe"].sum() / max(float(naive.sum()), 1e-9)
    return {"mae_modele": float((model - table2["nb_observe"]).abs().mean()),
            "mae_naif": float((naive - table2["nb_observe"]).abs().mean()), "nuits_test": float(len([n for n in nights if n >= cut]))}


def _quality(counts: pd.DataFrame, zones: pd.DataFrame, slots: pd.DataFrame, fit: dict[str, float], params: VieNocturneParameters,
             events: pd.DataFrame) -> pd.DataFrame:
    allz = zones[zones["type_nuit"] == "toutes"]
    quartiers = allz[["code_quartier", "nom_quartier"]]
    bt = backtest(counts, quartiers, params, events)
    rows = [
        ("donnees", "nuits_observees", float(allz["nb_nuits"].max() if len(allz) else 0), "nuits", "Nuits couvertes par la fenêtre de données."),
        ("donnees", "incidents_nocturnes_modele_zones", float(allz["nb_observe"].sum()), "incidents", "Incidents de vie nocturne des flux du modèle des zones, heures de nuit."),
        ("donnees", "heures_nuit_sans_meteo", float(len(set(counts["jour"])) * len(_cfg(params).heures_nuit) - len(slots)), "heures", "Heures de nuit écartées du modèle des facteurs faute d'observation météo."),
        ("zones", "zones_a_probleme", float(allz["zone_a_probleme"].sum()), "quartiers", "Quartiers signalés (toutes nuits)."),
        ("zones", "mae_backtest_modele", bt["mae_modele"], "incidents par quartier", "Ratios estimés sur la 1re moitié des nuits, comptes prédits sur la 2de moitié."),
        ("zones", "mae_backtest_naif", bt["mae_naif"], "incidents par quartier", "Référence naïve : niveau de jour du quartier seul (ratio 1)."),
        ("zones", "nuits_backtest", bt["nuits_test"], "nuits", "Nuits de la période de test du backtest."),
        ("facteurs", "deviance", fit["deviance"], "", "Déviance du GLM de Poisson (heures de nuit de la ville)."),
        ("facteurs", "ddl_residuels", fit["ddl"], "", "Degrés de liberté résiduels du GLM."),
        ("facteurs", "dispersion", fit["dispersion"], "", "Chi2 de Pearson / ddl : > 1 = surdispersion, absorbée par les intervalles (quasi-Poisson)."),
    ]
    frame = pd.DataFrame(rows, columns=column_names(QUALITE))
    # Every indicator is published; one the data cannot support yet says so rather than disappearing.
    missing = frame["valeur"].astype(float).isna()
    frame.loc[missing, "commentaire"] = frame.loc[missing, "commentaire"] + " Non calculé : données insuffisantes."
    return conform(frame, QUALITE)
