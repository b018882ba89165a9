"""The mart entry points named in the use-case declaration (``compute`` of each Python mart).

Every ``compute_*`` takes ``(inputs, params)`` and reads the shared :func:`analysis`: in one
refresh the inputs are prepared once and the model is fitted once for all the marts. Each ends
with :func:`conform`: the columns, their order and types are the mart's declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from orchestration.analytics.securite_evenements.analysis import analysis
from orchestration.analytics.securite_evenements.backtest import backtest
from orchestration.analytics.securite_evenements.baseline import observed_rates
from orchestration.analytics.securite_evenements.doctrine import staffing
from orchestration.analytics.securite_evenements.prose import backtest_rows, coverage_rows, fit_rows, observed_rate_rows
from orchestration.core.catalog.mart_schema import column_names, conform

EXCES = "securite_evenements_exces_heure"
PREVISION = "securite_evenements_prevision_heure"
DISPOSITIF = "securite_evenements_dispositif"
QUALITE = "securite_evenements_qualite"


def compute_exces(inputs: Mapping[str, pd.DataFrame], params: Any) -> pd.DataFrame:
    """Mart ``securite_evenements_exces_heure``: observed excess per past event, hour and source."""
    prep = analysis(inputs, params).prep
    keys = ["evenement_id", "session", "heure_relative"]
    e = prep.excess[prep.excess["observe"].notna() & prep.excess["reference"].notna()]
    e = e.merge(prep.hours[[*keys, "segment"]], on=keys).merge(
        prep.sessions[["evenement_id", "session", "code_type_evenement", "jauge_attendue"]], on=["evenement_id", "session"])
    e["jour"] = [t.date() for t in e["heure_locale"]]
    return _sorted(conform(e, EXCES), ["evenement_id", "session", "source", "heure_relative"])


def compute_prevision(inputs: Mapping[str, pd.DataFrame], params: Any) -> pd.DataFrame:
    """Mart ``securite_evenements_prevision_heure``: the model's expected excess per event, hour, source."""
    shared = analysis(inputs, params)
    return _sorted(conform(shared.forecast, PREVISION), ["evenement_id", "session", "source", "heure_relative"])


def compute_dispositif(inputs: Mapping[str, pd.DataFrame], params: Any) -> pd.DataFrame:
    """Mart ``securite_evenements_dispositif``: agents and barriers per event and hour (planned and past)."""
    shared = analysis(inputs, params)
    out = staffing(shared.forecast, shared.prep.p.doctrine)
    return _sorted(conform(out, DISPOSITIF), ["evenement_id", "session", "heure_relative"])


def compute_qualite(inputs: Mapping[str, pd.DataFrame], params: Any) -> pd.DataFrame:
    """Mart ``securite_evenements_qualite``: fit quality, backtest vs naive, recovered rates (long format)."""
    shared = analysis(inputs, params)
    prep = shared.prep
    rows = [
        *coverage_rows(prep, shared.observed),
        *fit_rows(shared.fits),
        *observed_rate_rows(observed_rates(prep.sessions, prep.excess, shared.observed, prep.p)),
        *backtest_rows(backtest(prep)),
    ]
    return conform(pd.DataFrame(rows, columns=column_names(QUALITE)), QUALITE)


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    # heure_locale is a naive local time: microseconds, as the rest of the lake.
    frame["heure_locale"] = frame["heure_locale"].astype("datetime64[us]")
    return frame.sort_values(keys).reset_index(drop=True)
