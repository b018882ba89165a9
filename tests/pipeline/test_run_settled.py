"""``observatoire run`` on a built lake: the fast path only while nothing changed, the full one otherwise.

The real graph (tests/unit/test_run_settled.py covers each kind of change with a stand-in engine):
a full check that finds nothing leaves the stamp; the next ``run`` decides in a process that never
imports Dagster; a touched landing file or a deleted gold table sends ``run`` through the full
check again; a new delivery is ingested (the shortcut skips no work) and leaves no stamp.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.core import settled
from orchestration.core.catalog import feeds
from tests.conftest import PipelineLake

pytestmark = pytest.mark.pipeline
REPO = Path(__file__).resolve().parents[2]
FAST = (
    "import sys; from orchestration.cli import main; rc = main(['run', '--lake', sys.argv[1]]); "
    "print('heavy:', sorted(m for m in ('dagster', 'dagster_dbt', 'pandas', 'deltalake') if m in sys.modules)); sys.exit(rc)"
)


def _run(lake: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["run", "--lake", str(lake)]) == 0
    return capsys.readouterr().out


def _fast(lake: Path) -> str:
    done = subprocess.run([sys.executable, "-c", FAST, str(lake)], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout


def test_run_skips_nothing_that_a_full_check_would_do(pipeline_lake_copy: PipelineLake, capsys: pytest.CaptureFixture[str]) -> None:
    settings = pipeline_lake_copy.settings
    lake = settings.lake
    out = _run(lake, capsys)
    assert "full check (no full check since the last change)" in out and "run: nothing pending" in out, out
    assert settled.stamp_path(settings).exists(), out

    out = _fast(lake)
    assert "decided without starting Dagster" in out and "heavy: []" in out, out

    spec = sorted(feeds().values(), key=lambda s: s.name)[0]
    delivered = sorted(p for p in (settings.landing / spec.name).iterdir() if p.is_file())[0]
    info = delivered.stat()
    os.utime(delivered, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))  # touched, same content
    out = _run(lake, capsys)
    assert "changed since the last full check: landing" in out and "run: nothing pending" in out, out

    gold_table = sorted(p for p in settings.gold.iterdir() if p.is_dir() and not p.name.startswith("_"))[0]
    shutil.rmtree(gold_table)
    out = _run(lake, capsys)
    # The full path it falls to rebuilds nothing either: automation follows Dagster's records, not
    # the files (`observatoire refresh` rebuilds a deleted table). The shortcut only must not hide it.
    assert "changed since the last full check: lake" in out, out

    # A new delivery (undated: rejected, but ingested all the same): the full path does the work.
    (settings.landing / spec.name / "livraison_sans_date.txt").write_text("pas un export\n", encoding="utf-8")
    out = _run(lake, capsys)
    assert "changed since the last full check: landing" in out and "run(s) succeeded" in out, out  # ingest + rebuild
    assert not settled.stamp_path(settings).exists()
    out = _run(lake, capsys)
    assert "full check (no full check since the last change)" in out and "run: nothing pending" in out, out
    assert "heavy: []" in _fast(lake)
