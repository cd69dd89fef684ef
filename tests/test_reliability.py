"""A committed message is delivered exactly once, whatever happens around it.

Each test runs its own deployment: a database of its own (so the session's workers never touch
these rows), its own redis-server (which these tests stop and restart), real Celery worker
processes with the one beat, and a real local HTTP gateway in the provider's request shape.
Delivery is counted at the gateway by idempotency key: `accepted` holds each key once, and a
request repeating a key is a replay the gateway recognises (never a second message). Replays can
only come from the one window a lock cannot cover (a worker dying, or a timeout, after the
gateway accepted and before the commit), so they are bounded by what was in flight.

No timing assertions: the waits below are guards against hanging, never pass/fail criteria.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sila.platform import db
from sila.platform.db import dsn_to_config, tenant_scope
from support.db import owner_connection
from support.gateways import Gateway, no_quiet_hours, use_gateway
from support.servers import Env, Process, free_port, start_server, wait_until, with_database

CONCURRENCY = 2


class RedisServer:
    """A redis-server of our own, without persistence: a restart loses everything in it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = Process([shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--save", "",
                                "--appendonly", "no", "--bind", "127.0.0.1"], dict(os.environ), f"redis-{self.port}")
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        wait_until(lambda: _pings(client), 20, 0.1, "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill(signal.SIGKILL)
            self.process.proc.wait(10)
            self.process.log.close()
            self.process = None


def _pings(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@dataclass
class Deployment:
    env: Env
    database_url: str
    app_dsn: str
    redis: RedisServer
    tmp: Path
    workers: list[Process]

    @contextlib.contextmanager
    def db(self) -> Iterator[None]:
        """This test process reads and writes the deployment's database (as the app role)."""
        saved = db.DB.config
        db.DB.config = dsn_to_config(self.app_dsn)
        try:
            yield
        finally:
            db.DB.config = saved

    def start_worker(self, name: str) -> Process:
        import redis

        hostname = f"{name}-{secrets.token_hex(3)}@localhost"
        proc = Process([sys.executable, "-m", "celery", "-A", "sila.workers.celery_app", "worker", "--beat", "-s",
                        str(self.tmp / f"beat-{hostname}"), "--pool=prefork", f"--concurrency={CONCURRENCY}",
                        "-n", hostname, "--loglevel=INFO"], self.env.child(), f"reliability-{name}")
        self.workers.append(proc)
        client = redis.Redis.from_url(self.redis.url, socket_connect_timeout=1)

        def ready() -> bool:
            if not proc.alive():
                raise AssertionError(f"worker exited:\n{proc.output()[-3000:]}")
            try:
                return bool(client.exists(f"sila:heartbeat:{hostname}"))
            except Exception:
                return False

        wait_until(ready, 90, 0.2, "the worker's heartbeat")
        return proc

    def publisher(self) -> Any:
        """A Celery client on this deployment's Redis, with the workers' key prefix."""
        from celery import Celery

        app = Celery("reliability-publisher")
        app.conf.update(broker_url=self.redis.url, broker_connection_timeout=2, task_serializer="json",
                        broker_transport_options={"global_keyprefix": f"sila:{dsn_to_config(self.database_url)['database']}:",
                                                  "visibility_timeout": 900})
        return app


@pytest.fixture
async def deployment(sila_env: Env, tmp_path: Path) -> AsyncIterator[Deployment]:
    from sila.platform.migrate import migrate
    from sila.platform.settings import get_settings

    base = get_settings()
    name = f"sila_rel_{secrets.token_hex(4)}"
    owner = await owner_connection(base.database_url)
    try:
        await owner.execute(f'CREATE DATABASE "{name}"')
    finally:
        await owner.close()
    url = with_database(base.database_url, name)
    saved = db.DB.config
    try:
        await migrate(base.model_copy(update={"database_url": url}), quiet=True)
    finally:
        db.DB.config = saved
    app_dsn = base.model_copy(update={"database_url": url}).app_dsn
    redis_server = RedisServer(free_port())
    web_port = free_port()
    env = Env({**sila_env.values, "SILA_DATABASE_URL": url, "SILA_REDIS_URL": redis_server.url,
               "SILA_PUBLIC_URL": f"http://localhost:{web_port}", "SILA_DATA_DIR": str(tmp_path / "data"),
               # A stuck row is made due again after 10 s; retries start after about a second; a
               # gateway has 1.5 s to answer.
               "SILA_OUTBOX_STUCK_AFTER_SECONDS": "10", "SILA_OUTBOX_BACKOFF_BASE": "1",
               "SILA_PROVIDER_TIMEOUT": "1.5"}, web_port)
    dep = Deployment(env, url, app_dsn, redis_server, tmp_path, [])
    yield dep
    for proc in dep.workers:
        proc.stop(20)
    redis_server.stop()
    owner = await owner_connection(base.database_url)
    try:
        await owner.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await owner.close()


async def tenant_with_gateway(dep: Deployment, gateway: Gateway, provider: str = "unifonic") -> Any:
    from sila.platform import directory

    with dep.db():
        tenant = await directory.create_tenant(slug=f"r{secrets.token_hex(4)}", kind="association",
                                               name_ar="جمعية الموثوقية", name_en="Reliability", status="active")
        await use_gateway(tenant.id, gateway.url, provider=provider, account="AC-rel", secret="gateway-secret-0001")
        await no_quiet_hours(tenant.id)  # whatever the hour in Riyadh when this runs
    return tenant


async def queued_rows(dep: Deployment, tenant: Any, n: int) -> list[uuid.UUID]:
    """Committed messages, as the relay leaves them once it has claimed them (`queued`)."""
    with dep.db():
        async with tenant_scope(tenant.id) as tx:
            return [await tx.connection.fetchval(
                """insert into outbox (tenant, channel, kind, recipient, body_text, status, queued_at)
                   values ($1, 'sms', 'request.accepted', $2, $3, 'queued', now()) returning id""",
                tenant.id, f"+9665512{i:05d}", f"رسالة رقم {i}") for i in range(n)]


async def statuses(dep: Deployment, tenant: Any) -> dict[uuid.UUID, dict[str, Any]]:
    with dep.db():
        async with tenant_scope(tenant.id) as tx:
            return {r["id"]: dict(r) for r in await tx.connection.fetch("select * from outbox")}


async def eventually(check: Any, timeout: float, what: str) -> Any:
    """Poll an async check (a guard against hanging, not an assertion about time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.5)


async def all_sent(dep: Deployment, tenant: Any, ids: list[uuid.UUID], timeout: float = 180) -> dict[uuid.UUID, Any]:
    async def check() -> Any:
        rows = await statuses(dep, tenant)
        return rows if all(rows[i]["status"] == "sent" for i in ids) else None

    return await eventually(check, timeout, f"{len(ids)} messages sent")


def exactly_once(gateway: Gateway, ids: list[uuid.UUID], rows: dict[uuid.UUID, Any]) -> int:
    """Every message accepted once at the gateway, by its key, under the id the row records.
    Returns how many replays the gateway recognised."""
    for oid in ids:
        assert gateway.delivered(oid) == 1, oid
        if rows[oid]["provider"] != "msegat":  # Msegat's answer carries no message id
            assert rows[oid]["provider_message_id"] == gateway.accepted[str(oid)]["message_id"]
    assert set(gateway.accepted) >= {str(i) for i in ids}
    return sum(gateway.replays.get(str(i), 0) for i in ids)


async def test_a_worker_killed_with_sigkill_mid_batch_loses_nothing_and_sends_nothing_twice(deployment, gateway):
    dep = deployment
    dep.redis.start()
    tenant = await tenant_with_gateway(dep, gateway)
    ids = await queued_rows(dep, tenant, 30)
    gateway.hangs.extend([0.3] * 1000)  # each send takes a moment: the batch is mid-way when the kill comes
    first = dep.start_worker("killed")
    publisher = dep.publisher()
    for oid in ids:
        publisher.send_task("sila.outbox.deliver", args=[str(oid), str(tenant.id)])
    await asyncio.to_thread(wait_until, lambda: len(gateway.accepted) >= 6, 60, 0.05, "the batch under way")
    first.kill(signal.SIGKILL)  # the whole process group: main process and prefork children
    first.proc.wait(10)
    sent_before = sum(1 for r in (await statuses(dep, tenant)).values() if r["status"] == "sent")
    assert sent_before < len(ids), "the kill came after the batch: nothing was tested"
    dep.start_worker("after-kill")  # its sweeper re-queues what the dead worker held
    rows = await all_sent(dep, tenant, ids)
    replays = exactly_once(gateway, ids, rows)
    assert replays <= CONCURRENCY  # only what the killed children had in flight
    with dep.db():
        async with tenant_scope(tenant.id) as tx:
            failed = await tx.connection.fetchval("select count(*) from delivery_attempt where not ok")
    assert failed == 0


async def test_redis_restarted_during_a_batch_loses_nothing_and_sends_nothing_twice(deployment, gateway):
    dep = deployment
    dep.redis.start()
    tenant = await tenant_with_gateway(dep, gateway, provider="taqnyat")
    ids = await queued_rows(dep, tenant, 30)
    gateway.hangs.extend([0.2] * 1000)
    dep.start_worker("redis-restart")
    publisher = dep.publisher()
    for oid in ids:
        publisher.send_task("sila.outbox.deliver", args=[str(oid), str(tenant.id)])
    await asyncio.to_thread(wait_until, lambda: len(gateway.accepted) >= 5, 60, 0.05, "the batch under way")
    dep.redis.stop()  # every task message still in Redis is gone with it
    await asyncio.sleep(1)
    dep.redis.start()
    rows = await all_sent(dep, tenant, ids)
    replays = exactly_once(gateway, ids, rows)
    assert replays <= CONCURRENCY
    assert all(dep_worker.alive() for dep_worker in dep.workers)  # the worker rode it out


async def test_a_gateway_failing_and_timing_out_for_a_while_still_gets_each_message_once(deployment, gateway):
    dep = deployment
    dep.redis.start()
    tenant = await tenant_with_gateway(dep, gateway, provider="twilio")
    ids = await queued_rows(dep, tenant, 12)
    gateway.failures.extend([503, 500, 429, 502, 503, 503, 500, 503])  # an outage...
    gateway.hangs.extend([3.0, 3.0, 3.0])  # ...then answers slower than the 1.5 s we wait (but accepted)
    dep.start_worker("flaky-gateway")
    publisher = dep.publisher()
    for oid in ids:
        publisher.send_task("sila.outbox.deliver", args=[str(oid), str(tenant.id)])
    rows = await all_sent(dep, tenant, ids)
    replays = exactly_once(gateway, ids, rows)
    assert replays <= 3  # only the three the gateway accepted while we had stopped waiting
    retried = [r for r in rows.values() if r["attempts"] > 1]
    assert len(retried) >= 8  # the outage was felt, recorded, and waited out
    with dep.db():
        async with tenant_scope(tenant.id) as tx:
            errors = [r["error"] for r in await tx.connection.fetch("select error from delivery_attempt where not ok")]
    assert any("HTTP 503" in e for e in errors) and any("no answer within" in e for e in errors)


async def test_redis_down_at_submission_the_message_waits_and_goes_once_it_returns(deployment, gateway):
    dep = deployment  # its Redis is not started: down from the beginning
    tenant = await tenant_with_gateway(dep, gateway, provider="msegat")
    server = start_server(dep.env, dep.env.web_port, name="reliability-web")
    try:
        client = server.client(tenant.slug)
        page = client.get("/feedback")
        assert page.status_code == 200
        token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
        sent = client.post("/feedback", {"token": token, "kind": "complaint", "body": "لم يصلني رد",
                                         "mobile": "0551234567", "contact_channel": "sms"})
        assert sent.status_code == 303  # the submission succeeded with Redis down
        received = client.get(sent.headers["location"])
        assert received.status_code == 200 and "F-" in received.text
    finally:
        server.process.stop()
    rows = await statuses(dep, tenant)
    [oid] = [i for i, r in rows.items() if r["kind"] == "feedback.received"]
    assert rows[oid]["status"] == "pending" and rows[oid]["queued_at"] is None  # committed, waiting
    assert gateway.seen(oid) == 0
    dep.redis.start()
    dep.start_worker("after-redis-returns")
    rows = await all_sent(dep, tenant, [oid])
    assert exactly_once(gateway, [oid], rows) == 0
    body = gateway.accepted[str(oid)]["body"]
    assert body["numbers"] == "966551234567" and "F-" in body["msg"]

