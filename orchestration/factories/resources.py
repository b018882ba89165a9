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
from pydantic import PrivateAttr

from orchestration.core.settings import Settings, load_settings


class ObservatoireResource(dg.ConfigurableResource):
    """Gives assets the resolved :class:`Settings`; the key itself never enters run config.

    It also keeps one read-only connection to the build database for the run's reads of marts
    (:meth:`build_db_reader`), closed when the run ends or before anything writes that database.
    """

    # The lake root. The CLI binds it explicitly; under ``dagster dev`` it comes from the
    # OBSERVATOIRE_LAKE environment variable (an EnvVar, visible as such in the UI), else ./lake.
    lake: str | None = None
    _build_db_reader: Any = PrivateAttr(default=None)

    def settings(self) -> Settings:
        return load_settings(self.lake)

    def build_db_reader(self) -> Any:
        """A read-only DuckDB connection to the build database, kept open for the next reads of this run.

        Opening the file is most of the cost of reading a small mart (about 30 ms: DuckDB loads
        the catalogue of every model each time), and a new day's gates read 33 marts one after
        the other. In-process execution initialises the resource once per run, so the steps of a
        run share it; it is closed when the run ends (:meth:`teardown_after_execution`).
        """
        if self._build_db_reader is None:
            from orchestration.core import duck

            self._build_db_reader = duck.connect(self.settings().build_db, read_only=True, extensions=())
        return self._build_db_reader

    def release_build_db(self) -> None:
        """Close the kept reader: called before anything writes the build database.

        DuckDB refuses a writer while it is open: in this process, a read-write connection to the
        same file ("different configuration"); in another, dbt's (the file's lock).
        """
        reader, self._build_db_reader = self._build_db_reader, None
        if reader is not None:
            reader.close()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.release_build_db()


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
