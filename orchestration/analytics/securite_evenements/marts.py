"""The mart entry points named in the use-case declaration (``compute`` of each Python mart).

Every ``compute_*`` takes ``(inputs, params)`` and reads the shared :func:`analysis`: in one
refresh the inputs are prepared once and the model is fitted once for all the marts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from orchestration.analytics.securite_evenements.analysis import analysis
from orchestration.analytics.securite_evenements.backtest import backtest
from orchestration.analytics.securite_evenements.baseline import observed_rates
from orchestration.analytics.securite_evenements.doctrine import staffing
from orchestration.analytics.securite_evenements.forecast import FORECAST_COLUMNS
from orchestration.analytics.securite_evenements.prose import QUALITY_COLUMNS, backtest_rows, coverage_rows, fit_rows, observed_rate_rows

EXCESS_COLUMNS = ["evenement_id", "session", "jour", "heure_locale", "heure_relative", "segment", "code_type_evenement", "code_lieu",
                  "jauge_attendue", "source", "observe", "reference", "nb_heures_reference", "exces", "chevauchement"]


def compute_exces(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_exces_heure``: observed excess per past event, hour and source."""
    prep = analysis(inputs, params).prep
    keys = ["evenement_id", "session", "heure_relative"]
    e = prep.excess[prep.excess["observe"].notna() & prep.excess["reference"].notna()]
    e = e.merge(prep.hours[[*keys, "segment"]], on=keys).merge(
        prep.sessions[["evenement_id", "session", "code_type_evenement", "jauge_attendue"]], on=["evenement_id", "session"])
    e["jour"] = [t.date() for t in e["heure_locale"]]
    out = e[EXCESS_COLUMNS].copy()
    return _types(out, ints=["session", "heure_relative", "jauge_attendue", "observe", "nb_heures_reference"],
                  floats=["reference", "exces"], strs=["evenement_id", "segment", "code_type_evenement", "code_lieu", "source"],
                  bools=["chevauchement"]).sort_values(["evenement_id", "session", "source", "heure_relative"]).reset_index(drop=True)


def compute_prevision(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_prevision_heure``: the model's expected excess per event, hour, source."""
    shared = analysis(inputs, params)
    out = shared.forecast[FORECAST_COLUMNS].copy()
    return _types(out, ints=["session", "heure_relative", "jauge_attendue"],
                  floats=["reference_attendue", "exces_attendu", "exces_bas", "exces_haut", "faits_attendus", "faits_haut"],
                  strs=["evenement_id", "segment", "code_type_evenement", "code_lieu", "type_jour", "source"],
                  bools=["pluie", "planifie"]).sort_values(["evenement_id", "session", "source", "heure_relative"]).reset_index(drop=True)


def compute_dispositif(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_dispositif``: agents and barriers per event and hour (planned and past)."""
    shared = analysis(inputs, params)
    out = staffing(shared.forecast, shared.prep.p.doctrine)
    return _types(out, ints=["session", "heure_relative", "jauge_attendue", "agents", "agents_selon_faits", "agents_minimum_jauge", "barrieres"],
                  floats=["faits_supplementaires_haut", "interventions_secours_haut"], strs=["evenement_id", "code_type_evenement", "code_lieu"],
                  bools=["planifie"]).sort_values(["evenement_id", "session", "heure_relative"]).reset_index(drop=True)


def compute_qualite(inputs: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
    """Mart ``securite_evenements_qualite``: fit quality, backtest vs naive, recovered rates (long format)."""
    shared = analysis(inputs, params)
    prep = shared.prep
    rows = [
        *coverage_rows(prep, shared.observed),
        *fit_rows(shared.fits),
        *observed_rate_rows(observed_rates(prep.sessions, prep.excess, shared.observed, prep.p)),
        *backtest_rows(backtest(prep)),
    ]
    out = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    return _types(out, floats=["valeur"], strs=["perimetre", "indicateur", "unite", "commentaire"])


def _types(frame: pd.DataFrame, ints: Sequence[str] = (), floats: Sequence[str] = (), strs: Sequence[str] = (), bools: Sequence[str] = ()
           ) -> pd.DataFrame:
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
