"""The data window of a publication record (model cards, API metadata) and of the pages: one
computation, over every declared date or timestamp column of the mart (issue 11, left alone)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from orchestration.core import publishing
from orchestration.core.catalog.mart_schema import arrow_schema, conform, data_window
from orchestration.core.settings import load_settings
from orchestration.core.verdicts import GateResult

# Declared with two date columns, ``debut`` and ``fin``, and ``date_column: fin``: the window
# read from ``fin`` alone would be a single day.
MART = "espace_public_quartiers"


def _two_dated_rows() -> pd.DataFrame:
    rows = [
        {"code_quartier": "1320101", "nb_conflits": 2, "nb_jours_avec_conflit": 1, "nb_conflits_chantier_marche": 1,
         "nb_conflits_chantier_evenement": 1, "nb_conflits_evenement_marche": 0, "debut": date(2026, 1, 5), "fin": date(2026, 3, 31)},
        {"code_quartier": "1320102", "nb_conflits": 1, "nb_jours_avec_conflit": 1, "nb_conflits_chantier_marche": 0,
         "nb_conflits_chantier_evenement": 1, "nb_conflits_evenement_marche": 0, "debut": date(2026, 1, 5), "fin": date(2026, 3, 31)},
    ]
    return conform(pd.DataFrame(rows), MART)


def test_the_window_spans_every_declared_date_column_for_pandas_and_arrow() -> None:
    frame = _two_dated_rows()
    table = pa.Table.from_pandas(frame, preserve_index=False, schema=arrow_schema(MART))
    assert data_window(frame, MART) == data_window(table, MART) == (date(2026, 1, 5), date(2026, 3, 31))
    assert data_window(frame.iloc[0:0], MART) == (None, None)
    assert data_window(frame.drop(columns=["debut", "fin"]), MART) == (None, None)


def test_timestamps_with_a_time_zone_count_too() -> None:
    # Any mart with a timestamp-with-time-zone column will do: found, not restated here. A UTC
    # timestamp counts by its UTC day on either path.
    from orchestration.core.catalog import marts

    spec = next(m for m in marts().values() if any(c.type == "datetime" and c.has_time_zone for c in m.columns))
    stamp = next(c.name for c in spec.columns if c.type == "datetime" and c.has_time_zone)
    frame = pd.DataFrame({stamp: pd.to_datetime(["2026-02-01T23:30:00Z", "2026-02-03T08:00:00Z"], utc=True)})
    table = pa.table({stamp: pa.array([datetime(2026, 2, 1, 23, 30, tzinfo=UTC), datetime(2026, 2, 3, 8, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))})
    assert data_window(frame, spec)[0] == data_window(table, spec)[0] == date(2026, 2, 1)


def test_the_publication_record_and_the_model_card_carry_the_whole_window(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "lake", require_key=False)
    frame = _two_dated_rows()
    gate = GateResult(mart=MART, suite=MART, success=True, evaluated_at="2026-04-01T00:00:00+00:00", statistics={}, fingerprint="f")
    manifest = publishing.publish_gold(settings, MART, pa.Table.from_pandas(frame, preserve_index=False, schema=arrow_schema(MART)), gate)
    assert manifest["data_window"] == {"start": "2026-01-05", "end": "2026-03-31"}  # not "from 31/03 to 31/03"
    stored = json.loads(publishing.publication_manifest_path(settings, MART).read_text(encoding="utf-8"))
    assert stored["data_window"] == manifest["data_window"]
    card = publishing.build_model_card(settings, "espace_public")
    assert card["publications"][MART]["data_window"] == {"start": "2026-01-05", "end": "2026-03-31"}
