"""LakeSail (``pysail``), a Spark Connect server in Rust, on 127.0.0.1: the Spark engine of dbt's ``spark`` target.

``sail spark server`` runs in its own process on a free port; dbt-spark's ``session`` method then
talks to it through ``SPARK_REMOTE``. The session id is fixed per server so that separate dbt
invocations (``seed``, ``run``, ``test``) share one catalog (temporary views, registered tables).
Mode and parallelism come from Sail's own variables (``SAIL_MODE=local-cluster``...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from infra.cluster.ports import free_port, wait_for_port
from infra.cluster.processes import stop_process_group

# The Spark side lives in a virtualenv of its own (infra/install-spark.sh): see pyproject's `spark` group.
SPARK_VENV = Path(__file__).resolve().parents[2] / ".venv-spark"


def spark_tool(name: str) -> Path:
    """An executable of the Spark virtualenv (``sail``, ``dbt``, ``python``), or a clear error if it is not installed."""
    path = SPARK_VENV / "bin" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `bash infra/install-spark.sh` (make test does).")
    return path


@dataclass
class SailServer:
    """A running Sail Spark Connect server; ``remote`` is the ``SPARK_REMOTE`` value; stop() ends it."""

    port: int
    session_id: str
    process: subprocess.Popen
    directory: Path

    @property
    def remote(self) -> str:
        return f"sc://127.0.0.1:{self.port}/;session_id={self.session_id}"

    def environ(self) -> dict[str, str]:
        """What dbt's ``spark`` target reads (see dbt_project/profiles.yml)."""
        return {"SPARK_REMOTE": self.remote}

    def stop(self) -> None:
        """End the server's process group and delete its directory (warehouse tables, log)."""
        stop_process_group(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_sail(mode: str = "local", environ: dict[str, str] | None = None, timeout: float = 60.0) -> SailServer:
    """Start ``sail spark server`` on a free loopback port and wait until it accepts connections.

    ``environ`` adds variables for the server process, e.g. ``s3_environ(...)`` for a lake on S3.
    """
    sail = spark_tool("sail")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="sail-"))
    env = {**os.environ, **(environ or {}), "SAIL_MODE": mode, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(
        [str(sail), "spark", "server", "--ip", "127.0.0.1", "--port", str(port), "--directory", str(directory)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop() ends it and its children
    )
    try:
        wait_for_port(port, timeout)
    except TimeoutError:
        process.kill()
        raise
    return SailServer(port=port, session_id=str(uuid.uuid4()), process=process, directory=directory)


def s3_environ(endpoint: str, access_key_id: str, secret_access_key: str, region: str = "us-east-1") -> dict[str, str]:
    """What Sail's object store reads to reach an S3-compatible endpoint (path-style, plain HTTP allowed on loopback)."""
    return {
        "AWS_ENDPOINT": endpoint,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
        "AWS_REGION": region,
        "AWS_ALLOW_HTTP": str(endpoint.startswith("http://")).lower(),
        "AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false",
    }
