"""One dependency direction (the import-linter contracts in pyproject.toml) and no private Dagster API."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from orchestration.core.settings import REPO_ROOT

PACKAGES = ["orchestration", "quality", "simulator", "apps", "infra", "tests"]
PRIVATE_DAGSTER = re.compile(r"^\s*(from|import)\s+dagster(_\w+)?\._", re.MULTILINE)


def test_import_contracts_are_kept() -> None:
    """``lint-imports`` passes: CLI > code location > factories/runner > quality, analytics > core."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_private_dagster_import() -> None:
    """Nothing imports ``dagster._...`` (or ``dagster_dbt._...``): private modules change without notice."""
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
        for package in PACKAGES
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        for text in [path.read_text(encoding="utf-8")]
        for m in PRIVATE_DAGSTER.finditer(text)
    ]
    assert offenders == []
