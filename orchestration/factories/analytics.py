"""Python marts: one Dagster multi-asset per use case, an asset ``marts/<name>`` per ``built_by: python`` mart.

The statistics live in ``orchestration/analytics/`` as pure functions; this factory only reads
their inputs from the build database, calls them, and writes each result as ``marts.<name>``, so
the mart goes through the same blocking gate and publication as a dbt mart. The marts of a use
case are one step: their inputs are read once, and what several of them compute from the same
inputs (a fit, the hotspots: ``orchestration.analytics.shared``) is computed once. Each mart stays
an asset of its own (its dependencies, gate, automation condition), and a run that needs only some
of them computes only those (the multi-asset is subsettable). On the cluster profile the mart is a
Delta table of the lake instead (``publishing.python_marts_in_delta``): Python marts of different
use cases then run at once on different workers, each reading the build database read-only (a
shared lock) and none writing it.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.analytics import mart_table, read_relations, resolve, write_mart
from orchestration.core import duck, lake
from orchestration.core.catalog import MartSpec, use_cases
from orchestration.core.publishing import python_mart_path, python_marts_in_delta, read_mart
from orchestration.core.settings import Settings
from orchestration.factories.automation import rebuild_on_upstream_change
from orchestration.factories.gates import validate_in_background, wait_for_warm_up
from orchestration.factories.resources import ObservatoireResource

STEP_PREFIX = "python_marts__"  # the step of a use case's Python marts: ``python_marts__<use_case>``


def _input_key(relation: str) -> dg.AssetKey:
    # "marts.x" / "intermediate.y": the dbt translator keys models by [layer, name] too.
    schema, _, name = relation.partition(".")
    return dg.AssetKey([schema, name])


def mart_key(spec: MartSpec) -> dg.AssetKey:
    """The asset key of a mart: ``marts/<name>``."""
    return dg.AssetKey(["marts", spec.name])


def _spec(spec: MartSpec) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=mart_key(spec),
        deps=[_input_key(rel) for rel in spec.inputs],
        group_name="transform",
        kinds={"python", "duckdb"},
        description=f"{spec.description} (Python: {spec.compute})",
        tags={"use_case": spec.use_case},
        automation_condition=rebuild_on_upstream_change(),
    )


def build_python_marts(use_case: str, specs: list[MartSpec]) -> dg.AssetsDefinition:
    """The step ``python_marts__<use_case>``: the asset ``marts/<name>`` of each mart in ``specs``."""
    assert specs and all(s.compute is not None and s.use_case == use_case for s in specs)
    own = {mart_key(s) for s in specs}
    # One mart reading another of the same step would need an order inside the step: none does.
    assert not any(_input_key(rel) in own for s in specs for rel in s.inputs), f"{use_case}: a Python mart reads another"
    params = use_cases()[use_case].parameters

    @dg.multi_asset(
        name=f"{STEP_PREFIX}{use_case}",
        specs=[_spec(s) for s in specs],
        can_subset=True,
        description=f"Python marts of « {use_case} »: inputs read once, shared results computed once.",
    )
    def python_marts(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> Iterator[dg.MaterializeResult]:
        settings = observatoire.settings()
        wait_for_warm_up()  # its modules may be being imported in the background (the run's warm-up)
        chosen = [s for s in specs if mart_key(s) in context.selected_asset_keys]  # in declaration order
        in_delta = python_marts_in_delta(settings)
        # Embedded: one connection reads the inputs and writes every mart (opening the file is the
        # costly part); cluster: read-only (a shared lock), the marts go to Delta.
        observatoire.release_build_db()  # the run's kept reader: DuckDB lets no writer in beside it
        con = duck.connect(settings.build_db, read_only=in_delta, extensions=())
        try:
            frames = read_relations(settings.build_db, tuple(dict.fromkeys(rel for s in chosen for rel in s.inputs)), con)
            for spec in chosen:
                yield _materialise(context, settings, spec, frames, params, None if in_delta else con)
        finally:
            con.close()

    return python_marts


def _materialise(
    context: dg.AssetExecutionContext, settings: Settings, spec: MartSpec, frames: dict[str, Any], params: Any, con: Any
) -> dg.MaterializeResult:
    """Compute ``spec``'s mart from ``frames`` and write it (``con``: the build database, else its Delta table)."""
    # A copy per mart: a compute may modify its inputs, and each must see them as read.
    inputs = {rel.split(".")[-1]: frames[rel.split(".")[-1]].copy() for rel in spec.inputs}
    frame = resolve(spec.compute)(inputs, params)  # type: ignore[arg-type]
    if con is None:
        table = mart_table(spec.name, frame)
        lake.overwrite(python_mart_path(settings, spec.name), table)
        rows = table.num_rows
    else:
        rows = write_mart(settings.build_db, spec.name, frame, con)
    # Final: read back as its gate will read it, and validated in the background if a process runs.
    reader = None if con is None else lambda: con
    validate_in_background(settings, [spec.name], lambda mart: read_mart(settings, mart, reader=reader))
    context.log.info(f"marts.{spec.name}: {rows} rows from {', '.join(spec.inputs)}")
    return dg.MaterializeResult(
        asset_key=mart_key(spec),
        metadata={
            "dagster/row_count": rows,
            "inputs": dg.MetadataValue.json({k: len(v) for k, v in inputs.items()}),
            "columns": dg.MetadataValue.json(list(frame.columns)),
        },
    )


def build_all_python_marts(specs: list[MartSpec]) -> list[dg.AssetsDefinition]:
    """One :func:`build_python_marts` per use case that declares Python marts."""
    by_use_case: dict[str, list[MartSpec]] = {}
    for spec in specs:
        if spec.built_by == "python":
            by_use_case.setdefault(spec.use_case, []).append(spec)
    return [build_python_marts(uc, group) for uc, group in by_use_case.items()]
