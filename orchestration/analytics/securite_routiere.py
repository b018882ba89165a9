"""Road safety (use case ``securite_routiere``): hotspots, factor effects, lighting outages.

Every function is pure: DataFrames in, a DataFrame out, sizes and rules from the use case's
declared ``parameters`` (``orchestration/core/catalog/use_cases/securite_routiere.yaml``).

Exposure honesty, which decides what kind of ratio a row is (``type_ratio``):
- ``rapport_de_taux``: time is the exposure (hour of day, measured rain, outage nights), so the
  ratio is a true incidence-rate ratio (events per hour of exposure).
- ``rapport_de_comptes``: no exposure data exists (how many vehicle-km are driven under lamps
  that are off, through T junctions, by bicycle?), so the ratio compares accident COUNTS with a
  reference level; it says where accidents are, not how risky a condition is.
- ``risque_relatif_gravite``: among accidents, the risk of a severe outcome (someone killed or
  hospitalised) in a level vs the reference level: a genuine risk ratio, of severity given an
  accident, not of having one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from orchestration.analytics import shared
from orchestration.analytics.stats import Z95, RateRatio, mantel_haenszel_rate_ratio, poisson_irr, rate_ratio
from orchestration.core.catalog.mart_schema import column_names, conform
from orchestration.core.catalog.parameters import SecuriteRoutiereParameters

RAPPORT_TAUX = "rapport_de_taux"
RAPPORT_COMPTES = "rapport_de_comptes"
RISQUE_GRAVITE = "risque_relatif_gravite"
TYPES_RATIO = (RAPPORT_TAUX, RAPPORT_COMPTES, RISQUE_GRAVITE)
CARREAU_KM2 = 0.04  # a 200 m x 200 m cell
# The marts this module computes (their columns and grain are declared in the use case).
POINTS_CHAUDS_QUARTIER = "securite_routiere_points_chauds_quartier"
POINTS_CHAUDS_CARREAUX = "securite_routiere_points_chauds_carreaux"
FACTEURS = "securite_routiere_facteurs"
PANNES_ECLAIRAGE = "securite_routiere_pannes_eclairage"
QUALITE = "securite_routiere_qualite"

LUM_LIBELLES = {
    "1": "Plein jour",
    "2": "Crépuscule ou aube",
    "3": "Nuit sans éclairage public",
    "4": "Nuit avec éclairage public non allumé",
    "5": "Nuit avec éclairage public allumé",
}
INT_LIBELLES = {
    "1": "Hors intersection", "2": "Intersection en X", "3": "Intersection en T", "4": "Intersection en Y",
    "5": "Intersection à plus de 4 branches", "6": "Giratoire", "7": "Place", "8": "Passage à niveau",
    "9": "Autre intersection",
}
ATM_LIBELLES = {
    "1": "Normale", "2": "Pluie légère", "3": "Pluie forte", "4": "Neige - grêle", "5": "Brouillard - fumée",
    "6": "Vent fort - tempête", "7": "Temps éblouissant", "8": "Temps couvert", "9": "Autre",
}



# -- small statistics ---------------------------------------------------------------------------
def poisson_exact_ci(count: float, exposure: float) -> tuple[float, float]:
    """Exact (Garwood) 95 % interval of a Poisson rate ``count / exposure``."""
    lo = 0.0 if count <= 0 else sps.chi2.ppf(0.025, 2 * count) / 2
    hi = sps.chi2.ppf(0.975, 2 * (count + 1)) / 2
    return float(lo / exposure), float(hi / exposure)


def risk_ratio(cases_exposed: float, n_exposed: float, cases_reference: float, n_reference: float) -> RateRatio:
    """Risk ratio (a/n1)/(b/n0) with the usual log-scale Wald interval.

    var(log RR) = 1/a - 1/n1 + 1/b - 1/n0. Undefined (NaN, infinite interval) with no case on
    either side, as ``rate_ratio`` does.
    """
    a, b, n1, n0 = float(cases_exposed), float(cases_reference), float(n_exposed), float(n_reference)
    if a <= 0 or b <= 0 or n1 <= 0 or n0 <= 0:
        return RateRatio(math.nan, 0.0, math.inf, a, b)
    ratio = (a / n1) / (b / n0)
    se = math.sqrt(max(1 / a - 1 / n1 + 1 / b - 1 / n0, 0.0))
    return RateRatio(ratio, ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se), a, b)


def gamma_prior(counts: np.ndarray, exposure: np.ndarray) -> tuple[float, float]:
    """Poisson-gamma prior (shape, rate) by Marshall's method of moments (global empirical Bayes).

    Mean m = sum(y)/sum(e); between-area variance s2 = sum(e (y/e - m)^2)/sum(e) - m/mean(e),
    floored at a small share of m^2 so the prior stays proper when areas look homogeneous.
    """
    y, e = np.asarray(counts, float), np.asarray(exposure, float)
    keep = e > 0
    y, e = y[keep], e[keep]
    m = y.sum() / e.sum()
    if m <= 0:
        return 1.0, 1.0
    s2 = (e * (y / e - m) ** 2).sum() / e.sum() - m / e.mean()
    s2 = max(s2, 1e-3 * m * m)
    return float(m * m / s2), float(m / s2)


# -- daylight (own implementation of NOAA's low-precision solar position) -------------------------
def sun_elevation(when_utc: pd.DatetimeIndex | pd.Series, latitude: float, longitude: float) -> np.ndarray:
    """Sun elevation (degrees) at UTC instants; accurate to a few minutes of sunset time."""
    when = pd.DatetimeIndex(when_utc)
    if when.tz is not None:
        when = when.tz_convert("UTC").tz_localize(None)
    day_of_year = when.dayofyear.to_numpy(float)
    hours = (when.hour + when.minute / 60 + when.second / 3600).to_numpy(float)
    gamma = 2 * np.pi / 365.0 * (day_of_year - 1 + (hours - 12) / 24)
    eqtime = 229.18 * (0.000075 + 0.001868 * np.cos(gamma) - 0.032077 * np.sin(gamma)
                       - 0.014615 * np.cos(2 * gamma) - 0.040849 * np.sin(2 * gamma))
    decl = (0.006918 - 0.399912 * np.cos(gamma) + 0.070257 * np.sin(gamma) - 0.006758 * np.cos(2 * gamma)
            + 0.000907 * np.sin(2 * gamma) - 0.002697 * np.cos(3 * gamma) + 0.00148 * np.sin(3 * gamma))
    hour_angle = np.radians((hours * 60 + eqtime + 4 * longitude) / 4 - 180)
    lat = np.radians(latitude)
    cos_zenith = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    return 90 - np.degrees(np.arccos(np.clip(cos_zenith, -1, 1)))


def night_flags(dates: pd.Series, hours: pd.Series, params: SecuriteRoutiereParameters) -> np.ndarray:
    """True when the sun is below the horizon at the middle (hh:30) of the local clock hour."""
    nuit = params.nuit
    local = pd.to_datetime(pd.Series(dates).astype(str)) + pd.to_timedelta(np.asarray(hours, int) * 60 + 30, unit="min")
    utc = pd.DatetimeIndex(local).tz_localize(nuit.fuseau, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
    return sun_elevation(utc, nuit.latitude, nuit.longitude) < nuit.elevation_coucher_deg


def _hour_grid(first: date, last: date) -> pd.DataFrame:
    days = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="D")
    grid = pd.DataFrame({"date_locale": np.repeat(days.date, 24), "heure_locale": np.tile(np.arange(24), len(days))})
    grid["debut"] = pd.to_datetime(grid["date_locale"].astype(str)) + pd.to_timedelta(grid["heure_locale"], unit="h")
    return grid


# -- hotspots ---------------------------------------------------------------------------------------
def hotspots_quartier(counts: pd.DataFrame, params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Empirical-Bayes shrunk accident rates per km² and per year, and the hotspot flag.

    ``counts``: the mart ``securite_routiere_accidents_quartier``. Within each perimetre, a gamma
    prior is fitted across quartiers (Marshall); each quartier's rate is the posterior mean
    (y + a) / (e + b) with e = km² x years, its 95 % credible interval from the gamma posterior.
    Hotspot: P(rate > facteur x city rate | data) >= probabilite and at least ``nb_min_accidents``.
    """
    rule = params.points_chauds.quartier
    out = []
    for _perimetre, grp in counts.groupby("perimetre", sort=True):
        grp = grp.copy()
        e = grp["surface_km2"].astype(float) * grp["nb_annees"].astype(float)
        y = grp["nb_accidents"].astype(float)
        shape, rate = gamma_prior(y.to_numpy(), e.to_numpy())
        city = y.sum() / e.sum()
        post_a, post_b = shape + y, rate + e
        grp["taux_lisse_km2_an"] = post_a / post_b
        grp["ic_bas_lisse"] = sps.gamma.ppf(0.025, post_a, scale=1 / post_b)
        grp["ic_haut_lisse"] = sps.gamma.ppf(0.975, post_a, scale=1 / post_b)
        exact = [poisson_exact_ci(n, x) for n, x in zip(y, e, strict=True)]
        grp["ic_bas_brut"] = [lo for lo, _ in exact]
        grp["ic_haut_brut"] = [hi for _, hi in exact]
        grp["taux_ville_km2_an"] = city
        grp["rapport_ville"] = grp["taux_lisse_km2_an"] / city
        grp["probabilite_depassement"] = sps.gamma.sf(rule.facteur_taux_ville * city, post_a, scale=1 / post_b)
        grp["point_chaud"] = (grp["probabilite_depassement"] >= rule.probabilite_min) & (y >= rule.nb_min_accidents)
        grp["rang"] = grp["taux_lisse_km2_an"].rank(ascending=False, method="min")
        out.append(grp)
    frame = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=column_names(POINTS_CHAUDS_QUARTIER))
    return conform(frame, POINTS_CHAUDS_QUARTIER)


def compute_points_chauds_quartier(inputs: Mapping[str, pd.DataFrame], params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Mart ``securite_routiere_points_chauds_quartier``."""
    return hotspots_quartier(inputs["securite_routiere_accidents_quartier"], params)


@shared  # also computed by compute_qualite
def hotspots_carreaux(accidents: pd.DataFrame, quartiers: pd.DataFrame, params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Accidents per INSEE 200 m cell against the background of its quartier.

    Expected count of a cell = its quartier's shrunk rate (per km² and year) x 0.04 km² x years;
    hotspot when the count is at least ``nb_min_accidents`` and the Poisson upper tail
    P(X >= n | facteur x expected) is below ``p_max`` (small, because thousands of cells are
    tested). Cells without accidents are not listed (their count is zero).
    """
    rule = params.points_chauds.carreau
    smooth = hotspots_quartier(quartiers, params)[["perimetre", "code_quartier", "taux_lisse_km2_an"]]
    years = quartiers.groupby("perimetre")["nb_annees"].max().rename("nb_annees").reset_index()
    located = accidents[accidents["carreau_200m"].notna() & accidents["code_quartier"].notna()]
    if located.empty:
        return conform(pd.DataFrame(columns=column_names(POINTS_CHAUDS_CARREAUX)), POINTS_CHAUDS_CARREAUX)
    cells = (
        located.groupby(["perimetre", "carreau_200m"])
        .agg(
            nb_accidents=("accident_id", "size"),
            nb_accidents_graves=("accident_grave", "sum"),
            nb_accidents_velo=("implique_velo", "sum"),
        )
        .reset_index()
    )
    cells.insert(2, "code_quartier", _cell_quartiers(located, cells))
    cells = cells.merge(smooth, on=["perimetre", "code_quartier"], how="left").merge(years, on="perimetre", how="left")
    cells["attendu_quartier"] = cells["taux_lisse_km2_an"] * CARREAU_KM2 * cells["nb_annees"]
    cells["rapport_attendu"] = cells["nb_accidents"] / cells["attendu_quartier"]
    cells["p_valeur"] = sps.poisson.sf(cells["nb_accidents"] - 1, rule.facteur_quartier * cells["attendu_quartier"])
    cells["point_chaud"] = (cells["nb_accidents"] >= rule.nb_min_accidents) & (cells["p_valeur"] < rule.p_max)
    # One exact interval per distinct count (a dozen), not per cell (thousands of scipy calls).
    interval = {n: poisson_exact_ci(n, 1.0) for n in cells["nb_accidents"].unique()}
    exact = [interval[n] for n in cells["nb_accidents"]]
    cells["ic_bas"] = [lo for lo, _ in exact]
    cells["ic_haut"] = [hi for _, hi in exact]
    return conform(cells, POINTS_CHAUDS_CARREAUX)



def _cell_quartiers(located: pd.DataFrame, cells: pd.DataFrame) -> pd.Series:
    """The quartier of each cell of ``cells``: the most frequent among its accidents, the smallest code on a tie.

    What ``Series.mode().iloc[0]`` gives per group (modes come sorted), counted in one groupby
    instead of one pandas call per cell.
    """
    keys = ["perimetre", "carreau_200m"]
    counts = located.groupby([*keys, "code_quartier"]).size().rename("_n").reset_index()
    counts = counts.sort_values([*keys, "_n", "code_quartier"], ascending=[True, True, False, True], kind="stable")
    first = counts.drop_duplicates(keys)[[*keys, "code_quartier"]]
    return cells[keys].merge(first, on=keys, how="left")["code_quartier"].set_axis(cells.index)


def compute_points_chauds_carreaux(inputs: Mapping[str, pd.DataFrame], params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Mart ``securite_routiere_points_chauds_carreaux``."""
    return hotspots_carreaux(inputs["int_securite_routiere__accidents"], inputs["securite_routiere_accidents_quartier"], params)


# -- factor effects ---------------------------------------------------------------------------------
def _row(perimetre: str, facteur: str, modalite: str, libelle: str, reference: str, kind: str, rr: RateRatio,
         exposure: float, exposure_ref: float, unit: str, method: str) -> dict[str, Any]:
    return {
        "perimetre": perimetre, "facteur": facteur, "modalite": modalite, "libelle_modalite": libelle,
        "modalite_reference": reference, "type_ratio": kind, "nb_evenements": rr.events_exposed,
        "nb_evenements_reference": rr.events_reference, "exposition": exposure, "exposition_reference": exposure_ref,
        "unite_exposition": unit, "ratio": rr.ratio, "ic_bas": rr.low, "ic_haut": rr.high, "methode": method,
    }


def categorical_effects(accidents: pd.DataFrame, perimetre: str, facteur: str, column: str, reference: str,
                        labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """No-exposure factor: ratio of counts against the reference level, and severity risk ratio."""
    acc = accidents[accidents[column].notna()]
    ref = acc[acc[column] == reference]
    n_ref, severe_ref = len(ref), int(ref["accident_grave"].sum())
    rows = []
    for level, grp in sorted(acc.groupby(column), key=lambda kv: str(kv[0])):
        if str(level) == reference or len(grp) == 0:
            continue
        label = labels.get(str(level), str(level))
        counts = rate_ratio(len(grp), 1.0, n_ref, 1.0)
        if not math.isnan(counts.ratio):
            rows.append(_row(perimetre, facteur, str(level), label, reference, RAPPORT_COMPTES, counts, float("nan"),
                             float("nan"), "aucune (comptes)", "rapport des nombres d'accidents, IC de Poisson sur log"))
        severe = int(grp["accident_grave"].sum())
        risk = risk_ratio(severe, len(grp), severe_ref, n_ref)
        if not math.isnan(risk.ratio):
            rows.append(_row(perimetre, facteur, str(level), label, reference, RISQUE_GRAVITE, risk, float(len(grp)),
                             float(n_ref), "accidents", "part d'accidents graves (tué ou hospitalisé), IC de Wald sur log"))
    return rows


def hour_effects(accidents: pd.DataFrame, perimetre: str, reference_hour: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Hour of day as a true rate ratio: Poisson GLM on counts by (hour, month), offset = days.

    Each hour of day is observed once per day, so the exposure of an hour x month cell is the
    number of days of that month in the perimetre's years. The month term absorbs seasonality.
    """
    years = sorted(accidents["annee"].unique())
    grid = pd.DataFrame([(h, m) for h in range(24) for m in range(1, 13)], columns=["heure", "mois"])
    grid["jours"] = [sum(pd.Period(f"{y}-{m:02d}").days_in_month for y in years) for m in grid["mois"]]
    counts = accidents.groupby(["heure", "mois"]).size().rename("n").reset_index()
    frame = grid.merge(counts, on=["heure", "mois"], how="left").fillna({"n": 0})
    fit = poisson_irr(frame, f"n ~ C(heure, Treatment({int(reference_hour)})) + C(mois)", exposure="jours")
    by_hour = frame.groupby("heure").agg(n=("n", "sum"), jours=("jours", "sum"))
    rows = []
    for h in range(24):
        if h == reference_hour:
            continue
        term = fit[fit["terme"] == f"C(heure, Treatment({int(reference_hour)}))[T.{h}]"]
        if term.empty or not np.isfinite(term["irr"].iloc[0]):
            continue
        t = term.iloc[0]
        rr = RateRatio(float(t["irr"]), float(t["ic_bas"]), float(t["ic_haut"]), float(by_hour.loc[h, "n"]),
                       float(by_hour.loc[reference_hour, "n"]))
        rows.append(_row(perimetre, "heure", f"{h:02d}h", f"{h:02d}h-{h + 1:02d}h", f"{int(reference_hour):02d}h",
                         RAPPORT_TAUX, rr, float(by_hour.loc[h, "jours"]), float(by_hour.loc[reference_hour, "jours"]),
                         "heures", "GLM de Poisson (quasi-Poisson) heure + mois, exposition = heures observées"))
    fit_stats = {"deviance": float(fit["deviance"].iloc[0]), "ddl": float(fit["ddl"].iloc[0]),
                 "dispersion": float(fit["dispersion"].iloc[0])}
    return rows, fit_stats


def rain_strata(events: pd.DataFrame, weather: pd.DataFrame, threshold_mm: float) -> pd.DataFrame:
    """Mantel-Haenszel strata by local hour of day: wet vs dry hours and their event counts.

    ``events``: date_locale, heure_locale, n (events in that local hour); ``weather``:
    date_locale, heure_locale, pluie_mm for the hour STARTING then. Only hours with a weather
    observation count, on both sides.
    """
    w = weather[["date_locale", "heure_locale", "pluie_mm"]].copy()
    w["humide"] = w["pluie_mm"] >= threshold_mm
    ev = events.groupby(["date_locale", "heure_locale"])["n"].sum().reset_index()
    hours = w.merge(ev, on=["date_locale", "heure_locale"], how="left").fillna({"n": 0})
    g = hours.groupby(["heure_locale", "humide"]).agg(n=("n", "sum"), t=("n", "size")).reset_index()
    wet = g[g["humide"]].set_index("heure_locale")
    dry = g[~g["humide"]].set_index("heure_locale")
    strata = pd.DataFrame(index=pd.Index(range(24), name="heure_locale"))
    strata["a"] = wet["n"].reindex(strata.index).fillna(0).astype(float)
    strata["ta"] = wet["t"].reindex(strata.index).fillna(0).astype(float)
    strata["b"] = dry["n"].reindex(strata.index).fillna(0).astype(float)
    strata["tb"] = dry["t"].reindex(strata.index).fillna(0).astype(float)
    return strata.reset_index()


def rain_effect(events: pd.DataFrame, weather: pd.DataFrame, threshold_mm: float) -> tuple[RateRatio, float, float]:
    """Wet-hour rate ratio adjusted for hour of day (Mantel-Haenszel); returns (RR, wet h, dry h)."""
    strata = rain_strata(events, weather, threshold_mm)
    return mantel_haenszel_rate_ratio(strata), float(strata["ta"].sum()), float(strata["tb"].sum())


def _within(frame: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    d = pd.to_datetime(frame["date_locale"]).dt.date
    return frame[(d >= first) & (d <= last)]


@shared  # also computed by compute_qualite
def factor_effects(accidents: pd.DataFrame, weather: pd.DataFrame, police: pd.DataFrame,
                   params: SecuriteRoutiereParameters) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """All factor rows, and fit-quality rows of the models behind them."""
    f = params.facteurs
    threshold = float(params.pluie.seuil_heure_humide_mm)
    rows: list[dict[str, Any]] = []
    quality: list[dict[str, Any]] = []
    for perimetre, acc in accidents.groupby("perimetre", sort=True):
        reference_hour = int(f.heure_reference)
        minimum = int(f.min_accidents_perimetre)
        if len(acc) < minimum:
            # Too few accidents for any estimate: one explicit row, not a failed release for all.
            rows.append(_insufficient_row(perimetre, "heure", "toutes", f"{reference_hour:02d}h", len(acc), 0,
                                          f"{len(acc)} accident(s), moins que le minimum déclaré ({minimum})"))
            continue
        at_reference = int((acc["heure"] == reference_hour).sum())
        if at_reference == 0:
            rows.append(_insufficient_row(perimetre, "heure", "toutes", f"{reference_hour:02d}h", len(acc), 0,
                                          f"aucun accident à l'heure de référence {reference_hour:02d}h"))
        else:
            hours, fit = hour_effects(acc, perimetre, reference_hour)
            rows += hours
            quality += [
                _q(perimetre, "dispersion_modele_heure", fit["dispersion"], "ratio",
                   "Khi2 de Pearson / ddl du GLM heure + mois ; > 1 = surdispersion absorbée dans les IC"),
                _q(perimetre, "deviance_par_ddl_modele_heure", fit["deviance"] / max(fit["ddl"], 1.0), "ratio",
                   "Déviance / degrés de liberté du GLM heure + mois"),
            ]
        rows += categorical_effects(acc, perimetre, "eclairage", "code_lum", str(f.lum_reference), LUM_LIBELLES)
        rows += categorical_effects(acc, perimetre, "intersection", "code_intersection", str(f.intersection_reference), INT_LIBELLES)
        rows += categorical_effects(acc, perimetre, "meteo_declaree", "code_atm", str(f.atm_reference), ATM_LIBELLES)
        velo = acc.assign(velo=np.where(acc["implique_velo"], "avec_velo", "sans_velo"))
        rows += categorical_effects(velo, perimetre, "velo", "velo", "sans_velo",
                                    {"avec_velo": "Vélo ou VAE impliqué", "sans_velo": "Aucun vélo impliqué"})
        dated = acc[acc["date_accident"].notna()]
        if len(dated) and len(weather):
            w = weather.copy()
            w["date_locale"] = pd.to_datetime(w["date_locale"]).dt.date
            events = pd.DataFrame({"date_locale": pd.to_datetime(dated["date_accident"]).dt.date,
                                   "heure_locale": dated["heure"].astype(int), "n": 1})
            first, last = max(min(w["date_locale"]), min(events["date_locale"])), min(max(w["date_locale"]), max(events["date_locale"]))
            w = _within(w, first, last)
            if len(w):
                rr, wet_h, dry_h = rain_effect(_within(events, first, last), w, threshold)
                rows.append(_row(perimetre, "pluie_mesuree", "heure_humide", f"Heure de pluie >= {threshold} mm",
                                 "heure_seche", RAPPORT_TAUX, rr, wet_h, dry_h, "heures",
                                 "Mantel-Haenszel par heure de la journée, pluie de l'heure (RR1 décalé d'une heure)"))
                quality.append(_q(perimetre, "heures_meteo_observees", wet_h + dry_h, "heures",
                                  f"Heures avec observation météo du {first} au {last}, dont {int(wet_h)} humides"))
    if len(police) and len(weather):
        cats = [str(c) for c in params.pluie.categories_police]
        p = police[police["code_nature"].isin(cats)].rename(columns={"nb_interventions": "n"}).copy()
        p["date_locale"] = pd.to_datetime(p["date_locale"]).dt.date
        w = weather.copy()
        w["date_locale"] = pd.to_datetime(w["date_locale"]).dt.date
        all_days = pd.to_datetime(police["date_locale"]).dt.date
        first, last = max(min(w["date_locale"]), min(all_days)), min(max(w["date_locale"]), max(all_days))
        years = "-".join(sorted({str(first.year), str(last.year)}))
        rr, wet_h, dry_h = rain_effect(_within(p, first, last), _within(w, first, last), threshold)
        rows.append(_row(f"Police municipale {years}", "pluie_mesuree", "heure_humide", f"Heure de pluie >= {threshold} mm",
                         "heure_seche", RAPPORT_TAUX, rr, wet_h, dry_h, "heures",
                         f"Mantel-Haenszel par heure de la journée, interventions {', '.join(cats)}"))
    frame = _mark_insufficient(pd.DataFrame(rows, columns=column_names(FACTEURS)))
    return conform(frame, FACTEURS), quality


DONNEES_INSUFFISANTES = "données insuffisantes"  # the methode of a row without an estimate


def _insufficient_row(perimetre: str, facteur: str, modalite: str, reference: str, n: int, n_ref: int, reason: str) -> dict[str, Any]:
    """A factor row that says why there is no estimate (ratio and interval left empty)."""
    return {
        "perimetre": perimetre, "facteur": facteur, "modalite": modalite, "libelle_modalite": reason,
        "modalite_reference": reference, "type_ratio": RAPPORT_TAUX, "nb_evenements": n, "nb_evenements_reference": n_ref,
        "exposition": float("nan"), "exposition_reference": float("nan"), "unite_exposition": "aucune",
        "ratio": float("nan"), "ic_bas": float("nan"), "ic_haut": float("nan"), "methode": DONNEES_INSUFFISANTES,
    }


def _mark_insufficient(frame: pd.DataFrame) -> pd.DataFrame:
    """Degenerate estimates (no reference event, infinite or empty interval) say so explicitly.

    A perimeter with few accidents must not fail the gate of every perimeter: its unusable
    estimates keep their row, with ratio and interval empty and ``methode`` "données insuffisantes".
    """
    ratio = frame["ratio"].astype(float)
    low, high = frame["ic_bas"].astype(float), frame["ic_haut"].astype(float)
    usable = (
        np.isfinite(ratio) & (ratio > 0) & np.isfinite(low) & np.isfinite(high) & (low <= ratio) & (ratio <= high)
        & (frame["nb_evenements_reference"].astype(float) >= 1)
    )
    degenerate = ~usable & (frame["methode"] != DONNEES_INSUFFISANTES)
    frame.loc[degenerate, ["ratio", "ic_bas", "ic_haut"]] = float("nan")
    frame.loc[degenerate, "methode"] = DONNEES_INSUFFISANTES
    return frame


def compute_facteurs(inputs: Mapping[str, pd.DataFrame], params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Mart ``securite_routiere_facteurs``."""
    frame, _ = factor_effects(inputs["int_securite_routiere__accidents"], inputs["int_securite_routiere__heures_meteo"],
                              inputs["int_securite_routiere__police_heures"], params)
    return frame


# -- lighting outages ---------------------------------------------------------------------------------
def outage_exposure(outages: pd.DataFrame, first: date, last: date, params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Night hours of each outage zone: exposed (outage active) or reference (no nearby outage).

    An hour [h, h+1) is exposed to an outage when it is a night hour and the outage started
    before its end and was repaired after its start. Reference hours of a zone are its night
    hours with neither this outage nor any other retained outage within 2 x radius active, so
    overlapping zones do not leak into each other's baseline. Returns one row per outage x
    night hour: intervention_id, date_locale, heure_locale, expose (bool).
    """
    radius = float(params.pannes.rayon_m)
    grid = _hour_grid(first, last)
    grid = grid[night_flags(grid["date_locale"], grid["heure_locale"], params)].reset_index(drop=True)
    start = grid["debut"].to_numpy()
    end = start + np.timedelta64(1, "h")
    xs, ys = outages["x_centre"].to_numpy(float), outages["y_centre"].to_numpy(float)
    debut = pd.to_datetime(outages["debut_local"]).to_numpy()
    fin = pd.to_datetime(outages["fin_local"]).to_numpy()
    active = (debut[:, None] < end[None, :]) & (fin[:, None] > start[None, :])
    near = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :]) <= 2 * radius
    parts = []
    for i, oid in enumerate(outages["intervention_id"]):
        blocked = active[near[i]].any(axis=0)
        keep = active[i] | ~blocked
        part = grid.loc[keep, ["date_locale", "heure_locale"]].copy()
        part["expose"] = active[i][keep]
        part["intervention_id"] = oid
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["intervention_id", "date_locale", "heure_locale", "expose"])
    return pd.concat(parts, ignore_index=True)


def outage_effect(outages: pd.DataFrame, events: pd.DataFrame, exposure: pd.DataFrame) -> tuple[RateRatio, pd.DataFrame]:
    """IRR of events in outage zones during outages vs the same zones' other nights.

    Mantel-Haenszel over strata outage x hour of day, so each zone is its own control and the
    night's hour profile cannot pass for an effect. ``events``: intervention_id, date_locale,
    heure_locale, n (already filtered to the radius, categories and night).
    """
    ev = events.groupby(["intervention_id", "date_locale", "heure_locale"])["n"].sum().reset_index()
    hours = exposure.merge(ev, on=["intervention_id", "date_locale", "heure_locale"], how="left").fillna({"n": 0})
    g = hours.groupby(["intervention_id", "heure_locale", "expose"]).agg(n=("n", "sum"), t=("n", "size")).reset_index()
    exp = g[g["expose"]].set_index(["intervention_id", "heure_locale"])
    ref = g[~g["expose"]].set_index(["intervention_id", "heure_locale"])
    idx = exp.index.union(ref.index)
    strata = pd.DataFrame({
        "a": exp["n"].reindex(idx).fillna(0).astype(float), "ta": exp["t"].reindex(idx).fillna(0).astype(float),
        "b": ref["n"].reindex(idx).fillna(0).astype(float), "tb": ref["t"].reindex(idx).fillna(0).astype(float),
    })
    return mantel_haenszel_rate_ratio(strata), strata


@shared  # also computed by compute_qualite
def outage_effects(outages: pd.DataFrame, near: pd.DataFrame, accidents: pd.DataFrame, police: pd.DataFrame,
                   params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Mart rows: one per source (simulated BAAC accidents, police categories) for the outage period."""
    p = params.pannes
    radius = float(p.rayon_m)
    if radius > 500:
        raise ValueError("pannes.rayon_m must be <= 500 m: the intermediate proximity join keeps 500 m")
    kept = outages[outages["nb_points_lumineux"] >= int(p.nb_min_points_lumineux)].reset_index(drop=True)
    if kept.empty:
        return conform(pd.DataFrame(columns=column_names(PANNES_ECLAIRAGE)), PANNES_ECLAIRAGE)
    period_first = pd.to_datetime(kept["periode_debut"]).dt.date.min()
    period_last = pd.to_datetime(kept["periode_fin"]).dt.date.max()
    near = near[(near["distance_m"] <= radius) & near["intervention_id"].isin(kept["intervention_id"])].copy()
    near["date_locale"] = pd.to_datetime(near["date_locale"]).dt.date
    near = near[night_flags(near["date_locale"], near["heure_locale"], params)] if len(near) else near
    sources = []
    sim = accidents[(accidents["nature_donnees"] == "simule") & accidents["date_accident"].notna()]
    if len(sim):
        days = pd.to_datetime(sim["date_accident"]).dt.date
        sources.append(("BAAC", "BAAC simulé", ["ACC"], days.min(), days.max()))
    if len(police):
        days = pd.to_datetime(police["date_locale"]).dt.date
        sources.append(("Police municipale", "Police municipale", [str(c) for c in p.categories_police], days.min(), days.max()))
    rows = []
    for source, label, cats, lo, hi in sources:
        first, last = max(period_first, lo), min(period_last, hi)
        if first > last:
            continue
        exposure = outage_exposure(kept, first, last, params)
        ev = near[(near["source"] == source) & near["code"].isin(cats)]
        if source == "BAAC" and p.nuit_baac == "lum":
            ev = ev[ev["code_lum"].isin(["3", "4", "5"])]
        ev = _within(ev, first, last).rename(columns={"nb_evenements": "n"})
        rr, strata = outage_effect(kept, ev, exposure)
        years = "-".join(sorted({str(first.year), str(last.year)}))
        ta, tb = float(strata["ta"].sum()), float(strata["tb"].sum())
        rows.append({
            "perimetre": f"{label} {years}", "source": source, "categories": ", ".join(cats),
            "periode_debut": first, "periode_fin": last, "nb_pannes": len(kept), "rayon_m": radius,
            "nb_evenements_panne": rr.events_exposed, "heures_nuit_panne": ta,
            "nb_evenements_reference": rr.events_reference, "heures_nuit_reference": tb,
            "taux_panne_1000h": 1000 * rr.events_exposed / ta if ta else float("nan"),
            "taux_reference_1000h": 1000 * rr.events_reference / tb if tb else float("nan"),
            "irr": rr.ratio, "ic_bas": rr.low, "ic_haut": rr.high if np.isfinite(rr.high) else float("nan"),
            "type_ratio": RAPPORT_TAUX,
            "methode": "Mantel-Haenszel par zone de panne x heure ; exposition = heures de nuit (soleil sous l'horizon)",
        })
    return conform(pd.DataFrame(rows, columns=column_names(PANNES_ECLAIRAGE)), PANNES_ECLAIRAGE)



def compute_pannes_eclairage(inputs: Mapping[str, pd.DataFrame], params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Mart ``securite_routiere_pannes_eclairage``."""
    return outage_effects(inputs["int_securite_routiere__pannes"], inputs["int_securite_routiere__evenements_pres_pannes"],
                          inputs["int_securite_routiere__accidents"], inputs["int_securite_routiere__police_heures"], params)


# -- fit quality --------------------------------------------------------------------------------------
def _q(perimetre: str, indicateur: str, valeur: float, unite: str, commentaire: str) -> dict[str, Any]:
    return {"perimetre": perimetre, "indicateur": indicateur, "valeur": float(valeur), "unite": unite, "commentaire": commentaire}


def compute_qualite(inputs: Mapping[str, pd.DataFrame], params: SecuriteRoutiereParameters) -> pd.DataFrame:
    """Mart ``securite_routiere_qualite``: long-format fit quality and data-window indicators."""
    acc = inputs["int_securite_routiere__accidents"]
    quartiers = inputs["securite_routiere_accidents_quartier"]
    rows: list[dict[str, Any]] = []
    for perimetre, grp in acc.groupby("perimetre", sort=True):
        rows.append(_q(perimetre, "nb_accidents", len(grp), "accidents", "Accidents corporels du périmètre"))
        rows.append(_q(perimetre, "part_localisee_quartier", grp["code_quartier"].notna().mean(), "proportion",
                       "Part des accidents rattachés à un quartier (les autres sont hors des 111 quartiers)"))
        rows.append(_q(perimetre, "part_accidents_graves", grp["accident_grave"].mean(), "proportion",
                       "Part d'accidents avec au moins un tué ou hospitalisé"))
    for perimetre, grp in quartiers.groupby("perimetre", sort=True):
        e = (grp["surface_km2"] * grp["nb_annees"]).to_numpy(float)
        y = grp["nb_accidents"].to_numpy(float)
        shape, _rate = gamma_prior(y, e)
        mean = y.sum() / e.sum()
        chi2 = (((y - mean * e) ** 2) / (mean * e)).sum() / max(len(y) - 1, 1)
        rows.append(_q(perimetre, "dispersion_entre_quartiers", chi2, "ratio",
                       "Khi2 de Pearson / ddl d'un taux uniforme par km² : >> 1, les quartiers diffèrent vraiment"))
        rows.append(_q(perimetre, "cv_a_priori_taux_quartier", 1 / math.sqrt(shape), "ratio",
                       "Coefficient de variation de la loi a priori gamma (Bayes empirique) des taux par km²"))
    hq = hotspots_quartier(quartiers, params)
    for perimetre, grp in hq.groupby("perimetre", sort=True):
        rows.append(_q(perimetre, "nb_points_chauds_quartier", grp["point_chaud"].sum(), "quartiers",
                       "Quartiers signalés par la règle déclarée (paramètres points_chauds.quartier)"))
    hc = hotspots_carreaux(acc, quartiers, params)
    for perimetre, grp in hc.groupby("perimetre", sort=True):
        rows.append(_q(perimetre, "nb_points_chauds_carreau", grp["point_chaud"].sum(), "carreaux",
                       "Carreaux de 200 m signalés par la règle déclarée (paramètres points_chauds.carreau)"))
        rows.append(_q(perimetre, "nb_carreaux_avec_accident", len(grp), "carreaux", "Carreaux de 200 m avec au moins un accident"))
    _, quality = factor_effects(acc, inputs["int_securite_routiere__heures_meteo"], inputs["int_securite_routiere__police_heures"], params)
    rows += quality
    pannes = outage_effects(inputs["int_securite_routiere__pannes"], inputs["int_securite_routiere__evenements_pres_pannes"],
                            acc, inputs["int_securite_routiere__police_heures"], params)
    for r in pannes.itertuples():
        rows.append(_q(r.perimetre, "heures_nuit_exposees_pannes", r.heures_nuit_panne, "heures-zone",
                       f"{r.nb_pannes} pannes d'au moins {params.pannes.nb_min_points_lumineux} points, "
                       f"{r.periode_debut} au {r.periode_fin} ; {r.nb_evenements_panne} événements exposés"))
        if np.isfinite(r.ic_haut) and r.irr > 0:
            rows.append(_q(r.perimetre, "largeur_ic_irr_pannes", math.log(r.ic_haut / r.ic_bas), "log",
                           "Largeur de l'IC 95 % de l'IRR en échelle log : > 1,5, l'effet est à peine mesurable"))
    return conform(pd.DataFrame(rows, columns=column_names(QUALITE)), QUALITE)
