"""Marts validated in the background process get exactly the verdict their gate would reach itself."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pandas as pd
import pytest

from orchestration.core.catalog.mart_schema import spec
from orchestration.core.verdicts import GateResult, fingerprint
from quality import background
from quality.gate import validate_mart


def _declared_empty(mart: str) -> pd.DataFrame:
    return pd.DataFrame({column.name: pd.Series([], dtype=object) for column in spec(mart).columns})


def _without_date(result: GateResult | None) -> dict:
    assert result is not None
    verdict = result.to_json()
    verdict.pop("evaluated_at")
    return verdict


@pytest.fixture(scope="module")
def validation() -> Iterator[background.BackgroundValidation]:
    process = background.BackgroundValidation()
    yield process
    process.close()


def test_each_verdict_is_the_one_the_gate_reaches_itself(validation: background.BackgroundValidation) -> None:
    frames = {
        "sante_flux_jour": _declared_empty("sante_flux_jour"),  # passes
        "incidents_quartier_jour": _declared_empty("incidents_quartier_jour"),  # fails: no row
        "vie_nocturne_facteurs": pd.DataFrame({"not_declared": [1, 2]}),  # fails: columns, with details
    }
    for mart, frame in frames.items():
        validation.submit(mart, frame)
    verdicts = {mart: validation.take(mart, fingerprint(frame)) for mart, frame in frames.items()}
    assert [verdicts[mart].success for mart in frames] == [True, False, False]  # type: ignore[union-attr]
    for mart, frame in frames.items():
        assert _without_date(verdicts[mart]) == _without_date(validate_mart(mart, frame))
    assert validation.take("sante_flux_jour", fingerprint(frames["sante_flux_jour"])) is None  # taken once


def test_rows_other_than_the_ones_sent_get_no_verdict(validation: background.BackgroundValidation) -> None:
    sent = _declared_empty("sante_flux_jour")
    validation.submit("sante_flux_jour", sent)
    assert validation.take("sante_flux_jour", "1:0000000000000000") is None  # the gate validates itself
    assert validation.take("vie_nocturne_facteurs", fingerprint(sent)) is None  # never sent


def test_a_later_build_of_a_mart_replaces_the_earlier(validation: background.BackgroundValidation) -> None:
    first, second = pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2]})
    validation.submit("vie_nocturne_facteurs", first)
    validation.submit("vie_nocturne_facteurs", second)
    assert validation.take("vie_nocturne_facteurs", fingerprint(first)) is None
    taken = validation.take("vie_nocturne_facteurs", fingerprint(second))
    assert taken is not None and taken.fingerprint == fingerprint(second)


@pytest.mark.timeout(60)  # far less than the wait for a promised verdict, which is not promised here
def test_when_the_process_dies_the_gates_validate_themselves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "WAIT_AT_MOST_S", 3600.0)
    process = background.BackgroundValidation()
    frame = _declared_empty("sante_flux_jour")
    os.kill(process._process.pid, signal.SIGKILL)
    process._process.wait()
    process.submit("sante_flux_jour", frame)
    assert process.take("sante_flux_jour", fingerprint(frame)) is None  # at once: nothing was promised
    assert not process.alive()
    process.close()
