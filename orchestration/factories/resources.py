"""Dagster resources shared by every definition, and their binding to one lake."""

import os
import sys
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

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


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI, without the dbt adapter it opens in this process before each command.

    dagster-dbt uses that adapter only to fetch row counts and column metadata, which no asset here
    asks for; loading it (dbt's config and adapter modules, the profile, the project) cost about
    2 CPU-seconds per process, a tenth of a new day's dbt step. dbt itself runs as a subprocess.
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        """The installed dbt-core's version, read from its package metadata.

        dagster-dbt runs ``dbt --version`` before each command to tell dbt Core from the Fusion
        engine: a second dbt process per build (about 2 CPU-seconds of imports) that also asks PyPI
        for the latest release over the network (seconds of wall time, and a network call the
        project does not make). The dbt executable is this virtualenv's, so its version is dbt-core's.
        """
        return version.parse(metadata.version("dbt-core"))


def build_resources(project: DbtProject, lake: str | None = None) -> dict[str, dg.ConfigurableResource]:
    """Every resource of the code location, the lake bound to ``lake`` when given."""
    return {
        "observatoire": lake_resource(lake),
        "dbt": DbtCli(project_dir=project, dbt_executable=dbt_executable()),
    }
