"""When the assets downstream of bronze rebuild: declarative automation, one rule in two variants.

Each transform and publish asset is rebuilt when one of its dependencies was updated (or is
requested on the same tick), or when it newly goes missing; never while it or a dependency is in
progress. That is ``AutomationCondition.eager()`` without two clauses that would freeze this
graph: ``any_deps_missing`` (a feed that never delivered, such as an archive not yet loaded, has
no bronze materialisation, and every asset reading it would wait forever) and
``in_latest_time_window`` (nothing is time-partitioned). The blocking Great Expectations gate of a mart runs in the same run as the mart,
so a failed gate skips its publication steps and fails the run.

Unlike ``eager()``, an asset that is missing is also built by any ingest (of any feed; every
ingest asset materialises the one marker ``ingest/bronze_ingested`` the conditions ask): a fresh
lake is built by its first ingest, marts of feeds that never delivered included (from their
empty bronze tables, as before), and so are models reading only reference files. dbt models
reading the lake's ledgers (written by ingestion and the gates) are rebuilt after every ingest.
The first evaluation (the daemon's first tick, or the CLI's initialisation before its first
ingest) requests nothing: ``serve`` on a built lake starts no rebuild. After a model or rule
change, ``observatoire refresh`` (the ``refresh_marts`` job) rebuilds everything.

The same conditions are evaluated by the daemon (``observatoire serve``, through the automation
sensor below) and in-process by ``observatoire run`` (see ``orchestration.runner``).
"""

import dagster as dg

from orchestration.factories.ingest import INGESTED

# Everything built from bronze: dbt models, Python marts, gates, gold, open data, model cards.
DOWNSTREAM = dg.AssetSelection.groups("transform", "publish")
AUTOMATION_SENSOR = "rebuild_on_new_data"


def rebuild_on_upstream_change(ingested: dg.AssetKey = INGESTED) -> dg.AutomationCondition:
    """Rebuilt after a dependency changed, or by an ingest while missing (see the module docstring)."""
    return _rebuild_when(_upstream_changed() | (dg.AutomationCondition.missing() & _any_ingest(ingested)))


def rebuild_after_every_ingest(ingested: dg.AssetKey = INGESTED) -> dg.AutomationCondition:
    """Also rebuilt after any ingest: for models reading the lake's ledgers, which ingestion writes."""
    return _rebuild_when(_upstream_changed() | _any_ingest(ingested), label="rebuild_after_every_ingest")


def _upstream_changed() -> dg.AutomationCondition:
    return dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()


def _any_ingest(ingested: dg.AssetKey) -> dg.AutomationCondition:
    """True on the evaluation after any ingest: the one marker every ingest asset materialises.

    One key, not an OR over every feed's ingest asset: each ``asset_matches`` is a storage query per
    downstream asset and per evaluation, and the OR made them 91 % of the evaluation's time.
    """
    return dg.AutomationCondition.asset_matches(ingested, dg.AutomationCondition.newly_updated()).with_label("any_ingest")


def _rebuild_when(trigger: dg.AutomationCondition, label: str = "rebuild_on_upstream_change") -> dg.AutomationCondition:
    return (
        trigger.since_last_handled() & ~dg.AutomationCondition.any_deps_in_progress() & ~dg.AutomationCondition.in_progress()
    ).with_label(label)


def build_automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """The daemon's evaluator of the conditions above (``serve``); replaces the old ``bronze_updated`` sensor."""
    return dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=DOWNSTREAM,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Rebuild, gate and publish what is downstream of newly ingested bronze data.",
    )
