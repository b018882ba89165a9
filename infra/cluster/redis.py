"""A throw-away Redis on 127.0.0.1: the Celery broker and result backend of the cluster executor.

Debian's ``redis-server`` (``infra/cluster/install-redis.sh`` installs it if missing), a free port,
a generated password, no persistence, its files in a private temporary directory.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.cluster.ports import free_port, wait_for_port
from infra.cluster.processes import stop_process_group

INSTALL_SCRIPT = Path(__file__).with_name("install-redis.sh")


def redis_binary() -> str:
    """``redis-server``, installing Debian's package if missing."""
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if not found:
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True)
        found = shutil.which("redis-server") or "/usr/bin/redis-server"
    return found


@dataclass
class LocalRedis:
    """A running server: its URL (with the generated password); stop() ends it."""

    url: str = field(repr=False)
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def stop(self) -> None:
        """Terminate the server and delete its directory."""
        stop_process_group(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis(timeout: float = 30.0) -> LocalRedis:
    """``redis-server`` on a free 127.0.0.1 port, password-protected, nothing saved to disk."""
    binary = redis_binary()
    workdir = Path(tempfile.mkdtemp(prefix="observatoire-redis-"))
    password = secrets.token_urlsafe(24)
    config = workdir / "redis.conf"
    port = free_port()
    # The password in a 0600 file, not on the command line (visible in ps).
    config.write_text(
        f'bind 127.0.0.1\nport {port}\nrequirepass {password}\ndir {workdir}\nsave ""\nappendonly no\n'
        "protected-mode yes\ndaemonize no\nlogfile redis.log\n",
        encoding="utf-8",
    )
    config.chmod(0o600)
    process = subprocess.Popen(
        [binary, str(config)], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    server = LocalRedis(f"redis://:{password}@127.0.0.1:{port}/0", port, workdir, process)
    try:
        wait_for_port(port, timeout)
        _wait_for_ping(server, timeout)
    except Exception:
        server.stop()
        raise
    return server


def _wait_for_ping(server: LocalRedis, timeout: float) -> None:
    """The port opens before the server accepts commands (loading): PING until PONG."""
    import redis

    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(server.url)
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"redis-server exited ({server.process.returncode}); see {server.workdir / 'redis.log'}")
        try:
            if client.ping():
                return
        except redis.exceptions.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
