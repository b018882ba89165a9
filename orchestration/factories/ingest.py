"""One factory turns each partner-feed declaration into an ingest asset, its job and its sensor.

Onboarding a feed = a YAML declaration + a pandera contract + tests; no code copied here.
"""

import json
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.core import lake
from orchestration.core.catalog import FeedSpec
from orchestration.core.ingest_runs import PARTITIONS_START, in_partitions, pending_deliveries
from orchestration.core.ingestion import bronze_path, ensure_tables, ingest_deliveries, landing_files
from orchestration.factories.resources import ObservatoireResource

# Dagster's documented run tags for a single run over a partition range (single-run backfills).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

PARIS = ZoneInfo("Europe/Paris")
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START.isoformat(), timezone="Europe/Paris", end_offset=1)


def today() -> date:
    """Today in the city's time zone (deliveries are dated in local time)."""
    return datetime.now(PARIS).date()


def bronze_key(spec: FeedSpec) -> dg.AssetKey:
    """``bronze/<feed>``: the key of the feed's ingest asset (and of the dbt source)."""
    return dg.AssetKey(["bronze", spec.name])


# One marker for "some feed was ingested": automation conditions ask this single key instead of
# OR-ing every feed's ingest asset (one storage query per key and per downstream asset).
INGESTED = dg.AssetKey(["ingest", "bronze_ingested"])


def ingested_marker_spec(key: dg.AssetKey = INGESTED) -> dg.AssetSpec:
    """The marker asset: materialised by every ingest run (never built by Dagster itself)."""
    return dg.AssetSpec(
        key,
        group_name="ingest",
        description="Marker materialised by every ingest of a feed: what downstream automation reacts to.",
    )


def mark_ingested(context: dg.AssetExecutionContext, feed: str, key: dg.AssetKey = INGESTED) -> None:
    """Record the marker's materialisation from an ingest asset (one event, in the same run)."""
    context.log_event(dg.AssetMaterialization(asset_key=key, metadata={"feed": feed}))


def build_ingest_asset(spec: FeedSpec) -> dg.AssetsDefinition:
    """Daily-partitioned ingest of ``spec``: a run over a day range ingests that range's deliveries."""

    @dg.asset(
        key=bronze_key(spec),
        partitions_def=DAILY,
        backfill_policy=dg.BackfillPolicy.single_run(),  # a backfill of N days is one run, not N
        group_name="ingest",
        kinds={"deltalake", "pandas"},
        description=f"{spec.title} ({spec.owner}). {spec.description}",
        metadata={
            "owner": spec.owner,
            "legal_basis": spec.legal_basis,
            "natural_key": ", ".join(spec.natural_key),
            "freshness_sla_hours": spec.delivery.freshness_sla_hours or "none (archive)",
            "privacy": dg.MetadataValue.json({c.name: c.privacy for c in spec.columns}),
        },
        check_specs=[dg.AssetCheckSpec("no_rejected_delivery", asset=bronze_key(spec))],
        pool="delta_writes",
    )
    def ingest(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        settings = observatoire.settings()
        ensure_tables(settings, spec)
        keys = set(context.partition_keys)
        owned = [p for p in landing_files(settings, spec) if in_partitions(p, spec, keys, today())]
        totals: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        rejected: list[str] = []
        for result in ingest_deliveries(owned, spec, settings):
            totals[result.status] += 1
            totals["rows_read"] += result.rows_read
            totals["rows_written"] += result.rows_written
            totals["rows_quarantined"] += result.rows_quarantined
            totals["rows_out_of_perimeter"] += result.rows_out_of_perimeter
            totals["rows_withdrawn"] += result.rows_withdrawn
            reasons.update(result.reasons)
            if result.status == "rejected":
                rejected.append(f"{result.file_name}: {result.message}")
                context.log.warning(f"delivery rejected, kept aside: {result.file_name}: {result.message}")
            elif result.status == "ingested" and result.message:  # a note worth reading (schema change, same content)
                context.log.info(f"{result.file_name}: {result.message}")
        # One line for the run, not one per delivery: every log line is an event (a row and a commit)
        # in the instance's storage; the per-delivery figures are in the ledger (meta/deliveries).
        context.log.info(
            f"{totals['ingested']} delivery(ies) ingested: {totals['rows_read']} rows read, {totals['rows_written']} written, "
            f"{totals['rows_quarantined']} quarantined {dict(reasons) or ''}"
        )
        table = lake.open_table(bronze_path(settings, spec))
        mark_ingested(context, spec.name)
        return dg.MaterializeResult(
            metadata={
                "deliveries_ingested": totals["ingested"],
                "deliveries_rejected": totals["rejected"],
                "deliveries_already_processed": totals["already_processed"],
                "rows_read": totals["rows_read"],
                "rows_written": totals["rows_written"],
                "rows_quarantined": totals["rows_quarantined"],
                "rows_out_of_perimeter": totals["rows_out_of_perimeter"],
                "rows_withdrawn": totals["rows_withdrawn"],
                "quarantine_reasons": dg.MetadataValue.json(dict(reasons)),
                "bronze_version": table.version() if table else -1,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="no_rejected_delivery",
                    passed=not rejected,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"rejected": dg.MetadataValue.json(rejected)},
                )
            ],
        )

    return ingest


def ingest_job_name(spec: FeedSpec) -> str:
    """``ingest_<feed>``: the job the landing sensor and ``observatoire backfill`` run."""
    return f"ingest_{spec.name}"


def landing_sensor_name(spec: FeedSpec) -> str:
    """``<feed>_landing``: the sensor watching ``landing/<feed>/``."""
    return f"{spec.name}_landing"


def partition_range_tags(first_day: str, last_day: str) -> dict[str, str]:
    """Tags that make one run of a partitioned asset job cover ``[first_day, last_day]``."""
    return {PARTITION_RANGE_START_TAG: first_day, PARTITION_RANGE_END_TAG: last_day}


def build_ingest_job(spec: FeedSpec) -> Any:  # an unresolved asset job (its class is not public)
    """``ingest_<feed>``: the feed's ingest asset, in-process (one step: no process to spawn)."""
    return dg.define_asset_job(
        ingest_job_name(spec), selection=[bronze_key(spec)], partitions_def=DAILY, executor_def=dg.in_process_executor
    )


def build_landing_sensor(spec: FeedSpec) -> dg.SensorDefinition:
    """Notice new or changed files in ``landing/<feed>/`` and ingest the day range they cover."""

    @dg.sensor(
        name=landing_sensor_name(spec),
        job_name=ingest_job_name(spec),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"New deliveries in landing/{spec.name}/ -> ingest run over their days.",
    )
    def landing(context: dg.SensorEvaluationContext, observatoire: ObservatoireResource) -> dg.SensorResult | dg.SkipReason:
        settings = observatoire.settings()
        seen = json.loads(context.cursor) if context.cursor else {}
        pending = pending_deliveries(settings, spec, seen, today())
        if not pending.files:
            return dg.SkipReason(f"no new delivery in landing/{spec.name}/")
        request = dg.RunRequest(
            run_key=pending.run_key,
            tags=partition_range_tags(pending.first_day, pending.last_day),
        )
        return dg.SensorResult(run_requests=[request], cursor=json.dumps(pending.seen, sort_keys=True))

    return landing


INGEST_FEEDS_JOB = "ingest_feeds"


def build_ingest_feeds_job(specs: Iterable[FeedSpec]) -> Any:
    """``ingest_feeds``: several feeds' ingest assets over one day range, in one run.

    ``observatoire run`` ingests a day's deliveries of every feed with it (one run, not one per
    feed: a Dagster run costs about a second of bookkeeping whatever its size).
    """
    return dg.define_asset_job(
        INGEST_FEEDS_JOB, selection=[bronze_key(spec) for spec in specs], partitions_def=DAILY, executor_def=dg.in_process_executor
    )


def build_ingest_definitions(specs: Iterable[FeedSpec]) -> dg.Definitions:
    """For each feed: its ingest asset, its ``ingest_<feed>`` job and its ``<feed>_landing`` sensor; ``ingest_feeds``; the marker."""
    specs = list(specs)
    return dg.Definitions(
        assets=[*(build_ingest_asset(spec) for spec in specs), ingested_marker_spec()],
        jobs=[*(build_ingest_job(spec) for spec in specs), build_ingest_feeds_job(specs)],
        sensors=[build_landing_sensor(spec) for spec in specs],
    )
