"""A throw-away PostgreSQL on 127.0.0.1 for Dagster's storage (run, event log, schedules).

Debian's server binaries (``infra/cluster/install-postgres.sh`` installs them if missing), a
cluster initialised in a private temporary directory, a free port, a generated password, no
Unix socket outside that directory. PostgreSQL refuses to run as root: under root the server runs
as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.cluster.ports import free_port, wait_for_port

INSTALL_SCRIPT = Path(__file__).with_name("install-postgres.sh")
DATABASE = "dagster"
USER = "observatoire"


def postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin``, installing Debian's package if missing."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent


@dataclass
class LocalPostgres:
    """A running server: its URL (with the generated password), data directory; stop() ends it."""

    url: str = field(repr=False)
    port: int
    workdir: Path
    _run_as: list[str] = field(repr=False)

    def stop(self) -> None:
        """Fast shutdown, then delete the data directory."""
        subprocess.run(
            [*self._run_as, str(postgres_bin() / "pg_ctl"), "-D", str(self.workdir / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_postgres(timeout: float = 60.0) -> LocalPostgres:
    """initdb + start on a free 127.0.0.1 port; creates the ``dagster`` database and its owner."""
    binaries = postgres_bin()
    workdir = Path(tempfile.mkdtemp(prefix="observatoire-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses root; run it as the Debian package's system user
        account = pwd.getpwnam("postgres")
        os.chown(workdir, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_urlsafe(24)
    password_file = workdir / "pw"
    password_file.write_text(password, encoding="utf-8")
    if run_as:
        os.chown(password_file, pwd.getpwnam("postgres").pw_uid, -1)
    password_file.chmod(0o600)
    data = workdir / "data"
    subprocess.run(
        [
            *run_as,
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            f"--pwfile={password_file}",
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    password_file.unlink()
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir} -c fsync=off"
    subprocess.run(
        [*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(workdir / "postgres.log"), "-o", options, "-w", "start"],
        check=True,
        capture_output=True,
    )
    server = LocalPostgres(f"postgresql+psycopg2://{USER}:{password}@127.0.0.1:{port}/{DATABASE}", port, workdir, run_as)
    try:
        wait_for_port(port, timeout)
        _create_database(server, password, timeout)
    except Exception:
        server.stop()
        raise
    return server


def _create_database(server: LocalPostgres, password: str, timeout: float) -> None:
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            con = psycopg2.connect(host="127.0.0.1", port=server.port, user=USER, password=password, dbname="postgres")
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    con.autocommit = True
    with con.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    con.close()
