"""The outbox pipeline on real peers: PostgreSQL, Redis, a Celery worker subprocess, SMTP servers.

Rows that a test drives itself are inserted as `queued` (what the relay does when it claims a
row): neither the enqueue fast path nor the session worker's relay touches those, so the test
alone decides when and with which settings they are delivered.
"""
from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from sila.platform.db import tenant_scope
from sila.platform.settings import get_settings
from sila.workers import relay
from sila.workers.outbox import enqueue
from sila.workers.providers import IDEMPOTENCY_HEADER, InboxProvider, Message
from support.mail import SmtpSink
from support.servers import free_port, wait_until

ARABIC_SUBJECT = "دعوة للانضمام إلى جمعية البر"


async def insert_outbox(tenant_id: Any, recipient: str, *, channel: str = "email", status: str = "queued") -> uuid.UUID:
    async with tenant_scope(tenant_id) as tx:
        return await tx.connection.fetchval(
            """insert into outbox (tenant, channel, kind, recipient, subject, body_text, status, queued_at)
               values ($1, $2, 'test', $3, 'Test message', 'Hello', $4, now()) returning id""",
            tenant_id, channel, recipient, status,
        )


async def outbox_row(tenant_id: Any, outbox_id: uuid.UUID) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            "select *, available_at > now() as later, now() as db_now from outbox where id = $1", outbox_id)
        return dict(row)


async def attempts_of(tenant_id: Any, outbox_id: uuid.UUID) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch(
            "select * from delivery_attempt where outbox = $1 order by attempt", outbox_id)]


def keyed(sink: SmtpSink, outbox_id: uuid.UUID) -> list[email.message.EmailMessage]:
    with sink.lock:
        return [m for m in sink.messages if m[IDEMPOTENCY_HEADER] == str(outbox_id)]


@contextlib.contextmanager
def smtp_server(port: int) -> Iterator[SmtpSink]:
    """A second real SMTP peer, started and stopped at will."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with sink.lock:
                sink.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


async def wait_sent(tenant_id: Any, outbox_id: uuid.UUID, timeout: float = 30) -> None:
    """Polls from a thread: the rows are read in this test's own event loop."""
    loop = asyncio.get_running_loop()

    def sent() -> bool:
        row = asyncio.run_coroutine_threadsafe(outbox_row(tenant_id, outbox_id), loop).result()
        return row["status"] == "sent"

    await asyncio.to_thread(wait_until, sent, timeout, 0.2, f"outbox {outbox_id} sent")


async def test_a_message_is_sent_once_however_often_its_task_runs(two_tenants, smtp_sink, celery_worker):
    from sila.workers.tasks import deliver

    a, _ = two_tenants
    tid = a.tenant.id
    async with tenant_scope(tid):  # the fast path hands it to the real worker after commit
        oid = await enqueue(tenant_id=tid, channel="email", kind="test.idempotency", recipient="once@example.test",
                            subject=ARABIC_SUBJECT, body_text="مرحبا\nhttp://example.test/x",
                            body_html="<p dir='rtl'>مرحبا</p>")
    # The same message handed over again (a broker redelivery), and run here twice at once.
    deliver.apply_async(args=[str(oid), str(tid)])
    deliver.apply_async(args=[str(oid), str(tid)])
    outcomes = await asyncio.gather(relay.deliver(oid, tid), relay.deliver(oid, tid))
    assert set(outcomes) <= {"sent", "already sent"}
    await wait_sent(tid, oid)
    await asyncio.to_thread(wait_until, lambda: keyed(smtp_sink, oid), 30, 0.1, "the email")
    await asyncio.sleep(3)  # let every other hand-over run to its end
    [msg] = keyed(smtp_sink, oid)
    assert msg["Subject"] == ARABIC_SUBJECT
    assert msg["Message-ID"] == f"<{oid}@sila>"
    assert msg["From"] == get_settings().email_from
    assert msg.get_body(preferencelist=("plain",)).get_content().startswith("مرحبا")
    assert "مرحبا" in msg.get_body(preferencelist=("html",)).get_content()
    row = await outbox_row(tid, oid)
    assert (row["status"], row["attempts"], row["provider"]) == ("sent", 1, "smtp")
    assert row["provider_message_id"] == f"<{oid}@sila>"
    assert [(x["attempt"], x["ok"]) for x in await attempts_of(tid, oid)] == [(1, True)]


async def test_a_failing_peer_leaves_the_row_pending_then_it_is_sent_once_it_is_back(two_tenants, smtp_sink):
    a, _ = two_tenants
    tid = a.tenant.id
    port = free_port()  # nothing listens here yet
    settings = get_settings().model_copy(update={"smtp_port": port, "smtp_timeout": 5.0})
    oid = await insert_outbox(tid, "retry@example.test")

    assert await relay.deliver(oid, tid, settings) == "retry"
    row = await outbox_row(tid, oid)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["later"], "the next attempt must wait for the back-off"
    assert "SMTP" in row["last_error"]
    [failed] = await attempts_of(tid, oid)
    assert not failed["ok"] and failed["error"] == row["last_error"] and failed["provider"] == "smtp"
    # Not due yet: a stray hand-over does not skip the back-off.
    assert await relay.deliver(oid, tid, settings) == "not due"

    with smtp_server(port) as peer:
        # The back-off has passed and the relay claimed the row again.
        async with tenant_scope(tid) as tx:
            await tx.connection.execute(
                "update outbox set status = 'queued', queued_at = now(), available_at = now() where id = $1", oid)
        assert await relay.deliver(oid, tid, settings) == "sent"
        assert await relay.deliver(oid, tid, settings) == "already sent"
        assert len(keyed(peer, oid)) == 1
    assert keyed(smtp_sink, oid) == []
    row = await outbox_row(tid, oid)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, "")
    assert [(x["attempt"], x["ok"]) for x in await attempts_of(tid, oid)] == [(1, False), (2, True)]


async def test_after_the_last_attempt_or_a_permanent_failure_the_row_is_kept_as_failed(two_tenants):
    a, _ = two_tenants
    tid = a.tenant.id
    settings = get_settings().model_copy(update={"smtp_port": free_port(), "outbox_max_attempts": 1})
    oid = await insert_outbox(tid, "never@example.test")
    assert await relay.deliver(oid, tid, settings) == "failed"
    row = await outbox_row(tid, oid)
    assert (row["status"], row["attempts"]) == ("failed", 1) and row["last_error"]

    sms = await insert_outbox(tid, "+966500000000", channel="sms")
    assert await relay.deliver(sms, tid) == "failed"
    assert await relay.deliver(sms, tid) == "already failed"  # no second attempt
    row = await outbox_row(tid, sms)
    assert (row["status"], row["last_error"]) == ("failed", "no provider configured for sms")
    assert len(await attempts_of(tid, sms)) == 1


ENQUEUE_SCRIPT = """
import asyncio, logging, sys
from sila.platform import db
from sila.platform.settings import get_settings
from sila.workers.outbox import enqueue

logging.basicConfig(level=logging.WARNING)

async def main():
    db.configure(get_settings().app_dsn)
    async with db.tenant_scope(sys.argv[1]):
        oid = await enqueue(tenant_id=sys.argv[1], channel="email", kind="test.redis_down",
                            recipient=sys.argv[2], subject="Redis was down", body_text="Still delivered")
    print(oid)

asyncio.run(main())
"""


async def test_redis_down_at_submit_time_delays_the_message_but_never_loses_it(
        two_tenants, sila_env, smtp_sink, celery_worker):
    a, _ = two_tenants
    recipient = f"{uuid.uuid4().hex[:8]}@redis-down.test"
    # A process (like a web worker) whose Redis is unreachable commits a change with its message.
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", ENQUEUE_SCRIPT, str(a.tenant.id), recipient],
        env=sila_env.child(SILA_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"),
        capture_output=True, text=True, timeout=120,  # a guard against hanging, not a timing assertion
    )
    assert done.returncode == 0, done.stderr
    assert "the relay will" in done.stderr  # the fast path failed and said so
    oid = uuid.UUID(done.stdout.strip())
    # The row committed; the session worker's relay finds it and the worker delivers it.
    await wait_sent(a.tenant.id, oid)
    await asyncio.to_thread(smtp_sink.wait_for, recipient)
    await asyncio.sleep(3)
    assert len(smtp_sink.to(recipient)) == 1
    assert [x["ok"] for x in await attempts_of(a.tenant.id, oid)] == [True]


async def test_the_sweeper_makes_a_stuck_queued_row_due_again(two_tenants, smtp_sink, celery_worker):
    a, _ = two_tenants
    tid = a.tenant.id
    oid = await insert_outbox(tid, "stuck@example.test")
    stuck_for = get_settings().outbox_stuck_after_seconds + 60
    async with tenant_scope(tid) as tx:  # its message was lost with a worker long ago
        await tx.connection.execute(
            "update outbox set queued_at = now() - $2 * interval '1 second' where id = $1", oid, float(stuck_for))
    await relay.sweep()  # (the worker's own scheduled sweep may beat it to it: same outcome)
    row = await outbox_row(tid, oid)
    still_stuck = row["status"] == "queued" and (row["db_now"] - row["queued_at"]).total_seconds() > 60
    assert not still_stuck
    await wait_sent(tid, oid)  # then the relay and the worker do the rest
    await asyncio.sleep(2)
    assert len(keyed(smtp_sink, oid)) == 1


async def test_a_deliver_task_for_another_tenant_does_nothing(two_tenants, smtp_sink):
    a, b = two_tenants
    oid = await insert_outbox(a.tenant.id, "tenant-a@example.test")
    assert await relay.deliver(oid, b.tenant.id) == "missing"
    row = await outbox_row(a.tenant.id, oid)
    assert (row["status"], row["attempts"]) == ("queued", 0)
    assert await attempts_of(a.tenant.id, oid) == []
    assert keyed(smtp_sink, oid) == []
    # The row itself was deliverable: it was the tenant that did not match.
    assert await relay.deliver(oid, a.tenant.id) == "sent"
    assert len(keyed(smtp_sink, oid)) == 1


async def test_the_development_inbox_stores_a_message_once(two_tenants):
    a, _ = two_tenants
    tid = a.tenant.id
    oid = await insert_outbox(tid, "inbox@example.test")
    settings = get_settings().model_copy(update={"email_provider": "inbox"})
    assert await relay.deliver(oid, tid, settings) == "sent"
    message = Message(outbox_id=oid, tenant_id=tid, channel="email", recipient="inbox@example.test",
                      subject="Test message", body_text="Hello")
    async with tenant_scope(tid) as tx:
        again = await InboxProvider().send(message)  # a redelivery that got past the status check
        stored = await tx.connection.fetch("select id, subject from dev_inbox_message where outbox = $1", oid)
    row = await outbox_row(tid, oid)
    assert [str(r["id"]) for r in stored] == [again] == [row["provider_message_id"]]
    assert row["provider"] == "inbox"


def test_the_worker_heartbeat_shows_in_healthz(server, celery_worker):
    def seen() -> Any:
        body = httpx.get(f"{server.url}/healthz", headers={"Host": server.host()}).json()
        names = [w["name"] for w in body["checks"]["workers"]["seen"]]
        return body["checks"]["workers"]["ok"] and celery_worker.name in names

    wait_until(seen, 30, 0.5, "the worker in /healthz")
