"""The Dagster code location: everything under ``orchestration/defs/`` (dg layout) plus its resources.

``dagster dev`` loads :func:`defs` (the lake from the ``OBSERVATOIRE_LAKE`` EnvVar, else
``./lake``); the ``observatoire`` CLI calls :func:`build_definitions` with its lake, so the path
is passed to the resources explicitly and never through ``os.environ``.
"""

from pathlib import Path

import dagster as dg

from orchestration.defs.transform.project import dbt_project
from orchestration.factories.resources import build_resources


def build_definitions(lake: Path | str | None = None) -> dg.Definitions:
    """The code location with its resources bound to ``lake`` (``None``: as configured by the environment)."""
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    bound = dg.Definitions(
        resources=build_resources(dbt_project, None if lake is None else str(lake)),
        # Every job in-process, the automation runs included: the graph is sequential
        # (dbt -> gates -> publication) and a process per step re-imports everything (2 cores).
        executor=dg.in_process_executor,
    )
    return dg.Definitions.merge(loaded, bound)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
