"""Shared fixtures: a quiet, offline environment and lakes built by the real pipeline, once per session.

Lakes for tests (read before adding a pipeline test)
----------------------------------------------------
Building a lake runs the real graph (simulate -> landing sensors -> ingest -> dbt -> gates ->
publication): minutes of CPU each. So each distinct lake is built once per session and shared:

* ``pipeline_lake`` -> :class:`PipelineLake`: three weeks of every feed, the simulator's default
  dirt and effects (``PIPELINE``).
* ``effects_lake`` -> :class:`PipelineLake`: four months at full scale with non-default planted
  effects (``EFFECTS``), for the truth tests.
* ``built_lake(LakeSpec(...))`` -> :class:`PipelineLake`: any other lake, built once per session
  for each distinct :class:`LakeSpec` (prefer one of the two above: every new lake costs minutes).
* ``released_lake`` (tests/apps/conftest.py): every open dataset released by the real publisher
  from synthetic marts, for the portal's tests.
* ``cluster_lake`` (tests/cluster/conftest.py): the whole graph on the cluster profile, on a tiny
  lake (``copy_cluster_lake`` copies it, bucket prefix included).
* ``lake_copy(lake)`` -> :class:`PipelineLake`: a private copy of a built lake under the test's
  ``tmp_path`` (about a second, against minutes for a build). ``pipeline_lake_copy`` is
  ``lake_copy(pipeline_lake)``.

Shared lakes are READ-ONLY. A test that writes to a lake (runs the pipeline or the CLI again,
adds or rewrites a delivery, resets cursors, starts a daemon) takes a copy, so that tests stay
independent of each other and of their order.

`make test` runs on both cores (pytest-xdist, ``-n 2 --dist loadgroup``; a plain ``pytest``
runs serially as before). The tests that read one shared lake run in one group (``GROUPS``, by
module), so one worker builds it and runs them (the pipeline's lake has three groups sharing one
build); every other test is grouped with its module, so module-scoped fixtures are built once. A
new module reading a shared lake belongs in ``GROUPS`` (collection warns otherwise). The costliest
groups start first (``COSTLY_FIRST``), so the two workers end close together. A lake is
built under a file lock in a folder both workers see, so a lake two groups read is built once.
While developing, ``OBSERVATOIRE_TEST_LAKES=<folder>`` keeps built lakes between sessions.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
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
    "tests/unit/test_gate_background.py",  # starts validation processes (Great Expectations imported in each)
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
    # Four Great Expectations validations (and the import of GE itself).
    "tests/unit/test_analytics_abords_scolaires.py::test_the_quartier_gate_checks_estimates_inside_their_intervals",
    # Series of releases through the real publisher, each audited by the joint attacker's MIP: together
    # about a third of the fast unit tests' time (measured with --durations=60, December 2026).
    "tests/unit/test_cross_mart_audit.py::test_police_and_night_series_leak_without_the_cross_mart_audit_and_not_with_it",
    "tests/unit/test_joint_audit.py::test_every_declared_sibling_pair_is_audited_jointly_by_the_publication_path",
    "tests/unit/test_joint_audit.py::test_interleaved_releases_leak_without_the_joint_audit_and_not_with_it",
)

# ----------------------------------------------------------------------------------------------
# Lakes built by the real pipeline
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LakeSpec:
    """What a built lake is made of: the simulator's parameters (every feed unless ``feeds``)."""

    start: date
    days: int
    seed: int
    scale: float
    effects: Path | None = None  # a YAML of planted effects; None: the simulator's defaults
    feeds: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        """A folder name unique to these parameters."""
        effects = self.effects.stem if self.effects else "default"
        feeds = "-".join(self.feeds) if self.feeds else "all"
        return f"{self.start:%Y%m%d}_{self.days}d_seed{self.seed}_scale{self.scale}_{effects}_{feeds}"


SIM_START = date(2026, 3, 2)
SIM_DAYS = 22  # the default dirt puts each file-level defect once in the first 22 days
SIM_SEED = 7
SIM_SCALE = 0.3
PIPELINE = LakeSpec(start=SIM_START, days=SIM_DAYS, seed=SIM_SEED, scale=SIM_SCALE)

# Truth tests of the use-case analytics (issue 5): four months of every feed at full scale with
# effect sizes that are NOT the simulator's defaults (tests/pipeline/effects.truth.yaml), so an
# analysis recovering them cannot have the defaults baked in. Winter and spring school holidays
# fall inside the window (school-surroundings contrast), and so do a few dozen events.
EFFECTS_FILE = Path(__file__).parent / "pipeline" / "effects.truth.yaml"
EFFECTS_START = date(2026, 1, 5)
EFFECTS_DAYS = 120
EFFECTS_SEED = 11
EFFECTS = LakeSpec(start=EFFECTS_START, days=EFFECTS_DAYS, seed=EFFECTS_SEED, scale=1.0, effects=EFFECTS_FILE)


@dataclass
class PipelineLake:
    """A lake on which the whole graph ran once: sensor -> ingest -> dbt -> gate -> publish."""

    settings: Any
    truth: dict[str, Any]
    rows_simulated: int


def run_pipeline(lake: Path) -> Any:
    """Run everything pending on ``lake`` as ``observatoire run`` does, the gates validating in their steps.

    ``run`` validates in a second process (``validate_in_background``): the same verdicts, and
    on this suite's busy cores one more process per worker only costs. The CLI tests use it.
    """
    from orchestration.core.settings import load_settings
    from orchestration.definitions import build_definitions
    from orchestration.runner import run_pending

    settings = load_settings(lake)
    return run_pending(settings, build_definitions(settings.lake), echo=lambda _line: None)


def _open_built(lake: Path) -> PipelineLake:
    """A built lake as tests see it (its settings, and the simulator's truth file)."""
    from orchestration.core.settings import load_settings

    record = json.loads((lake / "built.json").read_text(encoding="utf-8"))
    truth = json.loads((lake / record["truth"]).read_text(encoding="utf-8"))
    return PipelineLake(settings=load_settings(lake), truth=truth, rows_simulated=record["rows_simulated"])


def build_lake(lake: Path, spec: LakeSpec) -> PipelineLake:
    """Simulate ``spec`` into ``lake/landing`` and run the whole graph once (``built.json`` last)."""
    from simulator import simulate

    feeds = list(spec.feeds) if spec.feeds else None
    report = simulate(
        lake / "landing", start=spec.start, days=spec.days, seed=spec.seed, scale=spec.scale, effects=spec.effects, feeds=feeds
    )
    summary = run_pipeline(lake)
    assert summary.success, [r.failure for r in summary.runs]
    record = {"truth": str(report.truth_path.relative_to(lake)), "rows_simulated": sum(report.rows.values())}
    (lake / "built.json").write_text(json.dumps(record), encoding="utf-8")  # written last: the lake is complete
    return _open_built(lake)


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where built lakes live: this session's temp folder, or under xdist the one all workers share.

    While developing tests, ``OBSERVATOIRE_TEST_LAKES=<folder>`` keeps them there from one session
    to the next (delete the folder after changing the pipeline: a kept lake is not rebuilt).
    """
    base = tmp_path_factory.getbasetemp()
    kept = os.environ.get("OBSERVATOIRE_TEST_LAKES")
    root = Path(kept) if kept else (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built-lakes"
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Callable[[LakeSpec], PipelineLake]:
    """Factory: ``built_lake(spec)`` -> that lake, built once per session (and across xdist workers)."""
    from filelock import FileLock

    root = _shared_root(tmp_path_factory)
    opened: dict[LakeSpec, PipelineLake] = {}

    def get(spec: LakeSpec) -> PipelineLake:
        if spec not in opened:
            lake = root / spec.key
            with FileLock(str(root / f"{spec.key}.lock")):
                if (lake / "built.json").exists():
                    opened[spec] = _open_built(lake)
                else:
                    shutil.rmtree(lake, ignore_errors=True)  # a build that failed half-way
                    opened[spec] = build_lake(lake, spec)
        return opened[spec]

    return get


@pytest.fixture(scope="session")
def pipeline_lake(built_lake: Callable[[LakeSpec], PipelineLake]) -> PipelineLake:
    """Three simulated weeks of every feed through the real graph (about 230 CPU-s to build). Read-only."""
    return built_lake(PIPELINE)


@pytest.fixture(scope="session")
def effects_lake(built_lake: Callable[[LakeSpec], PipelineLake]) -> PipelineLake:
    """The whole graph on four simulated months with non-default planted effects (minutes to build). Read-only."""
    return built_lake(EFFECTS)


@pytest.fixture
def lake_copy(tmp_path: Path) -> Callable[[PipelineLake], PipelineLake]:
    """Factory: ``lake_copy(lake)`` -> a copy of a built lake that this test alone may change."""
    copies = 0

    def copy(built: PipelineLake) -> PipelineLake:
        nonlocal copies
        copies += 1
        lake = tmp_path / f"lake-copy-{copies}"
        shutil.copytree(built.settings.lake, lake, symlinks=True)
        return _open_built(lake)

    return copy


@pytest.fixture
def pipeline_lake_copy(pipeline_lake: PipelineLake, lake_copy: Callable[[PipelineLake], PipelineLake]) -> PipelineLake:
    """A private copy of ``pipeline_lake``, for a test that runs the pipeline or the CLI on it again."""
    return lake_copy(pipeline_lake)


# ----------------------------------------------------------------------------------------------
# Collection: the slow marker, and the groups of a parallel run
# ----------------------------------------------------------------------------------------------

# Parallel runs: which tests run together in one worker (a nodeid prefix -> its group; first match).
# The scheduler lives in the controller, which sees node ids only, so groups are named by module
# here; ``pytest_collection_modifyitems`` warns about a test that reads a shared lake from a module
# missing below (it still works: the lake is built once under a file lock, but a worker may wait).
# The tests reading the pipeline's lake are split in three groups that share the one build (file
# lock): the tests of its data, the CLI and daemon on copies of it, the apps drawn from it; in one
# group they would be the longest chain of the session. The cluster tests that need no shared lake
# are groups of their own (each worker starts its own servers, in seconds), so they balance.
GROUPS = {
    "tests/pipeline/test_truth_": "effects_lake",
    "tests/pipeline/test_graph.py": "pipeline_lake",
    "tests/pipeline/test_privacy_scan.py": "pipeline_lake",
    "tests/pipeline/test_use_cases.py": "pipeline_lake",
    "tests/pipeline/test_serve.py": "pipeline_lake-cli",
    "tests/pipeline/test_run_settled.py": "pipeline_lake-cli",
    "tests/apps/test_answer_pages_a.py": "pipeline_lake-apps",
    "tests/apps/test_answer_pages_b.py": "pipeline_lake-apps",
    "tests/apps/test_browser.py": "pipeline_lake-apps",
    "tests/apps/test_browser_analyst.py": "pipeline_lake-apps",
    "tests/apps/test_pages.py::test_every_use_case_page_renders_on_the_real_pipeline_output": "pipeline_lake-apps",
    "tests/apps/test_portail_pages.py": "released_lake",
    "tests/apps/test_portail_datasets.py": "released_lake",
    "tests/apps/test_browser_portail.py": "released_lake",
    "tests/cluster/test_cluster_graph.py": "cluster_lake",
    "tests/cluster/test_parallel_use_cases.py": "cluster_lake",
}
# Session fixtures that stand for a shared lake: their readers belong in a group above.
SHARED_LAKES = ("pipeline_lake", "effects_lake", "published_pipeline_lake", "released_lake", "cluster_lake")
# Groups started first, longest first (measured in CI with --durations=0), so that no worker is left
# with a long group at the end while the other idles. A group reading the pipeline's lake comes
# after another group long enough for the other worker to have built that lake meanwhile.
COSTLY_FIRST = (
    "pipeline_lake",
    "cluster_lake",
    "pipeline_lake-apps",
    "released_lake",
    "effects_lake",
    "pipeline_lake-cli",
    "tests/cluster/test_spark_models.py",
    "tests/pipeline/test_governance.py",
    "tests/cluster/test_spark_incremental.py",
    "tests/cluster/test_dagster_postgres.py",
    "tests/cluster/test_celery_executor.py",
    "tests/apps/test_browser_signin.py",
    # The longest unit modules next (10-18 s each in CI), so that the last ones, on both workers,
    # are the short ones (longest first): the two workers then end closer together.
    "tests/unit/test_open_data_formats.py",
    "tests/unit/test_simulator_dirt.py",
    "tests/unit/test_supervisor.py",
    "tests/unit/test_simulator.py",
    "tests/unit/test_sql_style.py",
    "tests/unit/test_zone_margin.py",
    "tests/unit/test_simulator_formats.py",
)


def xdist_group(nodeid: str) -> str:
    """The group of a test in a parallel run: its entry in ``GROUPS``, else its module."""
    for prefix, group in GROUPS.items():
        if nodeid.startswith(prefix):
            return group
    return nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with the groups of ``xdist_group``: a whole group goes to one worker.

    pytest-xdist's own loadgroup reads ``xdist_group`` marks through node ids that pytest 9.2 no
    longer lets it rewrite, so the scheduler here groups the node ids itself.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid)

    return SharedFixtureScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests (``make check`` deselects them); in a parallel run, costliest groups first."""
    for item in items:
        if item.nodeid.startswith(SLOW_UNIT_TESTS) or "pipeline" in item.keywords:
            item.add_marker(pytest.mark.slow)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a serial run keeps the collection order
    for item in items:
        if set(SHARED_LAKES) & set(getattr(item, "fixturenames", ())) and xdist_group(item.nodeid) == item.nodeid.split("::", 1)[0]:
            item.warn(pytest.PytestWarning("reads a shared lake but has no group in tests/conftest.py GROUPS: add its module there"))
    rank = {group: i for i, group in enumerate(COSTLY_FIRST)}
    items.sort(key=lambda item: rank.get(xdist_group(item.nodeid), len(rank)))  # stable: module order kept inside
