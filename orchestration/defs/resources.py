"""Resources for the whole code location."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.transform.project import dbt_executable, dbt_project
from orchestration.factories.resources import ObservatoireResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "observatoire": ObservatoireResource(),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        }
    )
