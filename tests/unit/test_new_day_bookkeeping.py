"""A new day's bookkeeping in the Dagster process: same results, fewer syncs, reads and regexes.

Run files copied from an initialised template, a gate's frame handed to its gold step, the delivery
ledger read once per version for every feed's freshness, GE's expectation type names memoised.
"""

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from orchestration.core import duck, lake, publishing
from orchestration.core.catalog import feeds
from orchestration.core.governance import freshness
from orchestration.core.ingestion import LEDGER_SCHEMA, ledger_path
from orchestration.core.settings import Settings, load_settings
from orchestration.factories.event_log import TEMPLATE_NAME, KeptOpenSqliteEventLogStorage
from orchestration.factories.governance import feed_freshness


def _schema(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as con:
        return sorted(con.execute("select name, coalesce(sql, '') from sqlite_master").fetchall())


def _journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as con:
        return con.execute("pragma journal_mode").fetchone()[0]


def test_a_run_file_is_a_copy_of_the_template_with_dagsters_own_schema(tmp_path: Path) -> None:
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path / "runs"))
    storage._engine("run_a")
    storage._engine("run_b")
    storage._close_all()
    assert (tmp_path / "runs" / TEMPLATE_NAME).exists()
    assert sorted(storage.get_all_run_ids()) == ["run_a", "run_b"]  # the template is no run
    # The file Dagster's own class creates statement by statement (with its migration stamp).
    reference = tmp_path / "reference.db"
    engine = sa.create_engine(f"sqlite:///{reference}", poolclass=sa.pool.NullPool)
    storage._initdb(engine)
    engine.dispose()
    for run in ("run_a", "run_b"):
        copied = tmp_path / "runs" / f"{run}.db"
        assert _schema(copied) == _schema(reference)
        assert _journal_mode(copied) == _journal_mode(reference) == "wal"
        with sqlite3.connect(copied) as con:
            assert con.execute("select count(*) from event_logs").fetchone()[0] == 0
            assert (
                con.execute("select version_num from alembic_version").fetchall()
                == sqlite3.connect(reference).execute("select version_num from alembic_version").fetchall()
            )


def test_an_existing_run_file_is_never_replaced_by_the_template(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    storage = KeptOpenSqliteEventLogStorage(str(runs))
    storage._engine("run_a")
    storage._close_all()
    with sqlite3.connect(runs / "run_a.db") as con:
        con.execute("insert into event_logs (run_id, event) values ('run_a', 'kept')")
    again = KeptOpenSqliteEventLogStorage(str(runs))  # a later process: run_a is not a new run
    again._engine("run_a")
    again._close_all()
    with sqlite3.connect(runs / "run_a.db") as con:
        assert con.execute("select event from event_logs").fetchall() == [("kept",)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = load_settings(tmp_path / "lake")
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duck.connect(settings.build_db, extensions=())
    con.execute("create schema marts; create table marts.m as select * from (values (2, 'b'), (1, 'a')) t(n, s)")
    con.close()
    return settings


def test_has_table_answers_as_dagster_and_asks_once_a_table_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster asks ``has_table`` for every check evaluation with a new engine: asked once, once true."""
    dagsters_class = KeptOpenSqliteEventLogStorage.__bases__[0]  # Dagster's SqliteEventLogStorage (private module)
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path / "runs"))
    asked: list[str] = []
    dagsters = dagsters_class.has_table

    def counted(self: object, name: str) -> bool:
        asked.append(name)
        return dagsters(self, name)

    monkeypatch.setattr(dagsters_class, "has_table", counted)
    for _ in range(3):
        assert storage.has_table("asset_check_executions") is True
        assert storage.has_table("no_such_table") is False
    assert asked.count("asset_check_executions") == 1  # remembered once true
    assert asked.count("no_such_table") == 3  # asked again while absent (a migration may add it)
    assert storage.supports_asset_checks
    storage.dispose()


def test_the_gate_hands_its_frame_to_the_gold_step_while_the_database_is_unchanged(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated = publishing.read_mart(settings, "m", keep_for_publication=True)
    assert gated["n"].tolist() == [1, 2]  # order by all
    gated.loc[0, "n"] = 99  # the gate's frame is its own: what is kept is a copy
    opened: list[object] = []
    real_connect = duck.connect
    monkeypatch.setattr(duck, "connect", lambda *a, **k: opened.append(a) or real_connect(*a, **k))
    published = publishing.read_mart(settings, "m")
    assert published["n"].tolist() == [1, 2] and opened == []  # handed over, not read again
    assert publishing.read_mart(settings, "m")["n"].tolist() == [1, 2] and len(opened) == 1  # handed over once only


def test_a_write_after_the_gate_makes_the_gold_step_read_again(settings: Settings) -> None:
    publishing.read_mart(settings, "m", keep_for_publication=True)
    con = duck.connect(settings.build_db, extensions=())
    con.execute("insert into marts.m values (3, 'c')")
    con.close()
    assert publishing.read_mart(settings, "m")["n"].tolist() == [1, 2, 3]


def _ledger_rows(rows: list[tuple[str, date, str]]) -> pa.Table:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return pa.Table.from_pylist(
        [
            {"feed": f, "file_name": f"{f}_{d}.csv", "checksum": f"{f}{d}", "delivery_date": d, "status": s, "ingested_at": now}
            for f, d, s in rows
        ],
        schema=LEDGER_SCHEMA,
    )


def test_every_feeds_freshness_from_one_read_of_the_ledger_per_version(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "lake")
    names = sorted(feeds())[:3]
    assert all(feed_freshness(settings, feeds()[n]).last_delivery is None for n in names)  # no ledger yet
    lake.append(
        ledger_path(settings),
        _ledger_rows(
            [(names[0], date(2026, 3, 1), "ingested"), (names[0], date(2026, 3, 4), "rejected"), (names[1], date(2026, 2, 1), "ingested")]
        ),
    )

    def same(name: str) -> date | None:
        spec = feeds()[name]
        ours, theirs = feed_freshness(settings, spec), freshness(settings, spec)
        assert (ours.feed, ours.last_delivery, ours.sla_hours) == (theirs.feed, theirs.last_delivery, theirs.sla_hours)
        return ours.last_delivery

    assert [same(n) for n in names] == [date(2026, 3, 1), date(2026, 2, 1), None]
    lake.append(ledger_path(settings), _ledger_rows([(names[2], date(2026, 3, 9), "ingested")]))  # a new version
    assert same(names[2]) == date(2026, 3, 9)


def test_ge_type_names_are_memoised_and_unchanged() -> None:
    pytest.importorskip("great_expectations")
    from great_expectations.expectations import expectation
    from great_expectations.util import camel_to_snake

    from quality.gate import _context

    _context()
    assert hasattr(expectation.camel_to_snake, "cache_info")
    for name in ("ExpectColumnValuesToNotBeNull", "ExpectTableColumnsToMatchSet", "ExpectColumnValuesToBeInTypeList"):
        assert expectation.camel_to_snake(name) == camel_to_snake(name)
