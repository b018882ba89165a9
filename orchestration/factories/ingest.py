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
from orchestration.core.ingest_runs import DayRange, delivery_days, in_day_range, pending_deliveries
from orchestration.core.ingestion import bronze_path, ensure_tables, ingest_deliveries, landing_files
from orchestration.factories.resources import ObservatoireResource

# Run tags restricting an ingest run to the deliveries of a day range (``observatoire backfill``).
# Without them a run ingests every pending delivery of the feeds it selects.
FIRST_DAY_TAG = "observatoire/ingest_first_day"
LAST_DAY_TAG = "observatoire/ingest_last_day"

PARIS = ZoneInfo("Europe/Paris")
SHOWN_NOTES = 20  # per-delivery notes quoted in a run's log (all of them are in the ledger)


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


def day_range_tags(first_day: date | str, last_day: date | str) -> dict[str, str]:
    """Tags that restrict an ingest run to the deliveries of ``[first_day, last_day]``."""
    return {FIRST_DAY_TAG: str(first_day), LAST_DAY_TAG: str(last_day)}


def day_range_of(tags: dict[str, str]) -> DayRange | None:
    """The day range a run's tags ask for, or ``None`` (every pending delivery)."""
    if FIRST_DAY_TAG not in tags and LAST_DAY_TAG not in tags:
        return None
    return DayRange(date.fromisoformat(tags[FIRST_DAY_TAG]), date.fromisoformat(tags[LAST_DAY_TAG]))


def build_ingest_asset(spec: FeedSpec) -> dg.AssetsDefinition:
    """Ingest of ``spec``: a run ingests the feed's pending deliveries (or those of a day range).

    Not day-partitioned in Dagster: the bronze Delta table is partitioned by day, but a Dagster
    partition per day made a year's backfill write events per day (365 materialisations, planned
    events and checks per feed). The days a run covered are in its metadata instead.
    """

    @dg.asset(
        key=bronze_key(spec),
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
        days = day_range_of(context.run.tags)
        files = landing_files(settings, spec)
        owned = files if days is None else [p for p in files if in_day_range(p, spec, days, today())]
        totals: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        rejected: list[str] = []
        ingested: list[str] = []
        notes: list[str] = []
        for result in ingest_deliveries(owned, spec, settings):
            totals[result.status] += 1
            totals["rows_read"] += result.rows_read
            totals["rows_written"] += result.rows_written
            totals["rows_quarantined"] += result.rows_quarantined
            totals["rows_out_of_perimeter"] += result.rows_out_of_perimeter
            totals["rows_withdrawn"] += result.rows_withdrawn
            reasons.update(result.reasons)
            if result.status == "ingested":
                ingested.append(result.file_name)
            if result.status == "rejected":
                rejected.append(f"{result.file_name}: {result.message}")
                context.log.warning(f"delivery rejected, kept aside: {result.file_name}: {result.message}")
            elif result.status == "ingested" and result.message:  # a note worth reading (schema change, same content)
                notes.append(f"{result.file_name}: {result.message}")
        # One line for the run, not one per delivery: every log line is an event (a row and a commit)
        # in the instance's storage; the per-delivery figures and notes are in the ledger (meta/deliveries).
        context.log.info(
            f"{totals['ingested']} delivery(ies) ingested: {totals['rows_read']} rows read, {totals['rows_written']} written, "
            f"{totals['rows_quarantined']} quarantined {dict(reasons) or ''}"
        )
        if notes:
            more = f"\n(+{len(notes) - SHOWN_NOTES} more in meta/deliveries)" if len(notes) > SHOWN_NOTES else ""
            context.log.info(f"{len(notes)} note(s):\n" + "\n".join(notes[:SHOWN_NOTES]) + more)
        covered = delivery_days(ingested, spec)
        table = lake.open_table(bronze_path(settings, spec))
        mark_ingested(context, spec.name)
        return dg.MaterializeResult(
            metadata={
                "deliveries_ingested": totals["ingested"],
                "deliveries_rejected": totals["rejected"],
                "deliveries_already_processed": totals["already_processed"],
                "first_day": covered.first.isoformat() if covered else "",
                "last_day": covered.last.isoformat() if covered else "",
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


def build_ingest_job(spec: FeedSpec) -> Any:  # an unresolved asset job (its class is not public)
    """``ingest_<feed>``: the feed's ingest asset, in-process (one step: no process to spawn)."""
    return dg.define_asset_job(ingest_job_name(spec), selection=[bronze_key(spec)], executor_def=dg.in_process_executor)


def build_landing_sensor(spec: FeedSpec) -> dg.SensorDefinition:
    """Notice new or changed files in ``landing/<feed>/`` and request one run ingesting what is pending."""

    @dg.sensor(
        name=landing_sensor_name(spec),
        job_name=ingest_job_name(spec),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"New deliveries in landing/{spec.name}/ -> an ingest run of the feed's pending deliveries.",
    )
    def landing(context: dg.SensorEvaluationContext, observatoire: ObservatoireResource) -> dg.SensorResult | dg.SkipReason:
        settings = observatoire.settings()
        seen = json.loads(context.cursor) if context.cursor else {}
        pending = pending_deliveries(settings, spec, seen, today())
        if not pending.files:
            return dg.SkipReason(f"no new delivery in landing/{spec.name}/")
        # No day range: the run ingests every pending delivery of the feed (these and any newer).
        request = dg.RunRequest(run_key=pending.run_key)
        return dg.SensorResult(run_requests=[request], cursor=json.dumps(pending.seen, sort_keys=True))

    return landing


INGEST_FEEDS_JOB = "ingest_feeds"


def build_ingest_feeds_job(specs: Iterable[FeedSpec]) -> Any:
    """``ingest_feeds``: every feed's ingest asset; a run selects the feeds it ingests.

    ``observatoire run`` ingests the pending deliveries of every feed with it, in one run (not one
    per feed or per day: a Dagster run costs about a second of bookkeeping whatever its size).
    """
    return dg.define_asset_job(INGEST_FEEDS_JOB, selection=[bronze_key(spec) for spec in specs], executor_def=dg.in_process_executor)


def build_ingest_definitions(specs: Iterable[FeedSpec]) -> dg.Definitions:
    """For each feed: its ingest asset, its ``ingest_<feed>`` job and its ``<feed>_landing`` sensor; ``ingest_feeds``; the marker."""
    specs = list(specs)
    return dg.Definitions(
        assets=[*(build_ingest_asset(spec) for spec in specs), ingested_marker_spec()],
        jobs=[*(build_ingest_job(spec) for spec in specs), build_ingest_feeds_job(specs)],
        sensors=[build_landing_sensor(spec) for spec in specs],
    )
