"""Python marts: one Dagster asset per ``built_by: python`` mart, downstream of the dbt models it reads.

The statistics live in ``orchestration/analytics/`` as pure functions; this factory only reads
their inputs from the build database, calls them, and writes the result as ``marts.<name>``, so
the mart goes through the same blocking gate and publication as a dbt mart. On the cluster profile
the mart is a Delta table of the lake instead (``publishing.python_marts_in_delta``): Python marts
of different use cases then run at once on different workers, each reading the build database
read-only (a shared lock) and none writing it.
"""

import dagster as dg

from orchestration.analytics import mart_table, read_relations, resolve, write_mart
from orchestration.core import lake
from orchestration.core.catalog import MartSpec, use_cases
from orchestration.core.publishing import python_mart_path, python_marts_in_delta
from orchestration.factories.automation import rebuild_on_upstream_change
from orchestration.factories.resources import ObservatoireResource


def _input_key(relation: str) -> dg.AssetKey:
    # "marts.x" / "intermediate.y": the dbt translator keys models by [layer, name] too.
    schema, _, name = relation.partition(".")
    return dg.AssetKey([schema, name])


def build_python_mart(spec: MartSpec) -> dg.AssetsDefinition:
    """The asset ``marts/<name>`` that runs ``spec.compute`` on ``spec.inputs``."""
    assert spec.compute is not None
    params = use_cases()[spec.use_case].parameters

    @dg.asset(
        key=["marts", spec.name],
        deps=[_input_key(rel) for rel in spec.inputs],
        group_name="transform",
        kinds={"python", "duckdb"},
        description=f"{spec.description} (Python: {spec.compute})",
        owners=None,
        tags={"use_case": spec.use_case},
        automation_condition=rebuild_on_upstream_change(),
    )
    def python_mart(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        settings = observatoire.settings()
        inputs = read_relations(settings.build_db, spec.inputs)
        frame = resolve(spec.compute)(inputs, params)  # type: ignore[arg-type]
        if python_marts_in_delta(settings):
            table = mart_table(spec.name, frame)
            lake.overwrite(python_mart_path(settings, spec.name), table)
            rows = table.num_rows
        else:
            rows = write_mart(settings.build_db, spec.name, frame)
        context.log.info(f"marts.{spec.name}: {rows} rows from {', '.join(spec.inputs)}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "inputs": dg.MetadataValue.json({k: len(v) for k, v in inputs.items()}),
                "columns": dg.MetadataValue.json(list(frame.columns)),
            }
        )

    return python_mart
