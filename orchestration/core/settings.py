"""The one configuration module: where the lake is, which environment runs, which key pseudonymises.

Everything is read from the environment (or a key file outside git), never from code:

| variable | meaning | default |
|---|---|---|
| ``OBSERVATOIRE_LAKE`` | lake root (landing, bronze, gold, open data...) | ``<repo>/lake`` (git-ignored) |
| ``OBSERVATOIRE_ENV`` | ``dev`` / ``ci`` / ``prod`` | ``dev`` |
| ``OBSERVATOIRE_KEY`` | pseudonymisation key (>= 32 characters) | dev/ci only: a labelled, public default |
| ``OBSERVATOIRE_KEY_FILE`` | file holding the key (must lie outside the repo and the lake) | unset |
| ``OBSERVATOIRE_K_MIN`` | minimum published count before suppression | ``11`` |
| ``OBSERVATOIRE_OIDC_*`` | sign-in (issuer, client, roles claim): see :func:`load_identity` | dev/ci: the local provider |
| ``OBSERVATOIRE_APP_URL`` | public URL of the analyst app (sign-in callback) | ``http://127.0.0.1:<port>`` |
| ``OBSERVATOIRE_COOKIE_SECRET`` | signs the app's sign-in cookie | generated into ``<lake>/meta/app/`` |
| ``OBSERVATOIRE_DEV_ROLES`` | DEV/TEST ONLY: act as a signed-in user with these roles | unset; refused in prod |
| ``OBSERVATOIRE_PROFILE`` | ``embedded`` (one machine) or ``cluster`` (Delta tables on S3) | ``embedded`` |
| ``OBSERVATOIRE_S3_ENDPOINT`` | cluster: S3-compatible endpoint (``https://...``; ``http://`` refused in prod) | none |
| ``OBSERVATOIRE_S3_BUCKET`` / ``OBSERVATOIRE_S3_PREFIX`` | cluster: where the lake's Delta tables live | none / ``lake`` |
| ``OBSERVATOIRE_S3_ACCESS_KEY_ID`` / ``..._SECRET_ACCESS_KEY`` | cluster: credentials (or ``..._CREDENTIALS_FILE``, outside the repo) | none |
| ``OBSERVATOIRE_S3_REGION`` | cluster: region the signatures name | ``us-east-1`` |
| ``OBSERVATOIRE_DAGSTER_PG_URL`` | cluster: PostgreSQL URL of Dagster's storage (or ``..._FILE``) | SQLite in ``<lake>/.dagster`` |

In ``prod`` a missing key stops everything with :class:`ConfigurationError`: no silent fallback.
The cluster profile has no development default at all: no endpoint or credentials, no start.
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Environment = Literal["dev", "ci", "prod"]
Profile = Literal["embedded", "cluster"]

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT / "reference"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DUCKDB_EXTENSION_DIR = REPO_ROOT / ".duckdb_extensions"

# Labelled development default. It is public (it is in git), so pseudonyms made with it protect
# nothing; it exists only so that `make demo` works on a fresh clone. Refused in prod.
DEV_KEY = "DEV-ONLY-observatoire-public-key-not-a-secret"

MIN_KEY_LENGTH = 32
DEFAULT_K_MIN = 11


class ConfigurationError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete (e.g. no key in prod)."""


@dataclass(frozen=True)
class ObjectStore:
    """Where the cluster profile keeps the lake's Delta tables: one bucket (and prefix) of an S3 endpoint.

    Only the Delta tables live there (bronze, quarantine rows and deliveries, meta, gold): they are
    what several processes and machines write and read concurrently, and delta-rs commits on S3
    with put-if-absent (never an unsafe rename). Plain files stay under the local lake root
    (docs/scaling.md says why).
    """

    endpoint: str
    bucket: str
    prefix: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    region: str = "us-east-1"

    def uri(self, relative: str) -> str:
        """``s3://bucket/prefix/relative``."""
        parts = (self.bucket, self.prefix, "" if relative == "." else relative)
        return "s3://" + "/".join(part.strip("/") for part in parts if part.strip("/"))

    def storage_options(self) -> dict[str, str]:
        """delta-rs ``storage_options`` (also what the dbt-duckdb delta plugin takes)."""
        options = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": self.region,
        }
        if self.endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"  # loopback test servers only: refused in prod
        return options


@dataclass(frozen=True)
class TableLocation:
    """A Delta table's address for delta-rs: a local path or an ``s3://`` URI, and its storage options."""

    uri: str
    storage_options: dict[str, str] | None = field(default=None, repr=False)

    @property
    def is_local(self) -> bool:
        return self.storage_options is None


# Lake roots whose Delta tables live in an object store, registered by load_settings() in the
# cluster profile. Every process resolves its settings before touching the lake, so lake.py can
# keep taking the paths the rest of the code computes (settings.bronze / feed...).
_OBJECT_STORES: dict[Path, ObjectStore] = {}


def table_location(path: Path | str) -> TableLocation:
    """Where the Delta table at local lake path ``path`` really is (the one place for storage options)."""
    if isinstance(path, str) and "://" in path:
        return TableLocation(path)
    path = Path(path).resolve()
    for root, store in _OBJECT_STORES.items():
        if path.is_relative_to(root):
            return TableLocation(store.uri(path.relative_to(root).as_posix()), store.storage_options())
    return TableLocation(str(path))


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one Observatoire process."""

    lake: Path
    env: Environment
    key: bytes = field(repr=False)  # never printed, never logged
    key_source: str = "dev-default"
    k_min: int = DEFAULT_K_MIN
    profile: Profile = "embedded"
    object_store: ObjectStore | None = None
    dagster_pg_url: str | None = field(default=None, repr=False)  # cluster: Dagster's storage

    # Layers of the lake, in data-flow order.
    @property
    def landing(self) -> Path:
        return self.lake / "landing"

    @property
    def bronze(self) -> Path:
        return self.lake / "bronze"

    @property
    def quarantine(self) -> Path:
        return self.lake / "quarantine"

    @property
    def meta(self) -> Path:
        """Ingestion ledger and other bookkeeping tables."""
        return self.lake / "meta"

    @property
    def audit(self) -> Path:
        """Audit trail of authenticated reads (restricted: names who read what)."""
        return self.lake / "meta" / "audit_reads"

    @property
    def build_db(self) -> Path:
        """DuckDB file dbt builds into; never read by the apps."""
        return self.lake / "build" / "observatoire.duckdb"

    @property
    def quality(self) -> Path:
        """Machine-readable gate results (Great Expectations), one folder per mart."""
        return self.lake / "quality"

    @property
    def gold(self) -> Path:
        return self.lake / "gold"

    @property
    def open_data(self) -> Path:
        return self.lake / "open_data"

    @property
    def dagster_home(self) -> Path:
        return self.lake / ".dagster"

    @property
    def uses_dev_key(self) -> bool:
        return self.key_source == "dev-default"


def _read_key(env: Environment, lake: Path) -> tuple[bytes, str]:
    raw = os.environ.get("OBSERVATOIRE_KEY")
    if raw:
        source = "env:OBSERVATOIRE_KEY"
    elif key_file := os.environ.get("OBSERVATOIRE_KEY_FILE"):
        path = Path(key_file).expanduser().resolve()
        for forbidden in (REPO_ROOT, lake.resolve()):
            if path.is_relative_to(forbidden):
                raise ConfigurationError(
                    f"OBSERVATOIRE_KEY_FILE={path} lies inside {forbidden}: the pseudonymisation "
                    "key must be kept outside the repository and the lake."
                )
        if not path.is_file():
            raise ConfigurationError(f"OBSERVATOIRE_KEY_FILE={path} does not exist.")
        raw = path.read_text(encoding="utf-8").strip()
        source = f"file:{path}"
    elif env == "prod":
        raise ConfigurationError(
            "OBSERVATOIRE_ENV=prod but no pseudonymisation key is configured: set "
            "OBSERVATOIRE_KEY or OBSERVATOIRE_KEY_FILE (a file outside the repo and the lake). "
            "The development default is refused in production."
        )
    else:
        return DEV_KEY.encode(), "dev-default"
    if env == "prod":
        check_production_key(raw)
    if len(raw) < MIN_KEY_LENGTH:
        raise ConfigurationError(f"The pseudonymisation key is too short ({len(raw)} characters, need {MIN_KEY_LENGTH}).")
    return raw.encode(), source


MIN_DISTINCT_KEY_CHARACTERS = 16
MIN_KEY_ENTROPY_BITS = 128.0


def key_entropy_bits(key: str) -> float:
    """Shannon entropy of the key's characters times its length: a rough strength estimate."""
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def check_production_key(raw: str) -> None:
    """Refuse a production key that only looks like one (the key itself is never printed).

    Blank-ish (spaces, tabs, invisible characters), padded with whitespace (a copy-paste slip
    that silently changes every pseudonym), the public development key in any spacing or case,
    or low entropy (``aaaa...``, ``12341234...``): each would make pseudonyms guessable or
    unstable.
    """
    visible = "".join(ch for ch in raw if not (ch.isspace() or unicodedata.category(ch) in ("Cf", "Zs", "Cc")))
    if not visible:
        raise ConfigurationError("The pseudonymisation key is blank (only spaces or invisible characters).")
    if raw != raw.strip():
        raise ConfigurationError("The pseudonymisation key starts or ends with whitespace: remove it (pseudonyms would depend on it).")
    if visible.casefold() == DEV_KEY.casefold() or raw.strip().casefold() == DEV_KEY.casefold():
        raise ConfigurationError("The public development key is refused in production.")
    if DEV_KEY.casefold() in visible.casefold():
        raise ConfigurationError("The production key contains the public development key: generate a new one.")
    distinct = len(set(visible))
    if distinct < MIN_DISTINCT_KEY_CHARACTERS or key_entropy_bits(visible) < MIN_KEY_ENTROPY_BITS:
        raise ConfigurationError(
            f"The pseudonymisation key is too predictable ({distinct} distinct characters, "
            f'~{key_entropy_bits(visible):.0f} bits): generate one, e.g. `python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
        )


def load_settings(lake: str | Path | None = None, *, require_key: bool = True) -> Settings:
    """Resolve settings from the environment; ``lake`` (a CLI flag) overrides ``OBSERVATOIRE_LAKE``.

    Readers of published data (the apps, the API) pass ``require_key=False``: they never need
    the pseudonymisation key, so it is not loaded into their process at all (least privilege).
    """
    env = os.environ.get("OBSERVATOIRE_ENV", "dev").strip().lower()
    if env not in ("dev", "ci", "prod"):
        raise ConfigurationError(f"OBSERVATOIRE_ENV must be dev, ci or prod, not {env!r}.")
    load_dev_roles()  # refuses the sign-in bypass in prod, whoever reads the settings
    lake_path = Path(lake or os.environ.get("OBSERVATOIRE_LAKE") or REPO_ROOT / "lake")
    lake_path = lake_path.expanduser().resolve()
    key, source = _read_key(env, lake_path) if require_key else (b"", "not-loaded")  # type: ignore[arg-type]
    k_raw = os.environ.get("OBSERVATOIRE_K_MIN", str(DEFAULT_K_MIN))
    try:
        k_min = int(k_raw)
    except ValueError as exc:
        raise ConfigurationError(f"OBSERVATOIRE_K_MIN must be an integer, not {k_raw!r}.") from exc
    if k_min < 2:
        raise ConfigurationError("OBSERVATOIRE_K_MIN below 2 would publish single events.")
    profile = os.environ.get("OBSERVATOIRE_PROFILE", "embedded").strip().lower() or "embedded"
    if profile not in ("embedded", "cluster"):
        raise ConfigurationError(f"OBSERVATOIRE_PROFILE must be embedded or cluster, not {profile!r}.")
    store = _read_object_store(env) if profile == "cluster" else None
    pg_url = _read_secret("OBSERVATOIRE_DAGSTER_PG_URL") if profile == "cluster" else None
    if store is not None:
        _OBJECT_STORES[lake_path] = store
    else:
        _OBJECT_STORES.pop(lake_path, None)
    return Settings(
        lake=lake_path,
        env=env,  # type: ignore[arg-type]
        key=key,
        key_source=source,
        k_min=k_min,
        profile=profile,  # type: ignore[arg-type]
        object_store=store,
        dagster_pg_url=pg_url,
    )


def _read_secret(name: str) -> str | None:
    """``NAME`` from the environment, or the content of the file ``NAME_FILE`` (outside the repo)."""
    if value := os.environ.get(name, "").strip():
        return value
    if file_name := os.environ.get(f"{name}_FILE", "").strip():
        path = Path(file_name).expanduser().resolve()
        if path.is_relative_to(REPO_ROOT):
            raise ConfigurationError(f"{name}_FILE must live outside the repository.")
        return path.read_text(encoding="utf-8").strip()
    return None


def _read_object_store(env: str) -> ObjectStore:
    """The cluster profile's object store from ``OBSERVATOIRE_S3_*``; no default, nothing guessed."""
    endpoint = os.environ.get("OBSERVATOIRE_S3_ENDPOINT", "").strip().rstrip("/")
    bucket = os.environ.get("OBSERVATOIRE_S3_BUCKET", "").strip()
    access_key = _read_secret("OBSERVATOIRE_S3_ACCESS_KEY_ID")
    secret_key = _read_secret("OBSERVATOIRE_S3_SECRET_ACCESS_KEY")
    if credentials_file := os.environ.get("OBSERVATOIRE_S3_CREDENTIALS_FILE", "").strip():
        # Two lines, ``access_key_id=...`` and ``secret_access_key=...``, in a file outside the repo.
        path = Path(credentials_file).expanduser().resolve()
        if path.is_relative_to(REPO_ROOT):
            raise ConfigurationError("OBSERVATOIRE_S3_CREDENTIALS_FILE must live outside the repository.")
        pairs = dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
        access_key = access_key or pairs.get("access_key_id", "").strip()
        secret_key = secret_key or pairs.get("secret_access_key", "").strip()
    missing = [
        name
        for name, value in (
            ("OBSERVATOIRE_S3_ENDPOINT", endpoint),
            ("OBSERVATOIRE_S3_BUCKET", bucket),
            ("OBSERVATOIRE_S3_ACCESS_KEY_ID", access_key),
            ("OBSERVATOIRE_S3_SECRET_ACCESS_KEY", secret_key),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(f"OBSERVATOIRE_PROFILE=cluster needs {', '.join(missing)} (no default).")
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError(f"OBSERVATOIRE_S3_ENDPOINT must be an http(s) URL, not {endpoint!r}.")
    if env == "prod" and not endpoint.startswith("https://"):
        raise ConfigurationError("prod refuses a plain-http object store: credentials and data would cross the network in clear.")
    return ObjectStore(
        endpoint=endpoint,
        bucket=bucket,
        prefix=os.environ.get("OBSERVATOIRE_S3_PREFIX", "lake").strip().strip("/"),
        access_key_id=access_key,  # type: ignore[arg-type]
        secret_access_key=secret_key,  # type: ignore[arg-type]
        region=os.environ.get("OBSERVATOIRE_S3_REGION", "us-east-1").strip() or "us-east-1",
    )


@dataclass(frozen=True)
class IdentitySettings:
    """Where services sign in (OpenID Connect) and how roles are read from their tokens.

    The analyst app (``st.login``) and the API (bearer JWTs checked against the issuer's JWKS)
    read this one object. In dev/ci the issuer is the local provider the project's scripts start
    on 127.0.0.1; prod refuses to start without a configured issuer and client secret.
    """

    issuer: str  # e.g. https://auth.example.fr/realms/ville; "" when none is configured (dev only)
    client_id: str
    client_secret: str = field(repr=False)
    roles_claim: str = "roles"  # a claim name or a dotted path into nested claims (Keycloak: realm_access.roles)

    @property
    def configured(self) -> bool:
        return bool(self.issuer)

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


DEV_OIDC_CLIENT_ID = "observatoire-dev"
DEV_OIDC_CLIENT_SECRET = "DEV-ONLY-oidc-client-secret-not-a-secret"  # labelled; refused in prod


def load_identity() -> IdentitySettings:
    """Resolve the OIDC settings from the environment (``OBSERVATOIRE_OIDC_*``).

    ``OBSERVATOIRE_OIDC_ISSUER``, ``OBSERVATOIRE_OIDC_CLIENT_ID``, ``OBSERVATOIRE_OIDC_CLIENT_SECRET``
    (or ``..._SECRET_FILE``, a file outside the repo), ``OBSERVATOIRE_OIDC_ROLES_CLAIM`` (``roles``; a
    dotted path reads a nested claim, e.g. Keycloak's ``realm_access.roles``).
    """
    env = os.environ.get("OBSERVATOIRE_ENV", "dev").strip().lower()
    issuer = os.environ.get("OBSERVATOIRE_OIDC_ISSUER", "").strip()
    client_id = os.environ.get("OBSERVATOIRE_OIDC_CLIENT_ID", "").strip()
    secret = os.environ.get("OBSERVATOIRE_OIDC_CLIENT_SECRET", "")
    secret_file = os.environ.get("OBSERVATOIRE_OIDC_CLIENT_SECRET_FILE", "").strip()
    if secret_file:
        path = Path(secret_file).expanduser().resolve()
        if path.is_relative_to(REPO_ROOT):
            raise ConfigurationError("OBSERVATOIRE_OIDC_CLIENT_SECRET_FILE must live outside the repository.")
        secret = path.read_text(encoding="utf-8").strip()
    roles_claim = os.environ.get("OBSERVATOIRE_OIDC_ROLES_CLAIM", "roles").strip() or "roles"
    if env == "prod":
        if not issuer.startswith("https://"):
            raise ConfigurationError("prod needs OBSERVATOIRE_OIDC_ISSUER, an https:// OpenID Connect issuer (the city's SSO).")
        if not client_id or not secret or secret == DEV_OIDC_CLIENT_SECRET:
            raise ConfigurationError("prod needs OBSERVATOIRE_OIDC_CLIENT_ID and a real OBSERVATOIRE_OIDC_CLIENT_SECRET(_FILE).")
    return IdentitySettings(
        issuer=issuer,
        client_id=client_id or DEV_OIDC_CLIENT_ID,
        client_secret=secret or DEV_OIDC_CLIENT_SECRET,
        roles_claim=roles_claim,
    )


@dataclass(frozen=True)
class ApiSettings:
    """Limits of the read-only API (``observatoire api``), declared here and nowhere else.

    | variable | meaning | default |
    |---|---|---|
    | ``OBSERVATOIRE_API_PORT`` | loopback port of the API | ``8502`` |
    | ``OBSERVATOIRE_API_RATE`` | sustained requests per second per token, user or anonymous client | ``10`` |
    | ``OBSERVATOIRE_API_BURST`` | requests a caller may make at once before being slowed (bucket size) | ``40`` |
    | ``OBSERVATOIRE_API_PAGE_SIZE_MAX`` | largest ``page_size`` (larger requests are clamped, and told so) | ``1000`` |
    | ``OBSERVATOIRE_API_THREADS`` | requests computed at once (the others wait their turn) | ``4`` |
    | ``OBSERVATOIRE_API_WORKERS`` | API processes (one per core; rate limits are shared between them) | ``1`` |
    """

    port: int = 8502
    rate_per_second: float = 10.0
    burst: int = 40
    page_size_default: int = 20
    page_size_max: int = 1000
    worker_threads: int = 4  # ``OBSERVATOIRE_API_THREADS``: requests computed at once (the rest queue)
    workers: int = 1  # ``OBSERVATOIRE_API_WORKERS``: processes; above 1 the rate limit lives in a shared file
    audit_flush_seconds: float = 1.0  # the audit buffer is written at least this often...
    audit_flush_events: int = 500  # ...or as soon as it holds this many reads (one Delta commit per batch)


def load_api_settings() -> ApiSettings:
    """Resolve the API limits from the environment (``OBSERVATOIRE_API_*``)."""

    def number(name: str, default: float, minimum: float) -> float:
        raw = os.environ.get(name, "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError as exc:
            raise ConfigurationError(f"{name} must be a number, not {raw!r}.") from exc
        if value < minimum:
            raise ConfigurationError(f"{name} must be at least {minimum}.")
        return value

    defaults = ApiSettings()
    return ApiSettings(
        port=int(number("OBSERVATOIRE_API_PORT", defaults.port, 1)),
        rate_per_second=number("OBSERVATOIRE_API_RATE", defaults.rate_per_second, 0.01),
        burst=int(number("OBSERVATOIRE_API_BURST", defaults.burst, 1)),
        page_size_max=int(number("OBSERVATOIRE_API_PAGE_SIZE_MAX", defaults.page_size_max, 1)),
        worker_threads=int(number("OBSERVATOIRE_API_THREADS", defaults.worker_threads, 1)),
        workers=int(number("OBSERVATOIRE_API_WORKERS", defaults.workers, 1)),
    )

DEV_ROLES_VARIABLE = "OBSERVATOIRE_DEV_ROLES"


def load_dev_roles() -> frozenset[str]:
    """DEV/TEST ONLY: the roles of the labelled sign-in bypass (``OBSERVATOIRE_DEV_ROLES=analyste,dpo``).

    Lets AppTests and a quick local look render analyst pages without an OIDC round trip; the app
    then shows a "mode développement" banner (reads under the bypass are not audited: nobody signed in).
    Refused in prod, where only a signed-in user of the city's SSO reads analyst pages.
    """
    raw = os.environ.get(DEV_ROLES_VARIABLE, "").strip()
    if not raw:
        return frozenset()
    env = os.environ.get("OBSERVATOIRE_ENV", "dev").strip().lower()
    if env == "prod":
        raise ConfigurationError(f"{DEV_ROLES_VARIABLE} is a development bypass of sign-in: refused when OBSERVATOIRE_ENV=prod.")
    return frozenset(raw.replace(",", " ").split())


@dataclass(frozen=True)
class AppSignIn:
    """What the analyst app's sign-in needs besides the identity provider: its URL and cookie key."""

    redirect_uri: str  # <app url>/oauth2callback, registered with the provider
    cookie_secret: str = field(repr=False)


def load_app_signin(settings: Settings, port: int) -> AppSignIn:
    """The app's callback URL and cookie-signing secret (``OBSERVATOIRE_APP_URL``, ``OBSERVATOIRE_COOKIE_SECRET``).

    Without ``OBSERVATOIRE_COOKIE_SECRET`` a random secret is generated once into
    ``<lake>/meta/app/cookie_secret`` (restricted layer, outside git, mode 0600). Prod needs an
    https ``OBSERVATOIRE_APP_URL``: the provider sends the browser back there.
    """
    url = os.environ.get("OBSERVATOIRE_APP_URL", "").strip().rstrip("/")
    if settings.env == "prod" and not url.startswith("https://"):
        raise ConfigurationError("prod needs OBSERVATOIRE_APP_URL, the https:// address of the analyst app (sign-in callback).")
    url = url or f"http://127.0.0.1:{port}"
    secret = os.environ.get("OBSERVATOIRE_COOKIE_SECRET", "").strip()
    if not secret:
        path = settings.meta / "app" / "cookie_secret"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < 32:
        raise ConfigurationError("OBSERVATOIRE_COOKIE_SECRET must be at least 32 characters.")
    return AppSignIn(redirect_uri=f"{url}/oauth2callback", cookie_secret=secret)
