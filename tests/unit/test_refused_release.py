"""A release refused by disclosure control is a recorded verdict, not a failed step.

A failed step would be requested again by every later ``run`` (the runner retries a failed run's
selection) and refused again, the same data giving the same "no": every daily run red for good.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest

from orchestration.core import lake
from orchestration.core.catalog import open_datasets
from orchestration.core.disclosure import DisclosureError
from orchestration.core.opendata import publish
from orchestration.core.opendata.refusals import Refusal, record_refusal, refusals, refusals_file
from orchestration.core.publishing import gold_path
from orchestration.core.settings import Settings, load_settings
from orchestration.core.verdicts import GateResult, record
from orchestration.factories.publication import NOT_REFUSED_CHECK, build_open_data
from orchestration.factories.resources import ObservatoireResource

WEEKLY = "interventions-police-municipale-arrondissement-semaine"
REASON = "joint attacker's audit failed: 28 masked cell(s) recoverable; no new cell left to mask, refusing to publish"


def _refuse(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
    error = DisclosureError(REASON)
    error.release = "2026-W48"
    raise error


def _published(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
    return {"disclosure": {"cells": 4, "primary_suppressed": 1, "secondary_suppressed": 1, "k_min": 11}}


def _settings_with_a_gated_gold(tmp_path: Path) -> Settings:
    settings = load_settings(tmp_path, require_key=False)
    mart = open_datasets()[WEEKLY].from_mart
    lake.overwrite(gold_path(settings, mart), pa.table({"n": [1, 2]}))
    record(GateResult(mart=mart, suite="s", success=True, evaluated_at="2026-12-01T00:00:00+00:00", statistics={}), settings.quality)
    return settings


def _materialise(settings: Settings, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    asset = build_open_data(open_datasets()[WEEKLY])
    return dg.materialize([asset], instance=instance, resources={"observatoire": ObservatoireResource(lake=str(settings.lake))})


def test_a_refusal_is_recorded_and_warns_without_failing_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_with_a_gated_gold(tmp_path)
    monkeypatch.setattr(publish, "publish_open_dataset", _refuse)
    with dg.instance_for_test() as instance:
        result = _materialise(settings, instance)
        assert result.success  # nothing for the runner to retry
        [check] = result.get_asset_check_evaluations()
        assert (check.check_name, check.passed, check.severity) == (NOT_REFUSED_CHECK, False, dg.AssetCheckSeverity.WARN)
        assert check.metadata["release"].value == "2026-W48" and check.metadata["reason"].value == REASON
        [materialisation] = result.asset_materializations_for_node(result.all_node_events[0].node_name)
        assert materialisation.metadata["refused"].value == "2026-W48"
        [refusal] = refusals(settings.quality, WEEKLY)
        assert (refusal.dataset, refusal.release, refusal.reason) == (WEEKLY, "2026-W48", REASON)
        # Restricted: the reason names a masked cell's bounds; nothing is written beside the open data.
        assert refusals_file(settings.quality, WEEKLY).is_relative_to(settings.quality)
        assert not (settings.open_data / WEEKLY).exists()

        monkeypatch.setattr(publish, "publish_open_dataset", _published)
        later = _materialise(settings, instance)
        assert later.success and [c.passed for c in later.get_asset_check_evaluations()] == [True]
        assert len(refusals(settings.quality, WEEKLY)) == 1  # the history is kept


def test_other_failures_still_fail_the_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a disclosure refusal is a verdict: a bug is not hidden as one."""
    settings = _settings_with_a_gated_gold(tmp_path)

    def broken(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise ValueError("a bug")

    monkeypatch.setattr(publish, "publish_open_dataset", broken)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [build_open_data(open_datasets()[WEEKLY])], instance=instance, raise_on_error=False,
            resources={"observatoire": ObservatoireResource(lake=str(settings.lake))},
        )
    assert not result.success
    assert refusals(settings.quality, WEEKLY) == []


def test_refusals_are_appended_oldest_first(tmp_path: Path) -> None:
    first = record_refusal(tmp_path, WEEKLY, "2026-W48", "one")
    second = record_refusal(tmp_path, WEEKLY, None, "two")
    assert refusals(tmp_path, WEEKLY) == [first, second]
    assert isinstance(first, Refusal) and first.refused_at.endswith("+00:00")
    assert refusals(tmp_path, "another-dataset") == []
    # Not a mart's verdict folder: the apps list verdicts as quality/<mart>/history/*.json.
    assert not list(tmp_path.glob("*/history/*.json"))
    lines = refusals_file(tmp_path, WEEKLY).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["release"] for line in lines] == ["2026-W48", None]  # one JSON object a line
