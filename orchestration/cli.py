"""``observatoire``: simulate partner drops, run the pipeline, serve the UIs.

    observatoire simulate --start 2026-01-01 --days 30 --seed 42 --scale 1 [--effects FILE]
    observatoire run                 # materialise everything pending, in-process, no server
    observatoire run --full          # the same, without the shortcut taken when nothing changed
    observatoire serve               # Dagster UI + apps on 127.0.0.1
    observatoire demo                # simulate + run + serve
    observatoire backfill police_mains_courantes --from 2026-01-01 --to 2026-01-31
    observatoire retention           # apply retention now (nightly schedule otherwise)
    observatoire api                 # the read-only API alone on 127.0.0.1 (serve starts it too)
    observatoire tokens create --name N --roles services --days 90   # machine client token (list, revoke ID)

Every command takes ``--lake PATH`` (else ``OBSERVATOIRE_LAKE``, else ``./lake``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.core.settings import REPO_ROOT, ConfigurationError, Settings, load_settings

if TYPE_CHECKING:
    import dagster as dg

    from orchestration.core import settled

QUIET_ENV = {
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
}


_WARNED: set[str] = set()  # warnings already shown by this command (demo = simulate + run + serve)


def _say(message: str) -> None:
    print(message, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.lake)
    os.environ.update(QUIET_ENV)
    if settings.uses_dev_key and "dev_key" not in _WARNED:
        _WARNED.add("dev_key")
        _say(
            "  ! pseudonymisation key: the PUBLIC DEVELOPMENT default (refused in prod). "
            "Set OBSERVATOIRE_KEY or OBSERVATOIRE_KEY_FILE for real data."
        )
    return settings


def _definitions(settings: Settings) -> dg.Definitions:
    """The code location with its resources bound to this lake (heavy import: dbt manifest).

    Every command that builds it may change the lake: the next ``run`` checks in full.
    """
    from orchestration.core.settled import forget
    from orchestration.definitions import build_definitions

    forget(settings)
    return build_definitions(settings.lake)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Write simulated partner drops into the landing zone."""
    from simulator import simulate

    settings = _settings(args)
    start = args.start or (date.today() - timedelta(days=args.days))
    report = simulate(settings.landing, start=start, days=args.days, seed=args.seed, scale=args.scale, effects=args.effects)
    rows = ", ".join(f"{feed}: {n:,} rows" for feed, n in sorted(report.rows.items()))
    _say(f"simulate: {len(report.files)} file(s) from {start} for {args.days} day(s) into {settings.landing} ({rows})")
    _say(f"  truth file: {report.truth_path}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Ingest pending deliveries, rebuild the marts, gate and publish; non-zero exit on failure."""
    settings = _settings(args)
    _say(f"run: lake {settings.lake} (env {settings.env})")
    started = time.perf_counter()
    from orchestration.core import settled

    if not getattr(args, "full", False):
        verdict = settled.check(settings)
        if verdict.settled and verdict.stamp is not None:
            _say_settled(verdict.stamp, verdict.reason, time.perf_counter() - started)
            return 0
        _say(f"  full check ({verdict.reason})")
    settled.forget(settings)  # removed before anything runs: a run that fails or finds work leaves none
    before = settled.current_state(settings)
    from orchestration.runner import run_pending

    log_dir = settings.lake / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"run-{datetime.now():%Y%m%dT%H%M%S}.log"
    # dbt and Dagster write their detailed logs to a file; the terminal gets one line per step.
    with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):

        def echo(line: str) -> None:
            print(line, file=sys.__stdout__, flush=True)
            print(line, file=log)

        # The suites in a second process, dbt imported in a third while the ingest runs: the run is
        # this process's only work (quality.background, orchestration.core.warm_dbt).
        summary = run_pending(settings, _definitions(settings), echo=echo, validate_in_background=True, warm_dbt=True)
    elapsed = time.perf_counter() - started
    if not summary.runs:
        stamp = settled.record(settings, before, summary.freshness) if summary.settled else None
        why = (
            "the next run decides in a fraction of a second while nothing changes"
            if stamp
            else "the next run checks in full again: " + (", ".join(summary.time_dependent[:3]) or "the lake changed meanwhile")
        )
        _say(f"run: nothing pending ({elapsed:.1f} s; {why})")
    elif summary.success:
        _say(f"run: {len(summary.runs)} run(s) succeeded in {elapsed:.1f} s (details: {log_path})")
    else:
        failed = [r.job for r in summary.runs if not r.success]
        _say(f"run: FAILED ({', '.join(failed)}) after {elapsed:.1f} s; nothing failing was published. Details: {log_path}")
        return 1
    return 0


def _say_settled(stamp: settled.Stamp, reason: str, elapsed: float) -> None:
    """The fast path's report: nothing pending, why that is known, and why it took no time."""
    checked = stamp.checked_at.astimezone().strftime("%d/%m/%Y %H:%M")
    for line in stamp.freshness:
        _say(f"  {line} (at the full check of {checked})")
    _say(
        f"run: nothing pending ({elapsed:.1f} s): {reason} ({checked}), which found nothing to do; "
        "decided without starting Dagster. `observatoire run --full` checks everything anyway."
    )


def cmd_backfill(args: argparse.Namespace) -> int:
    """Run a feed's ingest job over the deliveries of a day range (those already processed are skipped)."""
    settings = _settings(args)
    from orchestration.core.catalog import feeds
    from orchestration.runner import backfill

    if args.feed not in feeds():
        _say(f"backfill: unknown feed {args.feed!r}; declared: {', '.join(sorted(feeds()))}")
        return 2
    if args.start > args.end:
        _say(f"backfill: --from {args.start} is after --to {args.end}")
        return 2
    outcome = backfill(settings, _definitions(settings), args.feed, args.start, args.end, echo=_say)
    return 0 if outcome.success else 1


def cmd_refresh(args: argparse.Namespace) -> int:
    """Rebuild, gate and publish every mart from the bronze tables as they are."""
    from orchestration.runner import refresh

    settings = _settings(args)
    outcome = refresh(settings, _definitions(settings), echo=_say)
    return 0 if outcome.success else 1


def cmd_retention(args: argparse.Namespace) -> int:
    """Apply every feed's retention now (the Dagster schedule does it nightly)."""
    settings = _settings(args)
    from orchestration.core.catalog import feeds
    from orchestration.core.governance import apply_retention
    from orchestration.core.settled import forget

    forget(settings)  # the lake changes: the next run checks in full
    for spec in feeds().values():
        report = apply_retention(settings, spec)
        _say(
            f"retention {spec.name}: {report.landing_files_removed} landing file(s), "
            f"{report.bronze_rows_removed} bronze row(s), {report.quarantine_rows_removed} quarantined row(s) removed; "
            f"{report.vacuumed_files} file(s) vacuumed"
        )
    from orchestration.core import audit

    removed = audit.apply_retention(settings.audit)
    _say(f"retention audit ({audit.retention_days()} days, core/transparency.yaml): " + ", ".join(f"{n} row(s) removed from {t}" for t, n in removed.items()))
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    """Serve the read-only API (published gold and open data) on 127.0.0.1."""
    settings = load_settings(args.lake, require_key=False)  # the API never needs the pseudonymisation key
    import uvicorn

    from apps.api.app import create_app
    from orchestration.core.settings import load_api_settings

    limits = load_api_settings()
    port = args.port or limits.port
    _say(f"api: http://127.0.0.1:{port}/openapi.json (lake {settings.lake}, {limits.workers} worker(s))")
    if limits.workers > 1:  # each worker process builds the app from the environment
        os.environ["OBSERVATOIRE_LAKE"] = str(settings.lake)
        uvicorn.run(
            "apps.api.app:create_app", factory=True, workers=limits.workers,
            host="127.0.0.1", port=port, log_level="warning", access_log=False,
        )  # fmt: skip
    else:
        uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    """Create, list or revoke machine clients' API tokens (stored hashed in <lake>/meta)."""
    settings = load_settings(args.lake, require_key=False)
    from orchestration.core.api_tokens import TokenError, TokenStore, store_path

    store = TokenStore(store_path(settings))
    try:
        if args.action == "create":
            token, secret = store.create(args.name, args.roles.split(","), args.days)
            _say(f"token {token.id} ({token.name}), roles {', '.join(token.roles)}, expires {token.expires_at}")
            _say("secret (shown once, store it now; only its hash is kept):")
            print(secret)
        elif args.action == "list":
            for t in store.list():
                _say(f"{t.id}  {t.status:8}  {t.name}  roles={','.join(t.roles)}  created={t.created_at}  expires={t.expires_at}")
        else:
            token = store.revoke(args.id)
            _say(f"token {token.id} ({token.name}) revoked at {token.revoked_at}")
    except TokenError as error:
        print(f"observatoire tokens: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    """Re-key bronze and quarantine pseudonyms from the current key to the one in --new-key-file."""
    settings = _settings(args)
    from orchestration.core.rekey import rekey_lake
    from orchestration.core.settings import check_production_key

    new_key = Path(args.new_key_file).expanduser().read_text(encoding="utf-8").strip()
    check_production_key(new_key)  # a rotation is the moment to get a strong key
    report = rekey_lake(settings, new_key.encode())
    _say(
        f"rekey: {report.recomputed} pseudonym(s) recomputed from landing, {report.derived} re-keyed one-way "
        f"(raw data expired), {len(report.tables)} table(s), {report.evidence_files} evidence file(s) re-encrypted. "
        "Now point OBSERVATOIRE_KEY_FILE at the new key, run `observatoire refresh`, and destroy the old key."
    )
    return 0


def _wait_http(url: str, timeout: float) -> bool:
    import urllib.request  # only serve needs it: not imported by `run`'s fast path

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


@dataclass(frozen=True)
class Server:
    """A process ``serve`` starts: its command line, the URL answering once it is up, what to print then."""

    name: str
    argv: list[str]
    health_url: str
    banner: tuple[str, ...]
    timeout: float = 60.0


def _servers(args: argparse.Namespace, signin_args: Sequence[str] = ()) -> list[Server]:
    """Everything ``serve`` runs; adding a server is one more entry (it is stopped with the rest)."""
    bin_dir = Path(sys.executable).parent
    dagster = f"http://127.0.0.1:{args.dagster_port}"
    app = f"http://127.0.0.1:{args.app_port}"
    from orchestration.core.settings import load_api_settings

    api_port = getattr(args, "api_port", None) or load_api_settings().port
    api = f"http://127.0.0.1:{api_port}"
    return [
        Server(
            "dagster",
            [str(bin_dir / "dagster"), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(args.dagster_port)],
            f"{dagster}/server_info",
            (f"Dagster UI     {dagster}",),
            timeout=120.0,
        ),
        Server(
            "streamlit",
            [
                str(bin_dir / "streamlit"), "run", "apps/streamlit_app.py",
                "--server.address", "127.0.0.1", "--server.port", str(args.app_port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false", *signin_args,
            ],
            f"{app}/_stcore/health",
            (f"Observatoire   {app}/observatoire", f"Portail        {app}/portail"),
        ),
        Server(
            "api",
            [sys.executable, "-m", "orchestration.cli", "api", "--port", str(api_port)],  # lake: OBSERVATOIRE_LAKE
            f"{api}/health",
            (f"API            {api}/openapi.json",),
        ),
    ]


def cmd_serve(args: argparse.Namespace) -> int:
    """Dagster UI (webserver + daemon, sensors on) and the Streamlit apps, on 127.0.0.1."""
    settings = _settings(args)
    from orchestration.core.supervisor import Children
    from orchestration.runner import prepare_instance

    prepare_instance(settings)
    from orchestration.defs.transform.project import ensure_manifest

    ensure_manifest()
    # The servers are other processes: the lake reaches them (and the EnvVar of the resource) here.
    env = {**os.environ, "OBSERVATOIRE_LAKE": str(settings.lake), "DAGSTER_HOME": str(settings.dagster_home), **QUIET_ENV}
    log_dir = settings.lake / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    from orchestration import serve_signin

    # Sign-in: prod's issuer, or (dev/ci) the local OIDC provider, and the app's [auth] secrets.
    signin_args, local_provider = serve_signin.prepare(settings, args.app_port, env)
    servers = _servers(args, signin_args)
    # Every child is stopped on leaving this block: return, error, Ctrl-C, SIGTERM (see main()).
    try:
        with Children() as children:
            for server in servers:
                children.start(server.name, server.argv, log=log_dir / f"{server.name}.log", env=env, cwd=REPO_ROOT)
            for server in servers:
                up = _wait_http(server.health_url, server.timeout)
                for i, line in enumerate(server.banner):
                    late = "" if up or i else f"  (not answering yet, see {log_dir / server.name}.log)"
                    _say(f"serve: {line}{late}")
            if local_provider is not None:
                _say(f"serve: Connexion (dev) {local_provider.issuer}  comptes : {', '.join(local_provider.users)}")
            _say("serve: Ctrl-C stops everything.")
            while not (stopped := children.exited()):
                time.sleep(1)
            _say(f"serve: {', '.join(stopped)} stopped; see {log_dir}. Shutting down.")
            return 1
    finally:
        if local_provider is not None:
            local_provider.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    """Simulate (unless landing already has drops), run, then serve."""
    settings = _settings(args)
    if args.force_simulate or not any(settings.landing.glob("*/*")):
        cmd_simulate(args)
    else:
        _say(f"demo: landing already holds drops in {settings.landing}; not simulating again")
    if cmd_run(args) != 0:
        _say("demo: the run failed; serving anyway so you can inspect it in the Dagster UI.")
    from quality import background

    background.stop()  # the run's validation process: serving needs none
    if args.no_serve:
        return 0
    return cmd_serve(args)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="observatoire", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("--lake", help="lake root (default: $OBSERVATOIRE_LAKE or ./lake)")
        cmd.set_defaults(handler=handler)
        return cmd

    def simulation_flags(cmd: argparse.ArgumentParser, days: int) -> None:
        cmd.add_argument("--start", type=_date, help="first simulated day, YYYY-MM-DD (default: DAYS ago)")
        cmd.add_argument("--days", type=int, default=days, help=f"number of days (default {days})")
        cmd.add_argument("--seed", type=int, default=42, help="random seed: same seed, same bytes")
        cmd.add_argument("--scale", type=float, default=1.0, help="volume multiplier")
        cmd.add_argument(
            "--effects", type=Path, help="YAML of planted effect sizes (default: simulator/effects.default.yaml)"
        )

    def serve_flags(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--dagster-port", type=int, default=3000)
        cmd.add_argument("--app-port", type=int, default=8501)
        cmd.add_argument("--api-port", type=int, default=None, help="API port (default: OBSERVATOIRE_API_PORT or 8502)")

    simulation_flags(add("simulate", cmd_simulate, "write simulated partner drops into landing/"), 30)
    run = add("run", cmd_run, "materialise everything pending (ingest, dbt, gate, publish), no server")
    run.add_argument("--full", action="store_true", help="check everything with Dagster even if nothing changed since the last check")
    serve_flags(add("serve", cmd_serve, "serve the Dagster UI and the apps on 127.0.0.1"))
    backfill = add("backfill", cmd_backfill, "re-run a feed's ingestion over a day range (idempotent)")
    backfill.add_argument("feed", help="feed name, as declared in orchestration/core/catalog/feeds/")
    backfill.add_argument("--from", dest="start", type=_date, required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--to", dest="end", type=_date, required=True, help="last day, YYYY-MM-DD")
    add("refresh", cmd_refresh, "rebuild, gate and publish the marts now (after a model or rule change)")
    add("retention", cmd_retention, "apply every feed's retention now (deletes and vacuums)")
    api = add("api", cmd_api, "serve the read-only API (published marts, open data) on 127.0.0.1")
    api.add_argument("--port", type=int, help="port (default: $OBSERVATOIRE_API_PORT or 8502)")
    tokens = add("tokens", cmd_tokens, "machine clients' API tokens: create, list, revoke")
    token_actions = tokens.add_subparsers(dest="action", required=True)
    create = token_actions.add_parser("create", help="create a token and print its secret once")
    create.add_argument("--name", required=True, help="who uses it (a service, an application)")
    create.add_argument("--roles", required=True, help="comma-separated declared roles, e.g. services")
    create.add_argument("--days", type=int, required=True, help="validity in days (at most 366)")
    token_actions.add_parser("list", help="list tokens (never their secrets)")
    revoke = token_actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", help="token id, as printed by create or list")
    for action in token_actions.choices.values():  # `tokens create --lake X` as well as `tokens --lake X create`
        action.add_argument("--lake", default=argparse.SUPPRESS, help="lake root (default: $OBSERVATOIRE_LAKE or ./lake)")
    rekey = add("rekey", cmd_rekey, "rotate the pseudonymisation key: re-key bronze and quarantine (see README)")
    rekey.add_argument("--new-key-file", required=True, help="file holding the new key (outside the repo and the lake)")
    demo = add("demo", cmd_demo, "simulate + run + serve")
    simulation_flags(demo, 90)
    serve_flags(demo)
    demo.add_argument("--force-simulate", action="store_true", help="simulate even if landing has drops")
    demo.add_argument("--no-serve", action="store_true", help="stop after the run (used by CI)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``observatoire`` command."""
    from orchestration.core.supervisor import terminating_on_signals

    args = build_parser().parse_args(argv)
    try:
        with terminating_on_signals():  # SIGTERM/SIGHUP unwind like Ctrl-C: every child server is stopped
            return args.handler(args)
    except KeyboardInterrupt:
        print("observatoire: interrupted", file=sys.stderr)
        return 130
    except ConfigurationError as error:
        print(f"observatoire: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
