"""Fixtures only: real PostgreSQL, real Redis, a real SMTP peer, real app servers and workers as
subprocesses. The helpers they are built from live in `support/` (import them from there).

PostgreSQL and Redis come from SILA_TEST_DATABASE_URL / SILA_TEST_REDIS_URL when set,
otherwise from embedded servers this session starts. Each session gets a fresh database.

Three layers, fastest first: pure tests (no fixture); service tests (`app_db`: a migrated
database, this process bound to the RLS-bound app role, no web server: call services directly);
HTTP tests (`server`: the app served by real uvicorn processes, not Litestar's in-process test
client, so the app's pool lives in its own loop and two processes share Redis like production).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from support import browser, clients, data
from support.clients import Client, sign_in
from support.db import owner_connection
from support.gateways import Gateway
from support.mail import SmtpSink, running_smtp_sink
from support.servers import (Backing, Env, Server, Worker, free_port, migrate_as_app, settings_for,
                             start_celery_worker, start_server, with_database)

# --- backing services -------------------------------------------------------------------


@pytest.fixture(scope="session")
def backing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backing]:
    stack = contextlib.ExitStack()
    pg_url = os.environ.get("SILA_TEST_DATABASE_URL")
    redis_url = os.environ.get("SILA_TEST_REDIS_URL")
    if not pg_url or not redis_url:
        from sila.platform.embedded import EmbeddedPostgres, EmbeddedRedis

        embedded = Path(tmp_path_factory.mktemp("embedded"))
        if not pg_url:
            pg_url = stack.enter_context(EmbeddedPostgres(embedded)).start()
        if not redis_url:
            redis_url = stack.enter_context(EmbeddedRedis(embedded)).start()
    with stack:
        yield Backing(pg_url, redis_url)


@pytest.fixture(scope="session")
def database_url(backing: Backing) -> Iterator[str]:
    name = f"sila_test_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await owner_connection(backing.owner_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield with_database(backing.owner_url, name)
    with contextlib.suppress(Exception):
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url(backing: Backing) -> str:
    import redis

    url = backing.redis_url
    if url.startswith("redis://") and urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + "/15"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(autouse=True)
def no_failed_sign_ins_carried_over(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with no failed sign-ins counted against an address. Most clients come
    from 127.0.0.1 (a browser cannot send X-Forwarded-For), so the deliberate failures of
    earlier tests (wrong passwords, hostile input, lock-out tests) would add up across the
    session to the per-address lock-out and refuse later tests' sign-ins."""
    if "redis_url" in request.fixturenames:
        import redis

        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        for key in client.scan_iter("sila:login:addr:*"):
            client.delete(key)
        client.close()
    yield


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    with running_smtp_sink() as sink:
        yield sink


# --- settings for this process and its children -------------------------------------------


@pytest.fixture(scope="session")
def sila_env(database_url: str, redis_url: str, smtp_sink: SmtpSink) -> Env:
    web_port = free_port()
    values = settings_for(database_url, redis_url, smtp_sink.port, web_port)
    migrate_as_app(values)
    return Env(values, web_port)


@pytest.fixture(scope="session")
def app_db(sila_env: Env) -> Env:
    """The service-level layer: a migrated database and this process's pool bound to the
    RLS-bound app role, and no web server. Tests that use it (and the `make_*` builders) but not
    `server` call the services directly and run in milliseconds."""
    return sila_env


# --- processes ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
async def close_http_sessions() -> AsyncIterator[None]:
    """Gateways are called through one aiohttp session per loop (sila.workers.sms): the test
    loop's is closed in that loop, before the loop itself closes."""
    yield
    from sila.workers import sms

    await sms.close_session()


@pytest.fixture(scope="session")
def server(sila_env: Env) -> Iterator[Server]:
    srv = start_server(sila_env, sila_env.web_port)
    yield srv
    srv.process.stop()


@pytest.fixture(scope="session")
def celery_worker(sila_env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """A real Celery worker (prefork, 2 children) with the one embedded beat, as in production."""
    worker = start_celery_worker(sila_env, tmp_path_factory.mktemp("beat") / "celerybeat-schedule")
    yield worker
    worker.process.stop(30)


# --- data, built through the real services ---------------------------------------------------


@pytest.fixture
def make_tenant(app_db: Env) -> Callable[..., Any]:
    """`await make_tenant(status=..., kind=..., slug=..., name_ar=...)`: support.data.create_tenant."""
    return data.create_tenant


@pytest.fixture
def make_staff(app_db: Env) -> Callable[..., Any]:
    """`await make_staff(tenant, *roles, name=...)`: support.data.create_staff."""
    return data.create_staff


@pytest.fixture
async def two_tenants(app_db: Env) -> tuple[data.Staff, data.Staff]:
    """Tenant A and tenant B, each with an admin: every isolation test starts here."""
    a, b = await data.create_tenant(), await data.create_tenant()
    return await data.create_staff(a, "admin"), await data.create_staff(b, "admin")


@pytest.fixture
def publish_policy(app_db: Env) -> Callable[..., Any]:
    """`await publish_policy(tenant, "mafatih", steps=[...])`: support.data.publish_seed_policy."""
    return data.publish_seed_policy


@pytest.fixture
def make_operator(app_db: Env) -> Callable[..., Any]:
    """An operator with an enrolled authenticator: support.clients.create_operator."""
    return clients.create_operator


@pytest.fixture
async def operator_client(server: Server) -> Client:
    op = await clients.create_operator()
    client = server.client()
    clients.operator_login(client, op)
    client.operator = op  # type: ignore[attr-defined]
    return client


@pytest.fixture
async def policy_admin(server: Server) -> Client:
    """An active tenant's admin, signed in on its host (`.staff` holds the account)."""
    staff = await data.create_staff(await data.create_tenant())
    client = sign_in(server, staff)
    client.staff = staff  # type: ignore[attr-defined]
    return client


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    yield gw
    gw.stop()


# --- browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (`*.localhost` resolves to loopback inside it)."""
    from playwright.sync_api import sync_playwright

    browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ar-SA")
    pg = browser.accept_confirmations(context.new_page())
    yield pg
    context.close()


@pytest.fixture
def phone_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                   has_touch=True, locale="ar-SA")
    pg = browser.accept_confirmations(context.new_page())
    yield pg
    context.close()
