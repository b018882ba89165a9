"""What the stack itself costs on a new day, apart from the data: the framework floor of ``bench_daily``.

The data floor (``bench_daily.floor_new_day`` + ``floor_marts_and_gold``) does the day's reads,
SQL and writes directly. The pipeline does them through Dagster, dbt and Great Expectations, which
cost something whatever the rows. Each part here is measured with the stack's own calls, on the
same lake, with no data work in it:

- **Dagster runs**: for each run the new day made, a run of the same shape (as many asset steps
  and blocking check steps, each asset reading the one before) whose bodies do nothing, on an
  instance configured as ``observatoire run`` configures it (``runner.prepare_instance``); a run
  of checks only (the freshness job) gets one asset for its checks, a step more than it had;
- **dbt start-up**: ``dbt build`` with the lake's profile, environment and parse state, selecting
  no node: start-up, the parse state read, the manifest written;
- **automation evaluations**: ``dg.evaluate_automation_conditions`` on the definitions and instance
  of the lake, as many times as the new day evaluated, with nothing left to request;
- **Great Expectations**: every mart's suite validated directly on the mart as built (no Dagster,
  no verdict record), the rows being the new day's: this part holds a little data work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg


@dataclass(frozen=True)
class RunShape:
    """What a run executed: its job, its asset steps and its asset check steps."""

    job: str
    asset_steps: int
    check_steps: int


def run_shapes(instance: dg.DagsterInstance, since: float) -> list[RunShape]:
    """The shape of every run created on ``instance`` after the POSIX time ``since``, oldest first."""
    records = instance.get_run_records(dg.RunsFilter(created_after=datetime.fromtimestamp(since, UTC)))
    shapes = []
    for record in sorted(records, key=lambda r: r.create_timestamp):
        plan = instance.get_execution_plan_snapshot(record.dagster_run.execution_plan_snapshot_id)  # type: ignore[arg-type]
        checks = sum(1 for step in plan.steps if _is_check_step(step))
        shapes.append(RunShape(record.dagster_run.job_name, len(plan.steps) - checks, checks))
    return shapes


def _is_check_step(step: Any) -> bool:
    # A step that only evaluates asset checks (a gate, a freshness check) has no asset output.
    outputs = step.outputs
    return bool(outputs) and all(getattr(o.properties, "asset_check_key", None) is not None for o in outputs if o.properties)


def _noop_definitions(shape: RunShape) -> dg.Definitions:
    """``shape.asset_steps`` assets in a chain, each doing nothing, and ``shape.check_steps`` blocking checks doing nothing."""
    assets: list[dg.AssetsDefinition] = []
    for index in range(max(shape.asset_steps, 1)):

        @dg.asset(name=f"step_{index}", deps=[f"step_{index - 1}"] if index else [])
        def _asset() -> dg.MaterializeResult:
            return dg.MaterializeResult(metadata={"rows": 0})

        assets.append(_asset)
    checks = []
    for index in range(shape.check_steps):

        @dg.asset_check(asset=f"step_{index % len(assets)}", name=f"check_{index}", blocking=True)
        def _check() -> dg.AssetCheckResult:
            return dg.AssetCheckResult(passed=True, metadata={"rows": 0})

        checks.append(_check)
    return dg.Definitions(assets=assets, asset_checks=checks)


def dagster_runs(shapes: list[RunShape], work: Path) -> float:
    """Wall seconds of the no-op runs of ``shapes``, one after the other, on a CLI-configured instance."""
    from orchestration.core.settings import load_settings
    from orchestration.runner import QUIET_LOGS, prepare_instance

    with prepare_instance(load_settings(work / "noop-lake")) as instance:
        # A first tiny run, not counted: the instance's files and templates exist at a new day.
        _noop_definitions(RunShape("warm", 1, 1)).resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, run_config=QUIET_LOGS
        )
        jobs = [_noop_definitions(shape).resolve_implicit_global_asset_job_def() for shape in shapes]
        started = time.perf_counter()
        for job in jobs:
            job.execute_in_process(instance=instance, run_config=QUIET_LOGS)
        return time.perf_counter() - started


def dbt_start_up(lake: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``dbt build`` selecting nothing, under the lake's profile and parse state."""
    import resource

    from orchestration.core.settings import DBT_PROJECT_DIR, load_settings
    from orchestration.factories.dbt import PARTIAL_PARSE, dbt_env, dbt_target_dir
    from orchestration.factories.resources import dbt_executable

    settings = load_settings(lake)
    with tempfile.TemporaryDirectory(prefix="dbt-start-up-") as target:
        state = dbt_target_dir(settings) / PARTIAL_PARSE
        if state.exists():  # as dagster-dbt seeds each invocation's target folder
            shutil.copyfile(state, Path(target) / PARTIAL_PARSE)
        env = {**os.environ, **dbt_env(settings), "DBT_TARGET_PATH": target}
        command = [dbt_executable(), "build", "--select", "tag:no_node_has_this_tag", "--log-format", "json"]
        command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR, env=env, capture_output=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def automation_evaluations(lake: Path, times: int) -> float:
    """Wall seconds of ``times`` automation evaluations of the lake's definitions, nothing pending."""
    from orchestration.core.settings import load_settings
    from orchestration.definitions import build_definitions
    from orchestration.runner import AUTOMATION_CURSOR, _evaluate, _get_cursor, prepare_instance

    defs = build_definitions(lake)
    with prepare_instance(load_settings(lake)) as instance:
        cursor = _get_cursor(instance, AUTOMATION_CURSOR)
        started = time.perf_counter()
        for _ in range(times):
            _evaluate(defs, instance, cursor)  # the cursor is not stored: the lake stays as it was
        return time.perf_counter() - started


def gate_validations(lake: Path) -> tuple[float, int]:
    """Wall seconds of every mart's suite validated directly on the mart as built; and how many."""
    from orchestration.core.catalog import marts
    from orchestration.core.publishing import read_mart
    from orchestration.core.settings import load_settings
    from quality.gate import prepare, validate_mart

    settings = load_settings(lake)
    prepare()  # the import and context, paid while dbt runs in the pipeline (its warm-up thread)
    frames = {mart: read_mart(settings, mart) for mart in marts()}  # the read is in the data floor
    started = time.perf_counter()
    for mart, frame in frames.items():
        validate_mart(mart, frame)
    return time.perf_counter() - started, len(frames)


if __name__ == "__main__":  # a quick look at one built lake: python framework_floor.py LAKE
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    print(dbt_start_up(Path(sys.argv[1])), automation_evaluations(Path(sys.argv[1]), 1), gate_validations(Path(sys.argv[1])))
