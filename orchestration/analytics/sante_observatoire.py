"""Observatory health: each feed's freshness against its declared SLA, as a mart.

The SLA and cadence come from the feed declarations (one place for each fact); the last delivery
from the ledger mart. The verdict is relative to the build time: the app shows when it was computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd

from orchestration.core.catalog import feeds
from orchestration.core.catalog.mart_schema import column_names, conform
from orchestration.core.catalog.parameters import Parameters
from orchestration.core.governance import freshness_from_last

MART = "sante_fraicheur_flux"


def fraicheur_flux(inputs: Mapping[str, pd.DataFrame], params: Parameters, now: datetime | None = None) -> pd.DataFrame:
    """One row per declared feed: newest ingested delivery, its age and the verdict."""
    now = now or datetime.now(UTC)
    days = inputs["sante_flux_jour"]
    ingested = days[days["nb_livraisons"] > days["nb_rejets"]]
    last = ingested.groupby("flux")["jour"].max().to_dict()
    rows = []
    for name, spec in sorted(feeds().items()):
        verdict = freshness_from_last(spec, last.get(name), now)
        if verdict.sla_hours is None:
            statut = "archive (sans délai attendu)"
        elif verdict.last_delivery is None:
            statut = "jamais livré"
        else:
            statut = "à l'heure" if verdict.fresh else "en retard"
        rows.append(
            {
                "flux": name,
                "titre": spec.title,
                "cadence": str(spec.delivery.cadence),
                "derniere_livraison": verdict.last_delivery,
                "sla_heures": verdict.sla_hours,
                "age_heures": None if verdict.age_hours is None else round(verdict.age_hours, 1),
                "statut": statut,
                "evalue_le": now.replace(microsecond=0),
            }
        )
    return conform(pd.DataFrame(rows, columns=column_names(MART)), MART)
