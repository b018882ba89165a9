"""The real asset graph on a generated lake: sensor -> ingest -> dbt -> gate -> publish."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.core import duck, lake
from orchestration.core.catalog import feed, feeds, open_datasets
from orchestration.core.ingestion import bronze_path, ledger_path, quarantine_rows_path, rejected_deliveries_path
from orchestration.core.publishing import gold_path, publication_manifest_path
from simulator import simulate
from tests.conftest import SIM_DAYS, SIM_SCALE, SIM_START, PipelineLake, run_pipeline

pytestmark = pytest.mark.pipeline
SPEC = feed("police_mains_courantes")
MART = "incidents_quartier_jour"
DATASET = "interventions-police-municipale-arrondissement-semaine"
MONTHLY = "interventions-police-municipale-arrondissement-mois"


def table_versions(settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    paths = [bronze_path(settings, SPEC), quarantine_rows_path(settings), ledger_path(settings), gold_path(settings, MART)]
    return {str(p): lake.open_table(p).version() for p in paths}


REJECTING = {"wrong_encoding", "empty_file", "truncated_file", "breaking_schema_change"}


def test_every_delivery_is_ingested_once(pipeline_lake: PipelineLake) -> None:
    """For every feed: each simulated row is in bronze or in quarantine, once; rejected files aside."""
    settings = pipeline_lake.settings
    truth = pipeline_lake.truth
    ledger = lake.read(ledger_path(settings)).to_pandas()
    quarantine = lake.read(quarantine_rows_path(settings)).to_pandas()
    checked = 0
    for name, spec in feeds().items():
        files = [f for f in truth["files"] if f["feed"] == name]
        if not files:
            continue
        landed = {p.name for p in (settings.landing / name).iterdir()}
        assert set(ledger.loc[ledger["feed"] == name, "file_name"]) == landed
        accepted_rows = sum(f["rows"] for f in files if f.get("file_defect") not in REJECTING)
        bronze = lake.read(bronze_path(settings, spec)).to_pandas()
        in_quarantine = (quarantine["feed"] == name).sum()
        assert len(bronze) + in_quarantine == accepted_rows, name
        assert not bronze.duplicated(subset=list(spec.natural_key)).any(), name
        assert ledger.loc[ledger["feed"] == name, "rows_written"].sum() == len(bronze), name
        checked += 1
    assert checked >= 15


def test_quarantine_and_rejections_match_the_simulators_truth(pipeline_lake: PipelineLake) -> None:
    """On the simulator's default dirt, quarantine and rejected deliveries equal its truth file."""
    settings = pipeline_lake.settings
    defects = pipeline_lake.truth["defects"]
    quarantine = lake.read(quarantine_rows_path(settings)).to_pandas()
    found = {(r.feed, r.source_file, int(r.line_number), r.reason_codes) for r in quarantine.itertuples()}
    planted = {(d["feed"], d["file"], int(d["line"]), d["kind"]) for d in defects if d["line"] is not None}
    assert found == planted
    row_kinds = {k for *_, k in planted}
    assert row_kinds >= {"bad_date", "outside_city", "unknown_code", "duplicate_id", "malformed_row", "out_of_range"}

    rejected = lake.read(rejected_deliveries_path(settings)).to_pandas()
    file_level = [d for d in defects if d["line"] is None]
    assert {(r.feed, r.file_name, r.reason_code) for r in rejected.itertuples()} == {
        (d["feed"], d["file"], d["kind"]) for d in file_level if d["kind"] in REJECTING
    }
    assert {d["kind"] for d in file_level} >= REJECTING | {"additive_schema_change", "duplicate_delivery", "late_file"}
    for kept in rejected["kept_at"]:
        assert (settings.lake / kept).is_file()  # a rejected file is kept, not lost
    ledger = lake.read(ledger_path(settings)).to_pandas()
    for defect in file_level:
        entry = ledger[(ledger["feed"] == defect["feed"]) & (ledger["file_name"] == defect["file"])]
        if defect["kind"] == "additive_schema_change":  # accepted, and reported
            assert entry["status"].tolist() == ["ingested"] and "additive schema change" in entry["schema_note"].item()
        elif defect["kind"] in ("duplicate_delivery", "late_file"):  # ingested exactly once
            assert entry["status"].tolist() == ["ingested"]


def test_mart_gold_and_open_data_agree(pipeline_lake: PipelineLake) -> None:
    settings = pipeline_lake.settings
    bronze = lake.read(bronze_path(settings, SPEC)).to_pandas()
    gold = lake.read(gold_path(settings, MART)).to_pandas()
    con = duck.connect(settings.build_db, read_only=True)
    mart_total = con.sql(f"select sum(nb_incidents) from marts.{MART}").fetchone()[0]
    con.close()
    assert gold["nb_incidents"].sum() == mart_total == len(bronze)  # every police row is located
    assert gold["code_quartier"].nunique() > 50  # spread over the city
    manifest = json.loads(publication_manifest_path(settings, MART).read_text())
    assert manifest["gate"]["success"] and manifest["rows"] == len(gold)
    assert manifest["data_window"] == {"start": str(gold["jour"].min()), "end": str(gold["jour"].max())}

    folder = settings.open_data / DATASET / "latest"
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["licenses"][0]["title"] == "Licence Ouverte 2.0"
    assert all(f["description"] for r in package["resources"] for f in r["schema"]["fields"])
    csv = pd.read_csv(folder / f"{DATASET}.csv", dtype={"arrondissement": str})
    parquet = pd.read_parquet(folder / f"{DATASET}.parquet")
    assert len(csv) == len(parquet) == package["disclosure"]["cells"]
    assert package["disclosure"]["audit"]["passed"] and (folder / f"{DATASET}.geojson").exists()
    visible = csv["nb_interventions"].dropna()
    assert not ((visible > 0) & (visible < settings.k_min)).any()
    # Only closed weeks (the data ends on a Monday: its week is not published).
    last_day = gold["jour"].max()
    assert package["version"] == max(csv["semaine"]) < f"{last_day.isocalendar().year}-W{last_day.isocalendar().week:02d}"
    # Every published count equals the gold data of its (arrondissement, week, category) cell.
    iso = pd.to_datetime(gold["jour"]).dt.isocalendar()
    gold["semaine"] = iso["year"].astype(str) + "-W" + iso["week"].astype(int).map("{:02d}".format)
    label = open_datasets()[DATASET].total_label
    truth = gold.groupby(["arrondissement", "semaine", "categorie"])["nb_incidents"].sum()
    totals = gold.groupby(["arrondissement", "semaine"], as_index=False)["nb_incidents"].sum().assign(categorie=label)
    truth = pd.concat([truth, totals.set_index(["arrondissement", "semaine", "categorie"])["nb_incidents"]])
    shown = csv.dropna(subset=["nb_interventions"]).set_index(["arrondissement", "semaine", "categorie"])["nb_interventions"]
    assert (shown == truth.reindex(shown.index).fillna(0)).all()
    # The monthly series waits for a month to close: nothing partial is published.
    assert not (settings.open_data / MONTHLY / "latest").exists()
    # No dataset publishes a period its partners have not delivered yet (planned works lie ahead).
    from orchestration.core.opendata.periods import period_bounds
    from orchestration.core.opendata.publish import feeds_as_of

    for dataset in open_datasets().values():
        latest = settings.open_data / dataset.dataset / "latest"
        delivered = feeds_as_of(settings, dataset)
        if latest.exists() and delivered and not dataset.source_periods_closed:
            version = json.loads((latest / "datapackage.json").read_text())["version"]
            assert period_bounds(version, dataset.temporal_level)[1] <= delivered, dataset.dataset
    assert (settings.open_data / "catalogue.ttl").exists() and (settings.open_data / "registre-des-traitements.json").exists()
    # Row datasets (factor table, 200 m cells, events, feed health): no visible small count anywhere.
    for dataset in (d for d in open_datasets().values() if d.kind == "table"):
        latest = settings.open_data / dataset.dataset / "latest"
        assert latest.exists(), dataset.dataset  # each has a closed period in three weeks (BAAC years, days, weeks)
        table = pd.read_parquet(latest / f"{dataset.dataset}.parquet")
        for column in dataset.table.min_count_columns:
            values = table[column].dropna().astype(int)
            assert not ((values > 0) & (values < settings.k_min)).any(), (dataset.dataset, column)


def test_sensor_requests_an_ingest_of_new_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.core.settings import load_settings
    from orchestration.definitions import defs
    from orchestration.runner import prepare_instance

    simulate(tmp_path / "landing", start=date(2026, 4, 1), days=3, seed=1, scale=0.1, feeds=[SPEC.name])
    settings = load_settings(tmp_path)
    instance = prepare_instance(settings)
    definitions = defs()
    sensor = definitions.get_sensor_def(f"{SPEC.name}_landing")
    monkeypatch.setenv("OBSERVATOIRE_LAKE", str(tmp_path))  # for this test only, not the rest of the session
    with dg.build_sensor_context(instance=instance, definitions=definitions, resources=dict(definitions.resources)) as context:
        data = sensor.evaluate_tick(context)
    (request,) = data.run_requests
    # No partition or day-range tags: the run ingests every pending delivery of the feed.
    assert not any(tag.startswith(("dagster/asset_partition", "observatoire/ingest_")) for tag in request.tags)
    # Same files, nothing processed yet: same run key (Dagster dedupes), so no duplicate run.
    with dg.build_sensor_context(instance=instance, definitions=definitions, resources=dict(definitions.resources)) as context:
        again = sensor.evaluate_tick(context)
    assert again.run_requests[0].run_key == request.run_key


def test_rerun_and_redelivery_change_nothing(pipeline_lake_copy: PipelineLake) -> None:
    settings = pipeline_lake_copy.settings
    before = table_versions(settings)
    assert run_pipeline(settings.lake).runs == []  # nothing pending
    # The partner sends yesterday's file again (same bytes, new mtime) under the same name.
    first = sorted((settings.landing / SPEC.name).iterdir())[0]
    shutil.copy(first, first.with_suffix(".tmp"))
    first.with_suffix(".tmp").replace(first)
    from orchestration.runner import reset_cli_cursors

    reset_cli_cursors(settings.dagster_home)  # and the sensors forget what they saw
    summary = run_pipeline(settings.lake)
    assert summary.success
    assert table_versions(settings) == before


def _flood_file(day: date, rows: int) -> str:
    """A valid delivery whose rows all land in one quartier-day-category cell."""
    lines = [";".join(SPEC.source_headers)]
    for i in range(rows):
        lines.append(f"MC-2026-9{i:05d};{day:%d/%m/%Y} 12:{i % 60:02d};TAP;1 La Canebière;43,297500;5,379500;PM{i % 97:04d};;")
    return "\r\n".join(lines) + "\r\n"


def test_failing_gate_blocks_publication(pipeline_lake_copy: PipelineLake) -> None:
    from orchestration.cli import main

    settings = pipeline_lake_copy.settings  # three published weeks, the pipeline's run succeeded
    gold_before = lake.open_table(gold_path(settings, MART)).version()
    manifest_before = publication_manifest_path(settings, MART).read_bytes()
    export = settings.open_data / DATASET / "latest" / f"{DATASET}.csv"
    export_before = export.read_bytes() if export.exists() else None

    # A replayed export: 400 valid, distinct rows in one cell. Ingestion accepts them (each row
    # is valid), the gate's plausibility bound must stop them before publication.
    flood_day = SIM_START + timedelta(days=SIM_DAYS)  # the day after the last delivery
    (settings.landing / SPEC.name / SPEC.file_name(flood_day)).write_bytes(_flood_file(flood_day, 400).encode("latin-1"))
    assert main(["run", "--lake", str(settings.lake)]) == 1

    latest = json.loads((settings.quality / MART / "latest.json").read_text())
    assert latest["success"] is False
    assert any(f["column"] == "nb_incidents" for f in latest["failed"])
    assert _gate_metadata(settings, MART)["validated_in_background"] is True  # the verdict of quality.background
    assert _dbt_built_in_the_process_started_ahead(settings)  # orchestration.core.warm_dbt
    assert lake.open_table(gold_path(settings, MART)).version() == gold_before
    assert publication_manifest_path(settings, MART).read_bytes() == manifest_before
    assert (export.read_bytes() if export.exists() else None) == export_before
    bronze = lake.read(bronze_path(settings, SPEC)).to_pandas()
    assert (bronze["jour"] == flood_day).sum() == 400  # the data is kept, just not published
    # The run's gates read the marts through one kept reader: closed with the run, a writer gets in.
    duckdb.connect(str(settings.build_db)).close()


def _gate_metadata(settings, mart: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The metadata of the last evaluation of ``mart``'s gate, as the run stored it."""
    from orchestration.runner import prepare_instance

    with prepare_instance(settings) as instance:
        check = dg.AssetCheckKey(dg.AssetKey(["marts", mart]), "great_expectations_gate")
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([check])[check]
        evaluation = record.event.dagster_event.event_specific_data  # type: ignore[union-attr]
        return {key: value.value for key, value in evaluation.metadata.items()}


def _dbt_built_in_the_process_started_ahead(settings) -> bool:  # type: ignore[no-untyped-def]
    """Whether the last run with a dbt build ran it in the process ``run`` started ahead."""
    from orchestration.core.warm_dbt import STARTED_AHEAD
    from orchestration.runner import prepare_instance

    with prepare_instance(settings) as instance:
        for run in instance.get_runs(limit=5):  # newest first
            events = instance.all_logs(run.run_id)
            if any("dbt_models" in (event.step_key or "") for event in events):
                return any(STARTED_AHEAD in (event.user_message or "") for event in events)
    return False


def test_cli_backfill_is_idempotent(pipeline_lake_copy: PipelineLake, capsys: pytest.CaptureFixture[str]) -> None:
    from orchestration.cli import main

    settings = pipeline_lake_copy.settings
    before = table_versions(settings)
    last = SIM_START + timedelta(days=SIM_DAYS - 1)
    assert main(["backfill", SPEC.name, "--from", str(SIM_START), "--to", str(last), "--lake", str(settings.lake)]) == 0
    assert f"'deliveries_already_processed': {SIM_DAYS}" in capsys.readouterr().out
    assert table_versions(settings) == before
    assert main(["backfill", "no_such_feed", "--from", str(SIM_START), "--to", str(last), "--lake", str(settings.lake)]) == 2


def _staging_as_built_whole(settings, work: Path) -> dict[str, tuple[set[tuple[object, ...]], set[tuple[object, ...]]]]:  # type: ignore[no-untyped-def]
    """Every incremental staging model as built, then rebuilt from all of bronze (dbt's
    --full-refresh): ``{model: (rows as built, rows rebuilt whole)}``.

    The rebuild runs on the lake's own build database and profile (the rows as built are read
    first), so dbt reuses the lake's parse state instead of parsing the project again.
    """
    import os
    import subprocess

    from orchestration.core.settings import DBT_PROJECT_DIR
    from orchestration.factories.dbt import APPENDED_SINCE_ENV, PARTIAL_PARSE, dbt_env, dbt_target_dir, incremental_staging_feeds
    from orchestration.factories.resources import dbt_executable

    models = [key.path[-1] for key in incremental_staging_feeds(DBT_PROJECT_DIR / "target" / "manifest.json")]
    built = {m: _rows_of(settings.build_db, m) for m in models}
    (work / "target").mkdir(parents=True)
    shutil.copy(dbt_target_dir(settings) / PARTIAL_PARSE, work / "target" / PARTIAL_PARSE)
    env = {**os.environ, **dbt_env(settings), APPENDED_SINCE_ENV: "{}"}
    subprocess.run(
        [dbt_executable(), "run", "--quiet", "--full-refresh", "--select", *models, "--target-path", str(work / "target"),
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        check=True, cwd=DBT_PROJECT_DIR, env=env,
    )  # fmt: skip
    return {m: (built[m], _rows_of(settings.build_db, m)) for m in models}


def _rows_of(db: Path, model: str) -> set[tuple[object, ...]]:
    with duck.connect(db, read_only=True, extensions=()) as con:
        rows = con.execute(f"select * from staging.{model}").fetchall()
    assert len(rows) == len(set(rows))
    return set(rows)


def test_staging_from_new_rows_equals_staging_from_all_of_bronze(pipeline_lake_copy: PipelineLake, tmp_path: Path) -> None:
    """A new day takes only the new bronze rows of the incremental staging models: the same rows as a
    rebuild from all of bronze. A withdrawal in bronze (a delete) makes the next build rebuild them whole."""
    from orchestration.core.bronze_appends import appended_since, load_states
    from orchestration.core.settings import DBT_PROJECT_DIR
    from orchestration.definitions import build_definitions
    from orchestration.factories.dbt import BRONZE_STATES, dbt_target_dir, incremental_staging_feeds, staging_rules
    from orchestration.runner import QUIET_LOGS, RunSummary, _run_landing_sensors, prepare_instance

    settings = pipeline_lake_copy.settings
    defs = build_definitions(settings.lake)
    staged = incremental_staging_feeds(DBT_PROJECT_DIR / "target" / "manifest.json")
    assert {"police_mains_courantes", "allo_mairie_demandes", "marins_pompiers_interventions"} <= set(staged.values())
    states = dbt_target_dir(settings) / BRONZE_STATES
    first_day = SIM_START + timedelta(days=SIM_DAYS)
    for day, seed in ((first_day, 101), (first_day + timedelta(days=1), 102)):
        recorded = load_states(states)
        assert SPEC.name in recorded  # the first build recorded what it read
        if day != first_day:
            # A withdrawn intervention: deleted from bronze, as a snapshot feed or the retention does.
            gone = lake.read(bronze_path(settings, SPEC), columns=["incident_id"]).column("incident_id")[0].as_py()
            lake.delete(bronze_path(settings, SPEC), f"incident_id = '{gone}'")
        # A day of the feeds the incremental models read, ingested; then those models built through
        # the dbt asset (its plan, dbt build), not the use cases downstream.
        simulate(settings.landing, start=day, days=1, seed=seed, scale=SIM_SCALE, feeds=sorted(set(staged.values())))
        with prepare_instance(settings) as instance:
            ingested = RunSummary()
            _run_landing_sensors(defs, instance, lambda _line: None, ingested)
            assert ingested.runs and all(run.success for run in ingested.runs)
            job = defs.resolve_implicit_global_asset_job_def()
            # With the police mart, which a singular dbt test compares with its staging.
            selection = [*staged, dg.AssetKey(["marts", MART])]
            assert job.execute_in_process(instance=instance, asset_selection=selection, run_config=QUIET_LOGS).success
        # The plan the build made, asked again of the same record: new rows only on the first day.
        since = appended_since(settings, SPEC.name, recorded[SPEC.name], staging_rules())
        assert (since is not None) == (day == first_day)
        if since is not None:  # from the new files' oldest row: none of the rows the last build read
            assert datetime.fromisoformat(since) > datetime.fromisoformat(recorded[SPEC.name].watermark or "")
        compared = _staging_as_built_whole(settings, tmp_path / f"{day}")
        for model, (built, whole) in compared.items():
            assert built == whole, model
        if day != first_day:  # as built by the day's build, not by the comparison's rebuild
            assert gone not in {row[0] for row in compared["stg_police__mains_courantes"][0]}
