"""Occupation of public space: conflicts between works, markets and events, and complaints near them.

Method (the use case's model card says it in French):

- **Conflicts**: two occupations of different kinds (worksite, market session, event) on the same
  local day, whose hours overlap, within the declared ``rayon_conflit_m`` of each other (50 m
  cell centres). Parties are named by their codes (order number, market code, event id).
- **Complaints near an occupation**: complaints (Allô Mairie, citizen app) of the declared
  categories within ``rayon_plaintes_m``. For each worksite whose restriction is declared, the
  complaints during the works are compared with those at the same place during the declared
  spans before and after the works; for each market, complaints on session days (within the
  opening hours plus declared margins) with those on the other days at the same hours. The
  comparison is stratified by place (Mantel-Haenszel), and each day's exposure is weighted by
  that day's city-wide complaint level of the same source and categories, so that weekdays,
  Sundays and seasons do not pass for an effect. Excess complaints per worksite-day (per market
  session) = observed - expected from the place's own reference, summed over places, divided
  by worksite-days (sessions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from orchestration.analytics import per_distinct
from orchestration.analytics.stats import Z95, mantel_haenszel_rate_ratio
from orchestration.core.catalog.mart_schema import column_names, conform
from orchestration.core.catalog.parameters import EspacePublicParameters

ALL_SOURCES = "ensemble"
ALL = "tous"
# The day number of a missing date (see _day_numbers): below every real ordinal.
NO_DAY = np.iinfo(np.int64).min



def _as_date(value: object) -> date:
    return value if isinstance(value, date) else pd.Timestamp(value).date()  # type: ignore[arg-type]


def _as_dates(values: pd.Series) -> pd.Series:
    return pd.Series([_as_date(v) for v in values], index=values.index, dtype=object)


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Proleptic ordinals (``date.toordinal()``) of the dates in ``values``, read as :func:`_as_dates` reads them.

    Once per distinct day (:func:`per_distinct`): millions of pairs hold a few hundred days. A
    missing value becomes :data:`NO_DAY`, which matches no covered day, as a missing date matched none.
    """
    return per_distinct(lambda v: NO_DAY if pd.isna(v) else _as_date(v).toordinal(), values, dtype=np.int64)


def _hhmm(values: pd.Series) -> pd.Series:
    return pd.Series([pd.Timestamp(v).strftime("%H:%M") for v in values], index=values.index, dtype=object)


# --- conflicts ------------------------------------------------------------------------------------


def compute_conflicts(inputs: Mapping[str, pd.DataFrame], params: EspacePublicParameters) -> pd.DataFrame:
    """Mart ``espace_public_conflits``: one row per conflicting pair and day, parties by their codes."""
    pairs = inputs["int_espace_public__chevauchements"]
    radius = float(params.rayon_conflit_m)
    if radius > 500:
        raise ValueError("rayon_conflit_m exceeds the 500 m search bound of int_espace_public__chevauchements")
    kept = pairs[pairs["distance_m"] <= radius].copy()
    ignored = set(params.restrictions_sans_conflit)
    # A worksite that neither narrows the road nor takes parking does not compete for the street.
    kept = kept[~((kept["type_a"] == "chantier") & kept["detail_a"].isin(ignored))]
    frame = pd.DataFrame({
        "jour": _as_dates(kept["jour"]),
        "type_conflit": kept["type_a"] + "-" + kept["type_b"],
        "type_a": kept["type_a"],
        "id_a": kept["id_a"],
        "detail_a": kept["detail_a"].fillna(""),
        "type_b": kept["type_b"],
        "id_b": kept["id_b"],
        "detail_b": kept["detail_b"].fillna(""),
        "code_quartier": kept["code_quartier_a"].fillna(kept["code_quartier_b"]).fillna(""),
        "distance_m": kept["distance_m"],
        "heure_debut_chevauchement": _hhmm(kept["debut_chevauchement"]),
        # A span ending at midnight is shown as 24:00, the end of that day.
        "heure_fin_chevauchement": [
            "24:00" if pd.Timestamp(e).date() > pd.Timestamp(d).date() else pd.Timestamp(e).strftime("%H:%M")
            for d, e in zip(kept["jour"], kept["fin_chevauchement"], strict=True)
        ],
    }, columns=column_names("espace_public_conflits"))
    frame = frame.sort_values(["jour", "type_conflit", "id_a", "id_b"]).reset_index(drop=True)
    return conform(frame, "espace_public_conflits")


def compute_quartiers(inputs: Mapping[str, pd.DataFrame], params: EspacePublicParameters) -> pd.DataFrame:
    """Mart ``espace_public_quartiers``: conflicts per quartier over the data window (for the map)."""
    conflicts = compute_conflicts(inputs, params)
    conflicts = conflicts[conflicts["code_quartier"] != ""]
    first, last = (min(conflicts["jour"]), max(conflicts["jour"])) if len(conflicts) else (None, None)
    rows = []
    for code, group in conflicts.groupby("code_quartier"):
        kinds = group["type_conflit"].value_counts()
        rows.append({"code_quartier": code, "nb_conflits": len(group), "nb_jours_avec_conflit": group["jour"].nunique(),
                     "nb_conflits_chantier_marche": int(kinds.get("chantier-marche", 0)),
                     "nb_conflits_chantier_evenement": int(kinds.get("chantier-evenement", 0)),
                     "nb_conflits_evenement_marche": int(kinds.get("evenement-marche", 0)), "debut": first, "fin": last})
    frame = pd.DataFrame(rows, columns=column_names("espace_public_quartiers"))
    return conform(frame, "espace_public_quartiers")


# --- complaints near worksites and markets -------------------------------------------------------


def day_levels(daily: pd.DataFrame, categories: Mapping[str, list[str]]) -> dict[str, pd.Series]:
    """Per source: the city-wide complaints of its declared categories per covered day, over their mean.

    A day's exposure is weighted by this level, so a quiet Sunday (or a busy Monday) weighs what
    it weighs city-wide. Days the source did not deliver are absent (no exposure).
    """
    out = {}
    for source, cats in categories.items():
        d = daily[daily["source"] == source]
        covered = sorted(set(_as_dates(d["jour_local"])))
        level = d[d["code_categorie"].isin(cats)].assign(jour=_as_dates(d["jour_local"])).groupby("jour")["nb_plaintes"].sum()
        level = level.reindex(covered, fill_value=0).astype(float)
        out[source] = level / level.mean() if len(level) and level.mean() > 0 else level
    return out


def _stratified(strata: pd.DataFrame) -> dict[str, float]:
    """MH rate ratio and excess per active day from per-place strata (a, ta, b, tb, days_a)."""
    s = strata[(strata["ta"] > 0) & (strata["tb"] > 0)]
    rr = mantel_haenszel_rate_ratio(s[["a", "ta", "b", "tb"]])
    days = float(s["days_a"].sum())
    expected = s["b"] * s["ta"] / s["tb"]
    excess = (float(s["a"].sum()) - float(expected.sum())) / days if days > 0 else math.nan
    var = float((s["a"] + s["b"] * (s["ta"] / s["tb"]) ** 2).sum()) / days**2 if days > 0 else math.nan
    se = math.sqrt(var) if days > 0 else math.nan
    ratio = rr.ratio
    return {
        "nb_lieux": float(len(s)), "nb_jours_actifs": days, "a": float(s["a"].sum()), "ta": float(s["ta"].sum()),
        "b": float(s["b"].sum()), "tb": float(s["tb"].sum()), "rr": ratio,
        "low": rr.low if not math.isnan(ratio) else math.nan, "high": rr.high if not math.isnan(ratio) else math.nan,
        "excess": excess, "excess_low": excess - Z95 * se, "excess_high": excess + Z95 * se,
    }


def worksite_strata(inputs: Mapping[str, pd.DataFrame], params: EspacePublicParameters, source: str, levels: pd.Series) -> pd.DataFrame:
    """One row per worksite: complaints and level-weighted exposure during the works and in the
    declared spans before and after them, on the source's covered days."""
    radius = float(params.rayon_plaintes_m)
    if radius > 300:
        raise ValueError("rayon_plaintes_m exceeds the 300 m search bound of the complaint joins")
    span = int(params.chantiers.jours_reference_avant_apres)
    if span > 90:
        raise ValueError("jours_reference_avant_apres exceeds the 90-day bound of int_espace_public__plaintes_chantiers")
    sites = inputs["int_espace_public__chantiers"].copy()
    sites["debut"], sites["fin"] = _as_dates(sites["debut"]), _as_dates(sites["fin"])
    # The pairs table grows with complaints x worksites (tens of millions of rows on a dense
    # city-year): only the two columns the counts need are taken, and days are compared as
    # integers (day numbers, converted once per distinct day) rather than as date objects.
    pairs = inputs["int_espace_public__plaintes_chantiers"]
    wanted = (pairs["source"] == source) & (pairs["distance_m"] <= radius) & pairs["code_categorie"].isin(params.categories[source])
    near = pd.DataFrame({"arrete_id": pairs.loc[wanted, "arrete_id"], "jour": _day_numbers(pairs.loc[wanted, "jour_local"])})
    covered = list(levels.index)
    days_ord = np.array([d.toordinal() for d in covered], dtype=np.int64)
    cum = np.concatenate([[0.0], levels.to_numpy(dtype=float).cumsum()])

    def weight(lo: date, hi: date) -> tuple[float, int]:
        """Sum of day levels and number of covered days in [lo, hi]."""
        i = int(np.searchsorted(days_ord, lo.toordinal(), side="left"))
        j = int(np.searchsorted(days_ord, hi.toordinal(), side="right"))
        return (float(cum[j] - cum[i]), j - i) if j > i else (0.0, 0)

    spans = pd.DataFrame({"arrete_id": sites["arrete_id"], "debut": _day_numbers(sites["debut"]), "fin": _day_numbers(sites["fin"])})
    near = near.merge(spans, on="arrete_id")
    near = near[np.isin(near["jour"].to_numpy(), days_ord)]  # on covered days only
    jour, debut, fin = near["jour"].to_numpy(), near["debut"].to_numpy(), near["fin"].to_numpy()
    during = (jour >= debut) & (jour <= fin)
    before = (jour < debut) & (jour >= debut - span)
    after = (jour > fin) & (jour <= fin + span)
    a = near[during].groupby("arrete_id").size()
    b = near[before | after].groupby("arrete_id").size()
    rows = []
    step = timedelta(days=1)
    for site in sites.itertuples(index=False):
        ta, days_a = weight(site.debut, site.fin)
        tb1, _ = weight(site.debut - timedelta(days=span), site.debut - step)
        tb2, _ = weight(site.fin + step, site.fin + timedelta(days=span))
        rows.append((site.arrete_id, site.code_restriction, float(a.get(site.arrete_id, 0)), ta,
                     float(b.get(site.arrete_id, 0)), tb1 + tb2, float(days_a)))
    return pd.DataFrame(rows, columns=["lieu", "sous_groupe", "a", "ta", "b", "tb", "days_a"])


def market_strata(inputs: Mapping[str, pd.DataFrame], params: EspacePublicParameters, source: str, levels: pd.Series) -> pd.DataFrame:
    """One row per market: complaints within its hours (plus margins) on held-session days vs the
    same hours on the other covered days, with level-weighted exposure."""
    radius = float(params.rayon_plaintes_m)
    sessions = inputs["int_espace_public__seances"].copy()
    sessions["jour"] = _as_dates(sessions["jour"])
    near = inputs["int_espace_public__plaintes_marches"]
    near = near[(near["source"] == source) & (near["distance_m"] <= radius)
                & near["code_categorie"].isin(params.categories[source])].copy()
    near["jour"] = _as_dates(near["jour_local"])
    covered = set(levels.index)
    before_min = int(params.marches.marge_avant_min)
    after_min = int(params.marches.marge_apres_min)
    rows = []
    for market, group in sessions.groupby("marche_id"):
        held = set(group.loc[group["code_statut"] == "TENU", "jour"]) & covered
        # Usual hours of the market: its most frequent opening span.
        lo = int(group["minute_ouverture"].mode().iloc[0]) - before_min
        hi = int(group["minute_fermeture"].mode().iloc[0]) + after_min
        m = near[(near["marche_id"] == market) & (near["minute_locale"] >= lo) & (near["minute_locale"] < hi)]
        m = m[m["jour"].isin(covered)]
        on = m["jour"].isin(held)
        other_days = covered - held
        rows.append((market, str(group["code_type_marche"].mode().iloc[0]), float(on.sum()),
                     float(levels.loc[sorted(held)].sum()) if held else 0.0, float((~on).sum()),
                     float(levels.loc[sorted(other_days)].sum()) if other_days else 0.0, float(len(held))))
    return pd.DataFrame(rows, columns=["lieu", "sous_groupe", "a", "ta", "b", "tb", "days_a"])


def compute_effects(inputs: Mapping[str, pd.DataFrame], params: EspacePublicParameters) -> pd.DataFrame:
    """Mart ``espace_public_plaintes_effets``: complaints near active worksites and held markets vs the
    same places' reference, per object x source x subgroup (restriction, market type, or all)."""
    levels = day_levels(inputs["int_espace_public__plaintes_jour"], params.categories)
    restrictions = set(params.chantiers.restrictions)
    rows = []
    for source in params.categories:
        lv = levels[source]
        if not len(lv):
            continue
        first, last = lv.index[0], lv.index[-1]
        for objet, strata in (("chantier", worksite_strata(inputs, params, source, lv)),
                              ("marche", market_strata(inputs, params, source, lv))):
            groups: list[tuple[str, pd.DataFrame]] = []
            if objet == "chantier":
                groups.append((ALL, strata[strata["sous_groupe"].isin(restrictions)]))
            else:
                groups.append((ALL, strata))
            groups += [(str(k), g) for k, g in strata.groupby("sous_groupe")]
            for label, group in groups:
                r = _stratified(group)
                if r["nb_jours_actifs"] <= 0:
                    continue
                rows.append({"objet": objet, "source": source, "sous_groupe": label, "nb_lieux": r["nb_lieux"],
                             "nb_jours_actifs": r["nb_jours_actifs"], "nb_plaintes_actif": r["a"], "exposition_actif": r["ta"],
                             "nb_plaintes_reference": r["b"], "exposition_reference": r["tb"], "rapport_taux": r["rr"],
                             "ic_bas": r["low"], "ic_haut": r["high"], "exces_par_jour_actif": r["excess"],
                             "exces_ic_bas": r["excess_low"], "exces_ic_haut": r["excess_high"], "debut": first, "fin": last})
    frame = pd.DataFrame(rows, columns=column_names("espace_public_plaintes_effets"))
    return conform(frame, "espace_public_plaintes_effets")


def compute_fit_quality(inputs: Mapping[str, pd.DataFrame], params: EspacePublicParameters) -> pd.DataFrame:
    """Mart ``espace_public_qualite`` (long format): data window, places compared, a placebo (worksites
    without restriction, and a distant ring around active worksites) and over-dispersion."""
    levels = day_levels(inputs["int_espace_public__plaintes_jour"], params.categories)
    rows: list[tuple[str, str, float, str, str]] = []
    for source, lv in levels.items():
        rows.append((source, "jours_couverts", float(len(lv)), "jours", "Jours où le flux a livré des plaintes."))
        if not len(lv):
            # Nothing delivered yet: say so with the counts the model card relies on, at zero.
            rows.append((f"chantier / {source}", "nb_chantiers_compares", 0.0, "chantiers", "Aucune plainte livrée : rien à comparer."))
            rows.append((f"marche / {source}", "nb_marches_compares", 0.0, "marchés", "Aucune plainte livrée : rien à comparer."))
            continue
        rows.append((source, "variation_niveau_journalier", float(lv.std()), "écart-type relatif",
                     "Variation du niveau de plaintes de la ville d'un jour à l'autre (corrigée dans l'exposition)."))
        strata = worksite_strata(inputs, params, source, lv)
        # Placebo 1: a ring beyond the declared radius (up to the search bound) should show ~no excess.
        ring_params = params.model_copy(update={"rayon_plaintes_m": float(params.qualite.rayon_anneau_placebo_m)})
        outer = worksite_strata(inputs, ring_params, source, lv)
        ring = outer.copy()
        ring[["a", "b"]] = outer[["a", "b"]].to_numpy() - strata[["a", "b"]].to_numpy()
        restr = set(params.chantiers.restrictions)
        r_ring = _stratified(ring[ring["sous_groupe"].isin(restr)])
        rows.append((f"chantier / {source}", "rapport_taux_anneau_placebo", _finite(r_ring["rr"]), "ratio",
                     f"Plaintes entre {params.rayon_plaintes_m} et {params.qualite.rayon_anneau_placebo_m} m des chantiers "
                     "actifs contre avant/après : attendu proche de 1."))
        used = strata[strata["sous_groupe"].isin(restr)]
        rows.append((f"chantier / {source}", "nb_chantiers_compares", float(((used["ta"] > 0) & (used["tb"] > 0)).sum()),
                     "chantiers", "Chantiers à restriction déclarée ayant à la fois des jours actifs et des jours de référence couverts."))
        # Over-dispersion across worksites: Pearson chi2 / dof of the per-site counts under the pooled rate ratio.
        s = used[(used["ta"] > 0) & (used["tb"] > 0)]
        r_all = _stratified(used)
        if len(s) > 1 and not math.isnan(r_all["rr"]):
            n = s["a"] + s["b"]
            p = r_all["rr"] * s["ta"] / (r_all["rr"] * s["ta"] + s["tb"])
            var = n * p * (1 - p)
            ok = var > 0
            chi2 = float((((s["a"] - n * p) ** 2)[ok] / var[ok]).sum())
            rows.append((f"chantier / {source}", "dispersion_pearson", chi2 / max(int(ok.sum()) - 1, 1), "chi2 / ddl",
                         "Hétérogénéité entre chantiers autour du rapport commun ; >1 : l'effet varie d'un chantier à l'autre."))
        m = market_strata(inputs, params, source, lv)
        rows.append((f"marche / {source}", "nb_marches_compares", float(((m["ta"] > 0) & (m["tb"] > 0)).sum()), "marchés",
                     "Marchés ayant des jours de séance et des jours sans séance couverts (un marché quotidien n'a pas de référence)."))
    frame = pd.DataFrame(rows, columns=column_names("espace_public_qualite"))
    # An indicator the data cannot support (e.g. no holiday in the window) is left out, not published empty.
    frame = frame[np.isfinite(frame["valeur"].astype(float))]
    return conform(frame, "espace_public_qualite")


def _finite(value: float) -> float:
    return value if value is not None and math.isfinite(value) else math.nan


