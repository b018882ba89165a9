"""The staffing doctrine: recommended agents and barriers per event hour from the forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.analytics.securite_evenements.parameters import Doctrine
from orchestration.core.catalog.mart_schema import column_names


def staffing(fc: pd.DataFrame, doctrine: Doctrine) -> pd.DataFrame:
    """Recommended agents and barriers per event hour from the doctrine.

    agents = max(ceil(agents_par_fait_attendu x upper expected excess of the ``sources_agents``),
    ceil(jauge/1000 x agents_min_pour_1000) within the presence window); barriers =
    max(ceil(jauge/1000 x barrieres_pour_1000), barrieres_min_par_lieu) from ``barrieres_pose_h``
    before the start hour to ``barrieres_depose_h`` after the end hour, 0 otherwise.
    """
    keys = ["evenement_id", "session", "heure_relative"]
    agent_src = list(doctrine.sources_agents)
    if not len(fc):  # nothing forecast (no event, or no fitted model): no recommendation
        return pd.DataFrame({c: pd.Series(dtype=object) for c in column_names("securite_evenements_dispositif")})
    base = fc[fc["source"] == fc["source"].iloc[0]][[*keys, "jour", "heure_locale", "segment", "code_type_evenement", "code_lieu",
                                                       "jauge_attendue", "planifie"]]
    load = fc[fc["source"].isin(agent_src)].groupby(keys, as_index=False)["exces_haut"].sum().rename(columns={"exces_haut": "faits_supplementaires_haut"})
    rescue = fc[fc["source"] == doctrine.source_secours][[*keys, "exces_haut"]].rename(columns={"exces_haut": "interventions_secours_haut"})
    out = base.merge(load, on=keys, how="left").merge(rescue, on=keys, how="left")
    out[["faits_supplementaires_haut", "interventions_secours_haut"]] = out[["faits_supplementaires_haut", "interventions_secours_haut"]].fillna(0.0)
    # Hours from the start hour: before the start the relative hour is negative; the end hour
    # and after are the segments "fin" / "apres_k".
    after = out["segment"].str.extract(r"apres_(\d+)")[0].astype(float).fillna(0.0)
    is_end_or_after = out["segment"].isin(["fin"]) | out["segment"].str.startswith("apres_")
    rel_before = -out["heure_relative"].where(out["heure_relative"] < 0, 0)
    presence = ~((rel_before > doctrine.presence_avant_h) | (is_end_or_after & (after > doctrine.presence_apres_h)))
    barrier_window = ~((rel_before > doctrine.barrieres_pose_h) | (is_end_or_after & (after > doctrine.barrieres_depose_h)))
    thousand = out["jauge_attendue"].astype(float) / 1000.0
    out["agents_selon_faits"] = np.ceil(out["faits_supplementaires_haut"] * doctrine.agents_par_fait_attendu - 1e-9).astype("int64")
    out["agents_minimum_jauge"] = np.where(presence, np.ceil(thousand * doctrine.agents_min_pour_1000 - 1e-9), 0).astype("int64")
    out["agents"] = np.maximum(out["agents_selon_faits"], out["agents_minimum_jauge"]).astype("int64")
    n_barriers = np.maximum(np.ceil(thousand * doctrine.barrieres_pour_1000 - 1e-9), doctrine.barrieres_min_par_lieu)
    out["barrieres"] = np.where(barrier_window, n_barriers, 0).astype("int64")
    return out[column_names("securite_evenements_dispositif")]
