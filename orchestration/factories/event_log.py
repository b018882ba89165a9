"""Dagster's SQLite event log with its connections kept open: the storage of ``observatoire run``.

Dagster's ``SqliteEventLogStorage`` creates an engine, opens a connection, commits and closes it
for every event (a run of the new day stores about two thousand). In WAL mode each close of the
last connection to a file checkpoints the log and each commit syncs it to disk: profiled, these
two were a quarter of a new day's time. Here each database file (one per run, plus the index)
keeps one engine and its pooled connection, and commits with ``synchronous=NORMAL``, which in WAL
mode stays consistent after a crash (a power cut may lose the last events, never corrupt the
file). Same files, same schema: ``serve`` and the webserver read them with Dagster's own class.

A run's new database file is a copy of an empty, initialised one (the template, made once per
Dagster version beside the run files): creating the schema statement by statement syncs the file
to disk a dozen times, about 0.3 s of every run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import dagster
import sqlalchemy as sa
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData

EVENT_LOG_MODULE = __name__
EVENT_LOG_CLASS = "KeptOpenSqliteEventLogStorage"
# Database files kept open at once (the index and the last runs'); older ones are closed.
OPEN_FILES = 4
# Not ``*.db``: Dagster lists the run files by that suffix.
TEMPLATE_NAME = f".run_template-{dagster.__version__}.sqlite"


def _tune(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine and one pooled connection per database file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Any) -> KeptOpenSqliteEventLogStorage:  # type: ignore[override]
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sa.Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = sa.create_engine(
            self.conn_string_for_shard(shard),
            poolclass=sa.pool.QueuePool,
            pool_size=1,
            max_overflow=2,
            # Dagster uses the storage from several threads (the automation evaluator's), one at a time under _db_lock.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        sa.event.listen(engine, "connect", _tune)
        if shard not in self._initialized_dbs and self._copy_template(shard):
            self._initialized_dbs.add(shard)  # the template was initialised by this Dagster version
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_FILES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _copy_template(self, shard: str) -> bool:
        """Create a new run's file as a copy of the template (made on first use); False if the file exists."""
        target = self.path_for_shard(shard)
        if shard == INDEX_SHARD_NAME or os.path.exists(target):
            return False
        template = os.path.join(self._base_dir, TEMPLATE_NAME)
        if not os.path.exists(template):
            self._make_template(template)
        partial = f"{target}.{uuid.uuid4().hex}.partial"  # renamed into place: never seen half-copied
        shutil.copyfile(template, partial)
        os.replace(partial, target)
        return True

    def _make_template(self, template: str) -> None:
        partial = f"{template}.{uuid.uuid4().hex}.partial"
        engine = sa.create_engine(f"sqlite:///{partial}", poolclass=sa.pool.NullPool)
        try:
            self._initdb(engine)  # Dagster's own schema and migration stamp, in WAL mode
        finally:
            engine.dispose()  # the last connection closed: the log is checkpointed into the file
        os.replace(partial, template)  # concurrent CLIs: either complete template wins

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has ``table_name``, remembered once true.

        Dagster asks it for every asset check evaluation and every tagged materialisation, each time
        with a new engine and connection (0.7 s of a new day, profiled). A running instance never
        drops a table; an absent one is asked again (a migration may create it). Dagster's own check,
        not the kept engine: it is asked while a connection of this storage holds ``_db_lock``.
        """
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:  # type: ignore[override]
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_all()  # the run files are deleted: no connection may stay open on them
        self._tables_present.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()
