"""The dbt project's SQL keeps the style declared in ``dbt_project/.sqlfluff``.

``sqlfluff lint`` (jinja templater with dbt's builtins: no dbt compile, no database) must find
no violation in the models, macros and data tests. Fix with ``sqlfluff fix dbt_project``, then by
hand for what it cannot fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlfluff.core import FluffConfig, Linter

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
LINTED_FOLDERS = ("models", "macros", "tests")


def test_dbt_sql_has_no_style_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQL file of the dbt project passes the project's sqlfluff rules."""
    # sqlfluff finds .sqlfluff and .sqlfluffignore from the working directory down to each file.
    monkeypatch.chdir(DBT_PROJECT)
    result = Linter(config=FluffConfig.from_root()).lint_paths(LINTED_FOLDERS)
    records = result.as_records()

    linted = [Path(record["filepath"]) for record in records]
    assert any(path.parts[0] == "models" for path in linted), "no model was linted: check the paths"
    assert not any(part in ("target", "dbt_packages") for path in linted for part in path.parts)

    violations = [
        f"{record['filepath']}:{v['start_line_no']}:{v['start_line_pos']} {v['code']} {v['description']}"
        for record in records
        for v in record["violations"]
    ]
    assert not violations, "sqlfluff violations (run `sqlfluff fix dbt_project`):\n" + "\n".join(violations)
