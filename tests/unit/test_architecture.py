"""One dependency direction (the import-linter contracts in pyproject.toml) and no private Dagster API."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from orchestration.core.settings import REPO_ROOT

PACKAGES = ["orchestration", "quality", "simulator", "apps", "infra", "tests"]
PRIVATE_DAGSTER = re.compile(r"^\s*(from|import)\s+dagster(_\w+)?\._", re.MULTILINE)
# The one reviewed exception: Dagster has no public SQLite event-log class to extend. The CLI's
# storage that keeps its files open (orchestration/factories/event_log.py) subclasses it, pinned
# by tests/unit/test_run_bookkeeping.py (same files readable by Dagster's own class).
ALLOWED_PRIVATE = {"orchestration/factories/event_log.py"}


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
        if str(path.relative_to(REPO_ROOT)) not in ALLOWED_PRIVATE
        for text in [path.read_text(encoding="utf-8")]
        for m in PRIVATE_DAGSTER.finditer(text)
    ]
    assert offenders == []
