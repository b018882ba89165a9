"""Publication assets: gold Delta per mart, open-data export per declared dataset, its catalogue and register."""

import dagster as dg
import pyarrow as pa

from orchestration.core import lake
from orchestration.core.catalog import MartSpec, OpenDataset, marts, use_cases
from orchestration.core.publishing import gold_path, model_card_path, publish_gold, publish_model_card, read_mart
from orchestration.core.verdicts import GateResult, fingerprint, load_latest
from orchestration.factories.automation import rebuild_on_upstream_change
from orchestration.factories.resources import ObservatoireResource


class GateNotPassed(dg.Failure):
    """Publication refused: the data differs from what passed the gate, or the gate failed."""


def _passed_gate_for(settings_quality: object, mart: str, frame_fingerprint: str) -> GateResult:
    gate = load_latest(mart, settings_quality)  # type: ignore[arg-type]
    if gate is None or not gate.success:
        raise GateNotPassed(description=f"{mart}: the quality gate has not passed; nothing is published.")
    if gate.fingerprint != frame_fingerprint:
        raise GateNotPassed(
            description=f"{mart}: the mart changed since the gate validated it "
            f"({gate.fingerprint} != {frame_fingerprint}); run the gate again before publishing."
        )
    return gate


def build_gold(spec: MartSpec) -> dg.AssetsDefinition:
    """``gold/<mart>``: the mart's published Delta copy, written only if the gate passed on these rows."""
    mart, publication = spec.name, spec.publication

    @dg.asset(
        key=["gold", mart],
        automation_condition=rebuild_on_upstream_change(),
        deps=[dg.AssetKey(["marts", mart])],
        group_name="publish",
        kinds={"deltalake"},
        description=f"Published copy of marts.{mart} for city services ({publication}); written only "
        "when the Great Expectations gate passed on exactly these rows.",
    )
    def gold(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        settings = observatoire.settings()
        frame = read_mart(settings, mart, reader=observatoire.build_db_reader)
        gate = _passed_gate_for(settings.quality, mart, fingerprint(frame))
        manifest = publish_gold(settings, mart, pa.Table.from_pandas(frame, preserve_index=False), gate)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": manifest["rows"],
                "delta_version": manifest["delta_version"],
                "unchanged": manifest.get("unchanged", False),
                "data_window": dg.MetadataValue.json(manifest["data_window"]),
                "path": dg.MetadataValue.path(str(gold_path(settings, mart))),
            }
        )

    return gold


def _source_marts(dataset: OpenDataset) -> list[str]:
    """The gold marts an open dataset reads: its own first, then the one it joins and the one holding its nests' totals."""
    spec = dataset.table
    others = [m.mart for m in (spec.join, spec.nested_in) if m is not None] if spec else []
    return [dataset.from_mart, *dict.fromkeys(others)]


# A refused release is a verdict, not a failure (refusals.py): shown as this check, failed, warning.
NOT_REFUSED_CHECK = "release_not_refused"


def build_open_data(dataset: OpenDataset) -> dg.AssetsDefinition:
    """``open_data/<dataset>``: the generalised, suppressed open-data export of a gold mart."""
    key = open_data_key(dataset)

    @dg.asset(
        key=key,
        automation_condition=rebuild_on_upstream_change(),
        deps=[dg.AssetKey(["gold", m]) for m in _source_marts(dataset)],
        group_name="publish",
        kinds={"csv", "parquet"},
        description=f"{dataset.title}: open-data export (CSV, Parquet, datapackage.json) after "
        "generalisation and minimum-count suppression.",
        check_specs=[
            dg.AssetCheckSpec(
                NOT_REFUSED_CHECK, asset=key,
                description="The last attempt published its release, or had nothing new to publish; a release "
                "refused by disclosure control is recorded (restricted) and fails this check as a warning.",
            )
        ],
    )
    def open_data(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        # Disclosure control (scipy) only when a release is published, not with every definitions load.
        from orchestration.core.disclosure import DisclosureError
        from orchestration.core.opendata.publish import publish_open_dataset
        from orchestration.core.opendata.refusals import record_refusal

        settings = observatoire.settings()
        mart = lake.read(gold_path(settings, dataset.from_mart)).to_pandas()
        gate = load_latest(dataset.from_mart, settings.quality)
        if gate is None or not gate.success:
            raise GateNotPassed(description=f"{dataset.from_mart}: gate not passed; open data not refreshed.")
        others = {m: lake.read(gold_path(settings, m)).to_pandas() for m in _source_marts(dataset)[1:]}
        try:
            package = publish_open_dataset(settings, dataset, mart, gate, others)
        except DisclosureError as error:
            # The same data would be refused again: record it and carry on (nothing was written).
            refusal = record_refusal(settings.quality, dataset.dataset, error.release, str(error))
            context.log.warning(f"release {refusal.release} refused by disclosure control, nothing published: {refusal.reason}")
            return dg.MaterializeResult(
                metadata={"refused": refusal.release or "", "unchanged": True, "path": dg.MetadataValue.path(str(settings.open_data / dataset.dataset))},
                check_results=[
                    dg.AssetCheckResult(
                        check_name=NOT_REFUSED_CHECK, passed=False, severity=dg.AssetCheckSeverity.WARN,
                        metadata={"release": refusal.release or "", "reason": refusal.reason, "refused_at": refusal.refused_at},
                    )
                ],
            )
        disclosure = package["disclosure"]
        return dg.MaterializeResult(
            metadata={
                "cells": disclosure["cells"],
                "primary_suppressed": disclosure["primary_suppressed"],
                "secondary_suppressed": disclosure["secondary_suppressed"],
                "k_min": disclosure["k_min"],
                "unchanged": package.get("unchanged", False),
                "path": dg.MetadataValue.path(str(settings.open_data / dataset.dataset)),
            },
            check_results=[dg.AssetCheckResult(check_name=NOT_REFUSED_CHECK, passed=True)],
        )

    return open_data


CATALOGUE_KEY = dg.AssetKey(["open_data", "catalogue_dcat"])
REGISTER_KEY = dg.AssetKey(["open_data", "registre_des_traitements"])


def open_data_key(dataset: OpenDataset) -> dg.AssetKey:
    """The asset key of one open dataset's releases."""
    return dg.AssetKey(["open_data", dataset.dataset.replace("-", "_")])


def _after_any_release(release_keys: list[dg.AssetKey]) -> dg.AutomationCondition:
    """Rebuilt after any open dataset's asset materialised, or when missing; never while one runs.

    Deliberately no dependency edge: in one run, a failed release step (a gate not passed) would
    skip a downstream step and leave the catalogue stale for every other dataset. Rebuilt on the next
    evaluation instead, from whatever ``latest`` points at.
    """
    updated = [dg.AutomationCondition.asset_matches(k, dg.AutomationCondition.newly_updated()) for k in release_keys]
    running = [dg.AutomationCondition.asset_matches(k, dg.AutomationCondition.in_progress()) for k in release_keys]
    trigger, busy = updated[0], running[0]
    for more, also in zip(updated[1:], running[1:], strict=True):
        trigger, busy = trigger | more, busy | also
    return (
        (trigger | dg.AutomationCondition.newly_missing()).since_last_handled() & ~busy & ~dg.AutomationCondition.in_progress()
    ).with_label("after_any_open_data_release")


def build_catalogue_assets(datasets: list[OpenDataset]) -> list[dg.AssetsDefinition]:
    """``open_data/catalogue_dcat`` (DCAT-AP, Turtle + JSON-LD) and ``open_data/registre_des_traitements``."""
    condition = _after_any_release([open_data_key(d) for d in datasets])
    read = ", ".join(d.dataset for d in datasets)

    @dg.asset(
        key=CATALOGUE_KEY, automation_condition=condition, group_name="publish", kinds={"rdf"},
        description="DCAT-AP catalogue of the open data (catalogue.ttl, catalogue.jsonld): one dataset per declaration, "
        f"one distribution per file of its latest release. Reads the releases of: {read}.",
    )
    def catalogue_dcat(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        from orchestration.core.dcat import write_catalogue  # rdflib: only when the asset runs

        settings = observatoire.settings()
        written = write_catalogue(settings.open_data, force=False)
        return dg.MaterializeResult(metadata={
            "unchanged": written["unchanged"],
            "path": dg.MetadataValue.path(str(written["turtle"])),
        })

    @dg.asset(
        key=REGISTER_KEY, automation_condition=condition, group_name="publish", kinds={"json", "markdown"},
        description="Register of processing (GDPR art. 30), generated from the feed and use-case declarations; "
        "each release's disclosure.json cites its entry.",
    )
    def registre_des_traitements(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        from orchestration.core.register import write_register

        paths = write_register(observatoire.settings().open_data)
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(paths["json"]))})

    return [catalogue_dcat, registre_des_traitements]


def build_model_card(use_case: str) -> dg.AssetsDefinition:
    """The use case's model card, after every one of its published marts reached gold."""
    uc = use_cases()[use_case]

    @dg.asset(
        key=["model_cards", use_case],
        automation_condition=rebuild_on_upstream_change(),
        deps=[dg.AssetKey(["gold", m.name]) for m in uc.marts if m.published],
        group_name="publish",
        kinds={"json"},
        description=f"Model card of « {uc.title} »: method, data windows, gate verdicts, fit quality, limits.",
    )
    def model_card(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        settings = observatoire.settings()
        card = publish_model_card(settings, use_case)
        return dg.MaterializeResult(
            metadata={
                "fit_quality_rows": len(card["fit_quality"]),
                "unchanged": card.get("unchanged", False),
                "path": dg.MetadataValue.path(str(model_card_path(settings, use_case))),
            }
        )

    return model_card


def build_publication_assets() -> list[dg.AssetsDefinition]:
    """Gold per published mart, open data per declared dataset, a model card per use case that publishes."""
    assets: list[dg.AssetsDefinition] = []
    # Internal marts are gated but stay in the build database: only the others reach gold.
    assets += [build_gold(spec) for spec in marts().values() if spec.published]
    for uc in use_cases().values():
        assets += [build_open_data(d) for d in uc.open_data]
        if any(m.published for m in uc.marts):
            assets.append(build_model_card(uc.name))
    declared = [d for uc in use_cases().values() for d in uc.open_data]
    if declared:
        assets += build_catalogue_assets(declared)
    return assets
