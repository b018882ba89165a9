"""Every use case on the real graph: published marts, gate log, model cards, observatory health."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orchestration.core import lake
from orchestration.core.catalog import feeds, marts, use_cases
from orchestration.core.governance import gate_log_path
from orchestration.core.ingestion import ledger_path
from orchestration.core.publishing import gold_path, model_card_path, read_manifest
from tests.conftest import PipelineLake

pytestmark = pytest.mark.pipeline


def test_every_published_mart_reached_gold_through_a_passing_gate(pipeline_lake: PipelineLake) -> None:
    settings = pipeline_lake.settings
    for name, spec in marts().items():
        verdict = json.loads((settings.quality / name / "latest.json").read_text(encoding="utf-8"))
        assert verdict["success"], f"{name}: {verdict['failed']}"
        if spec.published:
            manifest = read_manifest(settings, name)
            assert manifest is not None and manifest["gate"]["success"], name
            assert lake.table_exists(gold_path(settings, name)), name
            assert lake.read(gold_path(settings, name)).num_rows == manifest["rows"], name
        else:
            assert not gold_path(settings, name).exists(), f"{name} is internal but was published"


def test_every_gate_evaluation_is_logged(pipeline_lake: PipelineLake) -> None:
    log = lake.read(gate_log_path(pipeline_lake.settings)).to_pandas()
    assert set(log["mart"]) == set(marts())
    assert log["success"].all()


def test_every_use_case_publishes_a_model_card_with_its_evidence(pipeline_lake: PipelineLake) -> None:
    settings = pipeline_lake.settings
    for uc in use_cases().values():
        card = json.loads(model_card_path(settings, uc.name).read_text(encoding="utf-8"))
        assert card["model"] and card["cannot_say"] and card["data"], uc.name
        published = [m.name for m in uc.marts if m.published]
        assert set(card["publications"]) >= set(published)
        assert all(card["publications"][m] for m in published), f"{uc.name}: a mart has no publication record"
        if uc.model_card.fit_quality_mart:
            assert card["fit_quality"], f"{uc.name}: the fit-quality mart is empty"
            assert {"perimetre", "indicateur", "valeur", "unite", "commentaire"} <= set(card["fit_quality"][0])


def test_health_reconciles_with_the_ledger(pipeline_lake: PipelineLake) -> None:
    settings = pipeline_lake.settings
    ledger = lake.read(ledger_path(settings)).to_pandas()
    days = lake.read(gold_path(settings, "sante_flux_jour")).to_pandas()
    per_feed = days.groupby("flux")[["lignes_lues", "lignes_quarantaine", "nb_rejets"]].sum()
    expected = ledger.dropna(subset=["delivery_date"]).groupby("feed").agg(
        lignes_lues=("rows_read", "sum"), lignes_quarantaine=("rows_quarantined", "sum"), nb_rejets=("status", lambda s: (s == "rejected").sum())
    )
    pd.testing.assert_frame_equal(per_feed.sort_index(), expected.sort_index(), check_names=False, check_dtype=False)
    freshness = lake.read(gold_path(settings, "sante_fraicheur_flux")).to_pandas()
    assert sorted(freshness["flux"]) == sorted(feeds())
    motifs = lake.read(gold_path(settings, "sante_quarantaine_motifs")).to_pandas()
    # The simulator planted each bad row with one defect kind = one reason code: same counts.
    planted = pd.Series([(d["feed"], d["kind"]) for d in pipeline_lake.truth["defects"] if d["line"] is not None]).value_counts()
    published = motifs.set_index(["flux", "code_motif"])["nb_lignes"]
    assert published.sort_index().to_dict() == planted.sort_index().to_dict()
