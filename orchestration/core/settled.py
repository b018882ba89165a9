"""Has anything changed since a full ``observatoire run`` found nothing to do? Decided without Dagster.

A full ``run`` on a lake with nothing pending costs seconds of start-up (Dagster, dbt's manifest,
every definition) to tick the landing sensors and evaluate the automation conditions, only to
conclude that nothing is to be done. When it concludes so, it leaves a *settled stamp*
(``<lake>/.run_settled.json``) describing everything that conclusion depended on:

* **landing**: every entry under ``landing/`` (name, type, size, mtime, ctime, inode; links not
  followed), a stricter signature than the landing sensors' own (mtime and size);
* **lake**: the same for every file of the lake outside ``landing/``, ``logs/`` and Dagster's
  home (bronze, quarantine, ledgers, marts, gold, open data, quality verdicts);
* **dagster**: the same for Dagster's home (run and event-log storage, cursors): any run since,
  by ``serve``'s daemon, ``backfill``, ``refresh`` or the UI, changes it;
* **code**: the content of the code and declarations the graph is built from (``orchestration/``,
  ``quality/``, the dbt project and its manifest, ``reference/``, the lock file, the instance
  file) and the Python running it;
* **settings**: the resolved settings and the ``OBSERVATOIRE_*``/``DAGSTER_*``/``DBT_*``
  environment (secrets only as "set");
* **time**: the first instant a feed's freshness verdict could turn (a fresh feed reaching its
  SLA). The automation conditions themselves do not depend on time: the full run checks it and
  writes no stamp when one does (``orchestration.runner.time_dependent_automation``).

The next ``run`` recomputes the same signatures (a few hundred milliseconds) and, if every one is
equal and the time has not come, reports nothing pending without importing Dagster. Any
difference, a missing or unreadable stamp, the cluster profile (its records live outside the
lake), or ``run --full`` falls through to the full run, which removes the stamp first: a run
that fails or finds work leaves none. Kept free of Dagster (and of pandas) so it stays cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.core.settings import REPO_ROOT, Settings

STAMP_VERSION = 1
STAMP_NAME = ".run_settled.json"
# Top-level entries of the lake with a signature of their own (landing, Dagster) or none (logs,
# the stamp: at the top, so that writing it changes the mtime of no folder the digest covers).
_LAKE_SKIPPED = frozenset({"landing", "logs", ".dagster", STAMP_NAME, STAMP_NAME + ".tmp"})
# What the graph is built from, relative to the repository root.
CODE_ROOTS = ("orchestration", "quality", "dbt_project", "reference")
CODE_FILES = ("pyproject.toml", "uv.lock", "infra/dagster.yaml")
# dbt's output folders are not sources; its manifest is (the definitions are built from it).
DBT_PROJECT = "dbt_project"
_DBT_SKIPPED = frozenset({"target", "logs", "dbt_packages"})
DBT_MANIFEST = "dbt_project/target/manifest.json"
_ENV_PREFIXES = ("OBSERVATOIRE_", "DAGSTER_", "DBT_")
_SECRET_WORDS = ("KEY", "SECRET", "PASSWORD", "TOKEN", "URL", "CREDENTIAL")


@dataclass(frozen=True)
class State:
    """Digests of what a full run's conclusion depends on (see the module docstring)."""

    landing: str
    lake: str
    dagster: str
    code: str
    settings: str

    def changed(self, other: State) -> list[str]:
        """The names of the parts that differ from ``other``, in the order above."""
        return [name for name, value in asdict(self).items() if asdict(other)[name] != value]


@dataclass(frozen=True)
class FreshnessSeen:
    """One feed's freshness verdict as the full run printed it (``age_hours`` < 0: never delivered)."""

    line: str
    passed: bool
    age_hours: float
    sla_hours: float


@dataclass(frozen=True)
class Stamp:
    """What a full run that found nothing to do saw, and until when its freshness verdicts hold."""

    state: State
    checked_at: datetime
    valid_until: datetime | None  # None: no verdict can turn by time alone
    freshness: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    """Whether ``run`` may report nothing pending at once; ``reason`` says why (not)."""

    settled: bool
    reason: str
    stamp: Stamp | None = None


def stamp_path(settings: Settings) -> Path:
    """``<lake>/.run_settled.json``: derived state, removed by any full run."""
    return settings.lake / STAMP_NAME


def unsupported(settings: Settings) -> str | None:
    """Why the fast path cannot judge this profile, or None: it reads the lake's and Dagster's files."""
    if settings.dagster_pg_url or settings.object_store is not None:
        return "the cluster profile keeps the lake or Dagster's records outside this folder"
    return None


def current_state(settings: Settings) -> State:
    """The signatures of landing, lake, Dagster's home, code and settings, as they are now."""
    return State(
        landing=_tree_digest(settings.landing),
        lake=_tree_digest(settings.lake, skip_top=_LAKE_SKIPPED),
        dagster=_tree_digest(settings.dagster_home),
        code=code_digest(),
        settings=settings_digest(settings),
    )


def forget(settings: Settings) -> None:
    """Remove the stamp: done by every full run before it starts, and by commands that change the lake."""
    with contextlib.suppress(FileNotFoundError):
        stamp_path(settings).unlink()


def record(settings: Settings, before: State, freshness: Sequence[FreshnessSeen], now: datetime | None = None) -> Stamp | None:
    """Write the stamp after a full run that found nothing to do and started in state ``before``.

    Nothing is written (None) when landing, lake, code or settings changed during the run: what
    the run concluded may not hold for what is there now. Dagster's home is taken as it is now
    (the run itself wrote its cursors there).
    """
    if unsupported(settings):
        return None
    after = current_state(settings)
    if [name for name in before.changed(after) if name != "dagster"]:
        return None
    now = now or datetime.now(UTC)
    stamp = Stamp(state=after, checked_at=now, valid_until=_valid_until(freshness, now), freshness=[f.line for f in freshness])
    path = stamp_path(settings)
    payload = {
        "version": STAMP_VERSION,
        "state": asdict(stamp.state),
        "checked_at": stamp.checked_at.isoformat(),
        "valid_until": stamp.valid_until.isoformat() if stamp.valid_until else None,
        "freshness": stamp.freshness,
    }
    tmp = path.with_name(STAMP_NAME + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(tmp, path)  # a reader sees the old stamp or the new one, never half of one
    return stamp


def check(settings: Settings, now: datetime | None = None) -> Verdict:
    """Is the lake as the last full run that found nothing to do left it? Without importing Dagster."""
    if reason := unsupported(settings):
        return Verdict(False, reason)
    stamp = load(settings)
    if stamp is None:
        return Verdict(False, "no full check since the last change")
    now = now or datetime.now(UTC)
    if stamp.valid_until is not None and now >= stamp.valid_until:
        return Verdict(False, "a feed's freshness verdict may have changed since the last full check", stamp)
    changed = stamp.state.changed(current_state(settings))
    if changed:
        return Verdict(False, f"changed since the last full check: {', '.join(changed)}", stamp)
    return Verdict(True, "landing, lake, Dagster's records, code and settings unchanged since the last full check", stamp)


def load(settings: Settings) -> Stamp | None:
    """The stamp, or None when missing, unreadable or of another version."""
    try:
        raw = json.loads(stamp_path(settings).read_text(encoding="utf-8"))
        if raw.get("version") != STAMP_VERSION:
            return None
        return Stamp(
            state=State(**raw["state"]),
            checked_at=datetime.fromisoformat(raw["checked_at"]),
            valid_until=datetime.fromisoformat(raw["valid_until"]) if raw["valid_until"] else None,
            freshness=[str(line) for line in raw["freshness"]],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _valid_until(freshness: Iterable[FreshnessSeen], now: datetime) -> datetime | None:
    """The first instant a fresh feed may reach its SLA (ages only grow until the next ingest).

    ``age_hours`` is counted from the end of the delivered period and is 0 while the period is
    open, so ``now + (sla - age)`` is at or before the real turn: the fast path stops early, never late.
    """
    turns = [now + timedelta(hours=f.sla_hours - f.age_hours) for f in freshness if f.passed and f.sla_hours >= 0 and f.age_hours >= 0]
    return min(turns, default=None)


def _tree_digest(root: Path, skip_top: frozenset[str] = frozenset()) -> str:
    """Digest of every entry under ``root``: relative name, type, size, mtime, ctime, inode (links not followed)."""
    digest = hashlib.sha256()
    for relative, info in _walk(str(root), "", skip_top):
        digest.update(
            f"{relative}\0{stat.S_IFMT(info.st_mode)}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}\n".encode()
        )
    return digest.hexdigest()


def _walk(root: str, prefix: str, skip_top: frozenset[str]) -> Iterable[tuple[str, os.stat_result]]:
    try:
        entries = sorted(os.scandir(os.path.join(root, prefix) if prefix else root), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if not prefix and entry.name in skip_top:
            continue
        relative = f"{prefix}/{entry.name}" if prefix else entry.name
        info = entry.stat(follow_symlinks=False)
        yield relative, info
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(root, relative, frozenset())


def code_files(repo: Path = REPO_ROOT) -> list[Path]:
    """The files the definitions are built from (sources, declarations, dbt project and manifest, lock)."""
    found: list[Path] = []
    dbt_project = repo / DBT_PROJECT
    for top in CODE_ROOTS:
        for folder, dirs, files in os.walk(repo / top):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not (here == dbt_project and d in _DBT_SKIPPED))
            found.extend(here / f for f in sorted(files) if not f.endswith(".pyc"))
    found.extend(repo / f for f in (*CODE_FILES, DBT_MANIFEST))
    return found


def code_digest(repo: Path = REPO_ROOT) -> str:
    """Digest of the content of :func:`code_files` and of the Python running them."""
    digest = hashlib.sha256(f"{sys.version}\0{sys.executable}\n".encode())
    for path in code_files(repo):
        digest.update(f"{path.relative_to(repo)}\0".encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def settings_digest(settings: Settings) -> str:
    """Digest of the settings and of the environment the pipeline reads (secrets only as "set")."""
    described = {
        "lake": str(settings.lake),
        "env": settings.env,
        "k_min": settings.k_min,
        "profile": settings.profile,
        "key_source": settings.key_source,
        "environment": {
            name: ("set" if any(word in name for word in _SECRET_WORDS) else value)
            for name, value in sorted(os.environ.items())
            if name.startswith(_ENV_PREFIXES)
        },
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()
