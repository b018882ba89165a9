"""Materialise everything pending without a server: the engine of ``observatoire run``.

It does what the Dagster daemon does in ``observatoire serve``, once: evaluate each sensor, execute
the runs it requests in this process (same jobs, same assets, same run storage), and advance a
sensor's cursor only when its runs succeeded, so a failure is retried by the next ``run``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.core.settings import REPO_ROOT, Settings

Echo = Callable[[str], None]
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
CURSORS_FILE = "cli_sensor_cursors.json"
# dbt's per-model bookkeeping and paths: in the run log, not on the terminal.
_NOISY_METADATA = {"path", "unique_id", "invocation_id", "status", "Execution Duration"}


@dataclass
class RunOutcome:
    job: str
    success: bool
    seconds: float
    tags: dict[str, str]
    failure: str = ""
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # asset -> metadata


@dataclass
class RunSummary:
    runs: list[RunOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(r.success for r in self.runs)


def _shown(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata worth a terminal line: counts and versions, not dbt's bookkeeping."""
    return {k: v for k, v in metadata.items() if k not in _NOISY_METADATA and isinstance(v, int | float | str)}


def prepare_instance(settings: Settings) -> dg.DagsterInstance:
    """A persistent Dagster instance in ``<lake>/.dagster`` (shared with ``serve``), telemetry off."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "infra" / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    return dg.DagsterInstance.from_config(str(home))


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    lines = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            lines.append(f"{event.step_key}: {event.step_failure_data.error.message.strip()}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data  # an AssetCheckEvaluation
            if not check.passed:  # type: ignore[union-attr]
                lines.append(f"check {check.asset_key.to_user_string()}:{check.check_name} failed")  # type: ignore[union-attr]
    return "\n".join(lines) or "run failed"


def _materialization_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        found[materialization.asset_key.to_user_string()] = {k: v.value for k, v in materialization.metadata.items()}
    return found


def _execute(defs: dg.Definitions, instance: dg.DagsterInstance, job_name: str, tags: dict[str, str]) -> RunOutcome:
    job = defs.resolve_job_def(job_name)
    started = time.perf_counter()
    result = job.execute_in_process(instance=instance, tags=tags, run_config=QUIET_LOGS, raise_on_error=False)
    outcome = RunOutcome(
        job=job_name,
        success=result.success,
        seconds=time.perf_counter() - started,
        tags=tags,
        metadata=_materialization_metadata(result),
    )
    if not result.success:
        outcome.failure = _failure_text(result)
    return outcome


def run_pending(settings: Settings, echo: Echo = print) -> RunSummary:
    """Evaluate every sensor once and execute what it requests, landing sensors first."""
    os.environ["OBSERVATOIRE_LAKE"] = str(settings.lake)  # resources resolve the same lake
    from orchestration.definitions import defs as load_defs  # heavy import (dbt manifest)

    defs = load_defs()
    with prepare_instance(settings) as instance:  # disposed on exit: no threads left behind
        summary = _run_sensors(settings, defs, instance, echo)
        _report_freshness(defs, instance, echo)
        return summary


def _report_freshness(defs: dg.Definitions, instance: dg.DagsterInstance, echo: Echo) -> None:
    """Evaluate every feed's freshness check (as the schedule does) and print the verdicts."""
    result = defs.resolve_job_def("check_freshness").execute_in_process(instance=instance, run_config=QUIET_LOGS, raise_on_error=False)
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            echo(f"  freshness: {check.description}")  # type: ignore[union-attr]


def _run_sensors(settings: Settings, defs: dg.Definitions, instance: dg.DagsterInstance, echo: Echo) -> RunSummary:
    cursors_path = settings.dagster_home / CURSORS_FILE
    cursors: dict[str, str | None] = json.loads(cursors_path.read_text()) if cursors_path.exists() else {}
    summary = RunSummary()
    sensors = sorted(defs.sensors or [], key=lambda s: (not s.name.endswith("_landing"), s.name))
    for sensor in sensors:
        context = dg.build_sensor_context(
            instance=instance,
            cursor=cursors.get(sensor.name),
            definitions=defs,
            sensor_name=sensor.name,
            resources=dict(defs.resources or {}),
        )
        data = sensor.evaluate_tick(context)
        if not data.run_requests:
            reason = data.skip_message or "nothing to do"
            echo(f"  {sensor.name}: {reason}")
            continue
        ok = True
        for request in data.run_requests:
            job_name = request.job_name or sensor.job_name
            scope = " ".join(f"{k.split('/')[-1]}={v}" for k, v in sorted(request.tags.items()) if "partition" in k)
            echo(f"  {sensor.name} -> {job_name} {scope}".rstrip())
            outcome = _execute(defs, instance, job_name, dict(request.tags))
            summary.runs.append(outcome)
            for asset, meta in outcome.metadata.items():
                echo(f"      {asset}: {_shown(meta)}")
            status = "ok" if outcome.success else "FAILED"
            echo(f"    {job_name}: {status} in {outcome.seconds:.1f} s")
            if not outcome.success:
                echo("    " + outcome.failure.replace("\n", "\n    "))
                ok = False
        if ok:
            cursors[sensor.name] = data.cursor
            cursors_path.write_text(json.dumps(cursors))
    return summary


def backfill(settings: Settings, feed_name: str, first: date, last: date, echo: Echo = print) -> RunOutcome:
    """Run ``ingest_<feed>`` over [first, last] as one run (the asset's single-run backfill policy)."""
    os.environ["OBSERVATOIRE_LAKE"] = str(settings.lake)
    from orchestration.definitions import defs as load_defs

    defs = load_defs()
    tags = {ASSET_PARTITION_RANGE_START_TAG: first.isoformat(), ASSET_PARTITION_RANGE_END_TAG: last.isoformat()}
    with prepare_instance(settings) as instance:
        outcome = _execute(defs, instance, f"ingest_{feed_name}", tags)
    for asset, meta in outcome.metadata.items():
        echo(f"  {asset}: {_shown(meta)}")
    echo(f"backfill {feed_name} {first}..{last}: {'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s")
    if not outcome.success:
        echo(outcome.failure)
    return outcome


def refresh(settings: Settings, echo: Echo = print) -> RunOutcome:
    """Run ``refresh_marts`` now (dbt build -> analytics -> gates -> publication), new data or not.

    For a model or rule change: the sensors only react to new bronze data.
    """
    os.environ["OBSERVATOIRE_LAKE"] = str(settings.lake)
    from orchestration.definitions import defs as load_defs

    defs = load_defs()
    with prepare_instance(settings) as instance:
        outcome = _execute(defs, instance, "refresh_marts", {"observatoire/trigger": "cli-refresh"})
    for asset, meta in outcome.metadata.items():
        echo(f"  {asset}: {_shown(meta)}")
    echo(f"refresh_marts: {'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s")
    if not outcome.success:
        echo(outcome.failure)
    return outcome


def reset_cli_cursors(dagster_home: Path) -> None:
    """Forget the CLI's sensor cursors (the next ``run`` re-checks every file by checksum)."""
    (dagster_home / CURSORS_FILE).unlink(missing_ok=True)
