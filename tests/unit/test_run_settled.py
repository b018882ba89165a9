"""``observatoire run``'s fast path: nothing pending is decided without Dagster, and never wrongly.

Each kind of change since the last full check must send ``run`` down the full path: a new or
touched landing file, a changed or deleted lake file (a gold table), Dagster's records (another
run), code or declarations, settings, a freshness verdict that time may have turned, a failed
or interrupted full run. The full path itself is replaced by a stand-in here (its engine is
tested in tests/pipeline); tests/pipeline/test_run_settled.py runs the real one.
"""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestration import cli
from orchestration.core import settled
from orchestration.core.settings import Settings, load_settings


def _touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A small lake: a delivery, a bronze table, a gold table, Dagster's home."""
    lake = tmp_path / "lake"
    _touch(lake / "landing" / "feed_a" / "feed_a_2026-03-02.csv", "a,b\n1,2\n")
    _touch(lake / "bronze" / "feed_a" / "_delta_log" / "00000000000000000000.json", "{}")
    _touch(lake / "bronze" / "feed_a" / "part-0.parquet", "rows")
    _touch(lake / "gold" / "mart_x" / "_delta_log" / "00000000000000000000.json", "{}")
    _touch(lake / "gold" / "mart_x" / "part-0.parquet", "rows")
    _touch(lake / ".dagster" / "history" / "runs.db", "runs")
    return load_settings(lake)


FRESH = [settled.FreshnessSeen("freshness: feed_a: on time", passed=True, age_hours=10.0, sla_hours=48.0)]


def _settle(settings: Settings, freshness: list[settled.FreshnessSeen] = FRESH) -> settled.Stamp:
    stamp = settled.record(settings, settled.current_state(settings), freshness)
    assert stamp is not None
    return stamp


def _reason(settings: Settings, now: datetime | None = None) -> str:
    verdict = settled.check(settings, now)
    assert not verdict.settled
    return verdict.reason


def test_an_unchanged_lake_is_settled(settings: Settings) -> None:
    _settle(settings)
    verdict = settled.check(settings)
    assert verdict.settled, verdict.reason
    assert verdict.stamp is not None and verdict.stamp.freshness == ["freshness: feed_a: on time"]


def test_no_stamp_or_an_unreadable_one_is_not_settled(settings: Settings) -> None:
    assert "no full check" in _reason(settings)
    _settle(settings)
    settled.stamp_path(settings).write_text("{not json", encoding="utf-8")
    assert "no full check" in _reason(settings)
    _settle(settings)
    settled.forget(settings)
    assert not settled.stamp_path(settings).exists()
    assert "no full check" in _reason(settings)


def test_a_new_landing_file_is_noticed(settings: Settings) -> None:
    _settle(settings)
    _touch(settings.landing / "feed_a" / "feed_a_2026-03-03.csv", "a,b\n3,4\n")
    assert "landing" in _reason(settings)


def test_a_touched_landing_file_is_noticed(settings: Settings) -> None:
    _settle(settings)
    path = settings.landing / "feed_a" / "feed_a_2026-03-02.csv"
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    assert "landing" in _reason(settings)


def test_a_rewritten_landing_file_with_the_same_size_and_mtime_is_noticed(settings: Settings) -> None:
    """Stricter than the landing sensor (mtime and size): ctime and inode cannot be set back."""
    _settle(settings)
    path = settings.landing / "feed_a" / "feed_a_2026-03-02.csv"
    info = path.stat()
    replacement = path.with_name("replacement.tmp")
    replacement.write_text("a,b\n9,9\n", encoding="utf-8")
    os.utime(replacement, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(replacement, path)
    assert "landing" in _reason(settings)


def test_a_deleted_gold_table_is_noticed(settings: Settings) -> None:
    _settle(settings)
    for part in sorted((settings.gold / "mart_x").rglob("*"), reverse=True):
        part.rmdir() if part.is_dir() else part.unlink()
    (settings.gold / "mart_x").rmdir()
    assert "lake" in _reason(settings)


def test_a_new_bronze_version_is_noticed(settings: Settings) -> None:
    _settle(settings)
    _touch(settings.bronze / "feed_a" / "_delta_log" / "00000000000000000001.json", "{}")
    assert "lake" in _reason(settings)


def test_another_run_recorded_by_dagster_is_noticed(settings: Settings) -> None:
    _settle(settings)
    _touch(settings.dagster_home / "history" / "runs" / "a-run.db", "events")
    assert "dagster" in _reason(settings)


def test_changed_code_or_declarations_are_noticed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _settle(settings)
    monkeypatch.setattr(settled, "code_digest", lambda: "another")
    assert "code" in _reason(settings)


def test_the_code_digest_covers_a_declaration_and_a_dbt_model(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for name in (*settled.CODE_FILES, "orchestration/core/catalog/feeds/feed_a.yaml", "dbt_project/models/m.sql", "quality/gate.py"):
        _touch(repo / name, "1")
    _touch(repo / "dbt_project" / "target" / "run_results.json", "output, not a source")
    first = settled.code_digest(repo)
    _touch(repo / "dbt_project" / "target" / "run_results.json", "another output")
    assert settled.code_digest(repo) == first  # dbt's outputs (but its manifest) are not sources
    for name in ("orchestration/core/catalog/feeds/feed_a.yaml", "dbt_project/models/m.sql", "quality/gate.py", "uv.lock"):
        before = settled.code_digest(repo)
        _touch(repo / name, "2")
        assert settled.code_digest(repo) != before, name


def test_changed_settings_are_noticed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _settle(settings)
    monkeypatch.setenv("OBSERVATOIRE_K_MIN", "7")
    assert "settings" in _reason(load_settings(settings.lake))


def test_secrets_enter_the_settings_digest_only_as_set(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATOIRE_DAGSTER_PG_URL", "postgresql://u:first@127.0.0.1/db")
    first = settled.settings_digest(settings)
    monkeypatch.setenv("OBSERVATOIRE_DAGSTER_PG_URL", "postgresql://u:second@127.0.0.1/db")
    assert settled.settings_digest(settings) == first


def test_time_that_may_turn_a_freshness_verdict_ends_the_shortcut(settings: Settings) -> None:
    stamp = _settle(settings)
    assert stamp.valid_until is not None
    assert stamp.valid_until <= stamp.checked_at + timedelta(hours=38)  # SLA 48 h, 10 h old
    assert settled.check(settings, stamp.valid_until - timedelta(minutes=1)).settled
    assert "freshness" in _reason(settings, stamp.valid_until)


def test_late_or_never_delivered_feeds_do_not_bound_the_shortcut(settings: Settings) -> None:
    stamp = _settle(
        settings,
        [
            settled.FreshnessSeen("late", passed=False, age_hours=100.0, sla_hours=48.0),
            settled.FreshnessSeen("never", passed=False, age_hours=-1.0, sla_hours=48.0),
            settled.FreshnessSeen("archive", passed=True, age_hours=5000.0, sla_hours=-1.0),
        ],
    )
    assert stamp.valid_until is None


def test_nothing_is_recorded_when_the_lake_changed_during_the_full_run(settings: Settings) -> None:
    before = settled.current_state(settings)
    _touch(settings.landing / "feed_a" / "feed_a_2026-03-03.csv", "arrived meanwhile")
    assert settled.record(settings, before, FRESH) is None
    before = settled.current_state(settings)
    _touch(settings.dagster_home / "history" / "runs" / "the-run-itself.db", "its cursors")
    assert settled.record(settings, before, FRESH) is not None  # the full run writes Dagster's records itself


def test_the_cluster_profile_always_checks_in_full(settings: Settings) -> None:
    cluster = Settings(lake=settings.lake, env=settings.env, key=settings.key, dagster_pg_url="postgresql://127.0.0.1/x")
    assert settled.record(cluster, settled.current_state(cluster), FRESH) is None
    assert "cluster" in _reason(cluster)


# ----------------------------------------------------------------------------------------------
# The command: the stamp is written only by a full run that found nothing, removed by any other
# ----------------------------------------------------------------------------------------------


@dataclass
class FakeRun:
    job: str
    success: bool = True


@dataclass
class FakeSummary:
    runs: list[FakeRun] = field(default_factory=list)
    success: bool = True
    freshness: list[settled.FreshnessSeen] = field(default_factory=lambda: list(FRESH))
    time_dependent: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.runs and not self.time_dependent


class FakeEngine:
    """Stands for ``orchestration.runner``: counts full runs, returns what the test says."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.next: FakeSummary | Exception = FakeSummary()
        module = types.ModuleType("orchestration.runner")
        module.run_pending = self.run_pending  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "orchestration.runner", module)
        monkeypatch.setattr(cli, "_definitions", lambda _settings: None)

    def run_pending(
        self, settings: Settings, defs: object, echo: object, validate_in_background: bool = False, warm_dbt: bool = False
    ) -> FakeSummary:
        assert validate_in_background  # `run` validates in the second process
        assert warm_dbt  # and starts dbt ahead of its build
        self.calls += 1
        if isinstance(self.next, Exception):
            raise self.next
        return self.next


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    return FakeEngine(monkeypatch)


def _run(settings: Settings, *extra: str) -> int:
    return cli.main(["run", "--lake", str(settings.lake), *extra])


def test_run_takes_the_shortcut_only_after_a_full_run_found_nothing(
    settings: Settings, engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(settings) == 0 and engine.calls == 1
    assert settled.stamp_path(settings).exists()
    capsys.readouterr()
    assert _run(settings) == 0 and engine.calls == 1  # decided from the stamp
    out = capsys.readouterr().out
    assert "nothing pending" in out and "without starting Dagster" in out and "feed_a: on time" in out
    assert _run(settings, "--full") == 0 and engine.calls == 2


def test_a_change_sends_run_down_the_full_path(settings: Settings, engine: FakeEngine, capsys: pytest.CaptureFixture[str]) -> None:
    _run(settings)
    _touch(settings.landing / "feed_a" / "feed_a_2026-03-03.csv", "new day")
    engine.next = FakeSummary(runs=[FakeRun("ingest_feeds")])
    capsys.readouterr()
    assert _run(settings) == 0 and engine.calls == 2
    assert "changed since the last full check: landing" in capsys.readouterr().out
    assert not settled.stamp_path(settings).exists()  # work was done: the next run checks in full
    engine.next = FakeSummary()
    _run(settings)
    assert engine.calls == 3 and settled.stamp_path(settings).exists()


@pytest.mark.parametrize("failure", ["failed", "raised"])
def test_a_failed_full_run_leaves_no_stamp(settings: Settings, engine: FakeEngine, failure: str) -> None:
    _run(settings)
    _touch(settings.landing / "feed_a" / "feed_a_2026-03-03.csv", "new day")
    engine.next = FakeSummary(runs=[FakeRun("ingest_feeds", success=False)], success=False) if failure == "failed" else RuntimeError("boom")
    if failure == "raised":
        with pytest.raises(RuntimeError):
            _run(settings)
    else:
        assert _run(settings) == 1
    assert not settled.stamp_path(settings).exists()
    engine.next = FakeSummary()
    _run(settings)
    assert engine.calls == 3  # the failure is retried in full, not skipped


def test_automation_that_time_could_make_due_disables_the_shortcut(settings: Settings, engine: FakeEngine) -> None:
    engine.next = FakeSummary(time_dependent=["gold/x: CronTickPassedCondition"])
    _run(settings)
    assert not settled.stamp_path(settings).exists()
    _run(settings)
    assert engine.calls == 2


def test_the_fast_path_imports_no_dagster(settings: Settings, engine: FakeEngine) -> None:
    _run(settings)
    import subprocess

    code = (
        "import sys; from orchestration.cli import main; rc = main(['run', '--lake', sys.argv[1]]); "
        "heavy = sorted(m for m in ('dagster', 'dagster_dbt', 'pandas', 'deltalake') if m in sys.modules); "
        "print('heavy:', heavy); sys.exit(rc)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(settings.lake)], capture_output=True, text=True, check=True, cwd=Path(cli.__file__).parents[1]
    ).stdout
    assert "without starting Dagster" in out and "heavy: []" in out, out


def test_checked_at_is_shown_in_local_time(settings: Settings) -> None:
    stamp = settled.record(settings, settled.current_state(settings), FRESH, now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert stamp is not None and settled.load(settings) == stamp
