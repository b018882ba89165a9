"""The portal shows every declared open dataset, whatever its zone, period and count column.

Each dataset is published from a synthetic mart (the same one the format tests validate with
frictionless), then the portal page runs through AppTest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from orchestration.core.catalog import open_datasets
from orchestration.core.opendata.publish import publish_open_dataset
from orchestration.core.settings import load_settings
from tests.unit.test_open_data_formats import gate, synthetic_mart, synthetic_table_marts

APP = Path(__file__).resolve().parents[2] / "apps" / "streamlit_app.py"


@pytest.fixture(scope="module")
def every_dataset_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("portail_lake")
    settings = load_settings(lake, require_key=False)
    for dataset in open_datasets().values():
        mart, others = synthetic_table_marts(dataset) if dataset.kind == "table" else (synthetic_mart(dataset), {})
        publish_open_dataset(settings, dataset, mart, gate(dataset.from_mart), others)
    return lake


def test_every_declared_dataset_is_readable_on_the_portal(every_dataset_lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(every_dataset_lake))
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
