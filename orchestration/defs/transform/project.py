"""The dbt project as Dagster sees it; the manifest is (re)built here when models changed.

Kept apart from the ``@dbt_assets`` module: the manifest must exist before that module imports.
"""


import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.core.duck import ensure_extensions
from orchestration.core.settings import DBT_PROJECT_DIR, DUCKDB_EXTENSION_DIR, REFERENCE_DIR, Settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt of this virtualenv, so nothing depends on PATH."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment the dbt profile and sources read (see dbt_project/profiles.yml)."""
    return {
        "OBSERVATOIRE_LAKE": str(settings.lake),
        "OBSERVATOIRE_BUILD_DB": str(settings.build_db),
        "OBSERVATOIRE_DUCKDB_EXTENSIONS": str(DUCKDB_EXTENSION_DIR),
        "OBSERVATOIRE_REFERENCE_DIR": str(REFERENCE_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", *DBT_PROJECT_DIR.glob("models/**/*"), *DBT_PROJECT_DIR.glob("macros/**/*"), *DBT_PROJECT_DIR.glob("tests/**/*")]
    return any(p.stat().st_mtime > built for p in sources if p.is_file())


def ensure_manifest() -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the models (about 5 s)."""
    ensure_extensions()
    if _manifest_is_stale():
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
            check=True,
            cwd=DBT_PROJECT_DIR,
            env=env,
        )
    return dbt_project.manifest_path


ensure_manifest()
