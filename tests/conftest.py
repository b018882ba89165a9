"""Shared fixtures: a quiet environment and a real pipeline run on a small simulated lake."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

# Quiet and offline before anything imports Dagster, dbt or Streamlit.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("OBSERVATOIRE_ENV", "ci")
os.environ.pop("OBSERVATOIRE_KEY", None)
os.environ.pop("OBSERVATOIRE_KEY_FILE", None)

# Unit tests left out of `make check` (-m "not slow"), kept in `make test`: each takes seconds
# (simulating days, Great Expectations suites, writing every open-data format), or duplicates a
# step `make check` runs itself (ruff, sqlfluff). Measured with `pytest tests/unit --durations=40`.
SLOW_UNIT_TESTS = (
    "tests/unit/test_code_style.py",  # make check runs ruff itself
    "tests/unit/test_sql_style.py",  # make check runs sqlfluff itself
    "tests/unit/test_simulator.py",
    "tests/unit/test_simulator_dirt.py",
    "tests/unit/test_simulator_effects.py",
    "tests/unit/test_simulator_formats.py",
    "tests/unit/test_open_data_formats.py",
    "tests/unit/test_analytics_abords_scolaires.py::test_the_gate_accepts_the_empty_input_marts",
    "tests/unit/test_analytics_securite_evenements.py::test_quality_suites_accept_the_empty_marts",
    "tests/unit/test_analytics_securite_evenements_marts.py",
    "tests/unit/test_dbt_governance.py::test_every_declared_mart_has_a_blocking_suite",
    "tests/unit/test_disclosure_audit.py",
    "tests/unit/test_dcat_catalogue.py",
    "tests/unit/test_analytics_securite_routiere.py::test_a_small_perimeter_gets_insufficient_data_rows_and_the_gate_still_passes",
    "tests/unit/test_analytics_securite_routiere.py::test_hour_effects_recover_a_doubled_hour",
    "tests/unit/test_definitions.py::test_rebuild_only_after_new_bronze_data",
    "tests/unit/test_mart_schema.py::test_dates_are_checked_by_value",
    "tests/unit/test_mart_schema.py::test_a_suite_passes_a_good_frame_and_fails_on_missing_column_null_duplicate_grain_or_wrong_type",
    "tests/unit/test_analytics_securite_evenements.py::test_marts_have_stable_columns_and_dtypes",
    "tests/unit/test_analytics_securite_evenements.py::test_empty_inputs_give_marts_with_the_normal_columns_and_dtypes[compute_qualite-",
    "tests/unit/test_analytics_securite_evenements.py::test_only_planned_events_do_not_crash[compute_qualite-",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow unit tests (and every pipeline test) ``slow``: `make check` deselects them."""
    for item in items:
        if item.nodeid.startswith(SLOW_UNIT_TESTS) or "pipeline" in item.keywords:
            item.add_marker(pytest.mark.slow)


SIM_START = date(2026, 3, 2)
SIM_DAYS = 22  # the default dirt puts each file-level defect once in the first 22 days
SIM_SEED = 7
SIM_SCALE = 0.3


@dataclass
class PipelineLake:
    """A lake on which the whole graph ran once: sensor -> ingest -> dbt -> gate -> publish."""

    settings: Any
    truth: dict[str, Any]
    summary: Any
    rows_simulated: int


def run_pipeline(lake: Path) -> Any:
    """Run everything pending on ``lake`` exactly as ``observatoire run`` does."""
    from orchestration.core.settings import load_settings
    from orchestration.definitions import build_definitions
    from orchestration.runner import run_pending

    settings = load_settings(lake)
    return run_pending(settings, build_definitions(settings.lake), echo=lambda _line: None)


@pytest.fixture(scope="session")
def pipeline_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineLake]:
    """Simulate three weeks of every partner feed and run the real graph once (about a minute)."""
    from orchestration.core.settings import load_settings
    from simulator import simulate

    lake = tmp_path_factory.mktemp("lake")
    report = simulate(lake / "landing", start=SIM_START, days=SIM_DAYS, seed=SIM_SEED, scale=SIM_SCALE)
    summary = run_pipeline(lake)
    assert summary.success, [r.failure for r in summary.runs]
    yield PipelineLake(
        settings=load_settings(lake),
        truth=json.loads(report.truth_path.read_text(encoding="utf-8")),
        summary=summary,
        rows_simulated=sum(report.rows.values()),
    )


# Truth tests of the use-case analytics (issue 5): four months of every feed at full scale with
# effect sizes that are NOT the simulator's defaults (tests/pipeline/effects.truth.yaml), so an
# analysis recovering them cannot have the defaults baked in. Winter and spring school holidays
# fall inside the window (school-surroundings contrast), and so do a few dozen events.
EFFECTS_FILE = Path(__file__).parent / "pipeline" / "effects.truth.yaml"
EFFECTS_START = date(2026, 1, 5)
EFFECTS_DAYS = 120
EFFECTS_SEED = 11


@pytest.fixture(scope="session")
def effects_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineLake]:
    """The whole graph on four simulated months with non-default planted effects (about 3 min)."""
    from orchestration.core.settings import load_settings
    from simulator import simulate

    lake = tmp_path_factory.mktemp("effects_lake")
    report = simulate(
        lake / "landing", start=EFFECTS_START, days=EFFECTS_DAYS, seed=EFFECTS_SEED, scale=1.0, effects=EFFECTS_FILE
    )
    summary = run_pipeline(lake)
    assert summary.success, [r.failure for r in summary.runs]
    yield PipelineLake(
        settings=load_settings(lake),
        truth=json.loads(report.truth_path.read_text(encoding="utf-8")),
        summary=summary,
        rows_simulated=sum(report.rows.values()),
    )
