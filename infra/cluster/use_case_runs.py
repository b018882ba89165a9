"""Several use cases' downstream steps at once on Celery workers, and the same steps in one process.

The downstream graph of a set of use cases splits in two: the ``dbt_models`` step (one ``dbt
build`` writing DuckDB's build database: it runs alone, before everything it feeds) and what comes
after it: the Python marts, every mart's blocking gate and its gold table. After dbt, none of these
writes the build database (Python marts are Delta tables on the cluster profile,
``publishing.python_marts_in_delta``), so they run side by side on different workers, each reading
the build database read-only (a lock DuckDB shares between processes).

Used by ``tests/cluster/test_parallel_use_cases.py`` and, to measure 1 against 2 workers,
``python -m infra.cluster.use_case_runs`` (servers on loopback, a tiny lake, prints wall and CPU).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.core.catalog import feeds, marts
from orchestration.core.ingestion import ensure_tables, ingest_deliveries, landing_files
from orchestration.core.settings import Settings

# Two use cases with Python marts, few feeds and no clock in their outputs (sante_observatoire's
# freshness mart is dated "now", so two runs never agree on it).
USE_CASES = ("signaux_faibles", "abords_scolaires")
DBT_STEP = "dbt_models"
# A part of the dbt project on a fresh lake: run only the dbt tests whose every parent is selected
# (dbt's default, eager, also runs relationship tests from models that were never built).
INDIRECT_SELECTION = "cautious"


GATE = "great_expectations_gate"  # the name of every mart's blocking check (orchestration/factories/gates.py)
AFTER_DBT_JOB = "use_cases_after_dbt_on_celery"


@dataclass(frozen=True)
class UseCaseSelection:
    """The assets of ``use_cases`` downstream of bronze, split at the dbt step."""

    feeds: tuple[str, ...]  # the feeds their models read
    dbt: tuple[dg.AssetKey, ...]  # dbt models upstream of their marts (one ``dbt build``, dbt tests included)
    after_dbt: tuple[dg.AssetKey, ...]  # their Python marts and their gold tables
    gates: tuple[dg.AssetCheckKey, ...]  # every mart's blocking gate (a dbt mart's gate runs after the dbt step)

    def dbt_only(self) -> dg.AssetSelection:
        """The dbt step alone: its models and dbt tests, not the gates of the dbt marts."""
        return dg.AssetSelection.assets(*self.dbt) - dg.AssetSelection.checks(*self.gates)

    def after_dbt_only(self) -> dg.AssetSelection:
        """What runs after the dbt step: Python marts, every gate, gold (no dbt test: they are the dbt step's)."""
        return dg.AssetSelection.assets(*self.after_dbt) | dg.AssetSelection.checks(*self.gates)

    def everything(self) -> dg.AssetSelection:
        return dg.AssetSelection.assets(*self.dbt, *self.after_dbt)


def mart_names(use_cases: tuple[str, ...]) -> list[str]:
    """Every declared mart of ``use_cases``."""
    return sorted(name for name, spec in marts().items() if spec.use_case in use_cases)


def select(defs: dg.Definitions, use_cases: tuple[str, ...] = USE_CASES) -> UseCaseSelection:
    """The feeds, dbt models and after-dbt assets (marts, gold) of ``use_cases`` in ``defs``."""
    graph = defs.resolve_asset_graph()
    names = mart_names(use_cases)
    mart_keys = [dg.AssetKey(["marts", name]) for name in names]
    upstream = dg.AssetSelection.assets(*mart_keys).upstream().resolve(graph)
    by_feed = {("bronze", spec.name): spec.name for spec in feeds().values()}
    feed_names = tuple(sorted(by_feed[tuple(k.path)] for k in upstream if tuple(k.path) in by_feed))
    dbt_keys = tuple(sorted(k for k in upstream if graph.get(k).is_executable and _is_dbt(defs, k)))
    python = {dg.AssetKey(["marts", n]) for n in names if marts()[n].built_by == "python"}
    gold = [dg.AssetKey(["gold", n]) for n in names if marts()[n].published and graph.has(dg.AssetKey(["gold", n]))]
    gates = tuple(k for k in (dg.AssetCheckKey(m, GATE) for m in mart_keys) if k in graph.asset_check_keys)
    return UseCaseSelection(feed_names, dbt_keys, tuple(sorted(python)) + tuple(gold), gates)


def _is_dbt(defs: dg.Definitions, key: dg.AssetKey) -> bool:
    return defs.get_assets_def(key).op.name == DBT_STEP


def ingest(settings: Settings, feed_names: tuple[str, ...]) -> None:
    """Ingest every delivery of ``feed_names`` waiting in landing (in this process)."""
    for name in feed_names:
        spec = feeds()[name]
        ensure_tables(settings, spec)
        ingest_deliveries(landing_files(settings, spec), spec, settings)


def run_in_process(
    defs: dg.Definitions, instance: dg.DagsterInstance, selection: dg.AssetSelection, name: str
) -> dg.ExecuteInProcessResult:
    """Materialise ``selection`` in this process, one step at a time (the embedded way)."""
    job = dg.define_asset_job(name, selection=selection, executor_def=dg.in_process_executor)
    resolved = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(name)
    return resolved.execute_in_process(instance=instance, raise_on_error=False)


def celery_after_dbt_job() -> Any:
    """The after-dbt steps of :data:`USE_CASES` in one job on the Celery executor.

    Module level and argument-free: the run process and every worker rebuild it
    (``dg.reconstructable``); the lake comes from ``OBSERVATOIRE_LAKE``.
    """
    from infra.cluster.celery_executor import celery_executor
    from orchestration.definitions import build_definitions

    base = build_definitions(os.environ["OBSERVATOIRE_LAKE"])
    job = dg.define_asset_job(AFTER_DBT_JOB, selection=select(base).after_dbt_only(), executor_def=celery_executor())
    return dg.Definitions.merge(base, dg.Definitions(jobs=[job])).resolve_job_def(AFTER_DBT_JOB)


def run_after_dbt_on_celery(instance: dg.DagsterInstance, tags: dict[str, str] | None = None) -> dg.ExecutionResult:
    """Run :func:`celery_after_dbt_job` (its steps on whichever Celery workers take them)."""
    return dg.execute_job(dg.reconstructable(celery_after_dbt_job), instance=instance, tags=tags or {}, raise_on_error=False)


@dataclass(frozen=True)
class StepSpan:
    step: str
    start: float
    end: float
    worker: str


def step_spans(instance: dg.DagsterInstance, run_id: str) -> dict[str, StepSpan]:
    """Each step's start and success timestamps and the Celery worker that ran it (from the run's events)."""
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    workers: dict[str, str] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            ends[entry.step_key] = entry.timestamp
        elif event.is_engine_event and "Celery worker" in event.engine_event_data.metadata:
            workers[entry.step_key] = str(event.engine_event_data.metadata["Celery worker"].value)
    return {k: StepSpan(k, starts[k], ends[k], workers.get(k, "")) for k in starts if k in ends}


def use_case_of_step(step: str, use_cases: tuple[str, ...] = USE_CASES) -> str | None:
    """The use case whose mart a step builds, gates or publishes (``marts__x``, ``gold__x``, ``marts__x_great_expectations_gate``,
    ``python_marts__<use case>``: the step of a use case's Python marts)."""
    if step.startswith("python_marts__"):
        return step.removeprefix("python_marts__") if step.removeprefix("python_marts__") in use_cases else None
    owners = {name: marts()[name].use_case for name in mart_names(use_cases)}
    for name in sorted(owners, key=len, reverse=True):  # longest first: no mart name is a prefix of a longer one's step
        if step in (f"marts__{name}", f"gold__{name}") or step.startswith(f"marts__{name}_great_expectations_gate"):
            return owners[name]
    return None


def overlapping_pairs(spans: dict[str, StepSpan], use_cases: tuple[str, ...] = USE_CASES) -> list[tuple[StepSpan, StepSpan]]:
    """Pairs of steps of two different use cases that ran at the same time on different workers."""
    owned = [(use_case_of_step(s.step, use_cases), s) for s in spans.values()]
    owned = [(u, s) for u, s in owned if u is not None]
    return [
        (a, b)
        for i, (ua, a) in enumerate(owned)
        for ub, b in owned[i + 1 :]
        if ua != ub and a.worker != b.worker and a.start < b.end and b.start < a.end
    ]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and of its children it has waited for (``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def forget_verdicts(settings: Settings) -> None:
    """Remove gate verdicts and publication manifests, so a measured run validates and publishes again."""
    shutil.rmtree(settings.quality, ignore_errors=True)
    shutil.rmtree(settings.gold / "_publications", ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Measurement: the after-dbt steps with 1 and with 2 workers on the same lake


def measure(days: int, scale: float, workers: tuple[int, ...]) -> list[dict[str, Any]]:
    """Build a tiny cluster lake (loopback servers), then time the after-dbt run on each worker count."""
    from infra.cluster.celery_executor import BROKER_VARIABLE
    from infra.cluster.celery_workers import celery_workers
    from infra.cluster.postgres import start_postgres
    from infra.cluster.redis import start_redis
    from infra.cluster.seaweed import start_seaweed
    from orchestration.core.settings import load_settings
    from orchestration.definitions import build_definitions
    from orchestration.runner import prepare_instance
    from simulator import simulate

    figures = []
    with tempfile.TemporaryDirectory(prefix="use-case-runs-") as scratch:
        root = Path(scratch) / "lake"
        s3, pg, broker = start_seaweed(), start_postgres(), start_redis()
        try:
            env = {
                **s3.environ("measure"),
                "OBSERVATOIRE_DAGSTER_PG_URL": pg.url,
                "OBSERVATOIRE_LAKE": str(root),
                BROKER_VARIABLE: broker.url,
            }
            os.environ.update(env)
            os.environ["DBT_INDIRECT_SELECTION"] = INDIRECT_SELECTION
            settings = load_settings(root)
            defs = build_definitions(root)
            chosen = select(defs)
            simulate(root / "landing", start=date(2026, 3, 2), days=days, seed=7, scale=scale, feeds=list(chosen.feeds))
            ingest(settings, chosen.feeds)
            with prepare_instance(settings) as instance:
                assert run_in_process(defs, instance, chosen.dbt_only(), "dbt_only").success
                for count in workers:
                    forget_verdicts(settings)
                    with celery_workers(env, count=count, logs=Path(scratch)) as pool:
                        before = sum(process_cpu_seconds(pid) for pid in pool.pids)
                        started, cpu0 = time.perf_counter(), time.process_time()
                        result = run_after_dbt_on_celery(instance)
                        wall = time.perf_counter() - started
                        cpu = time.process_time() - cpu0 + sum(process_cpu_seconds(pid) for pid in pool.pids) - before
                    spans = step_spans(instance, result.run_id)
                    figures.append(
                        {
                            "workers": count,
                            "success": result.success,
                            "steps": len(spans),
                            "wall_s": round(wall, 1),
                            "cpu_s": round(cpu, 1),
                            "overlapping_pairs": len(overlapping_pairs(spans)),
                        }
                    )
                    print(figures[-1], flush=True)
        finally:
            broker.stop()
            pg.stop()
            s3.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    measure(args.days, args.scale, tuple(args.workers))


if __name__ == "__main__":
    main()
