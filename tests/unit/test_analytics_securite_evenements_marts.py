"""Events security marts: outputs pinned on a small city, and one model fit per refresh.

The golden files under ``golden/securite_evenements/`` were written by the single-module
implementation before it was split into a package (``write_golden``); the package must give the
same marts. Regenerate them only for an intended change of behaviour:
``.venv/bin/python -m tests.unit.test_analytics_securite_evenements_marts``.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import securite_evenements as se
from orchestration.analytics.securite_evenements import analysis, backtest, model
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


@pytest.mark.parametrize("case", sorted(CASES))
def test_marts_match_the_golden_files(case: str):
    analysis.clear_memo()
    for mart, frame in compute_all(*CASES[case]()).items():
        golden = pd.read_parquet(GOLDEN / f"{case}__{mart}.parquet")
        # Written and read on the locked stack, the marts are identical; the tolerance only
        # absorbs last-digit differences of another BLAS.
        pd.testing.assert_frame_equal(frame, golden, check_exact=False, rtol=1e-9, atol=1e-12, obj=f"{case}/{mart}")


def test_one_refresh_prepares_and_fits_the_main_model_once(monkeypatch: pytest.MonkeyPatch):
    calls = {"prepare": 0, "fit_sources": 0, "fit_model": 0}

    def counted(name: str, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(analysis, "prepare", counted("prepare", analysis.prepare))
    monkeypatch.setattr(analysis, "fit_sources", counted("fit_sources", analysis.fit_sources))
    # every per-source fit, the main model's (through fit_sources) and the backtest's
    monkeypatch.setattr(model, "fit_model", counted("fit_model", model.fit_model))
    monkeypatch.setattr(backtest, "fit_model", model.fit_model)
    analysis.clear_memo()
    inputs = rich_inputs()
    # One refresh: each mart's asset reads its inputs afresh (new frames, same content).
    for fn in MART_FUNCTIONS.values():
        getattr(se, fn)({name: frame.copy() for name, frame in inputs.items()}, copy.deepcopy(PARAMS))
    assert calls["prepare"] == 1
    assert calls["fit_sources"] == 1
    main_fits = len(analysis.analysis(inputs, PARAMS).fits)
    assert main_fits == len(se.SOURCES)
    # The rolling-origin backtest refits at each origin on the past only: those refits are the
    # method itself, separate from the main fit, and run once (only the quality mart backtests).
    backtest_fits = calls["fit_model"] - main_fits
    calls["fit_model"] = 0
    backtest.backtest(analysis.analysis(inputs, PARAMS).prep)
    assert backtest_fits == calls["fit_model"] > 0


@pytest.mark.filterwarnings("ignore:Boolean Series key will be reindexed")  # the mask in another order, on purpose
@pytest.mark.parametrize("shuffled", [False, True])
def test_backtest_rows_of_an_origin_are_those_of_its_sessions_joined_alone(shuffled: bool):
    """The backtest joins every session once and selects; the selection must equal the join of the selected sessions."""
    prep = analysis.analysis(rich_inputs(), PARAMS).prep
    sessions = prep.sessions.sample(frac=1.0, random_state=1) if shuffled else prep.sessions  # labels out of order
    positions = sessions.assign(**{backtest.POSITION: np.arange(len(sessions))})
    half = sessions["debut_session"] < sessions["debut_session"].median()
    # half, all, none, and half again with its labels in another order (selection by label, not position)
    masks = [half, sessions["jauge_attendue"] > 0, sessions["debut_session"] < sessions["debut_session"].min(), half.iloc[::-1]]
    for source in se.SOURCES:
        usable = model.training_rows(prep.excess, positions, prep.hours, source, extra=(backtest.POSITION,))
        for mask in masks:
            expected = model.training_rows(prep.excess, sessions.loc[mask.reindex(sessions.index)], prep.hours, source)
            pd.testing.assert_frame_equal(backtest._of_sessions(usable, positions, mask), expected, check_exact=True)


def test_other_content_or_parameters_get_their_own_analysis():
    analysis.clear_memo()
    inputs = tiny_inputs()
    first = analysis.analysis(inputs, PARAMS)
    assert analysis.analysis({k: v.copy() for k, v in inputs.items()}, PARAMS) is first
    changed = {**inputs, se.FACTS: inputs[se.FACTS].assign(nb_faits=inputs[se.FACTS]["nb_faits"] + 1)}
    assert analysis.analysis(changed, PARAMS) is not first
    assert analysis.analysis(inputs, params(rayon_m=500)) is not first
    assert len(analysis._memo) <= analysis.MEMO_SIZE


if __name__ == "__main__":
    write_golden()
