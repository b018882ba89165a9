"""The quartier vertex rows the Spark target reads are exactly the reference GeoJSON's polygons.

``dbt_project/spark_reference/*.csv`` are derived files (``dbt_project/scripts/quartiers_seeds.py``);
this fails if the GeoJSON changes and they were not written again. No server needed: fast.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from orchestration.core.settings import REPO_ROOT

pytestmark = pytest.mark.cluster

SCRIPT = REPO_ROOT / "dbt_project" / "scripts" / "quartiers_seeds.py"


def test_spark_reference_files_are_written_from_the_geojson(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("quartiers_seeds", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_seeds(tmp_path)
    for name in ("quartiers_sommets.csv", "quartiers_noms.csv"):
        committed = (REPO_ROOT / "dbt_project" / "spark_reference" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, f"{name}: run dbt_project/scripts/quartiers_seeds.py"
    # Every quartier of the GeoJSON has vertices.
    rows = module.vertex_rows()
    assert {code for code, *_ in rows} == {code for code, _, _ in module.name_rows()}
    assert len(module.name_rows()) == 111
