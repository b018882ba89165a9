"""Materialise everything pending without a server: the engine of ``observatoire run``.

Two Dagster mechanisms, each where it fits, both through public APIs only:

* **Deliveries -> bronze: the landing sensors.** New files in ``landing/<feed>/`` are not an
  asset Dagster can see change, so each feed's ``<feed>_landing`` sensor notices them and asks
  for an ``ingest_<feed>`` run of its pending deliveries. Here each sensor is ticked once
  (``build_sensor_context`` + ``evaluate_tick``) and the feeds they asked for are ingested
  together, in one ``ingest_feeds`` run executed in this process.
* **Bronze -> marts -> gates -> publication: declarative automation.** Every downstream asset
  carries an ``AutomationCondition`` (``orchestration.factories.automation``): rebuilt when a
  dependency changed, with the blocking quality gates in the same run. Here the conditions are
  evaluated with ``dg.evaluate_automation_conditions`` (Dagster's public evaluator outside the
  daemon) and the requested assets materialised in one in-process run; under ``serve`` the
  daemon evaluates the same conditions through the ``rebuild_on_new_data`` automation sensor. Only what is downstream of
  the bronze tables that changed is rebuilt (not every mart after any ingest).

Cursors (each landing sensor's, and the automation evaluation's) are kept in the Dagster
instance's key-value store (``<lake>/.dagster``), not in a file of ours. A landing sensor's
cursor only moves forward when its runs succeeded, and the assets of a failed automation run
are kept there too: the next ``run`` retries a failure, as before.
Automation is chosen over the former ``bronze_updated`` sensor + ``refresh_marts`` job because
it rebuilds only what changed and states *when* an asset rebuilds on the asset itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from orchestration.core.catalog import feeds
from orchestration.core.dagster_instance import instance_yaml, write_instance_yaml
from orchestration.core.settings import Settings
from orchestration.core.settled import FreshnessSeen
from orchestration.factories.automation import AUTOMATION_SENSOR
from orchestration.factories.event_log import EVENT_LOG_CLASS, EVENT_LOG_MODULE
from orchestration.factories.ingest import (
    INGEST_FEEDS_JOB,
    INGESTED,
    bronze_key,
    day_range_tags,
    ingest_job_name,
    landing_sensor_name,
)

Echo = Callable[[str], None]
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Keys of the CLI's cursors in the instance's key-value store.
CURSOR_PREFIX = "observatoire/cli/"
SENSOR_CURSOR = CURSOR_PREFIX + "sensor/{name}"
AUTOMATION_CURSOR = CURSOR_PREFIX + "automation"
AUTOMATION_RETRY = CURSOR_PREFIX + "automation_retry"  # the assets of a failed automation run
# An automation run rebuilds everything downstream of a change at once, so the pass after it
# requests nothing; the bound only guards against a condition that would keep requesting.
AUTOMATION_PASSES = 3
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
    freshness: list[FreshnessSeen] = field(default_factory=list)  # every feed's verdict, as printed
    freshness_ok: bool = False  # the freshness job ran (its checks may be red: a late feed is no failure)
    time_dependent: list[str] = field(default_factory=list)  # automation that could become due by time alone

    @property
    def success(self) -> bool:
        return all(r.success for r in self.runs)

    @property
    def settled(self) -> bool:
        """Nothing was pending and nothing can become due by time alone (the fast path's premise)."""
        return not self.runs and self.freshness_ok and not self.time_dependent


def _shown(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata worth a terminal line: counts and versions, not dbt's bookkeeping."""
    return {k: v for k, v in metadata.items() if k not in _NOISY_METADATA and isinstance(v, int | float | str)}


# The CLI's own instance file beside ``dagster.yaml``: the same storage, its event log kept open.
CLI_INSTANCE_FILE = "cli.yaml"
# On PostgreSQL: pooled connections, renewed after an hour; a second thread (the automation
# evaluator) may open a few more beside the one kept.
PG_POOL_RECYCLE_S = 3600
PG_POOL_OVERFLOW = 4


def prepare_instance(settings: Settings) -> dg.DagsterInstance:
    """A persistent Dagster instance in ``<lake>/.dagster`` (shared with ``serve``), telemetry off.

    On SQLite (not on a cluster's PostgreSQL), the CLI reads and writes the same files through
    an event log storage that keeps its connections open (``orchestration.factories.event_log``):
    a run stores thousands of events, and Dagster's class opens, syncs and closes a file per event.
    """
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    write_instance_yaml(settings, home)  # the profile's storage: SQLite here, PostgreSQL on a cluster
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if settings.dagster_pg_url:
        instance = dg.DagsterInstance.from_config(str(home))
        # dagster-postgres opens a connection per query (NullPool): a PostgreSQL backend started and
        # ended for every event a run stores. Pooled as the webserver does it, one kept per storage
        # (closed when the instance is disposed); 0: no statement timeout, as without the pool.
        instance.optimize_for_webserver(statement_timeout=0, pool_recycle=PG_POOL_RECYCLE_S, max_overflow=PG_POOL_OVERFLOW)
        _close_pools_on_dispose(instance)
        return instance
    config = yaml.safe_load(instance_yaml(settings))
    config["event_log_storage"] = {
        "module": EVENT_LOG_MODULE,
        "class": EVENT_LOG_CLASS,
        "config": {"base_dir": str(home / "history" / "runs")},  # Dagster's default place for them
    }
    (home / CLI_INSTANCE_FILE).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return dg.DagsterInstance.from_config(str(home), CLI_INSTANCE_FILE)


def _close_pools_on_dispose(instance: dg.DagsterInstance) -> None:
    """Close the pooled PostgreSQL connections when the instance is disposed (Dagster leaves them to GC)."""
    dispose = instance.dispose

    def dispose_and_close() -> None:
        dispose()
        for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
            engine = getattr(storage, "_engine", None)  # dagster-postgres keeps its SQLAlchemy engine there
            if engine is not None:
                engine.dispose()

    instance.dispose = dispose_and_close  # type: ignore[method-assign]


def _get_cursor(instance: dg.DagsterInstance, key: str) -> str | None:
    return instance.run_storage.get_cursor_values({key}).get(key) or None


def _set_cursor(instance: dg.DagsterInstance, key: str, value: str | None) -> None:
    instance.run_storage.set_cursor_values({key: value or ""})


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


def _outcome(name: str, tags: dict[str, str], started: float, result: dg.ExecuteInProcessResult) -> RunOutcome:
    outcome = RunOutcome(
        job=name,
        success=result.success,
        seconds=time.perf_counter() - started,
        tags=tags,
        metadata=_materialization_metadata(result),
    )
    if not result.success:
        outcome.failure = _failure_text(result)
    return outcome


def _execute(defs: dg.Definitions, instance: dg.DagsterInstance, job_name: str, tags: dict[str, str]) -> RunOutcome:
    started = time.perf_counter()
    result = defs.resolve_job_def(job_name).execute_in_process(instance=instance, tags=tags, run_config=QUIET_LOGS, raise_on_error=False)
    return _outcome(job_name, tags, started, result)


def _echo_outcome(outcome: RunOutcome, echo: Echo, assets: bool = True) -> None:
    for asset, meta in outcome.metadata.items() if assets else ():
        if asset == INGESTED.to_user_string():
            continue  # the automation marker, not a table
        echo(f"      {asset}: {_shown(meta)}")
    echo(f"    {outcome.job}: {'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s")
    if not outcome.success:
        echo("    " + outcome.failure.replace("\n", "\n    "))


class Progress:
    """Echo each asset materialised and each failed check of a run, with a count, as the events arrive."""

    def __init__(self, total: int, echo: Echo, started: float) -> None:
        self.total, self.echo, self.started, self.done = total, echo, started, 0

    def __call__(self, entry: Any) -> None:  # an EventLogEntry, handed over as the run stores it
        with contextlib.suppress(Exception):  # a progress line must never fail a run
            self._show(entry)

    def _show(self, entry: Any) -> None:
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            self.done += 1
            shown = _shown({k: v.value for k, v in materialization.metadata.items()})
            elapsed = time.perf_counter() - self.started
            self.echo(
                f"    [{self.done}/{self.total} {elapsed:5.0f} s] {materialization.asset_key.to_user_string()} {shown or ''}".rstrip()
            )
        elif event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
            check = event.event_specific_data
            verdict = "FAILED" if check.severity == dg.AssetCheckSeverity.ERROR else "warning"  # a WARN test does not block
            self.echo(f"    check {check.asset_key.to_user_string()}:{check.check_name} {verdict}")
        elif event.is_step_failure:
            self.echo(f"    step {event.step_key} FAILED")


def run_pending(
    settings: Settings, defs: dg.Definitions, echo: Echo = print, *, validate_in_background: bool = False, warm_dbt: bool = False
) -> RunSummary:
    """Ingest new deliveries (landing sensors), then rebuild what changed downstream (automation).

    ``defs`` must have its resources bound to ``settings.lake`` (``build_definitions(lake)``).
    ``validate_in_background``: the marts' suites run in a second process while the run goes on
    (:mod:`quality.background`), as ``observatoire run`` does; off, each gate validates in its step
    (the same verdicts), as a caller running many lakes in one busy process may prefer.
    ``warm_dbt``: when there is something to ingest, a dbt process imports dbt while the ingest
    runs, and the rebuild's first dbt build runs in it (:mod:`orchestration.core.warm_dbt`), as
    ``observatoire run`` does.
    """
    from orchestration.core import warm_dbt as warm

    def before_ingest() -> None:
        # The ingest keeps one core busy; the other imports dbt for the rebuild that follows it.
        if warm_dbt:
            from orchestration.factories.resources import dbt_executable

            warm.start(dbt_executable())

    try:
        with prepare_instance(settings) as instance:  # disposed on exit: no threads left behind
            summary = RunSummary()
            _initialise_automation(defs, instance)
            _run_landing_sensors(defs, instance, echo, summary, before_ingest)
            _run_automation(defs, instance, echo, summary, validate_in_background)
            _report_freshness(defs, instance, echo, summary)
            if not summary.runs:
                summary.time_dependent = time_dependent_automation(defs)
            return summary
    finally:
        warm.stop()  # unused when nothing was rebuilt: ended, not left waiting


def _report_freshness(defs: dg.Definitions, instance: dg.DagsterInstance, echo: Echo, summary: RunSummary) -> None:
    """Evaluate every feed's freshness check (as the schedule does) and print the verdicts."""
    result = defs.resolve_job_def("check_freshness").execute_in_process(instance=instance, run_config=QUIET_LOGS, raise_on_error=False)
    summary.freshness_ok = result.success
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            line = f"freshness: {check.description}"  # type: ignore[union-attr]
            echo(f"  {line}")
            meta = {k: v.value for k, v in check.metadata.items()}  # type: ignore[union-attr]
            summary.freshness.append(
                FreshnessSeen(line, bool(check.passed), float(meta.get("age_hours", -1.0)), float(meta.get("sla_hours", -1.0)))  # type: ignore[union-attr]
            )


# The automation conditions that depend only on the asset graph's records, never on the clock.
# A condition of another kind (a cron tick, a time window, a newly added one) disables the CLI's
# fast path until it is reviewed here: the settled stamp cannot see time pass.
TIME_FREE_CONDITIONS = frozenset(
    {
        "AndAutomationCondition",
        "OrAutomationCondition",
        "NotAutomationCondition",
        "SinceCondition",
        "AnyDepsCondition",
        "AllDepsCondition",
        "AnyDownstreamConditionsCondition",
        "EntityMatchesCondition",
        "MissingAutomationCondition",
        "NewlyMissingCondition",
        "NewlyUpdatedCondition",
        "NewlyRequestedCondition",
        "NewlyTrueCondition",
        "LatestRunExecutedWithRootTargetCondition",
        "RunInProgressAutomationCondition",
        "BackfillInProgressAutomationCondition",
        "InitialEvaluationCondition",
        "WillBeRequestedCondition",
        "ExecutionFailedAutomationCondition",
        "CheckResultCondition",
        "CodeVersionChangedCondition",
    }
)


def _conditions(condition: dg.AutomationCondition) -> list[dg.AutomationCondition]:
    found, stack = [], [condition]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.children)
    return found


def time_dependent_automation(defs: dg.Definitions) -> list[str]:
    """What in the automated assets could become due by time alone (empty: nothing can).

    A time-partitioned asset (a new partition each day) or a condition outside
    :data:`TIME_FREE_CONDITIONS` (a cron tick, a time window, one not reviewed yet).
    """
    graph = defs.resolve_asset_graph()
    found: list[str] = []
    for key in sorted(_automation_sensor(defs).asset_selection.resolve(graph)):
        node = graph.get(key)
        if node.partitions_def is not None:
            found.append(f"{key.to_user_string()} is partitioned")
        condition = node.automation_condition
        for part in _conditions(condition) if condition is not None else []:
            if type(part).__name__ not in TIME_FREE_CONDITIONS:
                found.append(f"{key.to_user_string()}: {type(part).__name__}")
    return found


def _landing_sensors(defs: dg.Definitions) -> list[dg.SensorDefinition]:
    """The sensors that request runs themselves (the automation sensor is evaluated separately)."""
    sensors = [s for s in defs.sensors or [] if not isinstance(s, dg.AutomationConditionSensorDefinition)]
    return sorted(sensors, key=lambda s: s.name)


def _run_landing_sensors(
    defs: dg.Definitions, instance: dg.DagsterInstance, echo: Echo, summary: RunSummary, before_ingest: Callable[[], None] = lambda: None
) -> None:
    """Tick every landing sensor, then ingest every feed they asked for in one ``ingest_feeds`` run.

    One run whatever the feeds and days pending (a Dagster run costs about a second of bookkeeping
    whatever its size); a feed's cursor moves forward only when its asset materialised, so a
    failure is retried by the next ``run``. ``before_ingest`` is called when there is something to ingest.
    """
    resources = dict(defs.resources or {})
    wanted: list[tuple[str, dg.AssetKey, str | None]] = []  # (cursor key, asset, new cursor)
    sensors = _landing_sensors(defs)
    # Every cursor read in one storage query, and written in one below (a query per feed each way
    # was a few percent of a new day's ingest).
    keys = {sensor.name: SENSOR_CURSOR.format(name=sensor.name) for sensor in sensors}
    cursors = instance.run_storage.get_cursor_values(set(keys.values()))
    for sensor in sensors:
        key = keys[sensor.name]
        # A context manager: the resources' teardown (the build database reader) runs on leaving it.
        with dg.build_sensor_context(
            instance=instance, cursor=cursors.get(key) or None, definitions=defs, sensor_name=sensor.name, resources=resources
        ) as context:
            data = sensor.evaluate_tick(context)
        if not data.run_requests:
            echo(f"  {sensor.name}: {data.skip_message or 'nothing to do'}")
            continue
        wanted.append((key, _SENSOR_ASSETS[sensor.name], data.cursor))
    if not wanted:
        return
    echo(f"  {INGEST_FEEDS_JOB}: {', '.join(asset.path[-1] for _, asset, _ in wanted)}")
    before_ingest()
    tags = {"observatoire/trigger": "cli-ingest"}
    started = time.perf_counter()
    result = defs.resolve_job_def(INGEST_FEEDS_JOB).execute_in_process(
        instance=instance, asset_selection=[asset for _, asset, _ in wanted], tags=tags, run_config=QUIET_LOGS, raise_on_error=False
    )
    outcome = _outcome(INGEST_FEEDS_JOB, tags, started, result)
    summary.runs.append(outcome)
    _echo_outcome(outcome, echo)
    moved = {cursor_key: cursor or "" for cursor_key, asset, cursor in wanted if asset.to_user_string() in outcome.metadata}
    if moved:
        instance.run_storage.set_cursor_values(moved)


_SENSOR_ASSETS = {landing_sensor_name(spec): bronze_key(spec) for spec in feeds().values()}


def _evaluate(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> dg.EvaluateAutomationConditionsResult:
    return evaluate_in_own_thread(
        defs=defs,
        instance=instance,
        asset_selection=_automation_sensor(defs).asset_selection,
        cursor=dg.deserialize_value(cursor) if cursor else None,  # type: ignore[arg-type]
    )


def evaluate_in_own_thread(**kwargs: Any) -> dg.EvaluateAutomationConditionsResult:
    """``dg.evaluate_automation_conditions`` on a thread of its own.

    The evaluator calls ``asyncio.run``, which refuses to start when the calling thread already
    runs an event loop (a notebook, Playwright's sync API, an app server): a fresh thread has none.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="automation") as pool:
        return pool.submit(dg.evaluate_automation_conditions, **kwargs).result()


def _automation_sensor(defs: dg.Definitions) -> dg.AutomationConditionSensorDefinition:
    sensor = defs.resolve_sensor_def(AUTOMATION_SENSOR)
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    return sensor


def _initialise_automation(defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    """The first evaluation only records the state (as the daemon's first tick): do it before ingesting."""
    if _get_cursor(instance, AUTOMATION_CURSOR) is None:
        _set_cursor(instance, AUTOMATION_CURSOR, dg.serialize_value(_evaluate(defs, instance, None).cursor))


def _run_automation(
    defs: dg.Definitions, instance: dg.DagsterInstance, echo: Echo, summary: RunSummary, in_background: bool = False
) -> None:
    """Evaluate the automation conditions and materialise what they request, as the daemon's ticks would.

    After a run, one more evaluation consumes the run's own materialisations (as the daemon's next
    tick does), so that the next ``run`` sees only what changed since. What a failed run did not
    bring up to date (:func:`unfinished`) is kept in the instance and requested again by the next ``run``.
    """
    selected = _automation_sensor(defs).asset_selection.resolve(defs.resolve_asset_graph())
    retry = [key for key in _load_keys(instance, AUTOMATION_RETRY) if key in selected]
    for attempt in range(AUTOMATION_PASSES):
        evaluation = _evaluate(defs, instance, _get_cursor(instance, AUTOMATION_CURSOR))
        _set_cursor(instance, AUTOMATION_CURSOR, dg.serialize_value(evaluation.cursor))
        requested = sorted({key for key in selected if evaluation.get_num_requested(key)} | set(retry))
        retry = []
        if not requested:
            if attempt == 0:
                echo(f"  {AUTOMATION_SENSOR}: nothing downstream of a change")
            return
        echo(f"  {AUTOMATION_SENSOR} -> {len(requested)} asset(s) downstream of new data, with their checks")
        from orchestration.factories.gates import warm_up_gates

        warm_up_gates(requested, in_background)  # suites imported or started while the dbt step runs, not by the first gate
        tags = {"observatoire/trigger": "cli-automation"}
        started = time.perf_counter()
        run_id = str(uuid.uuid4())  # known before the run starts, for the progress listener
        # One line per asset as it is built (a rebuild takes minutes): the run's events, as they are stored.
        instance.add_event_listener(run_id, Progress(len(requested), echo, started))
        # The implicit asset job runs the selected assets with all their checks (the blocking gates).
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=requested, tags=tags, run_config=QUIET_LOGS, raise_on_error=False, run_id=run_id
        )
        outcome = _outcome(AUTOMATION_SENSOR, tags, started, result)
        summary.runs.append(outcome)
        _echo_outcome(outcome, echo, assets=False)  # already shown one by one
        _store_keys(instance, AUTOMATION_RETRY, [] if outcome.success else unfinished(requested, result))
        if not outcome.success:
            return


def unfinished(requested: list[dg.AssetKey], result: dg.ExecuteInProcessResult) -> list[dg.AssetKey]:
    """The requested assets a run did not bring up to date: what the next ``run`` requests again.

    Not materialised (failed, or skipped after an upstream failure), or materialised but held by a
    failed blocking check (rebuilt to be checked again). What the run did build is not rebuilt: a
    failure costs its own part of the graph again, not the whole selection.
    """
    built = {event.asset_key for event in result.get_asset_materialization_events()}
    held = {check.asset_key for check in result.get_asset_check_evaluations() if not check.passed and check.severity == dg.AssetCheckSeverity.ERROR}
    return [key for key in requested if key not in built or key in held]


def _load_keys(instance: dg.DagsterInstance, key: str) -> list[dg.AssetKey]:
    stored = _get_cursor(instance, key)
    return [dg.AssetKey.from_user_string(k) for k in json.loads(stored)] if stored else []


def _store_keys(instance: dg.DagsterInstance, key: str, keys: list[dg.AssetKey]) -> None:
    _set_cursor(instance, key, json.dumps([k.to_user_string() for k in keys]) if keys else None)


def backfill(settings: Settings, defs: dg.Definitions, feed_name: str, first: date, last: date, echo: Echo = print) -> RunOutcome:
    """Run ``ingest_<feed>`` over the deliveries of days [first, last], as one run (idempotent)."""
    tags = day_range_tags(first, last)
    with prepare_instance(settings) as instance:
        outcome = _execute(defs, instance, ingest_job_name(feeds()[feed_name]), tags)
    for asset, meta in outcome.metadata.items():
        echo(f"  {asset}: {_shown(meta)}")
    echo(f"backfill {feed_name} {first}..{last}: {'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s")
    if not outcome.success:
        echo(outcome.failure)
    return outcome


def refresh(settings: Settings, defs: dg.Definitions, echo: Echo = print) -> RunOutcome:
    """Run ``refresh_marts`` now (dbt build -> analytics -> gates -> publication), new data or not.

    For a model or rule change: automation only reacts to new bronze data.
    """
    with prepare_instance(settings) as instance:
        outcome = _execute(defs, instance, "refresh_marts", {"observatoire/trigger": "cli-refresh"})
    for asset, meta in outcome.metadata.items():
        echo(f"  {asset}: {_shown(meta)}")
    echo(f"refresh_marts: {'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s")
    if not outcome.success:
        echo(outcome.failure)
    return outcome


def reset_cli_cursors(dagster_home: Path) -> None:
    """Forget the landing sensors' cursors (the next ``run`` re-checks every file by checksum)."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for spec in feeds().values():
            _set_cursor(instance, SENSOR_CURSOR.format(name=landing_sensor_name(spec)), None)
