"""dbt models as Dagster assets: staging and marts, built with ``dbt build`` (models + tests)."""


import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.core.catalog import feeds
from orchestration.defs.transform.project import dbt_env, dbt_project
from orchestration.core.governance import ensure_gate_log
from orchestration.core.ingestion import ensure_tables
from orchestration.factories.resources import ObservatoireResource


class ObservatoireTranslator(DagsterDbtTranslator):
    """Asset keys follow the layers: ``staging/<model>``, ``marts/<model>``; sources are ``bronze/<feed>``."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            layer = dbt_resource_props["fqn"][1]
            return dg.AssetKey([layer, dbt_resource_props["name"]])
        if dbt_resource_props["resource_type"] == "source":
            # bronze.<feed> is written by that feed's ingest asset; observatoire.<table> are the
            # lake's own ledgers (meta/, quarantine/), written by ingestion and the gates.
            if dbt_resource_props["source_name"] == "bronze":
                return dg.AssetKey(["bronze", dbt_resource_props["name"]])
            return dg.AssetKey(["meta", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transform"


TRANSLATOR = ObservatoireTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, observatoire: ObservatoireResource) -> Iterator[Any]:
    """Build every selected model and run its dbt tests against the bronze Delta tables."""
    settings = observatoire.settings()
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    # Every declared feed has a bronze table, empty if it never delivered, so staging can read it.
    for spec in feeds().values():
        ensure_tables(settings, spec)
    ensure_gate_log(settings)  # read by the observatory-health staging
    # dbt runs as a subprocess that inherits this environment (profile path, lake root).
    os.environ.update(dbt_env(settings))
    yield from dbt.cli(["build"], context=context).stream()
