"""Rolling-origin backtest of the forecast against a naive rule.

Each origin refits the model on the sessions ended before it: these refits are the point of
the backtest (the model must not see the future) and are separate from the one main fit the
other marts share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.analytics.securite_evenements.inputs import SOURCES
from orchestration.analytics.securite_evenements.model import fit_model, training_rows
from orchestration.analytics.securite_evenements.parameters import segments
from orchestration.analytics.securite_evenements.prepared import Prepared
from orchestration.analytics.securite_evenements.windows import has_coverage

# The column of ``backtest``'s joined rows holding their session's position in ``Prepared.sessions``.
POSITION = "_position_session"


def _of_sessions(rows: pd.DataFrame, positions: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """The rows of ``rows`` whose session ``positions[mask]`` selects, as ``training_rows`` of those sessions alone gives them."""
    chosen = np.zeros(len(positions), dtype=bool)
    chosen[positions[mask][POSITION].to_numpy()] = True  # the sessions' own boolean selection, as before
    kept = rows[chosen[rows[POSITION].to_numpy()]]
    return kept.drop(columns=POSITION).reset_index(drop=True)


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
    observed = prep.observed()
    segs = segments(p)
    # Each source's usable hours joined once to every session, each row knowing its session's
    # position: an origin's training and test rows are then a selection of them (the same rows in
    # the same order as joining the origin's sessions alone), not two joins per origin and source.
    positions = prep.sessions.assign(**{POSITION: np.arange(len(prep.sessions))})
    usable = {source: training_rows(prep.excess, positions, prep.hours, source, extra=(POSITION,)) for source in SOURCES}
    parts = []
    origin = first.normalize() + pd.Timedelta(days=p.backtest_entrainement_jours) if has_coverage(prep.coverage) else None
    while origin is not None and origin <= last:
        stop = origin + pd.Timedelta(days=p.backtest_pas_jours)
        end_window = prep.sessions["fin_session"] + pd.Timedelta(hours=p.heures_apres)
        train_mask = observed & (end_window < origin)
        test_mask = observed & (prep.sessions["debut_session"] >= origin) & (prep.sessions["debut_session"] < stop)
        if train_mask.any() and test_mask.any():
            for source in SOURCES:
                train = _of_sessions(usable[source], positions, train_mask)
                test = _of_sessions(usable[source], positions, test_mask)
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
