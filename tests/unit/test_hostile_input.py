"""Hostile and accidental input at the landing door: every fault is diagnosed, nothing is lost,
nothing outside the lake is read, and no raw personal value is kept outside landing.

Each test asserts the accounting of what it delivers: rows in = rows written + rows quarantined
(+ rows out of perimeter), or the file rejected with a clear reason.
"""

from __future__ import annotations

import errno
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.core import lake
from orchestration.core.catalog import feed
from orchestration.core.evidence import read_evidence
from orchestration.core.governance import apply_retention
from orchestration.core.ingest_runs import pending_deliveries
from orchestration.core.ingestion import (
    LakeFullError,
    bronze_path,
    ensure_tables,
    ingest_deliveries,
    landing_files,
    ledger_path,
    quarantine_rows_path,
    rejected_deliveries_path,
)
from orchestration.core.privacy import pseudonymise
from orchestration.core.settings import DEV_KEY, ConfigurationError, check_production_key, load_settings

SPEC = feed("police_mains_courantes")
HEADER = ";".join(SPEC.source_headers)
ROW = "MC-2026-{n:06d};15/01/2026 14:32;TAP;12 rue de la République;43,300000;5,370000;PM0001;Jean DUPONT;Appel de Mme Sophie MARTIN"
NAME = "mains_courantes_20260115.csv"
SECRET = "root:$6$saltsalt$SECRET-HASH-OUTSIDE-THE-LAKE:19000:0:99999:7:::"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OBSERVATOIRE_KEY", raising=False)
    s = load_settings(tmp_path / "lake")
    (s.landing / SPEC.name).mkdir(parents=True)
    ensure_tables(s, SPEC)
    return s


def deliver(settings, lines: list[str], name: str = NAME) -> Path:  # type: ignore[no-untyped-def]
    path = settings.landing / SPEC.name / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def rows(n: int, start: int = 1) -> list[str]:
    return [ROW.format(n=i) for i in range(start, start + n)]


def accounted(result) -> bool:  # type: ignore[no-untyped-def]
    return result.rows_read == result.rows_written + result.rows_quarantined + result.rows_out_of_perimeter


def lake_bytes(settings) -> bytes:  # type: ignore[no-untyped-def]
    """Every byte the lake holds outside landing (tables, kept files, logs)."""
    found = b""
    for path in settings.lake.rglob("*"):
        if path.is_file() and not path.is_symlink() and settings.landing not in path.parents:
            found += path.read_bytes()
    return found


def rejected(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    table = lake.read(rejected_deliveries_path(settings)).to_pylist()
    return {r["file_name"]: r["reason_code"] for r in table}


# ---------------------------------------------------------------------------------------------
# Point 3: landing accepts regular files only


def test_symlinks_devices_folders_and_dot_files_are_rejected_without_being_read(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text(SECRET + "\n")
    (outside / "partner.csv").write_bytes(("\r\n".join([HEADER, *rows(3)]) + "\r\n").encode("latin-1"))
    folder = settings.landing / SPEC.name
    (folder / "mains_courantes_20260116.csv").symlink_to(outside / "shadow")
    (folder / "mains_courantes_20260117.csv").symlink_to(outside / "partner.csv")
    os.mkfifo(folder / "mains_courantes_20260118.csv")  # reading it would block forever
    (folder / "mains_courantes_20260119.csv").mkdir()
    (folder / ".mains_courantes_20260120.csv").write_text(SECRET)
    good = deliver(settings, [HEADER, *rows(2)])

    pending = pending_deliveries(settings, SPEC, {}, date(2026, 2, 1))
    assert len(pending.files) == 6  # nothing filtered out silently
    results = {r.file_name: r for r in ingest_deliveries(landing_files(settings, SPEC), SPEC, settings)}
    assert results[good.name].status == "ingested" and results[good.name].rows_written == 2
    assert rejected(settings) == {
        "mains_courantes_20260116.csv": "not_regular_file",
        "mains_courantes_20260117.csv": "not_regular_file",
        "mains_courantes_20260118.csv": "not_regular_file",
        "mains_courantes_20260119.csv": "not_regular_file",
        ".mains_courantes_20260120.csv": "hidden_file",
    }
    assert all(r.rows_read == 0 for name, r in results.items() if name != good.name)
    assert len(lake.read(bronze_path(settings, SPEC))) == 2  # the linked CSV outside the lake was not ingested
    assert b"SECRET-HASH" not in lake_bytes(settings)
    assert not any((settings.quarantine / "files").rglob("*.enc"))  # refused entries are never kept
    # A second run does not record them again (their description is their identity).
    again = ingest_deliveries(landing_files(settings, SPEC), SPEC, settings)
    assert {r.status for r in again} == {"already_processed"}


def test_a_landing_folder_that_is_a_link_is_refused_as_a_whole(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = feed("csu_evenements")
    ensure_tables(settings, spec)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.csv").write_text(SECRET)
    (settings.landing / spec.name).symlink_to(elsewhere)
    [result] = ingest_deliveries(landing_files(settings, spec), spec, settings)
    assert result.status == "rejected" and result.reasons["not_regular_file"] == 1
    assert b"SECRET-HASH" not in lake_bytes(settings)


# ---------------------------------------------------------------------------------------------
# Point 4: every physical line accounted for


def test_an_unbalanced_quote_does_not_swallow_the_rows_after_it(settings) -> None:  # type: ignore[no-untyped-def]
    broken = ROW.format(n=2).replace("12 rue de la République", '"12 rue de la République')
    path = deliver(settings, [HEADER, ROW.format(n=1), broken, *rows(3, start=3)])
    [result] = ingest_deliveries([path], SPEC, settings)
    assert result.status == "ingested"
    assert result.rows_read == 5 and accounted(result)
    assert (result.rows_written, result.rows_quarantined) == (4, 1)
    quarantine = lake.read(quarantine_rows_path(settings)).to_pandas()
    assert quarantine["line_number"].tolist() == [3] and "unbalanced quote" in quarantine.at[0, "reasons"]
    assert sorted(lake.read(bronze_path(settings, SPEC)).to_pandas()["_source_line"]) == [2, 4, 5, 6]


def test_two_unbalanced_quotes_keep_every_line_accounted_for(settings) -> None:  # type: ignore[no-untyped-def]
    lines = rows(6)
    lines[1] = lines[1].replace("TAP", '"TAP')
    lines[3] = lines[3].replace("PM0001", 'PM0001"')  # closes the first quote three lines later
    path = deliver(settings, [HEADER, *lines])
    [result] = ingest_deliveries([path], SPEC, settings)
    assert result.rows_read == 6 and accounted(result)
    assert result.rows_quarantined >= 1 and result.rows_written >= 4


# ---------------------------------------------------------------------------------------------
# Point 5: kept evidence encrypted, with retention by reception date


def test_rejected_files_are_kept_encrypted_and_purged_by_reception_date(settings) -> None:  # type: ignore[no-untyped-def]
    text = "nom;courriel;telephone\r\nJean DUPONT;jean.dupont@example.fr;06 12 34 56 78\r\n"
    path = settings.landing / SPEC.name / "export_sans_date.csv"
    path.write_text(text, encoding="latin-1")
    [result] = ingest_deliveries([path], SPEC, settings)
    assert result.status == "rejected" and result.reasons["unexpected_file_name"] == 1
    [kept] = list((settings.quarantine / "files" / SPEC.name).iterdir())
    assert kept.stat().st_mode & 0o777 == 0o600
    assert read_evidence(settings, kept) == path.read_bytes()
    assert b"DUPONT" not in lake_bytes(settings) and b"example.fr" not in lake_bytes(settings)
    # Retention: within the landing retention it stays; past it (counted from its reception) it goes,
    # although its name holds no date.
    today = datetime.now(UTC).date()
    apply_retention(settings, SPEC, today=today)
    assert kept.exists()
    apply_retention(settings, SPEC, today=today + timedelta(days=SPEC.retention.landing_days + 1))
    assert not kept.exists()


def test_same_bytes_under_two_names_are_kept_once(settings) -> None:  # type: ignore[no-untyped-def]
    for name in ("a.csv", "b.csv"):
        (settings.landing / SPEC.name / name).write_text("garbage", encoding="latin-1")
    ingest_deliveries(landing_files(settings, SPEC), SPEC, settings)
    assert len(list((settings.quarantine / "files" / SPEC.name).iterdir())) == 1
    assert set(rejected(settings)) == {"a.csv", "b.csv"}


def test_a_wrong_header_does_not_echo_personal_values_into_the_reason(settings) -> None:  # type: ignore[no-untyped-def]
    path = deliver(settings, ["Jean DUPONT;jean.dupont@example.fr;0612345678", "x;y;z"])
    [result] = ingest_deliveries([path], SPEC, settings)
    assert result.reasons["breaking_schema_change"] == 1
    assert "DUPONT" not in result.message and "example.fr" not in result.message
    assert b"DUPONT" not in lake_bytes(settings)


# ---------------------------------------------------------------------------------------------
# Point 6: duplicates by content


def test_same_bytes_under_another_name_do_not_duplicate_quarantine_rows(settings) -> None:  # type: ignore[no-untyped-def]
    bad = ROW.format(n=9).replace("TAP", "ZZZ")
    first = deliver(settings, [HEADER, *rows(2), bad])
    second = deliver(settings, [HEADER, *rows(2), bad], name="mains_courantes_20260116.csv")
    results = sorted(ingest_deliveries([first, second], SPEC, settings), key=lambda r: r.file_name)
    assert [(r.rows_read, r.rows_written, r.rows_quarantined) for r in results] == [(3, 2, 1), (0, 0, 0)]
    assert "same content" in results[1].message and all(accounted(r) for r in results)
    assert len(lake.read(quarantine_rows_path(settings))) == 1
    ledger = lake.read(ledger_path(settings)).to_pandas()
    assert sorted(ledger["status"]) == ["ingested", "ingested"]  # the second delivery is acknowledged


# ---------------------------------------------------------------------------------------------
# Point 7: clear diagnoses


@pytest.mark.parametrize(
    ("encode", "reason"),
    [
        (lambda text: text.encode("utf-16"), "wrong_encoding"),
        (lambda text: text.encode("utf-16-le"), "wrong_encoding"),
        (lambda text: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not_text"),
    ],
)
def test_utf16_and_binary_files_get_an_encoding_diagnosis(settings, encode, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = settings.landing / SPEC.name / NAME
    path.write_bytes(encode("\r\n".join([HEADER, *rows(2)]) + "\r\n"))
    [result] = ingest_deliveries([path], SPEC, settings)
    assert result.status == "rejected" and result.reasons[reason] == 1, result.message
    assert "schema" not in result.message


def test_full_width_digits_in_a_file_name_are_refused(settings) -> None:  # type: ignore[no-untyped-def]
    path = deliver(settings, [HEADER, *rows(1)], name="mains_courantes_２０２６０１１５.csv")
    [result] = ingest_deliveries([path], SPEC, settings)
    assert result.status == "rejected" and result.reasons["unexpected_file_name"] == 1


def test_disk_full_is_a_clear_error_recorded_in_the_lake_logs(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = deliver(settings, [HEADER, *rows(2)])

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lake, "upsert", full)
    with pytest.raises(LakeFullError, match="disk is full"):
        ingest_deliveries([path], SPEC, settings)
    log = (settings.lake / "logs" / "ingestion.log").read_text(encoding="utf-8")
    assert "disk_full" in log and SPEC.name in log
    monkeypatch.undo()
    [result] = ingest_deliveries([path], SPEC, settings)  # nothing was committed: the rerun ingests it
    assert result.status == "ingested" and result.rows_written == 2


# ---------------------------------------------------------------------------------------------
# Point 8: production key


@pytest.mark.parametrize(
    "key",
    [
        " " * 32,
        "\t" * 40,
        "\u00a0" * 40,
        DEV_KEY + " ",
        " " + DEV_KEY,
        DEV_KEY.upper(),
        "a" * 64,
        "0123456789" * 4,
        " Zq8#mP2$wL9!rT4&kB7*vN1@xC5^hJ3%eF6 ",  # strong but padded
    ],
)
def test_weak_or_padded_production_keys_are_refused(key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.setenv("OBSERVATOIRE_KEY", key)
    with pytest.raises(ConfigurationError):
        load_settings(tmp_path / "lake")


def test_a_generated_production_key_is_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = "Zq8-mP2_wL9xrT4VkB7yvN1sxC5dhJ3eF6aG0u"
    check_production_key(key)
    monkeypatch.setenv("OBSERVATOIRE_ENV", "prod")
    monkeypatch.setenv("OBSERVATOIRE_KEY", key)
    assert load_settings(tmp_path / "lake").key == key.encode()


# ---------------------------------------------------------------------------------------------
# Point 9: key rotation


def test_rekey_recomputes_pseudonyms_keeps_joins_and_retires_the_old_key(settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from orchestration.core.rekey import rekey_lake

    path = deliver(settings, [HEADER, *rows(2), ROW.format(n=3).replace("PM0001", "PM0002").replace("TAP", "ZZZ")])
    ingest_deliveries([path], SPEC, settings)
    expired = deliver(settings, [HEADER, ROW.format(n=4).replace("PM0001", "PM0777")], name="mains_courantes_20260114.csv")
    ingest_deliveries([expired], SPEC, settings)
    expired.unlink()  # its landing retention has passed: PM0777 survives as a pseudonym only
    new_key = b"Zq8-mP2_wL9xrT4VkB7yvN1sxC5dhJ3eF6aG0u"
    column = SPEC.column("agent_pseudo")
    scope = column.pseudonym_scope or column.name
    report = rekey_lake(settings, new_key)
    assert report.recomputed >= 2 and report.derived >= 1
    bronze = lake.read(bronze_path(settings, SPEC)).to_pandas()
    new_settings = replace(settings, key=new_key)
    # Recomputed from landing: equal to what a future delivery under the new key will produce.
    assert pseudonymise("PM0001", new_key, scope) in set(bronze[column.name])
    assert pseudonymise("PM0001", settings.key, scope) not in set(bronze[column.name])
    # Expired raw value: stable and unlinkable to the old pseudonym without the new key.
    assert pseudonymise("PM0777", settings.key, scope) not in set(bronze[column.name])
    # Quarantined rows are re-keyed too (their JSON record holds the pseudonym).
    records = "".join(lake.read(quarantine_rows_path(settings)).to_pandas()["record"].dropna())
    assert pseudonymise("PM0002", settings.key, scope) not in records
    assert pseudonymise("PM0002", new_key, scope) in records
    # The lake now works under the new key alone: a new delivery joins the re-keyed history.
    later = deliver(new_settings, [HEADER, ROW.format(n=5)], name="mains_courantes_20260120.csv")
    ingest_deliveries([later], SPEC, new_settings)
    bronze = lake.read(bronze_path(settings, SPEC)).to_pandas()
    assert (bronze[column.name] == pseudonymise("PM0001", new_key, scope)).sum() == 3


def test_a_copy_of_a_file_rejected_in_the_same_batch_is_rejected_too(settings) -> None:  # type: ignore[no-untyped-def]
    lines = ["Jean;DUPONT", "x;y"]
    first = deliver(settings, lines)
    second = deliver(settings, lines, name="mains_courantes_20260116.csv")
    results = {r.file_name: r for r in ingest_deliveries([first, second], SPEC, settings)}
    assert results[first.name].status == results[second.name].status == "rejected"
    assert results[second.name].reasons["breaking_schema_change"] == 1


def test_numbers_beyond_64_bits_in_an_int_column_are_quarantined_not_a_crash(settings) -> None:  # type: ignore[no-untyped-def]
    spec = feed("aphm_urgences")
    (settings.landing / spec.name).mkdir(parents=True)
    ensure_tables(settings, spec)
    lines = [
        ";".join(spec.source_headers),
        "04/12/2025;13001;TRAUMA_VP;2;2",
        "04/12/2025;13002;TRAUMA_VP;12345678901234567890;1",  # above int64: pandas reads it unsigned
        "04/12/2025;13003;TRAUMA_VP;1e30;1",  # whole, but no int64
        "04/12/2025;13004;TRAUMA_VP;7;1",
    ]
    path = settings.landing / spec.name / "APHM_urgences_agregees_20251204.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [result] = ingest_deliveries([path], spec, settings)
    assert result.status == "ingested" and accounted(result)
    assert (result.rows_written, result.rows_quarantined) == (2, 2)
    quarantine = lake.read(quarantine_rows_path(settings)).to_pandas()
    assert sorted(quarantine["line_number"]) == [3, 4]
    bronze = lake.read(bronze_path(settings, spec)).to_pandas()
    assert sorted(bronze["nb_passages"].tolist()) == [2, 7]
    assert all("nb_passages" in reasons for reasons in quarantine["reasons"])
