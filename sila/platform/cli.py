"""The `sila` command.

    sila dev                 the whole platform on this machine (embedded PostgreSQL/Redis
                             unless SILA_DATABASE_URL / SILA_REDIS_URL are set), demo tenants
    sila migrate             apply migrations as the owner, grant the app role
    sila serve               the web app (uvicorn)
    sila worker | beat       the Celery worker / the one beat process
    sila create-operator     a platform operator account
    sila load-demo           the demo tenants (idempotent)

Exit codes: 0 done, 1 failed, 2 bad usage or bad settings (the message names the variable).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import getpass
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn

from sila.platform import db, demo
from sila.platform.embedded import EmbeddedPostgres, EmbeddedRedis
from sila.platform.forms import looks_like_email
from sila.platform.migrate import migrate
from sila.platform.operator.services import create_operator
from sila.platform.settings import Settings, SettingsError, get_settings, load_settings

CELERY_APP = "sila.workers.celery_app"
WEB_FACTORY = "sila.platform.app:create_app"
OPERATOR_MIN_PASSWORD = 12
DEV_DATA_DIR = Path(".sila") / "dev"


class UsageError(Exception):
    """A problem the user fixes by changing the command or its input (exit 2)."""


class Failure(Exception):
    """The command ran and failed (exit 1)."""


def _settings() -> Settings:
    """The settings, from a clean cache (the environment may have changed in this process)."""
    get_settings.cache_clear()
    return get_settings()


def _say(*parts: Any, err: bool = False) -> None:
    print(*parts, file=sys.stderr if err else sys.stdout, flush=True)


# --- migrate, serve, worker, beat --------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        asyncio.run(migrate(settings, quiet=args.quiet))
    except OSError as exc:
        raise Failure(f"cannot reach the database (SILA_DATABASE_URL): {exc}") from exc
    _say("Migrations applied.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _settings()  # refuse to start on bad settings, before uvicorn spawns anything
    uvicorn.run(
        WEB_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        access_log=not args.no_access_log,
        timeout_graceful_shutdown=args.graceful_timeout,
        log_level=args.log_level,
    )
    return 0


def _exec_celery(celery_args: list[str]) -> int:
    """Replace this process with Celery (so signals reach it directly, e.g. as PID 1)."""
    argv = [sys.executable, "-m", "celery", "-A", CELERY_APP, *celery_args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 -- our own interpreter running Celery, the argv a list
    return 1  # not reached


def cmd_worker(args: argparse.Namespace) -> int:
    _settings()
    extra = list(args.celery_args)
    if "--loglevel" not in extra and not any(a.startswith(("--loglevel=", "-l")) for a in extra):
        extra += ["--loglevel", args.loglevel]
    return _exec_celery(["worker", *extra])


def cmd_beat(args: argparse.Namespace) -> int:
    settings = _settings()
    extra = list(args.celery_args)
    if "--loglevel" not in extra and not any(a.startswith(("--loglevel=", "-l")) for a in extra):
        extra += ["--loglevel", args.loglevel]
    if not any(a in ("-s", "--schedule") or a.startswith("--schedule=") for a in extra):
        # Celery's default schedule file lands in the working directory; keep it with our data.
        data = Path(settings.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        extra += ["--schedule", str(data / "celerybeat-schedule")]
    return _exec_celery(["beat", *extra])


# --- create-operator, load-demo ---------------------------------------------------------


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for the password on: pipe it in with --password-stdin")
        password = getpass.getpass("Password (at least 12 characters): ")
        if password != getpass.getpass("Again: "):
            raise Failure("the two passwords differ")
    if len(password) < OPERATOR_MIN_PASSWORD:
        raise Failure(f"the password needs at least {OPERATOR_MIN_PASSWORD} characters")
    return password


def cmd_create_operator(args: argparse.Namespace) -> int:
    settings = _settings()
    if not looks_like_email(args.email):
        raise UsageError(f"not an email address: {args.email!r}")
    password = _read_password(args.password_stdin)

    async def run() -> Any:
        db.configure(settings.app_dsn)
        return await create_operator(args.email, args.name or args.email.split("@")[0], password,
                                     reset_totp=args.reset_totp)

    try:
        operator_id = _run_db(run)
    except ValueError as exc:  # the service's own password rules
        raise Failure(str(exc)) from exc
    _say(f"Operator {args.email.strip().lower()} is ready (id {operator_id}).")
    if args.reset_totp:
        _say("Their authenticator was forgotten: they enrol a new one at their next sign-in.")
    _say(f"Sign in at {settings.platform_url('/operator/login')}")
    return 0


def cmd_load_demo(args: argparse.Namespace) -> int:
    settings = _settings()

    async def run() -> demo.DemoAccounts:
        db.configure(settings.app_dsn)
        return await demo.load_demo(settings)

    accounts = _run_db(run)
    _say(demo.describe(accounts, settings))
    return 0


def _run_db(make: Callable[[], Any]) -> Any:
    """Run a database coroutine; turn "not migrated" and "cannot connect" into plain messages."""
    try:
        return asyncio.run(make())
    except asyncpg.UndefinedTableError as exc:
        raise Failure(f"the database is not migrated ({exc}): run `sila migrate` first") from exc
    except (OSError, asyncpg.PostgresConnectionError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        raise Failure(f"cannot reach the database: {exc}") from exc


# --- dev --------------------------------------------------------------------------------


class _Stop(Exception):
    """Raised by the signal handler while `sila dev` is starting or running."""


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"port {port} on {host} is in use ({exc.strerror}): pass --port 0 for a free one") from exc


def _dev_secret(data_dir: Path) -> str:
    """A secret key made once and kept in the data dir, so sessions survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= 32:
            return key
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if `sila dev` itself dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Child:
    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        # Own session: a Ctrl-C in the terminal reaches `sila dev` only, which then stops the
        # children in order (web, workers, then the servers they use).
        self.proc = subprocess.Popen(  # noqa: S603 -- `sila dev` starting its own servers, argv a list
            args, env=env, start_new_session=True, preexec_fn=_die_with_parent)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def _stop_children(children: list[Child], timeout: float, hurry: Callable[[], bool]) -> None:
    for child in children:
        if child.alive():
            child.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(c.alive() for c in children) and time.monotonic() < deadline and not hurry():
        time.sleep(0.1)
    for child in children:
        if child.alive():
            _say(f"sila dev: {child.name} did not stop in time; killing it", err=True)
        child.kill_group()  # also whatever it left in its group (e.g. Celery pool processes)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(5)


def _wait_for_web(port: int, web: Child, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not web.alive():
            raise Failure(f"the web server exited with code {web.proc.returncode} while starting")
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise Failure(f"the web server did not answer on port {port} within {timeout:.0f}s")


def cmd_dev(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    host = args.host
    port = _free_port(host) if args.port == 0 else args.port
    if args.port:
        _check_port(host, port)

    env = os.environ
    env["SILA_ENV"] = "development"
    env["SILA_BASE_DOMAIN"] = "localhost"
    env["SILA_PUBLIC_URL"] = f"http://localhost:{port}"
    env["SILA_DATA_DIR"] = str(data_dir)
    env.setdefault("SILA_EMAIL_PROVIDER", "inbox")
    env.setdefault("SILA_SECRET_KEY", _dev_secret(data_dir))
    embedded_pg = not env.get("SILA_DATABASE_URL")
    embedded_redis = not env.get("SILA_REDIS_URL")
    # Check every other setting now, before starting anything (placeholders stand in for
    # the URLs the embedded servers will give).
    placeholders = {"SILA_DATABASE_URL": "postgresql://embedded/sila", "SILA_REDIS_URL": "redis://embedded"}
    for name, value in placeholders.items():
        if not env.get(name):
            env[name] = value
    try:
        load_settings()
    finally:
        for name, value in placeholders.items():
            if env.get(name) == value:
                del env[name]

    stopping = False
    hurry = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal hurry
        if stopping:
            hurry = True  # a second Ctrl-C: stop waiting for a graceful shutdown
            return
        raise _Stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    pg = EmbeddedPostgres(data_dir) if embedded_pg else None
    redis = EmbeddedRedis(data_dir) if embedded_redis else None
    children: list[Child] = []
    code = 0
    try:
        if pg is not None:
            _say(f"Starting PostgreSQL (embedded; data in {pg.pgdata}) …")
            pg.start()
            env["SILA_DATABASE_URL"] = pg.create_database("sila")
            _say(f"  PostgreSQL pid {pg.pid}")
        if redis is not None:
            _say(f"Starting Redis (embedded; data in {redis.dbfile.parent}) …")
            env["SILA_REDIS_URL"] = redis.start()
            _say(f"  Redis pid {redis.pid}")
        settings = _settings()

        _say("Applying migrations …")
        asyncio.run(migrate(settings, quiet=True))

        _say("Loading demo tenants …")

        async def load() -> demo.DemoAccounts:
            db.configure(settings.app_dsn)
            return await demo.load_demo(settings)

        accounts = asyncio.run(load())

        child_env = {**env, "PYTHONUNBUFFERED": "1"}
        me = [sys.executable, "-m", "sila.platform.cli"]
        web = Child("web", [*me, "serve", "--host", host, "--port", str(port), "--graceful-timeout", "5"], child_env)
        children.append(web)
        if importlib.util.find_spec(CELERY_APP) is None:
            _say(f"sila dev: {CELERY_APP} is not there yet; running without worker and beat", err=True)
        else:
            # Beat sends a relay task every few seconds: at INFO their logs would bury the rest.
            level = "INFO" if args.verbose else "WARNING"
            children.append(Child("worker", [*me, "worker", "--loglevel", level, "--concurrency", "1"], child_env))
            children.append(Child("beat", [*me, "beat", "--loglevel", level], child_env))
        _wait_for_web(port, web)

        _say("")
        _say(demo.describe(accounts, settings))
        _say(f"Development inbox (emails the platform 'sent'): {settings.platform_url('/_dev/inbox')}")
        _say(f"Health: {settings.platform_url('/healthz')}")
        _say("Processes: " + ", ".join(f"{c.name} pid {c.pid}" for c in children))
        _say(f"Data: {data_dir} (kept between runs; delete it to start afresh)")
        _say("Press Ctrl-C to stop.")

        while True:
            for child in children:
                if not child.alive():
                    raise Failure(f"{child.name} exited unexpectedly with code {child.proc.returncode}")
            time.sleep(0.25)
    except _Stop as stop:
        stopping = True
        _say(f"\nsila dev: {stop}, stopping …")
    except Failure as exc:
        stopping = True
        _say(f"sila dev: {exc}", err=True)
        code = 1
    finally:
        stopping = True
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            _stop_children(children, timeout=20, hurry=lambda: hurry)
            if redis is not None:
                redis.stop()
            if pg is not None:
                pg.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    _say("sila dev: stopped.")
    return code


# --- the parser -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sila",
        description="Sila: beneficiary-relations policy as software, for many charities on one deployment.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("dev", help="run the whole platform on this machine, with demo tenants")
    p.add_argument("--port", type=int, default=8000, help="web port (0: pick a free one; default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--data-dir", default=str(DEV_DATA_DIR),
                   help=f"embedded servers' data, dev secret and demo passwords (default {DEV_DATA_DIR})")
    p.add_argument("--verbose", action="store_true", help="log every task the worker and beat handle")
    p.set_defaults(func=cmd_dev)

    p = sub.add_parser("migrate", help="apply database migrations (as the owner) and grant the app role")
    p.add_argument("--quiet", action="store_true", help="do not list the migrations applied")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="run the web app (uvicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument("--forwarded-allow-ips", default=None,
                   help="proxies trusted for X-Forwarded-* (uvicorn's option; default 127.0.0.1)")
    p.add_argument("--graceful-timeout", type=int, default=None,
                   help="seconds to wait for open connections at shutdown")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--no-access-log", action="store_true")
    p.set_defaults(func=cmd_serve)

    for name, func, what in (("worker", cmd_worker, "a Celery worker"), ("beat", cmd_beat, "Celery beat (run exactly one)")):
        p = sub.add_parser(name, help=f"run {what}; further options go to Celery", allow_abbrev=False)
        p.add_argument("--loglevel", default="INFO")
        p.set_defaults(func=func, celery_args=[])

    p = sub.add_parser("create-operator", help="create a platform operator (or reset their password)")
    p.add_argument("--email", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input instead of prompting")
    p.add_argument("--reset-totp", action="store_true",
                   help="also forget their authenticator (a lost device); they enrol again at sign-in")
    p.set_defaults(func=cmd_create_operator)

    p = sub.add_parser("load-demo", help="create the demo tenants and their admins (idempotent)")
    p.set_defaults(func=cmd_load_demo)
    return parser


def command_names(parser: argparse.ArgumentParser | None = None) -> set[str]:
    """The subcommands, read off the parser itself."""
    parser = parser or build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse a command line; `worker` and `beat` pass what they do not know on to Celery."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command in ("worker", "beat"):
        args.celery_args = unknown
    elif unknown:
        parser.error("unrecognized arguments: " + " ".join(unknown))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        _say(f"sila {args.command}: {exc}", err=True)
        return 2
    except UsageError as exc:
        _say(f"sila {args.command}: {exc}", err=True)
        return 2
    except Failure as exc:
        _say(f"sila {args.command}: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        _say(f"sila {args.command}: interrupted", err=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
