"""Events security marts: outputs pinned on a small city, and one model fit per refresh.

The golden files under ``golden/securite_evenements/`` were written by the single-module
implementation before it was split into a package (``write_golden``); the package must give the
same marts. Regenerate them only for an intended change of behaviour:
``.venv/bin/python -m tests.unit.test_analytics_securite_evenements_marts``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import securite_evenements as se
from tests.unit.test_analytics_securite_evenements import PARAMS, _empty_inputs, _only_planned_inputs, params, tiny_inputs

GOLDEN = Path(__file__).parent / "golden" / "securite_evenements"
MART_FUNCTIONS = {"exces_heure": "compute_exces", "prevision_heure": "compute_prevision", "dispositif": "compute_dispositif",
                  "qualite": "compute_qualite"}


def rich_inputs() -> dict[str, pd.DataFrame]:
    """The tiny city plus rain, a multi-day salon, a cancelled event and an event at the second venue."""
    inputs = tiny_inputs(seed=7)
    cal = inputs[se.CALENDAR]
    first = cal.iloc[0].to_dict()
    extra = [
        {**first, "evenement_id": "S01", "code_type_evenement": "SALON", "type_evenement": "SALON", "jauge_attendue": 8000,
         "debut_local": pd.Timestamp("2026-02-02 10:00"), "fin_local": pd.Timestamp("2026-02-04 18:00")},
        {**first, "evenement_id": "X01", "code_statut": "ANNULE", "debut_local": pd.Timestamp("2026-02-11 20:00"),
         "fin_local": pd.Timestamp("2026-02-11 23:00")},
        {**first, "evenement_id": "B01", "code_lieu": "B", "lieu": "B", "debut_local": pd.Timestamp("2026-02-21 15:00"),
         "fin_local": pd.Timestamp("2026-02-21 17:30")},
    ]
    for e in extra:
        e["jour_debut"], e["jour_fin"] = e["debut_local"].date(), e["fin_local"].date()
    inputs[se.CALENDAR] = pd.concat([cal, pd.DataFrame(extra).astype(cal.dtypes.to_dict())], ignore_index=True)
    rain = inputs[se.RAIN].copy()
    wet = rain["heure_locale"].dt.day.isin([9, 23, 3]) & rain["heure_locale"].dt.hour.between(19, 23)
    rain.loc[wet, "pluie_mm"] = 1.5
    inputs[se.RAIN] = rain
    rng = np.random.default_rng(1)
    facts = inputs[se.FACTS]
    more = pd.DataFrame({"code_lieu": "B", "source": list(se.SOURCES) * 40,
                         "heure_locale": [pd.Timestamp("2026-01-05 00:00") + timedelta(hours=int(h)) for h in rng.integers(0, 1600, 120)],
                         "distance_max_m": 500, "nb_faits": 1, "rayon_couvert_m": 1000})
    inputs[se.FACTS] = pd.concat([facts, more.astype(facts.dtypes.to_dict())], ignore_index=True)
    return inputs


CASES = {
    "tiny": lambda: (tiny_inputs(), PARAMS),
    "rich": lambda: (rich_inputs(), PARAMS),
    "rich_narrow": lambda: (rich_inputs(), params(rayon_m=400, fenetre__heures_avant=2, modele__penalite_type=1.0)),
    "empty": lambda: (_empty_inputs(), PARAMS),
    "only_planned": lambda: (_only_planned_inputs(), PARAMS),
}


def compute_all(inputs: dict[str, pd.DataFrame], raw_params: dict) -> dict[str, pd.DataFrame]:
    """Every Python mart of the use case, in the order the refresh builds them."""
    return {mart: getattr(se, fn)(inputs, raw_params) for mart, fn in MART_FUNCTIONS.items()}


def write_golden() -> None:
    """Write the golden marts of every case (parquet round-trips these dtypes exactly)."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for case, make in CASES.items():
        for mart, frame in compute_all(*make()).items():
            frame.to_parquet(GOLDEN / f"{case}__{mart}.parquet")


if __name__ == "__main__":
    write_golden()
