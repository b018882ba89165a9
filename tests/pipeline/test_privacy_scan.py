"""No personal data leaves the restricted layer: scan every non-restricted table and export.

Restricted: landing (raw files), bronze and quarantine (pseudonymised rows, exact positions).
Everything else (build database views and tables, gold, open data, gate results, publication
manifests, run logs) must hold none of the names, phones, plates, e-mails or agent ids the
simulator planted, nor anything shaped like them, nor exact coordinates.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from orchestration.core import duck, lake
from orchestration.core.catalog import feeds
from orchestration.core.ingestion import LINEAGE_FIELDS, bronze_path
from orchestration.core.settings import DEV_KEY
from simulator.pii import EMAIL_RE, PHONE_RE, PLATE_RE, planted_values
from simulator.streets import STREETS
from tests.conftest import PipelineLake

pytestmark = pytest.mark.pipeline
RESTRICTED = ("landing", "bronze", "quarantine")
POSITION_COLUMNS = {"latitude", "longitude", "lat", "lon", "adresse", "geom"}


LINEAGE = LINEAGE_FIELDS.names


def find_leak(text: str, planted: list[str]) -> str | None:
    """The first planted value or identifier-shaped string in ``text``, if any.

    Plain substring search per value (C speed) rather than one huge regex alternation.
    """
    for value in planted:
        if value in text:
            return value
    return shaped_leak(text)


def shaped_leak(text: str) -> str | None:
    """The first phone-, plate- or e-mail-shaped string in ``text``, if any."""
    for regex in (PHONE_RE, PLATE_RE, EMAIL_RE):
        if match := regex.search(text):
            return match.group(0)
    return None


def texts_holding_planted(texts: dict[str, str], planted: list[str], scratch: Path) -> list[str]:
    """The names of the texts holding a planted value: each text written to a file, then one grep
    pass (``files_holding_any``) instead of thousands of substring scans per text."""
    files = {}
    for i, (name, text) in enumerate(texts.items()):
        files[scratch / f"{i}.txt"] = name
        (scratch / f"{i}.txt").write_text(text, encoding="utf-8")
    return [files[path] for path in files_holding_any(_planted_bytes(planted), list(files), scratch)]


def text_columns(frame: pd.DataFrame) -> str:
    """The frame's text columns as CSV (numbers, timestamps and lineage cannot hold a name)."""
    texts = frame.drop(columns=[c for c in LINEAGE if c in frame.columns]).select_dtypes(include=["object", "string"])
    return texts.astype(str).to_csv(index=False)


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


def _landing_text(pipeline_lake: PipelineLake) -> str:
    texts = []
    for name, spec in feeds().items():
        for path in sorted((pipeline_lake.settings.landing / name).glob("*")) if (pipeline_lake.settings.landing / name).is_dir() else []:
            data = path.read_bytes()
            try:
                texts.append(data.decode(spec.format.encoding))
            except UnicodeDecodeError:
                texts.append(data.decode("cp1252", errors="replace"))  # the simulator's wrong-encoding file
    return "\n".join(texts)


def test_scanner_sees_the_planted_data_in_landing(pipeline_lake: PipelineLake) -> None:
    """The scanner is not blind: the raw drops do contain what it looks for."""
    planted = planted_values(pipeline_lake.truth)
    raw = _landing_text(pipeline_lake)
    assert len(planted) > 100
    missing = [v for v in planted if v not in raw]
    assert not missing, missing[:5]
    assert PHONE_RE.search(raw) and PLATE_RE.search(raw) and EMAIL_RE.search(raw)


def test_bronze_holds_no_direct_identifier(pipeline_lake: PipelineLake, tmp_path: Path) -> None:
    """Every bronze table: pseudonyms only, no planted name, phone, e-mail, plate or agent id."""
    planted = sorted(planted_values(pipeline_lake.truth))
    texts = {}
    for name, spec in feeds().items():
        path = bronze_path(pipeline_lake.settings, spec)
        if not path.exists():
            continue
        frame = lake.read(path).to_pandas()
        assert not {c.name for c in spec.columns if c.privacy == "drop"} & set(frame.columns), name
        texts[f"bronze/{name}"] = text = text_columns(frame)
        leak = shaped_leak(text)
        assert leak is None, f"bronze/{name} leaks {leak!r}"
    assert len(texts) >= 15
    holding = texts_holding_planted(texts, planted, tmp_path)
    assert not holding, f"{holding[0]} leaks {find_leak(texts[holding[0]], planted)!r}"


def test_no_planted_identifier_outside_the_restricted_layer(pipeline_lake: PipelineLake, tmp_path: Path) -> None:
    planted = sorted(planted_values(pipeline_lake.truth))
    # An exact address is a number on a street ("12 rue Paradis"); a market named after its street
    # ("cours Julien") is a public place, not an address.
    address = re.compile(r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:" + "|".join(re.escape(s) for s in STREETS) + r")\b")
    texts = {}
    for name, frame in non_restricted_tables(pipeline_lake):
        assert not (POSITION_COLUMNS & set(frame.columns)), f"{name} carries exact positions"
        texts[name] = text = text_columns(frame)
        leak = shaped_leak(text)
        assert leak is None, f"{name} leaks {leak!r}"
        match = address.search(text)
        assert match is None, f"{name} leaks the address {match.group(0)!r}"
    for path in non_restricted_text_files(pipeline_lake):
        texts[str(path)] = text = path.read_text(encoding="utf-8", errors="replace")
        leak = shaped_leak(text)
        assert leak is None, f"{path} leaks {leak!r}"
    assert len(texts) >= 8
    holding = texts_holding_planted(texts, planted, tmp_path)
    assert not holding, f"{holding[0]} leaks {find_leak(texts[holding[0]], planted)!r}"


def test_the_key_never_lands_in_the_lake(pipeline_lake: PipelineLake) -> None:
    key = DEV_KEY.encode()
    for path in pipeline_lake.settings.lake.rglob("*"):
        if path.is_file() and "landing" not in path.parts:
            assert key not in path.read_bytes(), f"{path} contains the pseudonymisation key"


def _planted_bytes(planted: list[str]) -> list[bytes]:
    """Planted values as they could sit on disk: UTF-8 and Latin-1 (partners' encodings)."""
    found = set()
    for value in planted:
        found.add(value.encode("utf-8"))
        with contextlib.suppress(UnicodeEncodeError):
            found.add(value.encode("latin-1"))
    return sorted(found)


def test_quarantine_holds_pseudonyms_only_and_kept_files_are_encrypted(pipeline_lake: PipelineLake) -> None:
    """quarantine/rows and quarantine/deliveries hold no raw personal value; quarantine/files, the
    raw evidence of rejected deliveries, is encrypted on disk (its raw bytes hold none either) and
    decrypts to the delivered bytes: landing and those encrypted files are the only raw copies."""
    from orchestration.core.evidence import read_evidence
    from orchestration.core.ingestion import quarantine_rows_path, rejected_deliveries_path

    settings = pipeline_lake.settings
    planted = sorted(planted_values(pipeline_lake.truth))
    for path in (quarantine_rows_path(settings), rejected_deliveries_path(settings)):
        frame = lake.read(path).to_pandas()
        leak = find_leak(frame.select_dtypes(include=["object", "string"]).astype(str).to_csv(index=False), planted)
        assert leak is None, f"{path} leaks {leak!r}"
    kept = sorted((settings.quarantine / "files").rglob("*"))
    kept = [p for p in kept if p.is_file()]
    assert kept, "the simulated dirt includes rejected files: some evidence must be kept"
    sizes = {r["kept_at"]: r["size_bytes"] for r in lake.read(rejected_deliveries_path(settings)).to_pylist()}
    needles = _planted_bytes(planted)
    for path in kept:
        raw = path.read_bytes()
        assert not any(n in raw for n in needles), f"{path} holds a raw personal value on disk"
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
        # Decrypts with the lake's key to the delivered bytes (an empty delivery is kept too).
        assert len(read_evidence(settings, path)) == sizes[str(path.relative_to(settings.lake))]


def files_holding_any(needles: list[bytes], files: list[Path], scratch: Path) -> list[Path]:
    """The files whose bytes contain at least one needle, by GNU grep's fixed-string matcher
    (Aho-Corasick-like: one pass per file whatever the number of needles; a Python loop of
    ``needle in raw`` over thousands of needles took minutes on Dagster's 20 MB of databases)."""
    assert needles and all(needles) and not any(b"\n" in n for n in needles)  # an empty line matches all
    patterns = scratch / "needles.bin"
    patterns.write_bytes(b"\n".join(needles) + b"\n")
    found: list[Path] = []
    for start in range(0, len(files), 200):
        chunk = files[start : start + 200]
        done = subprocess.run(
            ["grep", "--fixed-strings", "--text", "--files-with-matches", "--file", str(patterns), "--", *map(str, chunk)],
            capture_output=True,
            env={**os.environ, "LC_ALL": "C"},  # bytes, not characters: Latin-1 needles match as written
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr.decode(errors="replace")  # 1: no match at all
        found += [Path(line) for line in done.stdout.decode().splitlines()]
    return found


def test_files_holding_any_finds_every_needle_and_only_them(tmp_path: Path) -> None:
    """The byte scanner is not blind: UTF-8 and Latin-1 needles inside binary files are found."""
    hit_utf8, hit_latin1, clean = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    hit_utf8.write_bytes(b"\x00\x01SQLite" + "Zoé Martin".encode() + b"\x00" * 10)
    hit_latin1.write_bytes(b"\xff" * 5 + "Zoé Martin".encode("latin-1") + b"\n")
    clean.write_bytes(b"\x00Zo Martin\x00" + "Zoé".encode())
    needles = _planted_bytes(["Zoé Martin", "06 12 34 56 78"])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert sorted(files_holding_any(needles, [hit_utf8, hit_latin1, clean], scratch)) == [hit_utf8, hit_latin1]


def test_dagster_storage_holds_no_raw_personal_value(pipeline_lake: PipelineLake, tmp_path: Path) -> None:
    """Dagster's run database, event logs and compute logs (``<lake>/.dagster``), scanned as bytes."""
    home = pipeline_lake.settings.dagster_home
    assert home.is_dir()
    planted = sorted(planted_values(pipeline_lake.truth))
    needles = _planted_bytes(planted)
    files = [p for p in home.rglob("*") if p.is_file() and not p.is_symlink()]
    holding = files_holding_any(needles, files, tmp_path)
    if holding:  # name the value, for the report
        raw = holding[0].read_bytes()
        pytest.fail(f"{holding[0]} holds {next((n for n in needles if n in raw), None)!r}")
    scanned = 0
    for path in files:
        raw = path.read_bytes()
        scanned += 1
        leak = EMAIL_RE.search(raw.decode("utf-8", errors="replace"))
        assert leak is None, f"{path} holds the e-mail-shaped {leak.group(0)!r}"
    assert scanned >= 1
