"""The forecast: expected excess and counts per event hour and source, past and planned sessions."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from scipy import stats

from orchestration.analytics.securite_evenements.model import Fit
from orchestration.analytics.securite_evenements.prepared import Prepared
from orchestration.core.catalog.mart_schema import column_names


def forecast(prep: Prepared, fits: Mapping[str, Fit]) -> pd.DataFrame:
    """Expected excess and counts per event hour and source, for every session (past and planned)."""
    keys = ["evenement_id", "session", "heure_relative"]
    level = prep.p.niveau_intervalle
    rows = prep.hours.merge(prep.sessions.drop(columns=["code_lieu"]), on=["evenement_id", "session"])
    parts = []
    for source, fit in fits.items():
        r = rows.copy()
        r["source"] = source
        r = r.merge(prep.excess[prep.excess["source"] == source][[*keys, "reference"]], on=keys, how="left")
        r = pd.concat([r, fit.predict(r, level)], axis=1)
        r["reference_attendue"] = r["reference"].fillna(0.0)
        r["faits_attendus"] = r["reference_attendue"] + r["exces_attendu"]
        # Upper plausible count of the hour: Poisson quantile at the upper expected value.
        r["faits_haut"] = stats.poisson.ppf(0.5 + level / 2, r["reference_attendue"] + r["exces_haut"]).astype(float)
        parts.append(r)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=column_names("securite_evenements_prevision_heure"))
    out["jour"] = [t.date() for t in out["heure_locale"]]
    return out
