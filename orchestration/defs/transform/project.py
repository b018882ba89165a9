"""The dbt project as Dagster sees it; its manifest is (re)built here, before ``dbt_models`` imports.

Kept apart from the ``@dbt_assets`` module: the manifest must exist before that module imports.
"""

from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.core.settings import DBT_PROJECT_DIR
from orchestration.factories.dbt import ensure_dbt_manifest

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest() -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the models (about 5 s)."""
    return ensure_dbt_manifest(dbt_project)


ensure_manifest()
