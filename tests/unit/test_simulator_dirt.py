"""Every kind of defect appears in the truth file and, at the recorded place, in the data; every
other line is clean; file-level defects are observable on the file itself."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.core.catalog import feed
from simulator import SIMULATED_FEEDS, DirtRates, simulate
from simulator.dirt import FILE_KINDS, KINDS, REJECTING_KINDS
from tests.unit.test_simulator_formats import (
    DAYS,
    SCALE,
    SEED,
    START,
    file_defects,
    files_of,
    observed,
    read_file,
    truth_defects,
)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory):
    landing = tmp_path_factory.mktemp("dirty")
    report = simulate(landing, START, DAYS, seed=SEED, scale=SCALE)
    return report, json.loads(report.truth_path.read_text(encoding="utf-8"))


def test_truth_lists_every_kind_of_defect_with_its_place(dirty) -> None:
    report, truth = dirty
    kinds = Counter(d["kind"] for d in truth["defects"])
    assert set(KINDS) | set(FILE_KINDS) == set(kinds), kinds
    assert all(kinds[k] == 1 for k in FILE_KINDS)  # defaults: each file-level kind once in 30 days
    names = {p.name for p in report.files}
    for d in truth["defects"]:
        assert d["file"] in names
        spec = feed(d["feed"])
        if d["kind"] in KINDS:
            assert d["line"] >= (2 if spec.format.type == "csv" else 1) and d["record"] >= 0
            assert d["column"] is None or d["column"] in {c.name for c in spec.columns}
        else:
            assert d["line"] is None and d["record"] is None
    assert len(truth_defects(truth)) == sum(kinds[k] for k in KINDS)  # one defect per line
    assert {d["detail"] for d in truth["defects"] if d["kind"] == "duplicate_id"} == {"exact_repeat", "reused_id"}
    assert truth["parameters"]["dirt"] == DirtRates().as_dict()


def test_each_row_defect_is_where_the_truth_says_and_every_other_line_is_clean(dirty) -> None:
    report, truth = dirty
    expected = truth_defects(truth)
    rejected = {name for name, d in file_defects(truth).items() if d["kind"] in REJECTING_KINDS}
    seen: Counter[str] = Counter()
    for cls in SIMULATED_FEEDS:
        spec = feed(cls.feed_name)
        for path in files_of(report, cls.feed_name):
            if path.name in rejected:
                assert not any(name == path.name for name, _ in expected), "a rejected file has row defects"
                continue
            found = observed(path, spec)
            wanted = {line: {d["kind"]} for (name, line), d in expected.items() if name == path.name}
            diff = {line: (found.get(line), wanted.get(line)) for line in set(found) | set(wanted) if found.get(line) != wanted.get(line)}
            assert not diff, (path.name, dict(list(diff.items())[:6]))
            for kinds in found.values():
                seen.update(kinds)
    assert set(seen) == set(KINDS), seen


def test_exact_repeats_copy_an_earlier_record_byte_for_byte(dirty) -> None:
    report, truth = dirty
    by_name = {p.name: p for p in report.files}
    repeats = [d for d in truth["defects"] if d["detail"] == "exact_repeat"]
    assert repeats
    for d in repeats[:200]:
        spec = feed(d["feed"])
        _, records = read_file(by_name[d["file"]], spec)
        record = records[d["record"]]
        assert record.line == d["line"]
        assert any(r.raw == record.raw for r in records[: d["record"]])


def _declared_sources(spec) -> list[str]:
    return list(spec.source_headers)


def test_file_level_defects_are_observable_on_the_files(dirty) -> None:
    report, truth = dirty
    by_name = {p.name: p for p in report.files}
    metas = {f["file"]: f for f in truth["files"]}
    checked = set()
    for name, d in file_defects(truth).items():
        path: Path = by_name[name]
        spec = feed(d["feed"])
        data = path.read_bytes()
        encoding = spec.format.encoding
        kind = d["kind"]
        if kind == "wrong_encoding":
            assert any(b > 0x7F for b in data)
            if encoding.startswith("utf-8"):
                with pytest.raises(UnicodeDecodeError):
                    data.decode(encoding)
            else:
                data.decode("utf-8")  # a Latin-1 feed delivered in UTF-8
        elif kind == "empty_file":
            assert data == b""
        elif kind == "truncated_file":
            assert data and not data.endswith(b"\n")
            text = data.decode(encoding)
            last = text.splitlines()[-1]
            if spec.format.type == "csv":
                header = text.splitlines()[0]
                import csv
                import io

                fields = next(csv.reader(io.StringIO(last), delimiter=spec.format.separator))
                assert len(fields) < len(next(csv.reader(io.StringIO(header), delimiter=spec.format.separator)))
            else:
                with pytest.raises(json.JSONDecodeError):
                    json.loads(last if spec.format.type == "jsonl" else text)
        elif kind in ("breaking_schema_change", "additive_schema_change"):
            header, records = read_file(path, spec)
            declared = _declared_sources(spec)
            if spec.format.type != "csv":
                header = list(next(r.values for r in records if r.values))
            if kind == "breaking_schema_change":
                renamed = spec.column(d["column"]).source
                assert renamed not in header and len(header) == len(declared)
            else:
                assert header[: len(declared)] == declared and len(header) == len(declared) + 1
        elif kind in ("late_file", "duplicate_delivery"):
            delivered = datetime.fromisoformat(d["delivered_at"])
            assert abs(os.stat(path).st_mtime - delivered.timestamp()) < 1
            assert metas[name]["delivered_at"] == d["delivered_at"]
            if kind == "late_file":
                day_after = datetime.combine(date.fromisoformat(metas[name]["period_end"]) + timedelta(days=2), datetime.min.time())
                assert delivered.replace(tzinfo=None) > day_after
        checked.add(kind)
    assert checked == set(FILE_KINDS)


def test_every_file_mtime_is_its_delivery_time(dirty) -> None:
    report, truth = dirty
    by_name = {p.name: p for p in report.files}
    for meta in truth["files"]:
        delivered = datetime.fromisoformat(meta["delivered_at"])
        assert abs(os.stat(by_name[meta["file"]]).st_mtime - delivered.timestamp()) < 1
        assert delivered.date() >= date.fromisoformat(meta["day"]) - timedelta(days=40)  # calendars are published ahead


def test_dirt_changes_only_the_dirty_rows(tmp_path: Path) -> None:
    day = date(2019, 3, 4)
    dirty = simulate(tmp_path / "dirty", day, 2, seed=3, scale=0.2, dirt=DirtRates(file_defects={}))
    clean = simulate(tmp_path / "clean", day, 2, seed=3, scale=0.2, dirt=DirtRates.none())
    truth = json.loads(dirty.truth_path.read_text(encoding="utf-8"))
    assert json.loads(clean.truth_path.read_text(encoding="utf-8"))["defects"] == []
    expected = truth_defects(truth)
    for dirty_path, clean_path in zip(dirty.files, clean.files, strict=True):
        spec = feed(dirty_path.parent.name)
        dirty_records = read_file(dirty_path, spec)[1]
        clean_records = read_file(clean_path, spec)[1]
        kept = [r.raw for r in dirty_records if (dirty_path.name, r.line) not in expected]
        repeats = sum(1 for (name, _), d in expected.items() if name == dirty_path.name and d["detail"] == "exact_repeat")
        assert len(clean_records) == len(dirty_records) - repeats
        clean_raw = [r.raw for r in clean_records]
        assert all(r in clean_raw for r in kept), dirty_path.name


def test_file_defects_are_configurable_and_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        DirtRates(file_defects={"corrupted": [["csu_evenements", 1]]})
    with pytest.raises(ValueError, match="does not play"):
        simulate(tmp_path, START, 1, dirt=DirtRates(file_defects={"empty_file": [["no_such_feed", 0]]}))
    rates = DirtRates.from_dict({"bad_date": 0.01, "file_defects": {"empty_file": ["police_mains_courantes", 0]}})
    assert rates.file_defects_for("police_mains_courantes") == [("empty_file", 0)]
    assert DirtRates(file_defects={"wrong_encoding": ["police_mains_courantes", 5]}).file_defects_for("police_mains_courantes") == [
        ("wrong_encoding", 5)]
    report = simulate(tmp_path / "l", date(2026, 3, 2), 1, scale=0.1, effects={"dirt": {"file_defects": {"empty_file": [["meteo_horaire", 0]]}}})
    truth = json.loads(report.truth_path.read_text(encoding="utf-8"))
    assert [(d["feed"], d["kind"]) for d in truth["defects"] if d["line"] is None] == [("meteo_horaire", "empty_file")]


# --- planted personal data ---------------------------------------------------------------------


def test_planted_personal_data_appears_only_in_columns_declared_to_remove_it(dirty) -> None:
    """Names, phones, plates, e-mails and account/agent ids sit only in drop, redact or pseudonymise
    columns; every planted value is somewhere in the landing files (a scanner has a target)."""
    import re

    from simulator.pii import EMAIL_RE, FIRST_NAMES, LAST_NAMES, PHONE_RE, PLATE_RE, planted_values

    report, truth = dirty
    name_re = re.compile(rf"\b(?:{'|'.join(map(re.escape, FIRST_NAMES))}) (?:{'|'.join(map(re.escape, LAST_NAMES))})\b")
    ids = set(truth["planted"]["agent_ids"]) | set(truth["planted"]["user_ids"])
    carriers: dict[tuple[str, str], str] = {}
    texts: list[str] = []
    for cls in SIMULATED_FEEDS:
        spec = feed(cls.feed_name)
        privacy = {c.source: c.privacy for c in spec.columns}
        for path in files_of(report, cls.feed_name):
            try:
                _, records = read_file(path, spec)
            except (UnicodeDecodeError, json.JSONDecodeError, ValueError, StopIteration):
                continue  # rejected deliveries (wrong encoding, truncated, empty)
            for record in records:
                for source, value in (record.values or {}).items():
                    if not isinstance(value, str) or not value:
                        continue
                    texts.append(value)
                    if value in ids or any(r.search(value) for r in (name_re, PHONE_RE, PLATE_RE, EMAIL_RE)):
                        carriers[(cls.feed_name, source)] = privacy.get(source, "undeclared")
    assert carriers
    leaks = {k: v for k, v in carriers.items() if v not in ("drop", "redact", "pseudonymise")}
    assert leaks == {}
    assert ("allo_mairie_demandes", "Courriel") in carriers and ("allo_mairie_demandes", "Nom du demandeur") in carriers
    raw = [p.read_bytes() for p in report.files]
    corpus = "\n".join([*texts, *(b.decode("utf-8", errors="replace") for b in raw), *(b.decode("latin-1") for b in raw)])
    assert [v for v in planted_values(truth) if v not in corpus] == []
