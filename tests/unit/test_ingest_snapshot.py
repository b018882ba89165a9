"""A full snapshot re-delivered: its earlier version deleted then its rows appended, as merge + delete would."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake import DeltaTable

from orchestration.core import ingestion, lake
from orchestration.core.catalog import feed
from orchestration.core.ingestion import bronze_path, ensure_tables, ingest_deliveries, ledger_path
from orchestration.core.settings import load_settings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "baac_2019plus" / "vehicules-2021.csv"
SPEC = feed("baac_vehicules")
TIMESTAMPS = ["_ingested_at", "ingested_at"]


def _lake(root: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OBSERVATOIRE_KEY", raising=False)
    settings = load_settings(root / "lake")
    (settings.landing / SPEC.name).mkdir(parents=True)
    ensure_tables(settings, SPEC)
    return settings


def _deliveries(settings, versions: list[list[str]], names: list[str] | None = None) -> list[ingestion.DeliveryResult]:  # type: ignore[no-untyped-def]
    """Deliver each version of the file in turn (same name unless ``names``), ingesting after each."""
    results = []
    for lines, name in zip(versions, names or [SAMPLE.name] * len(versions), strict=True):
        path = settings.landing / SPEC.name / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        results += ingest_deliveries([path], SPEC, settings)
    return results


def _operations(path: Path) -> list[str]:
    return [h["operation"] for h in reversed(DeltaTable(str(path)).history())][1:]


def _state(settings):  # type: ignore[no-untyped-def]
    bronze = lake.read(bronze_path(settings, SPEC)).drop_columns(["_ingested_at"])
    ledger = lake.read(ledger_path(settings)).drop_columns(["ingested_at"])
    key = lambda t: [(c, "ascending") for c in t.column_names]  # noqa: E731
    return bronze.sort_by(key(bronze)), ledger.sort_by(key(ledger)), DeltaTable(str(bronze_path(settings, SPEC))).version()


LINES = SAMPLE.read_text(encoding="utf-8").splitlines()
WITHDRAWN = LINES[:-2]  # ONISR withdrew two vehicles


@pytest.mark.parametrize(
    ("versions", "operations"),
    [
        ([LINES, WITHDRAWN], ["WRITE", "DELETE", "WRITE"]),  # rows withdrawn: delete + append
        ([LINES, LINES[:-1], LINES[:-3]], ["WRITE", "DELETE", "WRITE", "DELETE", "WRITE"]),
        ([WITHDRAWN, LINES], ["WRITE", "MERGE"]),  # nothing withdrawn: the merge alone, one commit
    ],
)
def test_a_snapshot_replaced_as_merge_and_delete_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, versions: list[list[str]], operations: list[str]
) -> None:
    fast = _lake(tmp_path / "fast", monkeypatch)
    fast_results = _deliveries(fast, versions)
    assert _operations(bronze_path(fast, SPEC)) == operations
    with monkeypatch.context() as patched:  # the same deliveries, the merge path only
        patched.setattr(ingestion, "_replace_snapshot", lambda *_a: False)
        merged = _lake(tmp_path / "merged", patched)
        merged_results = _deliveries(merged, versions)
    assert [r.rows_withdrawn for r in fast_results] == [r.rows_withdrawn for r in merged_results]
    bronze, ledger, version = _state(fast)
    bronze_m, ledger_m, version_m = _state(merged)
    assert bronze.equals(bronze_m) and ledger.equals(ledger_m) and version == version_m


def test_a_key_held_by_another_file_takes_the_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 2022 file's second version withdraws a vehicle and takes over one the 2021 file holds."""
    versions = [LINES, LINES[:-1], [*LINES[:-2], LINES[-1]]]
    names = ["vehicules-2021.csv", "vehicules-2022.csv", "vehicules-2022.csv"]
    fast = _lake(tmp_path / "fast", monkeypatch)
    fast_results = _deliveries(fast, versions, names)
    assert _operations(bronze_path(fast, SPEC))[-2:] == ["MERGE", "DELETE"]
    with monkeypatch.context() as patched:
        patched.setattr(ingestion, "_replace_snapshot", lambda *_a: False)
        merged = _lake(tmp_path / "merged", patched)
        merged_results = _deliveries(merged, versions, names)
    assert fast_results[-1].rows_withdrawn == merged_results[-1].rows_withdrawn == 1
    assert _state(fast)[0].equals(_state(merged)[0])


def test_a_run_stopped_between_the_two_commits_is_mended_by_the_next_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever of the delete and the append comes second fails (the process stopped there): the
    delivery stays pending, and the next run leaves the rows a merge + delete would have left."""
    stopped = _lake(tmp_path / "stopped", monkeypatch)
    _deliveries(stopped, [LINES])
    commits: list[str] = []

    def stop_at_the_second(real):  # type: ignore[no-untyped-def]
        def commit(*args, **kwargs):  # type: ignore[no-untyped-def]
            commits.append(real.__name__)
            if len(commits) == 2:
                raise KeyboardInterrupt("stopped between the two commits")
            return real(*args, **kwargs)

        return commit

    with monkeypatch.context() as patched:
        patched.setattr(lake, "delete", stop_at_the_second(lake.delete))
        patched.setattr(lake, "append_unchanged", stop_at_the_second(lake.append_unchanged))
        with pytest.raises(KeyboardInterrupt):
            _deliveries(stopped, [WITHDRAWN])
    assert len(commits) == 2
    again = _deliveries(stopped, [WITHDRAWN])  # the next run: the delivery was not recorded
    assert [r.status for r in again] == ["ingested"]
    merged = _lake(tmp_path / "merged", monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(ingestion, "_replace_snapshot", lambda *_a: False)
        _deliveries(merged, [LINES, WITHDRAWN])
    bronze, _ledger, _version = _state(stopped)
    assert bronze.num_rows == len(WITHDRAWN) - 1  # the header line
    assert bronze.equals(_state(merged)[0])
