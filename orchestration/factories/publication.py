"""Publication assets: gold Delta per mart, open-data export per declared dataset."""

import dagster as dg
import pyarrow as pa

from orchestration.core import lake
from orchestration.core.catalog import MartSpec, OpenDataset, marts, use_cases
from orchestration.core.opendata.publish import publish_open_dataset
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
        frame = read_mart(settings, mart)
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


def build_open_data(dataset: OpenDataset) -> dg.AssetsDefinition:
    """``open_data/<dataset>``: the generalised, suppressed open-data export of a gold mart."""
    @dg.asset(
        key=["open_data", dataset.dataset.replace("-", "_")],
        automation_condition=rebuild_on_upstream_change(),
        deps=[dg.AssetKey(["gold", dataset.from_mart])],
        group_name="publish",
        kinds={"csv", "parquet"},
        description=f"{dataset.title}: open-data export (CSV, Parquet, datapackage.json) after "
        "generalisation and minimum-count suppression.",
    )
    def open_data(context: dg.AssetExecutionContext, observatoire: ObservatoireResource) -> dg.MaterializeResult:
        settings = observatoire.settings()
        mart = lake.read(gold_path(settings, dataset.from_mart)).to_pandas()
        gate = load_latest(dataset.from_mart, settings.quality)
        if gate is None or not gate.success:
            raise GateNotPassed(description=f"{dataset.from_mart}: gate not passed; open data not refreshed.")
        package = publish_open_dataset(settings, dataset, mart, gate)
        if not package.get("unchanged") or not (settings.open_data / "catalogue.ttl").exists():
            # Only a new release changes them: no rewrite of every file's checksum on a no-op rerun.
            # Imported here: rdflib costs ~10 % of loading the definitions, and only a new version needs it.
            from orchestration.core.dcat import write_catalogue
            from orchestration.core.register import write_register

            write_catalogue(settings.open_data)  # the DCAT-AP catalogue lists the new version
            write_register(settings.open_data)  # the register each disclosure.json cites
        disclosure = package["disclosure"]
        return dg.MaterializeResult(
            metadata={
                "cells": disclosure["cells"],
                "primary_suppressed": disclosure["primary_suppressed"],
                "secondary_suppressed": disclosure["secondary_suppressed"],
                "k_min": disclosure["k_min"],
                "unchanged": package.get("unchanged", False),
                "path": dg.MetadataValue.path(str(settings.open_data / dataset.dataset)),
            }
        )

    return open_data


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
    return assets
