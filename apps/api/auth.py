"""Who is calling: an OIDC bearer JWT (checked against the issuer's JWKS) or a machine token.

JWTs: signature against the issuer's published keys (fetched through its discovery document,
cached, refreshed once when an unknown ``kid`` shows up: key rotation), ``iss`` equal to the
configured issuer, ``aud`` containing the client id, ``exp`` in the future. Asymmetric
algorithms only (no ``none``, no HMAC with a public key). Roles come from the configured claim,
kept only when the declarations know them (``access.roles_from_claims``).

Machine tokens (``obs_...``): looked up by id in the hashed store (``core/api_tokens.py``).

Verified principals are cached per credential (keyed by its SHA-256, never the secret itself),
because verifying on every request cost more than the query it guards:

- a machine token's principal is reused only while the token file is unchanged (one ``stat``
  per request) and the token not expired: a revocation (which rewrites the file) is refused
  from the very next request, in this process and in every other worker;
- a JWT's principal is reused for at most ``JWT_CACHE_SECONDS`` and never past its ``exp``: an
  identity token cannot be revoked at the provider, its lifetime is the bound, as for any
  resource server that does not call the provider on each request.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import jwt

from orchestration.core.access import Principal, declared_roles, roles_from_claims
from orchestration.core.api_tokens import PREFIX, TokenStore
from orchestration.core.settings import IdentitySettings

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
JWKS_TTL_SECONDS = 300.0
MIN_REFRESH_SECONDS = 10.0  # an unknown kid refetches the keys, but not more often than this
LEEWAY_SECONDS = 10
JWT_CACHE_SECONDS = 60.0  # a verified JWT is trusted again without verification this long at most
PRINCIPAL_CACHE_ENTRIES = 10_000  # credentials remembered at once (memory bound)


class Unauthorized(Exception):
    """No credentials, or credentials that do not verify (HTTP 401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _open(url: str, timeout: float = 5.0) -> dict[str, Any]:
    # A loopback issuer (dev, tests) is reached directly, whatever proxy the environment sets.
    host = urlparse(url).hostname or ""
    handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
    opener = urllib.request.build_opener(*handlers)
    with opener.open(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


class JwksCache:
    """The issuer's signing keys, fetched through its discovery document and cached."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer.rstrip("/")
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._fetched = 0.0

    def _refresh(self) -> None:
        discovery = _open(self.issuer + "/.well-known/openid-configuration")
        jwks = jwt.PyJWKSet.from_dict(_open(str(discovery["jwks_uri"])))
        self._keys = {k.key_id or "": k for k in jwks.keys}
        self._fetched = time.monotonic()

    def key(self, kid: str | None) -> Any:
        with self._lock:
            age = time.monotonic() - self._fetched
            if not self._keys or age > JWKS_TTL_SECONDS or (kid not in self._keys and age > MIN_REFRESH_SECONDS):
                try:
                    self._refresh()
                except (OSError, ValueError, KeyError, jwt.PyJWKSetError) as exc:
                    if not self._keys:
                        raise Unauthorized(
                            "issuer_unreachable", f"clés du fournisseur d'identité indisponibles ({type(exc).__name__})"
                        ) from exc
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            if kid not in self._keys:
                raise Unauthorized("unknown_key", "jeton signé par une clé inconnue du fournisseur d'identité")
            return self._keys[kid]


class Authenticator:
    """Turns an ``Authorization`` header into a :class:`Principal` (or raises :class:`Unauthorized`)."""

    def __init__(self, identity: IdentitySettings, tokens: TokenStore) -> None:
        self.identity = identity
        self.tokens = tokens
        self.jwks = JwksCache(identity.issuer) if identity.configured else None
        # sha256(credential) -> (token file stamp or None for a JWT, valid until (epoch s), principal)
        self._verified: dict[str, tuple[tuple[int, int] | None, float, Principal]] = {}
        self._lock = threading.Lock()

    def _token_file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.tokens.path)
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _cached(self, key: str, stamp: tuple[int, int] | None) -> Principal | None:
        with self._lock:
            hit = self._verified.get(key)
        if hit is None or hit[0] != stamp or time.time() >= hit[1]:
            return None
        return hit[2]

    def _remember(self, key: str, stamp: tuple[int, int] | None, until: float, principal: Principal) -> None:
        with self._lock:
            if len(self._verified) >= PRINCIPAL_CACHE_ENTRIES:
                self._verified.clear()  # rare (10,000 live credentials): start again rather than track use
            self._verified[key] = (stamp, until, principal)

    def principal(self, authorization: str | None) -> Principal | None:
        """``None`` for an anonymous request; a principal for valid credentials; else 401."""
        if not authorization:
            return None
        scheme, _, credentials = authorization.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials:
            raise Unauthorized("invalid_authorization", "en-tête Authorization attendu : « Bearer <jeton> »")
        if credentials.startswith(PREFIX):
            return self._machine(credentials)
        return self._user(credentials)

    def _machine(self, secret: str) -> Principal:
        key = hashlib.sha256(secret.encode()).hexdigest()
        stamp = self._token_file_stamp()  # read before verifying: a change meanwhile invalidates the entry
        cached = self._cached(key, stamp)
        if cached is not None:
            return cached
        token = self.tokens.verify(secret)
        if token is None:
            raise Unauthorized("invalid_token", "jeton d'API inconnu, révoqué ou expiré")
        roles = frozenset(token.roles) & declared_roles()  # a role removed from the declarations grants nothing
        principal = Principal(subject=f"token:{token.id}", roles=roles, kind="token", name=token.name)
        if stamp is not None:
            self._remember(key, stamp, datetime.fromisoformat(token.expires_at).timestamp(), principal)
        return principal

    def _user(self, raw: str) -> Principal:
        if self.jwks is None:
            raise Unauthorized(
                "no_issuer", "aucun fournisseur d'identité configuré (OBSERVATOIRE_OIDC_ISSUER) : seuls les jetons d'API sont acceptés"
            )
        key = hashlib.sha256(raw.encode()).hexdigest()
        cached = self._cached(key, None)
        if cached is not None:
            return cached
        principal, expires = self._verify_jwt(raw)
        self._remember(key, None, min(expires, time.time() + JWT_CACHE_SECONDS), principal)
        return principal

    def _verify_jwt(self, raw: str) -> tuple[Principal, float]:
        """The principal of a JWT checked in full, and its expiry (epoch seconds)."""
        assert self.jwks is not None
        try:
            header = jwt.get_unverified_header(raw)
        except jwt.DecodeError as exc:
            raise Unauthorized("invalid_token", "jeton illisible") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized("invalid_token", f"algorithme de signature refusé : {header.get('alg')!r}")
        key = self.jwks.key(header.get("kid"))
        try:
            claims = jwt.decode(
                raw,
                key=key,
                algorithms=[header["alg"]],
                audience=self.identity.client_id,
                issuer=self.identity.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("expired_token", "jeton expiré") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("wrong_audience", "jeton émis pour un autre client (audience)") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("wrong_issuer", "jeton émis par un autre fournisseur d'identité") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized("invalid_signature", "signature du jeton invalide") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid_token", f"jeton refusé ({type(exc).__name__})") from exc
        roles = roles_from_claims(claims, self.identity.roles_claim)
        principal = Principal(subject=str(claims["sub"]), roles=roles, kind="user", name=str(claims.get("name", "")))
        return principal, float(claims["exp"])
