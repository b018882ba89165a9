"""School surroundings: incidents near schools in entry and exit windows on school days.

Method (the use case's model card says it in French):

- An incident "near a school" is within ``rayon_m`` (declared) of the school's 50 m cell centre,
  and of a declared category of its source (police, CSU).
- For each day, window (``entree``, ``sortie``, ``mercredi_midi``) and level, the schools
  *scheduled* are those whose level has that window on that weekday (``fenetres_par_niveau``:
  écoles have no Wednesday, collèges and lycées a Wednesday noon exit). A day is a *school day*
  (classes) if it is a weekday, not a public holiday (``holidays``) and not a zone-B school
  holiday (``vacances-scolaires-france``); a *holiday weekday* is a weekday off school that is not
  a public holiday (the same clock, no pupils). Weekends and public holidays are left out.
- Exposure is in school-windows: scheduled schools x covered days. Incidents are counted once
  even when near several scheduled schools, so the excess is not double-counted.
- Three comparisons per source x level x window: against the same window on holiday weekdays
  (rate ratio and excess incidents per school and window), against the other daytime hours of
  school days (rate per school-hour; confounded by the hour of day), and the ratio of both
  (difference in differences: the window's extra on school days beyond what the same hours show
  on holidays).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from functools import cache

import numpy as np
import pandas as pd
from scipy.stats import chi2

from orchestration.analytics import per_distinct
from orchestration.analytics.stats import Z95, rate_ratio
from orchestration.core.catalog.mart_schema import column_names, conform
from orchestration.core.catalog.parameters import AbordsScolairesParameters

WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
ALL_LEVELS = "tous"
ALL_WINDOWS = "toutes"
ALL_SOURCES = "ensemble"
OTHER_HOURS = "autres_heures"



# --- calendar ------------------------------------------------------------------------------------


@cache
def _school_holidays(zone: str) -> frozenset[date]:
    from vacances_scolaires_france import SchoolHolidayDates

    reference = SchoolHolidayDates()
    days: set[date] = set()
    for year in range(1990, 2029):
        days.update(reference.holidays_for_year_and_zone(year, zone))
    return frozenset(days)


@cache
def _public_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.France(years=year))


def day_type(day: date, zone: str = "B") -> str | None:
    """``classe`` (a school day), ``vacances`` (a weekday off school, not a public holiday) or ``None``.

    Weekends and public holidays are ``None``: their clock is not a school day's clock. The
    level-specific Wednesday rule is applied by the declared windows, not here.
    """
    if day.weekday() >= 5 or day in _public_holidays(day.year):
        return None
    return "vacances" if day in _school_holidays(zone) else "classe"


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def window_of_minute(minutes: pd.Series, windows: Mapping[str, list[str]], other: list[str]) -> pd.Series:
    """The declared window each local minute falls in, ``autres_heures`` for the other daytime
    minutes (``other`` = [start, end) outside every window), else ``None``."""
    out = pd.Series([None] * len(minutes), index=minutes.index, dtype=object)
    lo, hi = _minutes(other[0]), _minutes(other[1])
    out[(minutes >= lo) & (minutes < hi)] = OTHER_HOURS
    for name, (start, end) in windows.items():
        out[(minutes >= _minutes(start)) & (minutes < _minutes(end))] = name
    return out


def other_hours_duration(windows: Mapping[str, list[str]], other: list[str]) -> float:
    """Hours of the ``other`` span outside every declared window."""
    grid = np.zeros(24 * 60, dtype=bool)
    grid[_minutes(other[0]) : _minutes(other[1])] = True
    for start, end in windows.values():
        grid[_minutes(start) : _minutes(end)] = False
    return float(grid.sum()) / 60.0


def scheduled(rules: Mapping[str, Mapping[str, list[str]]], level: str, weekday: int, window: str) -> bool:
    """Whether schools of ``level`` hold ``window`` on ``weekday`` (``autres_heures``: any window that day)."""
    day_windows = rules.get(level, {}).get(WEEKDAYS_FR[weekday], [])
    return bool(day_windows) if window == OTHER_HOURS else window in day_windows


# --- counting ------------------------------------------------------------------------------------


def near_incidents(pairs: pd.DataFrame, params: AbordsScolairesParameters) -> pd.DataFrame:
    """Pairs within the declared radius, of the declared categories, tagged with day type and window."""
    radius = float(params.rayon_m)
    if radius > 300:
        raise ValueError("rayon_m exceeds the 300 m search bound of int_abords_scolaires__incidents_proches")
    categories = params.categories
    keep = pairs["distance_m"] <= radius
    # Per distinct value (per_distinct): these rows are pairs of incidents and schools, millions a year.
    keep &= pd.Series(
        per_distinct(lambda s, c: c in set(categories.get(s, [])), pairs["source"], pairs["code_categorie"], dtype=bool),
        index=pairs.index, dtype=bool,
    )
    near = pairs[keep].copy()
    zone = str(params.zone_vacances)
    days = pd.to_datetime(near["jour_local"]).dt.date
    near["jour_local"] = days
    near["type_jour"] = per_distinct(lambda d: day_type(d, zone), days)
    near["jour_semaine"] = per_distinct(lambda d: d.weekday(), days, dtype=np.int64)
    near["fenetre"] = window_of_minute(near["minute_locale"].astype(int), params.fenetres, params.autres_heures)
    near = near[near["type_jour"].notna() & near["fenetre"].notna()]
    rules = params.fenetres_par_niveau
    # dtype=bool: an empty list would give an object column, and indexing by it selects columns.
    near["programme"] = pd.Series(
        per_distinct(lambda lvl, wd, win: scheduled(rules, lvl, wd, win), near["niveau"], near["jour_semaine"], near["fenetre"], dtype=bool),
        index=near.index, dtype=bool,
    )
    return near[near["programme"]]


def exposure(schools: pd.DataFrame, covered: pd.DataFrame, params: AbordsScolairesParameters) -> pd.DataFrame:
    """Scheduled school-windows by source, level, window and day type over the covered days."""
    zone = str(params.zone_vacances)
    rules = params.fenetres_par_niveau
    windows = [*params.fenetres, OTHER_HOURS]
    per_level = schools.groupby("niveau")["uai"].nunique().to_dict()
    rows = []
    for source, day in zip(covered["source"], pd.to_datetime(covered["jour_local"]).dt.date, strict=True):
        kind = day_type(day, zone)
        if kind is None:
            continue
        for level, n in per_level.items():
            for window in windows:
                if scheduled(rules, level, day.weekday(), window):
                    rows.append((source, level, window, kind, day, n))
    return pd.DataFrame(rows, columns=["source", "niveau", "fenetre", "type_jour", "jour_local", "nb_etablissements"])


def _excess(a: float, ta: float, b: float, tb: float) -> tuple[float, float, float]:
    """a/ta - b/tb with a Poisson (Wald) interval."""
    if ta <= 0 or tb <= 0:
        return math.nan, math.nan, math.nan
    value = a / ta - b / tb
    se = math.sqrt(a / ta**2 + b / tb**2)
    return value, value - Z95 * se, value + Z95 * se


def poisson_rate_interval(count: float, exposure: float, per: float = 100.0) -> tuple[float, float]:
    """Exact (Garwood) 95 % interval of the Poisson rate ``count / exposure``, times ``per``.

    Exact rather than Wald because a quartier often has a handful of incidents, or none: zero
    events still give an upper bound (3.69 events), never a collapsed interval."""
    if not exposure > 0:
        return math.nan, math.nan
    low = chi2.ppf(0.025, 2 * count) / 2 if count > 0 else 0.0
    high = chi2.ppf(0.975, 2 * (count + 1)) / 2
    return per * low / exposure, per * high / exposure


def rate_difference_interval(a: float, ta: float, b: float, tb: float, per: float = 100.0) -> tuple[float, float]:
    """Wald 95 % interval of ``a/ta - b/tb`` (times ``per``); a zero count still carries the
    uncertainty of one event, so that a quartier without incidents keeps a real interval."""
    if not (ta > 0 and tb > 0):
        return math.nan, math.nan
    diff = a / ta - b / tb
    se = math.sqrt(max(a, 1) / ta**2 + max(b, 1) / tb**2)
    return per * (diff - Z95 * se), per * (diff + Z95 * se)


def _did(a: float, ta: float, b: float, tb: float, c: float, tc: float, d: float, td: float) -> tuple[float, float, float]:
    """Ratio of rate ratios (a/ta)/(b/tb) / ((c/tc)/(d/td)) with var(log) = 1/a + 1/b + 1/c + 1/d."""
    if min(a, b, c, d) <= 0 or min(ta, tb, tc, td) <= 0:
        return math.nan, 0.0, math.inf
    ratio = (a / ta) / (b / tb) / ((c / tc) / (d / td))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return ratio, ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)


def _counts(near: pd.DataFrame, expo: pd.DataFrame, sources: list[str], levels: list[str], window: str) -> dict[str, float]:
    """Distinct incidents and school-windows, by day type, for sources x levels x window."""
    if window == ALL_WINDOWS:
        sel = near[(near["fenetre"] != OTHER_HOURS)]
        e = expo[(expo["fenetre"] != OTHER_HOURS)]
    else:
        sel = near[near["fenetre"] == window]
        e = expo[expo["fenetre"] == window]
    sel = sel[sel["source"].isin(sources) & sel["niveau"].isin(levels)]
    e = e[e["source"].isin(sources) & e["niveau"].isin(levels)]
    # One incident near several scheduled schools counts once (its window is unique too).
    distinct = sel.drop_duplicates(["source", "incident_id"])
    out: dict[str, float] = {}
    for kind in ("classe", "vacances"):
        out[f"n_{kind}"] = float((distinct["type_jour"] == kind).sum())
        # Exposure: school-windows summed over sources would double the clock; use one source's.
        exp = e[e["type_jour"] == kind].groupby("source")["nb_etablissements"].sum()
        out[f"t_{kind}"] = float(exp.mean()) if len(exp) else 0.0
    return out


def _window_hours(params: AbordsScolairesParameters, window: str) -> float:
    if window == OTHER_HOURS:
        return other_hours_duration(params.fenetres, params.autres_heures)
    if window == ALL_WINDOWS:
        return float(np.mean([(_minutes(e) - _minutes(s)) / 60 for s, e in params.fenetres.values()]))
    start, end = params.fenetres[window]
    return (_minutes(end) - _minutes(start)) / 60


def compute_effects(inputs: Mapping[str, pd.DataFrame], params: AbordsScolairesParameters) -> pd.DataFrame:
    """Mart ``abords_scolaires_effets``: rate ratios and excess per source x level x window x reference."""
    pairs = inputs["int_abords_scolaires__incidents_proches"]
    schools = inputs["int_abords_scolaires__etablissements"]
    covered = inputs["int_abords_scolaires__couverture"]
    covered = covered[covered["source"].isin(list(params.categories))]
    near = near_incidents(pairs, params)
    expo = exposure(schools, covered, params)
    days = pd.to_datetime(covered["jour_local"]).dt.date
    first, last = (min(days), max(days)) if len(days) else (None, None)
    source_sets = [[s] for s in params.categories] + [list(params.categories)]
    level_sets = [[lvl] for lvl in sorted(schools["niveau"].unique())] + [sorted(schools["niveau"].unique())]
    windows = [*params.fenetres, ALL_WINDOWS]
    rows = []
    for sources in source_sets:
        for levels in level_sets:
            other = _counts(near, expo, sources, levels, OTHER_HOURS)
            for window in windows:
                c = _counts(near, expo, sources, levels, window)
                if c["t_classe"] <= 0:
                    continue  # e.g. écoles have no Wednesday noon window
                label = {
                    "source": sources[0] if len(sources) == 1 else ALL_SOURCES,
                    "niveau": levels[0] if len(levels) == 1 else ALL_LEVELS,
                    "fenetre": window,
                    "debut": first,
                    "fin": last,
                }
                a, ta, b, tb = c["n_classe"], c["t_classe"], c["n_vacances"], c["t_vacances"]
                rr = rate_ratio(a, ta, b, tb)
                ex = _excess(a, ta, b, tb)
                rows.append({**label, "reference": "meme_creneau_jours_de_vacances", "nb_incidents_expose": a,
                             "exposition_expose": ta, "unite_exposition": "établissement-créneau",
                             "nb_incidents_reference": b, "exposition_reference": tb, "rapport_taux": rr.ratio,
                             "ic_bas": rr.low, "ic_haut": rr.high, "exces_par_etablissement_creneau": ex[0],
                             "exces_ic_bas": ex[1], "exces_ic_haut": ex[2]})
                # Other daytime hours of school days: rates per school-hour.
                hw, ho = _window_hours(params, window), _window_hours(params, OTHER_HOURS)
                oc, otc = other["n_classe"], other["t_classe"] * ho
                rr2 = rate_ratio(a, ta * hw, oc, otc)
                rows.append({**label, "reference": "autres_heures_jours_de_classe", "nb_incidents_expose": a,
                             "exposition_expose": ta * hw, "unite_exposition": "établissement-heure",
                             "nb_incidents_reference": oc, "exposition_reference": otc, "rapport_taux": rr2.ratio,
                             "ic_bas": rr2.low, "ic_haut": rr2.high, "exces_par_etablissement_creneau": math.nan,
                             "exces_ic_bas": math.nan, "exces_ic_haut": math.nan})
                did = _did(a, ta * hw, b, tb * hw, oc, otc, other["n_vacances"], other["t_vacances"] * ho)
                expected = b / tb * ta * (oc / otc) / (other["n_vacances"] / (other["t_vacances"] * ho)) if min(
                    b, tb, otc, other["n_vacances"], other["t_vacances"]) > 0 else math.nan
                ex3 = (a - expected) / ta if not math.isnan(expected) else math.nan
                rows.append({**label, "reference": "double_difference", "nb_incidents_expose": a,
                             "exposition_expose": ta, "unite_exposition": "établissement-créneau",
                             "nb_incidents_reference": b, "exposition_reference": tb, "rapport_taux": did[0],
                             "ic_bas": did[1], "ic_haut": did[2], "exces_par_etablissement_creneau": ex3,
                             "exces_ic_bas": math.nan, "exces_ic_haut": math.nan})
    frame = pd.DataFrame(rows, columns=column_names("abords_scolaires_effets"))
    # An undefined ratio (no event on one side) is published as empty, never as 0 or infinity.
    undefined = frame["rapport_taux"].isna()
    frame.loc[undefined, ["ic_bas", "ic_haut"]] = math.nan
    return conform(frame, "abords_scolaires_effets")


def compute_quartiers(inputs: Mapping[str, pd.DataFrame], params: AbordsScolairesParameters) -> pd.DataFrame:
    """Mart ``abords_scolaires_quartiers``: per quartier of the schools, incidents in the windows on
    school days and on holiday weekdays (all declared sources and windows), per 100 school-windows,
    with the 95 % intervals pages rank by (exact Poisson for the school-day rate, Wald for the
    excess over holidays)."""
    pairs = inputs["int_abords_scolaires__incidents_proches"]
    schools = inputs["int_abords_scolaires__etablissements"]
    covered = inputs["int_abords_scolaires__couverture"]
    covered = covered[covered["source"].isin(list(params.categories))]
    near = near_incidents(pairs, params)
    near = near[near["fenetre"] != OTHER_HOURS]
    expo = exposure(schools, covered, params)
    expo = expo[expo["fenetre"] != OTHER_HOURS]
    days = pd.to_datetime(covered["jour_local"]).dt.date
    first, last = (min(days), max(days)) if len(days) else (None, None)
    # Exposure per quartier: scheduled school-windows of its schools (one source's clock: the mean).
    n_sources = max(covered["source"].nunique(), 1)
    level_windows = expo.groupby(["niveau", "type_jour"])["jour_local"].count().div(n_sources).unstack(fill_value=0.0)
    rows = []
    # No covered day yet (no declared source delivered): no window to count, an empty mart.
    for (code, name), group in (schools.iloc[0:0] if covered.empty else schools).groupby(["code_quartier", "nom_quartier"]):
        by_level = group["niveau"].value_counts()
        t = {k: float(sum(by_level.get(lvl, 0) * level_windows.get(k, pd.Series(dtype=float)).get(lvl, 0.0) for lvl in by_level.index))
             for k in ("classe", "vacances")}
        sel = near[near["code_quartier_etablissement"] == code].drop_duplicates(["source", "incident_id"])
        n = {k: int((sel["type_jour"] == k).sum()) for k in ("classe", "vacances")}
        rate = {k: 100 * n[k] / t[k] if t[k] > 0 else math.nan for k in n}
        rate_low, rate_high = poisson_rate_interval(n["classe"], t["classe"])
        excess_low, excess_high = rate_difference_interval(n["classe"], t["classe"], n["vacances"], t["vacances"])
        rows.append({"code_quartier": code, "nom_quartier": name, "nb_etablissements": int(group["uai"].nunique()),
                     "nb_incidents_creneaux_classe": n["classe"], "nb_creneaux_classe": t["classe"],
                     "taux_pour_100_creneaux_classe": rate["classe"], "taux_classe_ic_bas": rate_low,
                     "taux_classe_ic_haut": rate_high, "nb_incidents_creneaux_vacances": n["vacances"],
                     "nb_creneaux_vacances": t["vacances"], "taux_pour_100_creneaux_vacances": rate["vacances"],
                     "exces_pour_100_creneaux": rate["classe"] - rate["vacances"], "exces_ic_bas": excess_low,
                     "exces_ic_haut": excess_high, "debut": first, "fin": last})
    frame = pd.DataFrame(rows, columns=column_names("abords_scolaires_quartiers"))
    return conform(frame, "abords_scolaires_quartiers")


def compute_fit_quality(inputs: Mapping[str, pd.DataFrame], params: AbordsScolairesParameters) -> pd.DataFrame:
    """Mart ``abords_scolaires_qualite`` (long format): data window, calendar, a placebo window
    (the same method on declared windows without pupils, whose ratio should be about 1) and the
    over-dispersion of daily counts in the windows."""
    pairs = inputs["int_abords_scolaires__incidents_proches"]
    schools = inputs["int_abords_scolaires__etablissements"]
    covered = inputs["int_abords_scolaires__couverture"]
    covered = covered[covered["source"].isin(list(params.categories))]
    zone = str(params.zone_vacances)
    rows: list[tuple[str, str, float, str, str]] = []
    for source in params.categories:
        days = pd.to_datetime(covered.loc[covered["source"] == source, "jour_local"]).dt.date
        kinds = pd.Series([day_type(d, zone) for d in days], dtype=object)
        rows.append((source, "jours_couverts", float(len(days)), "jours", "Jours locaux où le flux a livré des lignes."))
        rows.append((source, "jours_de_classe", float((kinds == "classe").sum()), "jours", "Jours de semaine avec classe (zone B, hors fériés)."))
        rows.append((source, "jours_de_vacances_en_semaine", float((kinds == "vacances").sum()), "jours",
                     "Jours de semaine de vacances scolaires hors fériés : la référence."))
    rows.append((ALL_SOURCES, "nb_etablissements", float(schools["uai"].nunique()), "établissements", "Établissements de l'annuaire localisés."))
    # Placebo: declared windows with no pupils about; the school-day / holiday ratio should be ~1.
    placebo_params = params.model_copy(update={"fenetres": params.fenetres_placebo,
                      "fenetres_par_niveau": {lvl: {d: list(params.fenetres_placebo) for d, w in days_.items() if w}
                                              for lvl, days_ in params.fenetres_par_niveau.items()}})
    placebo = compute_effects(inputs, placebo_params)
    placebo = placebo[(placebo["niveau"] == ALL_LEVELS) & (placebo["fenetre"] == ALL_WINDOWS)
                      & (placebo["reference"] == "meme_creneau_jours_de_vacances")]
    for _, r in placebo.iterrows():
        rows.append((f"{r['source']} / placebo", "rapport_taux_placebo", float(r["rapport_taux"]), "ratio",
                     f"Même méthode sur des créneaux sans élèves ({', '.join(params.fenetres_placebo)}) ; "
                     f"attendu proche de 1 (IC 95 % {r['ic_bas']:.2f}-{r['ic_haut']:.2f})."))
        rows.append((f"{r['source']} / placebo", "exces_placebo_par_etablissement_creneau", float(r["exces_par_etablissement_creneau"]),
                     "incidents par établissement-créneau", "Excès apparent sur les créneaux placebo : l'ordre de grandeur du biais."))
    # Over-dispersion of daily counts in the windows on school days (Poisson would give ~1).
    near = near_incidents(pairs, params)
    near = near[(near["fenetre"] != OTHER_HOURS) & (near["type_jour"] == "classe")].drop_duplicates(["source", "incident_id"])
    for source in params.categories:
        days = pd.to_datetime(covered.loc[covered["source"] == source, "jour_local"]).dt.date
        school_days = [d for d in days if day_type(d, zone) == "classe" and d.weekday() != 2]
        daily = near[near["source"] == source].groupby("jour_local").size().reindex(school_days, fill_value=0)
        if len(daily) > 1 and daily.mean() > 0:
            rows.append((source, "dispersion_comptes_journaliers", float(daily.var() / daily.mean()), "variance / moyenne",
                         "Comptes par jour de classe (hors mercredi) dans les créneaux ; ~1 si Poisson, >1 : intervalles trop étroits."))
    frame = pd.DataFrame(rows, columns=column_names("abords_scolaires_qualite"))
    # An indicator the data cannot support (e.g. no holiday in the window) is left out, not published empty.
    frame = frame[np.isfinite(frame["valeur"].astype(float))]
    return conform(frame, "abords_scolaires_qualite")


__all__ = [
    "compute_effects",
    "compute_fit_quality",
    "compute_quartiers",
    "day_type",
    "poisson_rate_interval",
    "rate_difference_interval",
    "window_of_minute",
]
