"""A throw-away dbt project on DuckDB for tests of the project's own macros (one place for its set-up)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from orchestration.core.settings import DBT_PROJECT_DIR
from orchestration.factories.resources import dbt_executable


def mini_project(
    root: Path, macros: Iterable[str], models: Mapping[str, str], models_yaml: str, project_extra: str = ""
) -> tuple[Path, Path]:
    """Write a project ``mini`` in ``root/project`` with some of the project's ``macros`` (file names),
    ``models`` (name -> SQL) and their YAML; returns (project folder, its DuckDB build database)."""
    project = root / "project"
    (project / "models").mkdir(parents=True)
    kept = set(macros)
    shutil.copytree(DBT_PROJECT_DIR / "macros", project / "macros", ignore=lambda _d, names: [n for n in names if n not in kept])
    (project / "dbt_project.yml").write_text(
        f"name: mini\nversion: '1.0.0'\nconfig-version: 2\nprofile: mini\n{project_extra}", encoding="utf-8"
    )
    build_db = root / "mini.duckdb"
    (project / "profiles.yml").write_text(
        f"mini:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n      path: '{build_db}'\n      threads: 1\n", encoding="utf-8"
    )
    for name, sql in models.items():
        (project / "models" / f"{name}.sql").write_text(sql + "\n", encoding="utf-8")
    (project / "models" / "_models.yml").write_text(models_yaml, encoding="utf-8")
    return project, build_db


def dbt_build(project: Path, executable: str | None = None) -> subprocess.CompletedProcess[str]:
    """``dbt build`` of ``project`` (``executable``, else this venv's dbt; no anonymous statistics), output captured."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [executable or dbt_executable(), "build", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
