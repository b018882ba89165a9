"""The dbt project as Dagster assets: translator (keys, groups, automation), manifest, ``dbt build``."""

import contextlib
import functools
import json
import logging
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from orchestration.core import duck, lake, warm_dbt
from orchestration.core.bronze_appends import BronzeState, load_states, plan, save_states
from orchestration.core.catalog import feeds, marts
from orchestration.core.digests import files_digest
from orchestration.core.duck import ensure_extensions
from orchestration.core.governance import ensure_gate_log
from orchestration.core.ingestion import ensure_tables
from orchestration.core.publishing import read_mart
from orchestration.core.settings import DBT_PROJECT_DIR, DUCKDB_EXTENSION_DIR, REFERENCE_DIR, Settings
from orchestration.factories.automation import rebuild_after_every_ingest, rebuild_on_upstream_change
from orchestration.factories.gates import validate_in_background
from orchestration.factories.resources import ObservatoireResource, dbt_executable

# The lake's ledgers (meta/, quarantine/) are dbt sources Dagster never materialises: models
# reading them have no upstream change to react to, so they are rebuilt after every ingest.
LEDGER_SOURCE = "observatoire"


PARTIAL_PARSE = "partial_parse.msgpack"


def dbt_target_dir(settings: Settings) -> Path:
    """Where dbt's invocations of this lake write their target folders, and keep their parse state.

    dbt reuses a parse (``partial_parse.msgpack``) only under the same profile and environment:
    the one of the project's ``dbt parse`` names another build database, so every ``dbt build``
    parsed the whole project again. Kept per lake, the parse state matches the next build's.
    """
    return settings.build_db.parent / "dbt_target"


def keep_parse_state(settings: Settings, invocation_target: Path) -> None:
    """Keep a build's parse state for the next build of this lake (dagster-dbt copies it in).

    The invocation folders themselves (manifest, run results, compiled SQL, logs: tens of MB) are
    removed, the current one included: they would pile up in the lake, and the lake's text files
    outside the restricted layers are what the privacy scan reads (a dbt test id's hash such as
    ``...format_source.0977625024`` has the shape of a phone number). Dagster's event log keeps
    what each dbt node did.
    """
    state = invocation_target / PARTIAL_PARSE
    if state.exists():
        kept = dbt_target_dir(settings) / PARTIAL_PARSE
        shutil.copyfile(state, kept.with_suffix(".tmp"))
        kept.with_suffix(".tmp").replace(kept)
    for folder in dbt_target_dir(settings).iterdir():
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


# Beside the parse state: the digest of the project under which the dbt unit tests last passed.
UNIT_TESTS_PASSED = "unit_tests_passed.json"
# What a dbt unit test's outcome depends on: the SQL and YAML of the project, and the engines.
PROJECT_SOURCES = ("dbt_project.yml", "models", "macros", "tests", "seeds")
ENGINES = ("dbt-core", "dbt-duckdb", "duckdb")


@functools.cache
def project_digest() -> str:
    """Digest of every file of the dbt project a unit test can depend on, and of the engines' versions."""
    roots = [DBT_PROJECT_DIR / source for source in PROJECT_SOURCES]
    return files_digest(roots, DBT_PROJECT_DIR, [metadata.version(e) for e in ENGINES])


def unit_tests_passed(settings: Settings) -> bool:
    """Whether every dbt unit test already passed on this lake under the current project and engines.

    Unit tests check a model's SQL on fixed fixture rows, not the data: their outcome only changes
    with the project's files or the engines. A daily build skips them once they passed (a ninth of
    a new day's dbt build); a model or macro change runs them again until a full build passes.
    """
    path = dbt_target_dir(settings) / UNIT_TESTS_PASSED
    return path.exists() and json.loads(path.read_text(encoding="utf-8")).get("project") == project_digest()


def record_unit_tests_passed(settings: Settings) -> None:
    """Note that a build of the whole project, unit tests included, passed under the current digest."""
    path = dbt_target_dir(settings) / UNIT_TESTS_PASSED
    path.with_suffix(".tmp").write_text(json.dumps({"project": project_digest()}), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)


# Beside the parse state: each incremental staging model's bronze table as its last build read it.
BRONZE_STATES = "bronze_states.json"
# The variable the incremental staging models read (macros/incremental_staging.sql).
APPENDED_SINCE_ENV = "OBSERVATOIRE_BRONZE_APPENDED_SINCE"


@functools.cache
def staging_rules() -> str:
    """What an incremental staging row depends on besides its bronze row: the project, the engines, the geography."""
    return files_digest([REFERENCE_DIR], REFERENCE_DIR.parent, [project_digest()])


@functools.cache
def incremental_staging_feeds(manifest_path: Path) -> dict[dg.AssetKey, str]:
    """Each incremental model of the project (its asset key) and the one bronze feed it reads."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    found: dict[dg.AssetKey, str] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("materialized") != "incremental":
            continue
        sources = [uid.split(".")[-1] for uid in node["depends_on"]["nodes"] if uid.startswith("source.observatoire.bronze.")]
        if len(sources) != 1:
            raise ValueError(f"{node['name']}: an incremental staging model reads exactly one bronze table, not {sources}")
        found[dg.AssetKey([node["fqn"][1], node["name"]])] = sources[0]
    return found


def plan_incremental_staging(settings: Settings, selected: Iterable[dg.AssetKey], manifest_path: Path) -> tuple[dict[str, str], bool, dict[str, BronzeState]]:
    """For the selected incremental staging models: from when each feed's new rows are taken (feeds
    absent are rebuilt whole), whether dbt must drop and rebuild them (another project), and the
    bronze state to record once the build succeeded."""
    staged = incremental_staging_feeds(manifest_path)
    chosen = sorted({staged[key] for key in selected if key in staged})
    rules = staging_rules()
    recorded = load_states(dbt_target_dir(settings) / BRONZE_STATES)
    planned = {feed: plan(settings, feed, recorded.get(feed), rules) for feed in chosen}
    before = {feed: state for feed, (state, _since) in planned.items()}
    since = {feed: start for feed, (_state, start) in planned.items() if start}
    # The models' SQL may have changed columns: dbt drops and builds them again (its --full-refresh).
    full_refresh = any(feed in recorded and recorded[feed].rules != rules for feed in chosen)
    return since, full_refresh, before


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment the dbt profile and sources read (see dbt_project/profiles.yml)."""
    return {
        **object_store_env(settings),
        "OBSERVATOIRE_LAKE": str(settings.lake),
        "OBSERVATOIRE_BUILD_DB": str(settings.build_db),
        "OBSERVATOIRE_DUCKDB_EXTENSIONS": str(DUCKDB_EXTENSION_DIR),
        "OBSERVATOIRE_REFERENCE_DIR": str(REFERENCE_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        # No debug log file: it went to the invocation folder, removed after the build (keep_parse_state),
        # and writing it was a sixth of dbt's CPU. Dagster's event log keeps what each node did.
        "DBT_LOG_LEVEL_FILE": "none",
    }


def object_store_env(settings: Settings) -> dict[str, str]:
    """Cluster profile: the ``cluster`` dbt target, where the Delta tables are and DuckDB's S3 secret."""
    store = settings.object_store
    if store is None:
        return {}
    return {
        "DBT_TARGET": "cluster",
        "OBSERVATOIRE_TABLES": lake.location(settings.lake).uri,
        "OBSERVATOIRE_S3_HOST": store.endpoint.split("://", 1)[1],
        "OBSERVATOIRE_S3_USE_SSL": str(store.endpoint.startswith("https://")).lower(),
        "OBSERVATOIRE_S3_REGION": store.region,
        "OBSERVATOIRE_S3_ACCESS_KEY_ID": store.access_key_id,
        "OBSERVATOIRE_S3_SECRET_ACCESS_KEY": store.secret_access_key,
    }


@contextlib.contextmanager
def scoped_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` for the dbt subprocess only (it inherits os.environ), then restore."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [
        DBT_PROJECT_DIR / "dbt_project.yml",
        *DBT_PROJECT_DIR.glob("models/**/*"),
        *DBT_PROJECT_DIR.glob("macros/**/*"),
        *DBT_PROJECT_DIR.glob("tests/**/*"),
    ]
    return any(p.stat().st_mtime > built for p in sources if p.is_file())


def ensure_dbt_manifest(project: DbtProject) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the models (about 5 s)."""
    ensure_extensions()
    if _manifest_is_stale(project):
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
            check=True,
            cwd=DBT_PROJECT_DIR,
            env=env,
        )
    return project.manifest_path


def _depends_on(dbt_resource_props: Mapping[str, Any], *prefixes: str) -> bool:
    package = dbt_resource_props["package_name"]
    wanted = tuple(p.format(package=package) for p in prefixes)
    return any(dep.startswith(wanted) for dep in dbt_resource_props.get("depends_on", {}).get("nodes", []))


def automation_condition_for(dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition:
    """When a model rebuilds: after an upstream change; after every ingest if it reads the ledgers."""
    if _depends_on(dbt_resource_props, f"source.{{package}}.{LEDGER_SOURCE}."):
        return rebuild_after_every_ingest()
    return rebuild_on_upstream_change()


class ObservatoireTranslator(DagsterDbtTranslator):
    """Asset keys follow the layers: ``staging/<model>``, ``marts/<model>``; sources are ``bronze/<feed>``."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            layer = dbt_resource_props["fqn"][1]
            return dg.AssetKey([layer, dbt_resource_props["name"]])
        if dbt_resource_props["resource_type"] == "source":
            # bronze.<feed> is written by that feed's ingest asset; observatoire.<table> are the
            # lake's own ledgers (meta/, quarantine/), written by ingestion and the gates.
            if dbt_resource_props["source_name"] == "bronze":
                return dg.AssetKey(["bronze", dbt_resource_props["name"]])
            return dg.AssetKey(["meta", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transform"

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        if dbt_resource_props["resource_type"] != "model":
            return None
        return automation_condition_for(dbt_resource_props)

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """Only the tests of marts are Dagster asset checks; those of staging and intermediate models run unsurfaced.

        A test of a staging or intermediate model blocks in dbt itself (``dbt build`` skips the
        model's children and fails the step, so nothing downstream in Dagster runs): as an asset
        check it blocked nothing more, but cost two events (planned, evaluated) in the instance's
        storage, 2 x 446 per run. The tests of marts stay checks, blocking what the mart feeds.
        """
        if asset_spec.key.path[0] != SURFACED_LAYER:
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)


# The layer whose dbt tests are surfaced as Dagster asset checks (see get_asset_check_spec).
SURFACED_LAYER = "marts"


TRANSLATOR = ObservatoireTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _metadata_text(event: dg.AssetObservation, key: str) -> str:
    value = event.metadata.get(key)
    return "" if value is None else str(getattr(value, "value", value))


# dagster-dbt warns once per unsurfaced test result (a stored log event each, 418 on a new day):
# on the logger of get_dagster_logger(), dropped by this message prefix while a build streams.
DAGSTER_BUILTIN_LOGGER = "dagster.builtin"
UNSURFACED_TEST_WARNING = "Logging an `AssetObservation` instead of an `AssetCheckResult`"


def _not_unsurfaced_test_warning(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(UNSURFACED_TEST_WARNING)


@contextlib.contextmanager
def unsurfaced_test_warnings_dropped() -> Iterator[None]:
    """While dbt's events stream: drop dagster-dbt's warning for each test that is not an asset check."""
    logger = logging.getLogger(DAGSTER_BUILTIN_LOGGER)
    logger.addFilter(_not_unsurfaced_test_warning)
    try:
        yield
    finally:
        logger.removeFilter(_not_unsurfaced_test_warning)


def without_unsurfaced_tests(events: Iterable[Any], context: dg.AssetExecutionContext) -> Iterator[Any]:
    """dagster-dbt's events, less the observations of tests that are not asset checks (one line for them all).

    dagster-dbt reports such a test as one observation per model it reads: events in storage
    that nobody reads. A failed or warning test is still logged by name; a failed one also fails
    the step (dbt exits non-zero), so nothing downstream runs.
    """
    statuses: dict[str, str] = {}
    for event in events:
        unique_id = _metadata_text(event, "unique_id") if isinstance(event, dg.AssetObservation) else ""
        if not unique_id.startswith("test."):
            yield event
            continue
        status = _metadata_text(event, "status") or "unknown"
        if unique_id not in statuses and status not in ("pass", "success"):
            level = context.log.warning if status == "warn" else context.log.error
            level(f"dbt test {unique_id.rsplit('.', 2)[-2]}: {status}")
        statuses[unique_id] = status
    if statuses:
        context.log.info(f"dbt tests of staging and intermediate models: {dict(Counter(statuses.values()))}")


# The generic test that holds a model's not_null, unique and accepted_values rules (macros/test_column_rules.sql).
COLUMN_RULES_TEST = "column_rules"


def broken_column_rules(run_results: Path, manifest: Mapping[str, Any], build_db: Path) -> str:
    """Which column broke which rule, for each failed ``column_rules`` test of a failed build: one line each.

    dbt's own message only counts a test's failing rows; this test folds every column's rules of a
    model into one node, so the failed test's query is run again (dbt has exited and released the
    build database) to name the column, the rule and the number of offending rows. Its rows hold
    no value of the data, only those names and counts. Empty when no such test failed.
    """
    if not run_results.exists():
        return ""
    lines = []
    for result in json.loads(run_results.read_text(encoding="utf-8"))["results"]:
        node = manifest.get("nodes", {}).get(result["unique_id"], {})
        if result["status"] != "fail" or (node.get("test_metadata") or {}).get("name") != COLUMN_RULES_TEST:
            continue
        model = manifest["nodes"].get(node.get("attached_node") or "", {}).get("name", result["unique_id"])
        try:
            with contextlib.closing(duck.connect(build_db, read_only=True, extensions=())) as con:
                rows = con.execute(result["compiled_code"]).fetchall()
        except Exception as error:  # the build failed anyway: say why the detail is missing
            lines.append(f"- {model}: {result['message']} (rules not re-read: {error})")
            continue
        lines += [f"- {model}.{column}: {rule} broken by {failing} row(s)" for column, rule, failing in rows]
    return "\n".join(lines)


def build_dbt_models(project: DbtProject) -> dg.AssetsDefinition:
    """Every dbt model as an asset (dbt tests as its checks), built with ``dbt build`` on a selection.

    dbt stays a subprocess. In-process (``dbtRunner``) was measured on a new day's selection: about
    3 of 17 CPU-seconds saved in a fresh ``observatoire run`` process (dbt's imports; the parse state
    must still be loaded), but dbt-duckdb keeps the build database open in the process afterwards
    (the marts' read-only connections then fail: "different configuration"), and dbt's flags,
    event manager and adapters are process-wide state shared by every lake a process builds.
    ``observatoire run`` instead starts a dbt process ahead, which imports dbt while the ingest
    runs and then runs this build (:mod:`orchestration.core.warm_dbt`).
    """

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=TRANSLATOR)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, observatoire: ObservatoireResource) -> Iterator[Any]:
        """Build every selected model and run its dbt tests against the bronze Delta tables."""
        settings = observatoire.settings()
        observatoire.release_build_db()  # dbt's process writes the build database: no reader may hold it
        settings.build_db.parent.mkdir(parents=True, exist_ok=True)
        # Every declared feed has a bronze table, empty if it never delivered, so staging can read it.
        for spec in feeds().values():
            ensure_tables(settings, spec)
        ensure_gate_log(settings)  # read by the observatory-health staging
        # dbt runs as a subprocess that inherits this environment (profile path, lake root).
        dbt_target_dir(settings).mkdir(parents=True, exist_ok=True)
        # DBT_TARGET_PATH: dagster-dbt puts the invocation's target folder under it, seeded with the parse state.
        skip_unit_tests = unit_tests_passed(settings)
        whole_project = set(context.selected_asset_keys) == set(context.assets_def.keys)
        since, full_refresh, bronze_read = plan_incremental_staging(settings, context.selected_asset_keys, project.manifest_path)
        if since or bronze_read:
            context.log.info(f"staging from new bronze rows only: {sorted(since) or 'none'}; rebuilt whole: {sorted(set(bronze_read) - set(since)) or 'none'}")
        args = ["build", *(["--exclude-resource-type", "unit_test"] if skip_unit_tests else []), *(["--full-refresh"] if full_refresh else [])]
        environment = {**dbt_env(settings), "DBT_TARGET_PATH": str(dbt_target_dir(settings)), APPENDED_SINCE_ENV: json.dumps(since)}
        # dbt already imported while the ingest ran, when the run started a process for it.
        launcher = warm_dbt.take_launcher(dbt.dbt_executable)
        cli = dbt if launcher is None else dbt.model_copy(update={"dbt_executable": launcher})
        if launcher is not None:
            context.log.info(f"{warm_dbt.STARTED_AHEAD}: {launcher}")
        with scoped_environ(environment):
            invocation = cli.cli(args, context=context)
            try:
                with unsurfaced_test_warnings_dropped():
                    yield from without_unsurfaced_tests(invocation.stream(), context)  # raises if any node failed
            except DagsterDbtCliRuntimeError as error:
                broken = broken_column_rules(invocation.target_path / "run_results.json", invocation.manifest, settings.build_db)
                if not broken:
                    raise
                raise DagsterDbtCliRuntimeError(description=f"{error.description}\n\nBroken column rules:\n{broken}") from error
            finally:  # a failed build leaves no invocation folder behind either
                keep_parse_state(settings, invocation.target_path)
        save_states(dbt_target_dir(settings) / BRONZE_STATES, bronze_read)  # reached only when every node passed
        # The SQL marts just built are final: validated in the background while the Python marts run.
        built = [key.path[-1] for key in context.selected_asset_keys if key.path[0] == "marts" and key.path[-1] in marts()]
        validate_in_background(settings, sorted(built), lambda mart: read_mart(settings, mart, reader=observatoire.build_db_reader))
        if whole_project and not skip_unit_tests:
            record_unit_tests_passed(settings)

    return dbt_models
