"""The portal shows every declared open dataset, whatever its zone, period and count column.

Each dataset is published from a synthetic mart (the same one the format tests validate with
frictionless; ``released_lake``, tests/apps/conftest.py), then the portal page runs through AppTest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from orchestration.core.catalog import open_datasets

APP = Path(__file__).resolve().parents[2] / "apps" / "streamlit_app.py"


def test_every_declared_dataset_is_readable_on_the_portal(released_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(released_lake))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page("portail/page.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]  # no dataset "momentanément indisponible"
    headers = [h.value for h in at.header]
    assert headers == [d.title for d in open_datasets().values()]
    assert len(at.dataframe) == len(open_datasets())
    weekly = next(d for d in open_datasets().values() if d.temporal_level == "week")
    preview = at.dataframe[headers.index(weekly.title)].value
    assert "Période" in preview.columns  # the Table Schema's French titles, not raw column names
    assert weekly.output_count_column not in preview.columns
    assert not preview.isna().any().any()  # masked counts read "secret", never blank
    assert any("semaine" in m.value for m in at.markdown)  # periods in French ("semaine 12 de 2026")
