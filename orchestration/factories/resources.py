"""Dagster resources shared by every definition, and their binding to one lake."""

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.core.settings import Settings, load_settings


class ObservatoireResource(dg.ConfigurableResource):
    """Gives assets the resolved :class:`Settings`; the key itself never enters run config."""

    # The lake root. The CLI binds it explicitly; under ``dagster dev`` it comes from the
    # OBSERVATOIRE_LAKE environment variable (an EnvVar, visible as such in the UI), else ./lake.
    lake: str | None = None

    def settings(self) -> Settings:
        return load_settings(self.lake)


def lake_resource(lake: str | None) -> ObservatoireResource:
    """The resource for ``lake``; ``None`` means "as configured": ``EnvVar("OBSERVATOIRE_LAKE")`` if set."""
    if lake is not None:
        return ObservatoireResource(lake=lake)
    return ObservatoireResource(lake=dg.EnvVar("OBSERVATOIRE_LAKE")) if os.environ.get("OBSERVATOIRE_LAKE") else ObservatoireResource()


def dbt_executable() -> str:
    """The dbt of this virtualenv, so nothing depends on PATH."""
    return str(Path(sys.executable).with_name("dbt"))


def build_resources(project: DbtProject, lake: str | None = None) -> dict[str, dg.ConfigurableResource]:
    """Every resource of the code location, the lake bound to ``lake`` when given."""
    return {
        "observatoire": lake_resource(lake),
        "dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable()),
    }
