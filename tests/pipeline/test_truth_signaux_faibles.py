"""Truth: the weak-signal scan flags the bursts the simulator planted, at the stated false-alarm rate.

How the simulator plants them (simulator/incidents.py section (f), world.py ``_bursts``):
``per_month`` bursts per calendar month, each multiplying one category's rate in one quartier by
``multiplier`` on 2-4 consecutive days; the truth file lists them in ``effects.instances.anomalies``.

Definitions:
- a burst is *found* when the mart flags its (quartier, feed, category) on at least one of its days;
- a false alarm is an alert on a cell-day outside every planted burst; the rate is per 1,000
  scored quartier-category-days outside the bursts, and must not exceed the declared
  ``taux_fausses_alertes_max_pour_mille`` (3 per 1,000);
- the truth lake plants bursts of at least ``anomalies.min_extra_per_day`` extra rows a day
  (tests/pipeline/effects.truth.yaml): a x6 burst of a quartier's own rate is often 0-2 rows, which
  nothing could tell from noise, and is not what a service wants to hear about;
- bursts whose days all fall before scoring starts (no baseline yet, ``jours_sans_score``) cannot
  be flagged by design and are left out, stated in the report.

Asserted: recall >= ``MIN_RECALL`` (0.9) on every planted burst that could be scored, at a
false-alarm rate at most the declared one. The *revealed* count (bursts whose burst-day count is
improbable, Poisson tail < ``ORACLE_ALPHA``, given the same cell on all other days: an oracle that
knows the dates) is reported to tell a weak detector from an invisible burst.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from scipy import stats

from orchestration.core.catalog import use_cases
from orchestration.core.publishing import read_mart

ORACLE_ALPHA = 0.001
MIN_RECALL = 0.9
MIN_BURSTS = 5  # so the recall cannot pass on an empty or tiny set
SERVICES_MARTS = ("signaux_faibles_comptages_jour", "signaux_faibles_anomalies", "signaux_faibles_qualite_modele")

pytestmark = pytest.mark.pipeline


def _bursts(effects_lake, days: list[date]) -> list[dict]:
    """Planted bursts, with their days clipped to the data window (bursts wholly outside dropped)."""
    window = set(days)
    found = []
    for b in effects_lake.truth["effects"]["instances"]["anomalies"]:
        bdays = [date.fromisoformat(b["start"]) + timedelta(days=i) for i in range(int(b["days"]))]
        bdays = [d for d in bdays if d in window]
        if bdays:
            found.append({**b, "jours": bdays})
    return found


def _revealed(burst: dict, counts: pd.DataFrame, n_days: int) -> bool:
    cell = counts[(counts["flux"] == burst["feed"]) & (counts["code_quartier"] == burst["quartier"])
                  & (counts["code_categorie"] == burst["category"])]
    inside = cell[cell["jour"].isin(burst["jours"])]["nb_signalements"].sum()
    outside = cell[~cell["jour"].isin(burst["jours"])]["nb_signalements"].sum()
    mean = outside / max(n_days - len(burst["jours"]), 1)
    return bool(stats.poisson.sf(inside - 1, max(mean, 1e-9) * len(burst["jours"])) < ORACLE_ALPHA)


def _evaluate(effects_lake) -> dict:
    cfg = use_cases()["signaux_faibles"].parameters.signaux_faibles
    anomalies = read_mart(effects_lake.settings, "signaux_faibles_anomalies")
    counts = read_mart(effects_lake.settings, "signaux_faibles_comptages_jour")
    quality = read_mart(effects_lake.settings, "signaux_faibles_qualite_modele").set_index("indicateur")["valeur"]
    days = sorted(set(counts["jour"]))
    all_days = [days[0] + timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]
    first_scored = days[0] + timedelta(days=int(quality["jours_sans_score"]))
    planted = [b for b in _bursts(effects_lake, all_days) if b["category"] in cfg.series.get(b["feed"], [])]
    bursts = [b for b in planted if max(b["jours"]) >= first_scored]
    alerts = anomalies[anomalies["alerte"]]
    alert_keys = set(zip(alerts["flux"], alerts["code_quartier"], alerts["code_categorie"], alerts["jour"], strict=True))
    burst_keys = {(b["feed"], b["quartier"], b["category"], d) for b in bursts for d in b["jours"]}
    found = [any((b["feed"], b["quartier"], b["category"], d) in alert_keys for d in b["jours"]) for b in bursts]
    revealed = [_revealed(b, counts, len(all_days)) for b in bursts]
    scored_burst_cells = len([k for k in burst_keys if k[3] >= first_scored])
    false_alarms = len(alert_keys - burst_keys)
    scored_outside = float(quality["cellules_jours_scorees"]) - scored_burst_cells
    return {
        "planted": len(planted),
        "bursts": len(bursts),
        "recall_all": sum(found) / len(bursts) if bursts else float("nan"),
        "revealed": sum(revealed),
        "recall_revealed": sum(f for f, r in zip(found, revealed, strict=True) if r) / max(sum(revealed), 1),
        "false_alarms_per_1000": 1000 * false_alarms / scored_outside,
        "declared_rate": float(cfg.taux_fausses_alertes_max_pour_mille),
        "detail": [(b["feed"], b["quartier"], b["category"], b["start"], f, r) for b, f, r in zip(bursts, found, revealed, strict=True)],
    }


def test_planted_bursts_are_flagged_at_the_stated_false_alarm_rate(effects_lake):
    result = _evaluate(effects_lake)
    print(result)
    assert result["bursts"] >= MIN_BURSTS, result
    assert result["recall_all"] >= MIN_RECALL, result
    assert result["false_alarms_per_1000"] <= result["declared_rate"], result


def test_no_alert_without_history_and_gold(effects_lake):
    cfg = use_cases()["signaux_faibles"].parameters.signaux_faibles
    anomalies = read_mart(effects_lake.settings, "signaux_faibles_anomalies")
    assert not anomalies[anomalies["jours_historique"] < int(cfg.historique_min_jours)]["alerte"].any()
    for mart in SERVICES_MARTS:
        assert (effects_lake.settings.gold / mart / "_delta_log").is_dir(), mart
