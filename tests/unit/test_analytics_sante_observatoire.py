"""Observatory health: freshness verdicts from the ledger mart and the feed declarations."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from orchestration.analytics.sante_observatoire import fraicheur_flux
from orchestration.core.catalog import feed, feeds
from orchestration.core.catalog.mart_schema import column_names

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def _days(rows: list[tuple[str, date, int, int]]) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["flux", "jour", "nb_livraisons", "nb_rejets"])
    return {"sante_flux_jour": frame}


def test_one_row_per_declared_feed_with_the_contract_columns() -> None:
    out = fraicheur_flux(_days([]), {}, now=NOW)
    assert list(out.columns) == column_names("sante_fraicheur_flux")
    assert sorted(out["flux"]) == sorted(feeds())


def test_a_daily_feed_delivered_yesterday_is_on_time_and_a_silent_one_is_late() -> None:
    sla = float(feed("police_mains_courantes").delivery.freshness_sla_hours)
    out = fraicheur_flux(
        _days([("police_mains_courantes", date(2026, 3, 9), 1, 0), ("csu_evenements", date(2026, 3, 1), 1, 0)]), {}, now=NOW
    ).set_index("flux")
    assert out.loc["police_mains_courantes", "statut"] == "à l'heure"
    assert out.loc["police_mains_courantes", "sla_heures"] == sla
    assert out.loc["csu_evenements", "statut"] == "en retard"
    assert out.loc["csu_evenements", "age_heures"] > out.loc["csu_evenements", "sla_heures"]
    assert out.loc["aphm_urgences", "statut"] == "jamais livré"


def test_a_day_whose_only_delivery_was_rejected_does_not_count_as_delivered() -> None:
    out = fraicheur_flux(
        _days([("police_mains_courantes", date(2026, 3, 2), 1, 0), ("police_mains_courantes", date(2026, 3, 9), 1, 1)]), {}, now=NOW
    ).set_index("flux")
    assert out.loc["police_mains_courantes", "derniere_livraison"] == date(2026, 3, 2)
    assert out.loc["police_mains_courantes", "statut"] == "en retard"


def test_archive_layouts_are_never_late() -> None:
    archives = [name for name, spec in feeds().items() if spec.delivery.freshness_sla_hours is None]
    assert archives, "the BAAC 2005-2018 layouts are declared without SLA"
    out = fraicheur_flux(_days([]), {}, now=NOW).set_index("flux")
    assert set(out.loc[archives, "statut"]) == {"archive (sans délai attendu)"}
