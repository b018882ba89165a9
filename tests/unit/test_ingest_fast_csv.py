"""The pyarrow CSV fast path reads exactly what the careful reader reads, or steps aside.

Every test compares with :func:`orchestration.core.parsing.read_delivery` (Python's ``csv``, every
physical line accounted for): same strings, same line numbers, same malformed lines and reasons,
same rejections; and the ingested tables are the same whichever reader ran.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest

from orchestration.core import fast_csv, ingestion, lake
from orchestration.core.catalog import feed
from orchestration.core.fast_csv import read_clean_csv
from orchestration.core.ingestion import (
    bronze_path,
    ensure_tables,
    ingest_deliveries,
    ledger_path,
    quarantine_rows_path,
    rejected_deliveries_path,
)
from orchestration.core.parsing import DeliveryRejected, read_delivery
from orchestration.core.settings import load_settings

POLICE = feed("police_mains_courantes")  # latin-1, ";", personal free text, contract checks
TELECOM = feed("telecom_presence")  # utf-8, ","
HEADER = ";".join(POLICE.source_headers)
ROW = "MC-2026-{n:06d};15/01/2026 14:{m:02d};TAP;12 rue de la République;43,300000;5,370000;PM0001;Jean DUPONT;Appel de Mme Sophie MARTIN"
NAME = "mains_courantes_202601{day:02d}.csv"


def rows(n: int, start: int = 1) -> list[str]:
    return [ROW.format(n=i, m=i % 60) for i in range(start, start + n)]


# Name -> body lines after the header (joined with "\r\n" unless the text is given whole).
CASES: dict[str, list[str] | str] = {
    "clean": rows(5),
    "extra_field": [*rows(2), rows(1, 3)[0] + ";x", *rows(2, 4)],
    "missing_field": [*rows(2), "MC-2026-000003;15/01/2026 14:03;TAP", *rows(2, 4)],
    "blank_lines": [*rows(2), "", *rows(1, 3), "", ""],
    "whitespace_line": [*rows(2), "   ", *rows(2, 3)],
    "quoted_separator": [*rows(2), rows(1, 3)[0].replace("Appel de", '"Appel; de ""Mme"""'), *rows(1, 4)],
    "duplicate_keys": [*rows(3), *rows(2)],
    "bad_values": [*rows(2), rows(1, 3)[0].replace("43,300000", "quarante"), rows(1, 4)[0].replace("TAP", "ZZZ")],
    "unbalanced_quote": [*rows(2), rows(1, 3)[0].replace("Jean", '"Jean'), *rows(2, 4)],
    "multiline_field": [*rows(2), rows(1, 3)[0].replace("Jean", '"Jean\r\nDUPONT"'), *rows(2, 4)],
    "truncated": HEADER + "\r\n" + "\r\n".join(rows(2)) + "\r\nMC-2026-000003;15/01",
    "no_final_break": HEADER + "\r\n" + "\r\n".join(rows(3)),
    "lone_cr": HEADER + "\r" + "\r".join(rows(3)) + "\r",
    "header_only": [],
    "nul_early": [*rows(2), rows(1, 3)[0].replace("Jean", "Je\x00an")],  # caught by the text sniffing
    "nul_late": [*rows(700), rows(1, 701)[0].replace("Jean", "Je\x00an")],  # past it: csv's own refusal
}
# What the fast path must read itself (else the speed is lost without anyone noticing).
FAST = {"clean", "extra_field", "missing_field", "blank_lines", "whitespace_line", "quoted_separator", "duplicate_keys",
        "bad_values", "no_final_break", "lone_cr", "header_only"}  # fmt: skip


def text_of(case: str) -> str:
    body = CASES[case]
    return body if isinstance(body, str) else "\r\n".join([HEADER, *body]) + "\r\n"


def as_table(frame) -> pa.Table:  # type: ignore[no-untyped-def]
    return pa.Table.from_pandas(frame, preserve_index=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_reads_what_the_careful_reader_reads(case: str, tmp_path: Path) -> None:
    path = tmp_path / NAME.format(day=15)
    path.write_bytes(text_of(case).encode("latin-1"))
    try:
        careful = read_delivery(path, POLICE)
    except DeliveryRejected as rejected:  # the fast path steps aside or says the same
        try:
            assert read_clean_csv(path.read_bytes(), POLICE) is None
        except DeliveryRejected as same:
            assert (same.reason_code, same.message) == (rejected.reason_code, rejected.message)
        assert case not in FAST
        return
    fast = read_clean_csv(path.read_bytes(), POLICE)
    assert (fast is not None) == (case in FAST), "fast path taken" if fast is not None else "fast path refused"
    if fast is None:
        return
    assert fast.table.column_names == [*careful.frame.columns]
    assert fast.table.cast(as_table(careful.frame).schema).equals(as_table(careful.frame))
    assert fast.malformed == careful.malformed
    assert fast.extra_columns == careful.extra_columns


def test_fast_path_rejects_what_the_careful_reader_rejects(tmp_path: Path) -> None:
    wrong_layout = "code_zone,debut_heure_utc,nb_residents\n1320101,2026-03-12T23:00:00Z,8220\n"
    for data in (b"", b"  \n", "é,à\n".encode("utf-16"), wrong_layout.encode()):
        path = tmp_path / "f.csv"
        path.write_bytes(data)
        with pytest.raises(DeliveryRejected) as careful:
            read_delivery(path, TELECOM)
        with pytest.raises(DeliveryRejected) as fast:
            read_clean_csv(data, TELECOM)
        assert (fast.value.reason_code, fast.value.message) == (careful.value.reason_code, careful.value.message)


def test_random_files_read_alike_or_fall_back(tmp_path: Path) -> None:
    """Random bytes-level mixes of quotes, separators and line breaks: never a different reading."""
    rng = random.Random(14)
    header = ",".join(TELECOM.source_headers)
    tokens = ["a", "1", '"', ",", " ", "\n", "\r", "\r\n", '""', 'x"y', "é"]
    taken = 0
    for _ in range(400):
        lines = []
        for _ in range(rng.randint(0, 5)):
            if rng.random() < 0.6:
                values = ["".join(rng.choice("ab1 é") for _ in range(rng.randint(0, 3))) for _ in TELECOM.source_headers]
                lines.append(",".join(f'"{v}"' if rng.random() < 0.3 else v for v in values))
            else:
                lines.append("".join(rng.choice(tokens) for _ in range(rng.randint(0, 10))))
        end = rng.choice(["\n", "\r\n", "\r"])
        data = (header + end + end.join(lines) + rng.choice(["", end])).encode()
        path = tmp_path / "f.csv"
        path.write_bytes(data)
        fast = read_clean_csv(data, TELECOM)
        if fast is None:
            continue
        taken += 1
        careful = read_delivery(path, TELECOM)
        assert fast.table.cast(as_table(careful.frame).schema).equals(as_table(careful.frame)), data
        assert fast.malformed == careful.malformed, data
    assert taken > 100  # the comparison is not vacuous


def _tables(settings) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    """Every table ingestion writes, rows sorted, ingestion timestamps left out."""
    stamps = {"_ingested_at", "quarantined_at", "detected_at", "ingested_at"}
    out = {}
    paths = {"bronze": bronze_path(settings, POLICE), "quarantine": quarantine_rows_path(settings)}
    paths |= {"rejected": rejected_deliveries_path(settings), "ledger": ledger_path(settings)}
    for name, path in paths.items():
        table = lake.open_table(path).to_pyarrow_table()  # type: ignore[union-attr]
        rows_ = [{k: v for k, v in row.items() if k not in stamps} for row in table.to_pylist()]
        out[name] = sorted(rows_, key=repr)
        out[name + "_schema"] = [str(table.schema)]  # type: ignore[list-item]
    return out


def _ingest_all(root: Path, monkeypatch: pytest.MonkeyPatch, fast: bool):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OBSERVATOIRE_KEY", raising=False)
    settings = load_settings(root / "lake")
    folder = settings.landing / POLICE.name
    folder.mkdir(parents=True)
    for day, case in enumerate(sorted(CASES), start=1):
        (folder / NAME.format(day=day)).write_bytes(text_of(case).encode("latin-1"))
    ensure_tables(settings, POLICE)
    with monkeypatch.context() as patch:
        if not fast:  # the careful reader only
            patch.setattr(ingestion, "read_clean_csv", lambda data, spec: None)
        calls = []
        original = ingestion.read_clean_csv

        def spy(data: bytes, spec):  # type: ignore[no-untyped-def]
            result = original(data, spec)
            calls.append(result is not None)
            return result

        patch.setattr(ingestion, "read_clean_csv", spy)
        results = ingest_deliveries(sorted(folder.iterdir()), POLICE, settings)
    return settings, results, calls


def test_ingested_tables_do_not_depend_on_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bronze, quarantine, rejected deliveries and ledger: the same rows with or without the fast path."""
    fast_settings, fast_results, fast_calls = _ingest_all(tmp_path / "fast", monkeypatch, fast=True)
    slow_settings, slow_results, slow_calls = _ingest_all(tmp_path / "slow", monkeypatch, fast=False)
    assert sum(fast_calls) == len(FAST) and not any(slow_calls)
    assert [(r.file_name, r.status, r.rows_read, r.rows_written, r.rows_quarantined, dict(r.reasons)) for r in fast_results] == [
        (r.file_name, r.status, r.rows_read, r.rows_written, r.rows_quarantined, dict(r.reasons)) for r in slow_results
    ]
    fast_tables, slow_tables = _tables(fast_settings), _tables(slow_settings)
    assert fast_tables == slow_tables
    # and the comparison is not vacuous: rows written, rows quarantined with their lines, a file rejected
    assert fast_tables["bronze"] and fast_tables["rejected"]
    assert {"malformed_row", "duplicate_id"} <= {r["reason_codes"] for r in fast_tables["quarantine"]}


def test_a_mistyped_or_dropped_row_would_be_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above catches a fast path that loses a row or shifts a value."""
    settings, _, _ = _ingest_all(tmp_path / "ok", monkeypatch, fast=True)
    reference = _tables(settings)
    original = fast_csv.read_clean_csv

    def lossy(data: bytes, spec):  # type: ignore[no-untyped-def]
        clean = original(data, spec)
        if clean is not None and clean.table.num_rows > 1:
            clean.table = clean.table.slice(1)  # one row silently lost
        return clean

    monkeypatch.setattr(ingestion, "read_clean_csv", lossy)
    broken, _, _ = _ingest_all(tmp_path / "lossy", monkeypatch, fast=True)
    assert _tables(broken) != reference


@pytest.mark.parametrize("feed_name", ["telecom_presence", "police_mains_courantes", "voirie_chantiers"])
def test_int_columns_cast_in_arrow_equal_the_declared_parsing(feed_name: str) -> None:
    """Plain digits are cast in Arrow; anything else (decimals, exponents, signs, blanks) parsed as declared."""
    import pandas as pd

    from orchestration.core.parsing import parse_types

    spec = feed(feed_name)
    samples = [
        ["12", " 7 ", "", "-0", "007", "999999999999999"],  # plain: the Arrow cast
        ["12", "2.5", "1e3", "+4", "abc", "3,0", "1\u00a0234", "3.0", " "],  # not plain
    ]
    for values in samples:
        raw = pd.DataFrame({c.name: pd.array(values, dtype="str") for c in spec.columns}, index=range(10, 10 + len(values)))
        expected = parse_types(raw, spec)
        got = ingestion._parse_types(raw, spec)
        pd.testing.assert_frame_equal(got, expected)
