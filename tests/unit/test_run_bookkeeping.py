"""Less bookkeeping per run: dbt tests surfaced as checks only on marts, an event log kept open."""

import json
import logging
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.core.settings import DBT_PROJECT_DIR, load_settings
from orchestration.factories.dbt import (
    DAGSTER_BUILTIN_LOGGER,
    SURFACED_LAYER,
    UNSURFACED_TEST_WARNING,
    unsurfaced_test_warnings_dropped,
    without_unsurfaced_tests,
)
from orchestration.factories.event_log import KeptOpenSqliteEventLogStorage
from orchestration.factories.publication import NOT_REFUSED_CHECK
from orchestration.runner import prepare_instance


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from orchestration.definitions import build_definitions

    return build_definitions(tmp_path_factory.mktemp("lake")).resolve_asset_graph()


def _tests_by_layer() -> dict[str, list[str]]:
    """Each dbt test's unique id, by the layer of the model it is attached to (from the manifest)."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] == "test":
            model = manifest["nodes"].get(node.get("attached_node") or "")
            found.setdefault(model["fqn"][1] if model else "", []).append(uid)
    return found


def test_only_the_tests_of_marts_are_asset_checks_and_they_block(graph: Any) -> None:
    tests = _tests_by_layer()
    dbt_checks = [key for key in graph.asset_check_keys if key.name != "great_expectations_gate" and key.asset_key.path[0] == "marts"]
    assert {key.asset_key.path[0] for key in graph.asset_check_keys} == {"bronze", SURFACED_LAYER, "open_data"}
    # An open dataset's one check reports a refused release as a warning, emitted by its own step.
    releases = [key for key in graph.asset_check_keys if key.asset_key.path[0] == "open_data"]
    assert {key.name for key in releases} == {NOT_REFUSED_CHECK} and not any(graph.get_check_spec(k).blocking for k in releases)
    # Every test of a mart is a check (a relationships test may be attached to either side: + a few).
    assert {uid.split(".")[2] for uid in tests[SURFACED_LAYER]} <= {key.name for key in dbt_checks}
    assert len(dbt_checks) < len(tests[SURFACED_LAYER]) + 5
    # Tests of staging and intermediate models still exist: they run in `dbt build`, unsurfaced
    # (one column_rules test per model, grain and relationships rules included: tests/unit/test_dbt_column_rules.py).
    assert len(tests["staging"]) > 25 and len(tests["intermediate"]) > 20
    for key in dbt_checks:
        spec = graph.get_check_spec(key)
        assert spec.blocking, f"{key} does not block"  # every mart test is of severity error


def _observation(unique_id: str, status: str) -> dg.AssetObservation:
    return dg.AssetObservation(asset_key=["staging", "x"], metadata={"unique_id": unique_id, "status": status})


def test_unsurfaced_test_results_are_counted_not_stored() -> None:
    logged: list[tuple[str, str]] = []

    class Log:
        def info(self, msg: str) -> None:
            logged.append(("info", msg))

        def warning(self, msg: str) -> None:
            logged.append(("warning", msg))

        def error(self, msg: str) -> None:
            logged.append(("error", msg))

    class Context:
        log = Log()

    model = dg.Output(None, output_name="staging_x")
    kept = dg.AssetObservation(asset_key=["staging", "x"], metadata={"unique_id": "model.observatoire.x"})
    events = [
        model,
        _observation("test.observatoire.not_null_x_id.abc123", "pass"),
        _observation("test.observatoire.relationships_x_y.def456", "pass"),
        _observation("test.observatoire.relationships_x_y.def456", "pass"),  # one per model the test reads
        _observation("test.observatoire.unique_x_id.0977625024", "fail"),
        _observation("test.observatoire.accepted_x_code.9f9f9f", "warn"),
        kept,
    ]
    assert list(without_unsurfaced_tests(events, Context())) == [model, kept]  # type: ignore[arg-type]
    assert ("error", "dbt test unique_x_id: fail") in logged
    assert ("warning", "dbt test accepted_x_code: warn") in logged
    assert logged[-1] == ("info", "dbt tests of staging and intermediate models: {'pass': 2, 'fail': 1, 'warn': 1}")


@dg.asset
def chatty(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for i in range(20):
        context.log.info(f"line {i}")
    return dg.MaterializeResult(metadata={"rows": 20})


def test_the_cli_event_log_keeps_its_files_open_and_serve_reads_them(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "lake")
    with prepare_instance(settings) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, KeptOpenSqliteEventLogStorage)
        result = dg.materialize([chatty], instance=instance)
        assert result.success
        assert set(storage._engines) >= {"index", result.run_id}  # one engine per file, reused by every event
        stored = len(instance.all_logs(result.run_id))
    # Dagster's own class (serve, the webserver) reads the same files.
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as plain:
        assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert len(plain.all_logs(result.run_id)) == stored > 20
        latest = plain.get_latest_materialization_event(dg.AssetKey("chatty"))
        assert latest is not None and latest.run_id == result.run_id


def test_dagster_dbt_warning_per_unsurfaced_test_is_dropped_while_dbt_streams(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger(DAGSTER_BUILTIN_LOGGER)
    with caplog.at_level(logging.INFO, logger=DAGSTER_BUILTIN_LOGGER), unsurfaced_test_warnings_dropped():
        logger.warning(f"{UNSURFACED_TEST_WARNING} for dbt test `not_null_x_id`.")
        logger.info("Running dbt command: `dbt build`")
    logger.warning(f"{UNSURFACED_TEST_WARNING} after the build")  # the filter is gone
    assert [r.getMessage() for r in caplog.records] == ["Running dbt command: `dbt build`", f"{UNSURFACED_TEST_WARNING} after the build"]


def test_dbt_runs_without_a_dbt_adapter_in_this_process() -> None:
    import inspect

    from dagster_dbt import DbtCliResource, DbtProject

    from orchestration.factories.resources import build_resources

    resource = build_resources(DbtProject(DBT_PROJECT_DIR))["dbt"]
    assert isinstance(resource, DbtCliResource)
    assert resource._initialize_dbt_core_adapter(["build"]) is None  # type: ignore[attr-defined]
    # The hook is still the one dagster-dbt calls before starting dbt (else the override is dead code).
    assert "self._initialize_dbt_core_adapter(" in inspect.getsource(DbtCliResource.cli)


def test_a_run_reads_marts_through_one_kept_reader_that_gives_way_to_writers(tmp_path: Path) -> None:
    """The build database reader is opened once, reused, and closed on release and on teardown."""
    import duckdb

    from orchestration.core.publishing import read_mart
    from orchestration.factories.resources import ObservatoireResource

    settings = load_settings(tmp_path)
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_db)) as con:
        con.execute("create schema marts; create table marts.m as select * from (values (2, 'b'), (1, 'a')) t(n, s)")

    with dg.build_resources({"observatoire": ObservatoireResource(lake=str(tmp_path))}) as resources:
        observatoire = resources.observatoire
        reader = observatoire.build_db_reader()
        assert observatoire.build_db_reader() is reader  # one connection for the run's reads
        assert read_mart(settings, "m", reader=observatoire.build_db_reader)["n"].tolist() == [1, 2]
        with pytest.raises(duckdb.ConnectionException):  # a writer is refused while it is open
            duckdb.connect(str(settings.build_db)).close()
        observatoire.release_build_db()
        duckdb.connect(str(settings.build_db)).close()  # released: a writer gets in
        observatoire.build_db_reader()  # opened again by the next read...
    duckdb.connect(str(settings.build_db)).close()  # ... and closed when the run's resources are torn down
