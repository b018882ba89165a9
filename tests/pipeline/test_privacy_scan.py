"""No personal data leaves the restricted layer: scan every non-restricted table and export.

Restricted: landing (raw files), bronze and quarantine (pseudonymised rows, exact positions).
Everything else (build database views and tables, gold, open data, gate results, publication
manifests, run logs) must hold none of the names, phones, plates, e-mails or agent ids the
simulator planted, nor anything shaped like them, nor exact coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from infra.simulator.pii import EMAIL_RE, PHONE_RE, PLATE_RE, planted_values
from infra.simulator.streets import STREETS
from orchestration import duck
from orchestration.settings import DEV_KEY
from tests.conftest import PipelineLake

pytestmark = pytest.mark.pipeline
RESTRICTED = ("landing", "bronze", "quarantine")
POSITION_COLUMNS = {"latitude", "longitude", "lat", "lon", "adresse", "geom"}


def non_restricted_tables(pipeline_lake: PipelineLake) -> Iterator[tuple[str, pd.DataFrame]]:
    settings = pipeline_lake.settings
    con = duck.connect(settings.build_db, read_only=True)
    try:
        relations = con.sql(
            "select table_schema, table_name from information_schema.tables where table_schema <> 'main'"
        ).fetchall()
        for schema, name in relations:
            if name == "stg_reference__quartiers":
                yield f"{schema}.{name}", con.sql(f"select * exclude (geom) from {schema}.{name}").df()
            else:
                yield f"{schema}.{name}", con.sql(f"select * from {schema}.{name}").df()
    finally:
        con.close()
    for folder in (settings.gold, settings.open_data):
        for delta in folder.glob("*/_delta_log"):
            from orchestration import lake

            yield str(delta.parent), lake.read(delta.parent).to_pandas()
        for parquet in folder.rglob("*.parquet"):
            if "_delta_log" not in str(parquet) and not (parquet.parent / "_delta_log").exists():
                yield str(parquet), pd.read_parquet(parquet)


def non_restricted_text_files(pipeline_lake: PipelineLake) -> Iterator[Path]:
    lake_root = pipeline_lake.settings.lake
    for path in lake_root.rglob("*"):
        top = path.relative_to(lake_root).parts[0]
        if path.is_file() and top not in RESTRICTED and path.suffix in {".json", ".csv", ".log", ".txt", ".yaml"}:
            yield path


def test_scanner_sees_the_planted_data_in_landing(pipeline_lake: PipelineLake) -> None:
    """The scanner is not blind: the raw drops do contain what it looks for."""
    planted = planted_values(pipeline_lake.truth)
    raw = "".join(p.read_text(encoding="latin-1") for p in (pipeline_lake.settings.landing / "police_mains_courantes").glob("*.csv"))
    assert len(planted) > 100
    assert sum(value in raw for value in planted) == len(planted)
    assert PHONE_RE.search(raw) and PLATE_RE.search(raw)


def test_no_planted_identifier_outside_the_restricted_layer(pipeline_lake: PipelineLake) -> None:
    planted = sorted(planted_values(pipeline_lake.truth))
    pattern = re.compile("|".join(re.escape(v) for v in planted))
    street_pattern = re.compile("|".join(re.escape(s) for s in STREETS))
    scanned = 0
    for name, frame in non_restricted_tables(pipeline_lake):
        scanned += 1
        assert not (POSITION_COLUMNS & set(frame.columns)), f"{name} carries exact positions"
        text = frame.astype(str).to_csv(index=False)
        for regex in (pattern, PHONE_RE, PLATE_RE, EMAIL_RE, street_pattern):
            match = regex.search(text)
            assert match is None, f"{name} leaks {match.group(0)!r}"
    for path in non_restricted_text_files(pipeline_lake):
        scanned += 1
        text = path.read_text(encoding="utf-8", errors="replace")
        for regex in (pattern, PHONE_RE, PLATE_RE, EMAIL_RE):
            match = regex.search(text)
            assert match is None, f"{path} leaks {match.group(0)!r}"
    assert scanned >= 8


def test_the_key_never_lands_in_the_lake(pipeline_lake: PipelineLake) -> None:
    key = DEV_KEY.encode()
    for path in pipeline_lake.settings.lake.rglob("*"):
        if path.is_file() and "landing" not in path.parts:
            assert key not in path.read_bytes(), f"{path} contains the pseudonymisation key"
