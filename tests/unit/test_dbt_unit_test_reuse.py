"""dbt unit tests run again only when the project's files or the engines changed since they passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.core.settings import load_settings
from orchestration.factories import dbt as dbt_factory
from orchestration.factories.dbt import dbt_env, dbt_target_dir, project_digest, record_unit_tests_passed, unit_tests_passed


def test_unit_tests_are_skipped_only_under_the_digest_they_passed_under(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(tmp_path / "lake")
    dbt_target_dir(settings).mkdir(parents=True)
    assert not unit_tests_passed(settings)  # a new lake runs them
    record_unit_tests_passed(settings)
    assert unit_tests_passed(settings)
    monkeypatch.setattr(dbt_factory, "project_digest", lambda: "another-project")
    assert not unit_tests_passed(settings)  # a model, macro or engine change runs them again


def test_the_project_digest_is_stable_within_a_checkout() -> None:
    project_digest.cache_clear()
    first = project_digest()
    project_digest.cache_clear()
    assert project_digest() == first and len(first) == 16


def test_dbt_writes_no_debug_log_file(tmp_path: Path) -> None:
    assert dbt_env(load_settings(tmp_path / "lake"))["DBT_LOG_LEVEL_FILE"] == "none"
