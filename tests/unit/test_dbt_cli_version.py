"""The dbt resource knows dbt's version without running ``dbt --version`` before every build.

dagster-dbt started a second dbt process per command to read the version (about 2 CPU-seconds
of imports), and that process asked PyPI for the latest release over the network.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging import version

from orchestration.core.settings import DBT_PROJECT_DIR
from orchestration.factories.resources import DbtCli, dbt_executable


def test_the_version_is_read_from_the_installed_package_without_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "check_output", no_process)
    monkeypatch.setattr(subprocess, "run", no_process)
    resource = DbtCli(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    assert resource._cli_version == version.parse(metadata.version("dbt-core"))
    assert resource._cli_version.major < 2  # dbt Core, not the Fusion engine: dagster-dbt's code path for Core


def test_the_dbt_executable_is_this_virtualenvs() -> None:
    """The resource runs this interpreter's dbt, so the package's version is the executable's (no ``dbt --version``: it calls PyPI)."""
    assert Path(dbt_executable()).parent == Path(sys.executable).parent
    assert Path(dbt_executable()).exists()
