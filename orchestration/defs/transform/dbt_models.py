"""dbt models as Dagster assets: staging, intermediate and marts, built with ``dbt build``."""

from orchestration.defs.transform.project import dbt_project
from orchestration.factories.dbt import build_dbt_models

dbt_models = build_dbt_models(dbt_project)
