"""What ``observatoire serve`` does for sign-in before starting the app: issuer, secrets, provider.

Prod: the configured issuer (``OBSERVATOIRE_OIDC_*``), refused without one. Dev/CI without an
issuer: the project's local provider (:mod:`orchestration.local_identity`) on 127.0.0.1, whose
issuer is handed to the child processes (app, API) through their environment. Either way the
app's ``[auth]`` secrets are written outside git and passed to Streamlit with ``--secrets.files``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from orchestration.core.app_signin import write_secrets
from orchestration.core.settings import Settings, load_app_signin, load_identity

if TYPE_CHECKING:
    from orchestration.local_identity import LocalProvider


def prepare(settings: Settings, app_port: int, env: dict[str, str]) -> tuple[list[str], LocalProvider | None]:
    """Streamlit's extra command-line flags and the local provider we started (``None`` if none).

    ``env`` (the children's environment) gains ``OBSERVATOIRE_OIDC_ISSUER`` when the local
    provider is started. Raises ``ConfigurationError`` in prod without an issuer.
    """
    identity = load_identity()
    provider = None
    if not identity.configured:
        from orchestration.local_identity import start_local_provider

        provider = start_local_provider()
        env["OBSERVATOIRE_OIDC_ISSUER"] = provider.issuer
        identity = dataclasses.replace(identity, issuer=provider.issuer)
    path = write_secrets(settings, identity, load_app_signin(settings, app_port))
    return ["--secrets.files", str(path)], provider
