"""Processes the tests start (uvicorn, Celery), the settings they share, and waiting for them."""
from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sila.platform.processes import ChildProcess, wait_for_web, web_command

if TYPE_CHECKING:
    from support.clients import Client

ROOT = Path(__file__).resolve().parents[2]


ARTIFACTS = ROOT / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def run_async(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even where a loop is already running
    (Playwright's sync API keeps one in the test's thread)."""
    result: dict[str, Any] = {}

    async def and_close() -> Any:
        from sila.workers import sms

        try:
            return await coro
        finally:  # a gateway session this loop opened goes with it
            await sms.close_session()

    def target() -> None:
        try:
            result["value"] = asyncio.run(and_close())
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@dataclass
class Backing:
    owner_url: str  # a database URL on a server where we may create databases
    redis_url: str


@dataclass
class Env:
    values: dict[str, str]
    web_port: int

    def child(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, **self.values, **extra}
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env


class Process(ChildProcess):
    """A process the suite starts, logging to artifacts/<name>.log."""

    def __init__(self, args: list[str], env: dict[str, str], name: str) -> None:
        self.name = name
        super().__init__(args, env, ARTIFACTS / f"{name}.log", cwd=ROOT)


@dataclass
class Server:
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host(self, slug: str | None = None) -> str:
        return f"{slug}.localhost:{self.port}" if slug else f"localhost:{self.port}"

    def client(self, slug: str | None = None) -> Client:
        from support.clients import Client  # clients need servers' helpers: imported when first used

        return Client(self, self.host(slug))


def start_server(env: Env, port: int | None = None, name: str = "web", *, access_log: bool = False,
                 **extra_env: str) -> Server:
    """A uvicorn process on `port`; `access_log` logs one line per request (with its status) to its log."""
    port = port or free_port()
    proc = Process(
        web_command(port, "--access-log" if access_log else "--no-access-log",
                    # uvicorn closes a connection idle for 5 s; a test client that waited that long (a loaded
                    # machine, a fuzzer's database checksum between requests) then sends on a socket the server
                    # is closing and gets "Server disconnected without sending a response" (CI, stop 19).
                    "--timeout-keep-alive", "300"),
        env.child(**extra_env),
        f"{name}-{port}",
    )
    wait_for_web(proc, port, 30)
    return Server(port, proc)


@dataclass
class Worker:
    name: str
    process: Process


def settings_for(database_url: str, redis_url: str, smtp_port: int, web_port: int) -> dict[str, str]:
    """The environment the test process and the servers, workers and CLI it starts share."""
    return {
        "SILA_ENV": "test",
        "SILA_DATABASE_URL": database_url,
        "SILA_REDIS_URL": redis_url,
        "SILA_SECRET_KEY": secrets.token_hex(32),
        "SILA_BASE_DOMAIN": "localhost",
        "SILA_PUBLIC_URL": f"http://localhost:{web_port}",
        "SILA_EMAIL_PROVIDER": "smtp",
        "SILA_SMTP_HOST": "127.0.0.1",
        "SILA_SMTP_PORT": str(smtp_port),
        "SILA_DB_POOL_SIZE": "4",
        # The suite signs in hundreds of times from one address; test_auth checks the limit itself.
        "SILA_PUBLIC_FORM_LIMIT": "100000",
        "SILA_DATA_DIR": str(ROOT / ".sila" / "test"),
        # The test gateway (support.gateways.Gateway) listens on 127.0.0.1, which sila.platform.outbound
        # refuses otherwise. Only that exact host: `localhost`, other loopback addresses and names
        # resolving to 127.0.0.1 stay refused, and test_outbound.py checks the rule without this exception.
        "SILA_OUTBOUND_ALLOW": "127.0.0.1",
    }


def migrate_as_app(values: dict[str, str]) -> None:
    """Apply `values` to this process, migrate its database, and bind this process's pool to the
    RLS-bound app role, like the app: tests call services directly and RLS applies to them too."""
    os.environ.update(values)
    from sila.platform import db
    from sila.platform.migrate import migrate
    from sila.platform.settings import get_settings

    get_settings.cache_clear()
    asyncio.run(migrate(get_settings(), quiet=True))
    db.configure(get_settings().app_dsn)


def start_celery_worker(env: Env, schedule: Path) -> Worker:
    """A real Celery worker (prefork, 2 children) with the one embedded beat, as in production."""
    import redis

    name = f"sila-test-{secrets.token_hex(3)}@localhost"
    proc = Process(
        [sys.executable, "-m", "celery", "-A", "sila.workers.celery_app", "worker", "--beat", "-s", str(schedule),
         "--pool=prefork", "--concurrency=2", "-n", name, "--loglevel=INFO"],
        env.child(),
        "celery-worker",
    )
    client = redis.Redis.from_url(env.values["SILA_REDIS_URL"])

    def ready() -> bool:
        if not proc.alive():
            raise AssertionError(f"celery worker exited:\n{proc.output()[-3000:]}")
        return bool(client.exists(f"sila:heartbeat:{name}"))

    wait_until(ready, 60, what="the celery worker's heartbeat")
    return Worker(name, proc)
