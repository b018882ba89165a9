"""DEV/CI ONLY: a real OpenID Connect provider on 127.0.0.1, with one user per declared role.

The analyst app signs in through OIDC in every environment; in dev and CI the provider is this
one (``oidc-provider-mock``, a development dependency), started by ``observatoire serve`` when no
issuer is configured, and by the browser tests. Its login form offers one button per user:

| user (``sub``) | ``roles`` claim | sees |
|---|---|---|
| ``analyste`` | ``["analyste"]`` | every use case that lists ``analyste`` |
| ``services`` | ``["services"]`` | the use cases that list ``services`` |
| ``exploitation`` | ``["exploitation"]`` | the health page (``sante_observatoire``) |
| ``dpo`` | ``["dpo"]`` | the audit page |

The users are derived from the declarations (:func:`orchestration.core.access.declared_roles`),
never listed by hand. Any client id and secret are accepted and any redirect URI: it is a test
double, refused when ``OBSERVATOIRE_ENV=prod`` and bound to loopback only.

Run it alone with ``python -m orchestration.local_identity [--port N]``: it prints its issuer URL.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from orchestration.core.access import declared_roles
from orchestration.core.settings import ConfigurationError

HOST = "127.0.0.1"
READY_PREFIX = "local-oidc-provider: "


def dev_users() -> list[dict[str, Any]]:
    """One user per declared role: ``sub`` is the role's name, the ``roles`` claim carries it."""
    return [
        {"sub": role, "roles": [role], "name": f"{role.capitalize()} (compte de développement)", "email": f"{role}@observatoire.invalid"}
        for role in sorted(declared_roles())
    ]


def _refuse_in_prod() -> None:
    if os.environ.get("OBSERVATOIRE_ENV", "dev").strip().lower() == "prod":
        raise ConfigurationError("the local OIDC provider is a development tool: refused when OBSERVATOIRE_ENV=prod.")


@dataclass
class LocalProvider:
    """A running local provider (a child process of ours)."""

    issuer: str
    process: subprocess.Popen[str]

    @property
    def users(self) -> list[str]:
        """The subjects its login form offers (one per declared role)."""
        return [user["sub"] for user in dev_users()]

    def stop(self) -> None:
        """Stop the provider we started (by its own handle, never by name)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_local_provider(port: int = 0, timeout: float = 30.0) -> LocalProvider:
    """Start the provider in a child process on ``127.0.0.1:port`` (0: a free port) and wait for it."""
    _refuse_in_prod()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.local_identity", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    # The child prints one line once it listens; readline blocks until then (or EOF if it died).
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            LocalProvider("", process).stop()
            raise RuntimeError(f"the local OIDC provider did not start within {timeout:.0f} s")
    line = process.stdout.readline()
    if not line.startswith(READY_PREFIX):
        LocalProvider("", process).stop()
        raise RuntimeError(f"the local OIDC provider failed to start: {line!r}")
    return LocalProvider(issuer=line[len(READY_PREFIX) :].strip(), process=process)


def serve(port: int) -> None:
    """Serve the provider in this process until interrupted (prints the issuer URL first)."""
    _refuse_in_prod()
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on loopback: dev only
    import werkzeug.serving
    from oidc_provider_mock import User, app

    users = [User(sub=u["sub"], claims={k: v for k, v in u.items() if k != "sub"}) for u in dev_users()]
    server = werkzeug.serving.make_server(HOST, port, app(user_claims=users), threaded=True)
    print(f"{READY_PREFIX}http://{HOST}:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    """``python -m orchestration.local_identity [--port N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    serve(parser.parse_args(argv).port)
    return 0


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
