"""Machine clients' API tokens: scoped to declared roles, with an expiry, stored hashed.

A token reads ``obs_<id>_<secret>``: ``id`` names it (in listings and in the audit trail),
``secret`` is 32 random bytes shown once by ``observatoire tokens create`` and never stored.
The store keeps the SHA-256 of the whole token (a random 256-bit secret needs no slow hash),
the roles, the expiry and the revocation time, in ``<lake>/meta/api_tokens.json`` (restricted
layer, mode 0600). The API re-reads the file when it changes, so a revocation is effective at
once, without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.core.access import unknown_roles
from orchestration.core.settings import Settings

PREFIX = "obs_"
MAX_DAYS = 366  # a machine credential is renewed at least yearly


class TokenError(ValueError):
    """A token request the declarations do not allow (unknown role, bad duration, unknown id)."""


def store_path(settings: Settings) -> Path:
    """Where the hashed tokens live (restricted layer)."""
    return settings.meta / "api_tokens.json"


@dataclass(frozen=True)
class ApiToken:
    """One stored token: everything but the secret."""

    id: str
    name: str
    roles: tuple[str, ...]
    created_at: str  # ISO 8601, UTC
    expires_at: str
    sha256: str
    revoked_at: str | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= datetime.fromisoformat(self.expires_at)

    def active(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and not self.expired(now)

    @property
    def status(self) -> str:
        return "révoqué" if self.revoked_at else ("expiré" if self.expired() else "actif")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse(token: str) -> str | None:
    """The id of a well-formed token string, else ``None``."""
    if not token.startswith(PREFIX):
        return None
    token_id, sep, secret = token[len(PREFIX) :].partition("_")
    if not sep or len(token_id) != 12 or not token_id.isalnum() or len(secret) < 32:
        return None
    return token_id


class TokenStore:
    """The token file of one lake (thread-safe; reloaded when another process changed it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._tokens: dict[str, ApiToken] = {}

    # -- persistence -----------------------------------------------------------------------

    def _load(self) -> dict[str, ApiToken]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._tokens = None, {}
            return self._tokens
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            self._tokens = {r["id"]: ApiToken(**{**r, "roles": tuple(r["roles"])}) for r in rows}
            self._stamp = stamp
        return self._tokens

    def _save(self, tokens: dict[str, ApiToken]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # hashes only, still not for others
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump([asdict(t) for t in tokens.values()], handle, ensure_ascii=False, indent=2)
        os.replace(tmp, self.path)
        self._stamp = None  # re-read (and re-stamp) on next access

    # -- operations --------------------------------------------------------------------------

    def create(self, name: str, roles: list[str], days: int, now: datetime | None = None) -> tuple[ApiToken, str]:
        """Create a token; returns it and the secret string (to print once, never stored)."""
        roles = sorted({r.strip() for r in roles if r.strip()})
        if not roles:
            raise TokenError("au moins un rôle est requis (--roles)")
        unknown = unknown_roles(roles)
        if unknown:
            raise TokenError(f"rôles inconnus des déclarations : {', '.join(unknown)}")
        if not 1 <= days <= MAX_DAYS:
            raise TokenError(f"durée de validité entre 1 et {MAX_DAYS} jours, pas {days}")
        if not name.strip():
            raise TokenError("un nom est requis (--name)")
        now = now or datetime.now(UTC)
        with self._lock:
            tokens = dict(self._load())
            token_id = secrets.token_hex(6)
            secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
            token = ApiToken(
                id=token_id,
                name=name.strip(),
                roles=tuple(roles),
                created_at=now.isoformat(timespec="seconds"),
                expires_at=(now + timedelta(days=days)).isoformat(timespec="seconds"),
                sha256=_digest(secret),
            )
            tokens[token_id] = token
            self._save(tokens)
        return token, secret

    def list(self) -> list[ApiToken]:
        """Every token ever created (revoked and expired ones too: they explain the audit trail)."""
        with self._lock:
            return sorted(self._load().values(), key=lambda t: t.created_at)

    def revoke(self, token_id: str, now: datetime | None = None) -> ApiToken:
        """Revoke a token by id (idempotent); raises :class:`TokenError` for an unknown id."""
        with self._lock:
            tokens = dict(self._load())
            if token_id not in tokens:
                raise TokenError(f"aucun jeton d'identifiant {token_id!r}")
            token = tokens[token_id]
            if token.revoked_at is None:
                token = replace(token, revoked_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"))
                tokens[token_id] = token
                self._save(tokens)
            return token

    def verify(self, secret: str, now: datetime | None = None) -> ApiToken | None:
        """The active token matching ``secret``, else ``None`` (unknown, wrong, revoked or expired)."""
        token_id = parse(secret)
        if token_id is None:
            return None
        with self._lock:
            token = self._load().get(token_id)
        if token is None or not hmac.compare_digest(token.sha256, _digest(secret)):
            return None
        return token if token.active(now) else None
