"""The quality mart's rows: each indicator with its value, unit and a French comment for the reader."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from orchestration.analytics.securite_evenements.inputs import SOURCES
from orchestration.analytics.securite_evenements.model import Fit
from orchestration.analytics.securite_evenements.prepared import Prepared
from orchestration.analytics.securite_evenements.windows import has_coverage
from orchestration.analytics.stats import Z95

Row = tuple[str, str, float, str, str]


def coverage_rows(prep: Prepared, observed: pd.Series) -> list[Row]:
    """Data window, events observed and planned, sessions the model learns from."""
    rows: list[Row] = []
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
    return rows


def fit_rows(fits: Mapping[str, Fit]) -> list[Row]:
    """Per source: goodness of fit, profile, rates per 1,000 attendees by type, day-type and rain ratios."""
    rows: list[Row] = []
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
    return rows


def observed_rate_rows(rates: pd.DataFrame) -> list[Row]:
    """Model-free rates per 1,000 attendees by source and type (``baseline.observed_rates``)."""
    rows: list[Row] = []
    for r in rates.itertuples(index=False):
        per = f"{r.source}|{r.code_type_evenement}"
        rows.append((per, "taux_pour_1000_observe", float(r.taux), "faits pour 1 000 personnes", f"Surcroît observé cumulé / jauge, {int(r.sessions)} sessions sans chevauchement."))
        rows.append((per, "taux_pour_1000_observe_ic_bas", float(r.ic_bas), "faits pour 1 000 personnes", "Borne basse à 95 % (approximation normale)."))
        rows.append((per, "taux_pour_1000_observe_ic_haut", float(r.ic_haut), "faits pour 1 000 personnes", "Borne haute à 95 % (approximation normale)."))
    return rows


def backtest_rows(bt: pd.DataFrame) -> list[Row]:
    """Backtest errors and biases of the model and of the naive rule, per hour and per session."""
    rows: list[Row] = []
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
    return rows
