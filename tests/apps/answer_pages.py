"""What the two answer-page modules (``test_answer_pages_a.py``, ``test_answer_pages_b.py``) share.

A plain module, not conftest: test modules import it by name (``from tests.apps.answer_pages
import ...``); ``import conftest`` would be ambiguous next to ``tests/conftest.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

SCRIPT = Path(__file__).with_name("use_case_page_script.py")
RUN_TIMEOUT = 120


def published(lake: Path, mart: str) -> pd.DataFrame:
    """Independent oracle: the gold table at the Delta version its publication record names."""
    from deltalake import DeltaTable

    record = json.loads((lake / "gold" / "_publications" / f"{mart}.json").read_text(encoding="utf-8"))
    return DeltaTable(str(lake / "gold" / mart), version=record["delta_version"]).to_pandas()


def run_page(lake: Path, use_case: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """Run ``use_case``'s analyst page through AppTest on ``lake``; fails on any exception shown."""
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(lake))
    monkeypatch.setenv("OBSERVATOIRE_TEST_USE_CASE", use_case)
    at = AppTest.from_file(str(SCRIPT), default_timeout=RUN_TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at
