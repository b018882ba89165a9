"""One factory turns each partner-feed declaration into an ingest asset, its job and its sensor.

Onboarding a feed = a YAML declaration + a pandera contract + tests; no code copied here.
"""


import json
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.core import lake
from orchestration.core.catalog import FeedSpec, feeds
from orchestration.core.ingest_runs import PARTITIONS_START, in_partitions, pending_deliveries
from orchestration.core.ingestion import bronze_path, ensure_tables, ingest_deliveries, landing_files
from orchestration.factories.resources import ObservatoireResource

PARIS = ZoneInfo("Europe/Paris")
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START.isoformat(), timezone="Europe/Paris", end_offset=1)


def today() -> date:
    return datetime.now(PARIS).date()


def bronze_key(spec: FeedSpec) -> dg.AssetKey:
    return dg.AssetKey(["bronze", spec.name])


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
            elif result.status == "ingested":
                context.log.info(
                    f"{result.file_name}: {result.rows_read} read, {result.rows_written} written, "
                    f"{result.rows_quarantined} quarantined {dict(result.reasons) or ''} {result.message}"
                )
        table = lake.open_table(bronze_path(settings, spec))
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


def build_ingest_job(spec: FeedSpec) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        f"ingest_{spec.name}", selection=[bronze_key(spec)], partitions_def=DAILY, executor_def=dg.in_process_executor
    )


def build_landing_sensor(spec: FeedSpec, job: UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    """Notice new or changed files in ``landing/<feed>/`` and ingest the day range they cover."""

    @dg.sensor(
        name=f"{spec.name}_landing",
        job=job,
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
            tags={ASSET_PARTITION_RANGE_START_TAG: pending.first_day, ASSET_PARTITION_RANGE_END_TAG: pending.last_day},
        )
        return dg.SensorResult(run_requests=[request], cursor=json.dumps(pending.seen, sort_keys=True))

    return landing


@dg.definitions
def ingest() -> dg.Definitions:
    specs = list(feeds().values())
    jobs = {spec.name: build_ingest_job(spec) for spec in specs}
    return dg.Definitions(
        assets=[build_ingest_asset(spec) for spec in specs],
        jobs=list(jobs.values()),
        sensors=[build_landing_sensor(spec, jobs[spec.name]) for spec in specs],
    )
