"""When a staging model may take only the new bronze rows: every commit since its build only added rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from orchestration.core import lake
from orchestration.core.bronze_appends import (
    BronzeState,
    appended_since,
    load_states,
    only_appended,
    read_state,
    save_states,
)
from orchestration.core.catalog import feeds
from orchestration.core.ingestion import bronze_path
from orchestration.core.settings import Settings, load_settings

FEED = "police_mains_courantes"
RULES = "rules-1"


def _rows(keys: list[str], at: datetime, value: str = "a") -> pa.Table:
    return pa.table({"incident_id": keys, "agent_pseudo": [value] * len(keys), "_ingested_at": pa.array([at] * len(keys), pa.timestamp("us", tz="UTC"))})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = load_settings(tmp_path, require_key=False)
    lake.append(bronze_path(settings, feeds()[FEED]), _rows(["1", "2"], datetime(2026, 12, 1, 6, tzinfo=UTC)))
    return settings


def _path(settings: Settings) -> Path:
    return bronze_path(settings, feeds()[FEED])


def test_appends_insert_only_merges_and_compactions_keep_the_incremental_path(settings: Settings) -> None:
    recorded = read_state(settings, FEED, RULES)
    assert recorded.watermark == "2026-12-01T06:00:00+00:00"
    assert appended_since(settings, FEED, recorded, RULES) == recorded.watermark  # nothing since: the edge only
    lake.append(_path(settings), _rows(["3"], datetime(2026, 12, 2, 6, tzinfo=UTC)))
    lake.upsert(_path(settings), _rows(["4"], datetime(2026, 12, 3, 6, tzinfo=UTC)), ["incident_id"])  # new key only
    # Exactly the rows of the files added since: from the oldest of them, not the day before.
    assert appended_since(settings, FEED, recorded, RULES) == "2026-12-02T06:00:00+00:00"
    # A compaction's file holds the old rows too: they are taken again (merged, unchanged), none missed.
    lake.compact(_path(settings))
    assert appended_since(settings, FEED, recorded, RULES) == "2026-12-01T06:00:00+00:00"


def test_a_late_commit_of_an_ingest_with_an_older_clock_is_taken(settings: Settings) -> None:
    """An ingest read its clock before the build but committed after it: its rows are older than
    the recorded newest time, yet in a file added since the recorded version, so they are taken."""
    recorded = read_state(settings, FEED, RULES)
    lake.append(_path(settings), _rows(["late"], datetime(2026, 12, 1, 2, tzinfo=UTC)))  # 4 h before the watermark
    assert appended_since(settings, FEED, recorded, RULES) == "2026-12-01T02:00:00+00:00"


def test_added_files_without_statistics_or_a_version_gone_from_the_log_rebuild(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    lake.append(_path(settings), _rows(["3"], datetime(2026, 12, 2, 6, tzinfo=UTC)))
    recorded = read_state(settings, FEED, RULES)  # version 1
    for day in (3, 4):
        lake.append(_path(settings), _rows([f"d{day}"], datetime(2026, 12, day, 6, tzinfo=UTC)))
    assert appended_since(settings, FEED, recorded, RULES) == "2026-12-03T06:00:00+00:00"
    # The log checkpointed at version 3 and its older commits cleaned up: version 1 cannot be read,
    # while the history since it (versions 2 and 3) still can.
    lake.table(_path(settings)).create_checkpoint()
    for old in (0, 1):
        (_path(settings) / "_delta_log" / f"{old:020d}.json").unlink()
    assert len(lake.table(_path(settings)).history(2)) == 2
    assert appended_since(settings, FEED, recorded, RULES) is None
    # Files whose statistics do not hold the ingestion time cannot say from when to take rows.
    recorded = read_state(settings, FEED, RULES)
    lake.append(_path(settings), _rows(["5"], datetime(2026, 12, 5, 6, tzinfo=UTC)))
    actions = DeltaTable.get_add_actions
    monkeypatch.setattr(DeltaTable, "get_add_actions", lambda self, flatten=False: pa.table(actions(self, flatten)).drop_columns(
        [c for c in pa.table(actions(self, flatten)).column_names if c.startswith("min.")]))
    assert appended_since(settings, FEED, recorded, RULES) is None


@pytest.mark.parametrize(
    "change",
    ["delete", "update", "overwrite"],
)
def test_any_other_change_rebuilds_the_model_whole(settings: Settings, change: str) -> None:
    """A withdrawal or the retention (delete), a re-delivery (update), a key rotation (overwrite)."""
    recorded = read_state(settings, FEED, RULES)
    later = datetime(2026, 12, 2, 6, tzinfo=UTC)
    if change == "delete":
        lake.delete(_path(settings), "incident_id = '1'")
    elif change == "update":
        lake.upsert(_path(settings), _rows(["2", "5"], later, value="b"), ["incident_id"])
    else:
        lake.overwrite(_path(settings), _rows(["1", "2"], datetime(2026, 12, 1, 6, tzinfo=UTC), value="rekeyed"))
    lake.append(_path(settings), _rows(["6"], later))  # appends after do not make it incremental again
    assert appended_since(settings, FEED, recorded, RULES) is None


def test_no_record_other_rules_or_an_empty_table_rebuild_whole(settings: Settings) -> None:
    recorded = read_state(settings, FEED, RULES)
    assert appended_since(settings, FEED, None, RULES) is None
    assert appended_since(settings, FEED, recorded, "rules-2") is None  # another project or geography
    assert appended_since(settings, FEED, BronzeState(recorded.version, None, RULES), RULES) is None
    assert appended_since(settings, FEED, BronzeState(recorded.version + 5, recorded.watermark, RULES, recorded.table_id), RULES) is None
    assert appended_since(settings, FEED, BronzeState(recorded.version, recorded.watermark, RULES, "another"), RULES) is None


def test_a_table_made_again_is_rebuilt_whole_even_past_the_recorded_version(settings: Settings) -> None:
    """Dropped and created anew, then grown by appends past the recorded version: its history is all
    appends, yet the old rows are gone; the table's id tells."""
    import shutil

    recorded = read_state(settings, FEED, RULES)
    shutil.rmtree(_path(settings))
    for day in range(recorded.version + 3):
        lake.append(_path(settings), _rows([f"n{day}"], datetime(2026, 12, 2 + day % 20, 6, tzinfo=UTC)))
    assert lake.table(_path(settings)).version() > recorded.version
    assert appended_since(settings, FEED, recorded, RULES) is None


def test_unknown_operations_are_not_trusted() -> None:
    assert only_appended([{"operation": "WRITE", "operationParameters": {"mode": "Append"}}])
    assert not only_appended([{"operation": "WRITE", "operationParameters": {"mode": "Overwrite"}}])
    assert not only_appended([{"operation": "MERGE", "operationMetrics": {}}])  # no metrics: not proven insert-only
    assert not only_appended([{"operation": "RESTORE"}])
    assert not only_appended([{"operation": "UPDATE"}])


def test_states_are_merged_over_the_recorded_ones(tmp_path: Path) -> None:
    path = tmp_path / "states.json"
    save_states(path, {"a": BronzeState(1, "t1", RULES, "id-a"), "b": BronzeState(2, None, RULES, "id-b")})
    save_states(path, {"a": BronzeState(3, "t3", RULES, "id-a")})
    assert load_states(path) == {"a": BronzeState(3, "t3", RULES, "id-a"), "b": BronzeState(2, None, RULES, "id-b")}
    assert load_states(tmp_path / "missing.json") == {}



def test_a_history_shorter_than_the_versions_since_is_not_trusted(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Delta's log cleanup may drop old commits: what cannot be read cannot prove it only added rows."""
    recorded = read_state(settings, FEED, RULES)
    lake.append(_path(settings), _rows(["3"], datetime(2026, 12, 2, 6, tzinfo=UTC)))
    lake.append(_path(settings), _rows(["4"], datetime(2026, 12, 3, 6, tzinfo=UTC)))
    assert appended_since(settings, FEED, recorded, RULES) is not None
    history = DeltaTable.history
    monkeypatch.setattr(DeltaTable, "history", lambda self, limit=None: history(self, limit)[:1])  # one commit left
    assert appended_since(settings, FEED, recorded, RULES) is None


def test_each_incremental_model_merges_on_its_declared_unique_key() -> None:
    """The key a model merges new rows on is the one its column_rules hold unique (one fact, checked)."""
    from tests.unit.lineage import dbt_manifest

    manifest = dbt_manifest()
    declared: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and meta.get("name") == "column_rules":
            kwargs = meta["kwargs"]
            keys = [[c] for c in kwargs.get("unique") or []] + list(kwargs.get("unique_combinations") or [])
            if keys:
                declared[node["attached_node"]] = keys
    incremental = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["config"].get("materialized") == "incremental"}
    assert len(incremental) >= 10
    for uid, node in incremental.items():
        key = node["config"]["unique_key"]
        assert (key if isinstance(key, list) else [key]) in declared.get(uid, []), node["name"]
        assert node["fqn"][1] == "staging"


def test_the_newest_ingestion_is_read_from_the_statistics_or_else_the_column(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Statistics are truncated to the millisecond: never above the true newest time, and within it."""
    true_newest = datetime(2026, 12, 2, 6, 0, 0, 123456, tzinfo=UTC)
    lake.append(_path(settings), _rows(["3"], true_newest))
    from_stats = datetime.fromisoformat(read_state(settings, FEED, RULES).watermark or "")
    assert from_stats == true_newest.replace(microsecond=123000)  # the statistics: truncated, never above
    # A table whose files carry no statistics: the column itself is read.
    actions = DeltaTable.get_add_actions
    monkeypatch.setattr(DeltaTable, "get_add_actions", lambda self, flatten=False: pa.table(actions(self, flatten)).drop_columns(
        [c for c in pa.table(actions(self, flatten)).column_names if c.startswith("max.")]))
    assert read_state(settings, FEED, RULES).watermark == true_newest.isoformat()
