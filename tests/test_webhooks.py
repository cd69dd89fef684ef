"""Outgoing webhooks (issue 18): an admin subscribes an address to events; each event is an
outbox row written with the change (a trigger), delivered by the real relay and Celery worker,
signed per Standard Webhooks, retried with back-off, kept as failed and retryable from the page;
internal addresses are refused when saved and when connecting; redirects are not followed.
The receiver is a real local HTTP server."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sila.platform.actors import Actor
from sila.platform.db import tenant_scope
from sila.platform.errors import NotFound
from sila.platform.settings import get_settings
from sila.tenants.api import services as api_services
from sila.workers import relay, webhooks
from support import data
from support.clients import sign_in
from support.servers import wait_until

SECRET_RE = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


class Receiver:
    """A local HTTP endpoint: answers each POST with the next status of `statuses` (then the last),
    keeping (headers, body) of every hit."""

    def __init__(self, *statuses: int, location: str = "") -> None:
        self.statuses = list(statuses or (200,))
        self.hits: list[tuple[dict[str, str], str]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                peer.hits.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = peer.statuses.pop(0) if len(peer.statuses) > 1 else peer.statuses[0]
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/sila"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def receiver():
    peers: list[Receiver] = []

    def make(*statuses: int, **kw: Any) -> Receiver:
        peers.append(Receiver(*statuses, **kw))
        return peers[-1]

    yield make
    for p in peers:
        p.stop()


def admin_actor(staff: Any) -> Actor:
    return Actor(staff.id, "مدير", frozenset({"admin"}), "127.0.0.1")


async def webhook_rows(tenant_id: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch(
            "select * from outbox where channel = 'webhook' order by created_at")]


async def held_event(tenant_id: Any, event: str = "request.submitted") -> uuid.UUID:
    """One delivery per subscribed address, written by the triggers' own function, and kept out of
    the running worker's relay (available an hour from now): these tests deliver it themselves."""
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        await c.execute("select sila_webhook_emit($1, $2, $3::jsonb)", tenant_id, event,
                        json.dumps({"request_id": str(uuid.uuid4())}))
        return await c.fetchval(
            """update outbox set available_at = now() + interval '1 hour'
               where channel = 'webhook' and status = 'pending' and attempts = 0 returning id""")


async def claim(tenant_id: Any, outbox_id: Any) -> None:
    """What the relay does before handing a row to a worker."""
    async with tenant_scope(tenant_id) as tx:
        await tx.connection.execute("update outbox set status = 'queued', queued_at = now() where id = $1", outbox_id)


async def tenant_with_policy() -> tuple[Any, Any]:
    t = await data.create_tenant()
    await data.publish_seed_policy(t, steps=data.SERVICE_STEPS, channels=["website", "phone"], window=None)
    return t, await data.create_staff(t, "admin")


async def test_a_subscribed_event_reaches_the_receiver_signed_through_the_real_worker(
        server, celery_worker, receiver) -> None:
    peer = receiver(200)
    tenant, admin = await tenant_with_policy()
    other, other_admin = await tenant_with_policy()
    page = sign_in(server, admin, tenant.slug)
    answer = page.post("/portal/webhooks", {"url": peer.url, "events": ["request.submitted", "service.delivered"]})
    assert answer.status_code == 200, answer.text[-800:]
    secret = SECRET_RE.search(answer.text).group(0)
    assert secret not in page.get("/portal/webhooks").text  # shown once
    # The other tenant subscribes the same receiver to nothing of ours.
    await api_services.create_subscription(other.id, url=peer.url, events=["complaint.received"],
                                           actor=admin_actor(other_admin))

    officer = await data.create_staff(tenant, "relations_officer")
    served = await data.served_request(tenant, officer, name="هند فهد الشمري")
    await asyncio.to_thread(wait_until, lambda: len(peer.hits) >= 2, 30, 0.2, "two webhook deliveries")
    time.sleep(1.5)  # nothing more comes: other events were not subscribed, the other tenant's did not fire
    assert len(peer.hits) == 2
    kinds = []
    for headers, body in peer.hits:
        assert webhooks.verify(secret, headers, body), headers
        assert not webhooks.verify(secret, headers, body.replace("}", " }", 1))  # the body is what is signed
        assert not webhooks.verify(secret, headers, body, now=time.time() + webhooks.REPLAY_WINDOW_SECONDS + 5)
        event = json.loads(body)
        kinds.append(event["type"])
        assert event["data"]["request_id"] == str(served["id"])
        assert "هند" not in body and served["contact_mobile"] not in body  # ids and states only
    assert sorted(kinds) == ["request.submitted", "service.delivered"]
    rows = await webhook_rows(tenant.id)
    assert {r["status"] for r in rows} == {"sent"} and {str(r["id"]) for r in rows} == {h["webhook-id"] for h, _ in
                                                                                         peer.hits}
    listing = page.get("/portal/webhooks")
    assert "service.delivered" in listing.text and peer.url in listing.text


async def test_failures_are_retried_with_back_off_kept_and_sent_again_from_the_page(
        server, receiver, monkeypatch) -> None:
    monkeypatch.setattr("sila.workers.outbox._schedule_hand_off", lambda *args: None)
    peer = receiver(503, 500, 200)
    tenant, admin = await tenant_with_policy()
    sub, secret = await api_services.create_subscription(tenant.id, url=peer.url, events=["request.submitted"],
                                                         actor=admin_actor(admin))
    oid = await held_event(tenant.id)
    [row] = await webhook_rows(tenant.id)
    settings = get_settings().model_copy(update={"outbox_max_attempts": 2})
    await claim(tenant.id, oid)
    assert await relay.deliver(oid, tenant.id, settings) == "retry"
    after_one = (await webhook_rows(tenant.id))[0]
    assert after_one["status"] == "pending" and after_one["attempts"] == 1
    assert after_one["available_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)  # backed off
    assert await relay.deliver(oid, tenant.id, settings) == "not due"  # the back-off holds
    await claim(tenant.id, oid)
    assert await relay.deliver(oid, tenant.id, settings) == "failed"
    failed = (await webhook_rows(tenant.id))[0]
    assert failed["status"] == "failed" and failed["attempts"] == 2 and "HTTP 500" in failed["last_error"]
    assert [h["webhook-id"] for h, _ in peer.hits] == [str(row["id"])] * 2  # the same id on every attempt

    page = sign_in(server, admin, tenant.slug)
    listing = page.get("/portal/webhooks")
    assert f"/portal/webhooks/deliveries/{row['id']}/retry" in listing.text and "HTTP 500" in listing.text
    # Another tenant's admin cannot retry it; a message's id is not a webhook's.
    other, other_admin = await tenant_with_policy()
    outsider = sign_in(server, other_admin, other.slug)
    assert outsider.post(f"/portal/webhooks/deliveries/{row['id']}/retry", {}).status_code == 404
    assert page.post(f"/portal/webhooks/deliveries/{row['id']}/retry", {}).status_code == 303
    # Handed to the broker again: the session's worker (when running) or this call sends it, once.
    assert await relay.deliver(row["id"], tenant.id, settings) in ("sent", "already sent")
    assert len(peer.hits) == 3
    headers, body = peer.hits[-1]
    assert webhooks.verify(secret, headers, body) and headers["webhook-id"] == str(row["id"])
    async with tenant_scope(tenant.id) as tx:
        attempts = await tx.connection.fetch("select ok from delivery_attempt where outbox = $1 order by attempt",
                                             row["id"])
    assert [a["ok"] for a in attempts] == [False, False, True]


async def test_internal_addresses_are_refused_when_saved_and_when_connecting(server, receiver, monkeypatch) -> None:
    monkeypatch.setattr("sila.workers.outbox._schedule_hand_off", lambda *args: None)
    tenant, admin = await tenant_with_policy()
    page = sign_in(server, admin, tenant.slug)
    for url in ["http://169.254.169.254/latest/meta-data", "http://10.0.0.1/x", "http://localhost:6379/",
                "http://[::1]:5432/", "http://127.0.0.2:8080/", "ftp://example.com/", "http://metadata.google.internal/"]:
        r = page.post("/portal/webhooks", {"url": url, "events": ["request.submitted"]})
        assert r.status_code == 400, url
        assert "whsec_" not in r.text and url.split("//")[1].split("/")[0].strip("[]") in r.text, url
    assert (await api_services.list_subscriptions(tenant.id))["subscriptions"] == []
    # A row changed behind the form (or a name rebound inside) is refused when connecting.
    peer = receiver(200)
    sub, _ = await api_services.create_subscription(tenant.id, url=peer.url, events=["request.submitted"],
                                                    actor=admin_actor(admin))
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update webhook_subscription set url = 'http://169.254.169.254/x' where id = $1",
                                    sub)
    await data.served_request(tenant, await data.create_staff(tenant, "relations_officer"))
    [row] = await webhook_rows(tenant.id)
    assert await relay.deliver(row["id"], tenant.id) in ("failed", "already failed")  # a running worker may be first
    assert "not allowed" in (await webhook_rows(tenant.id))[0]["last_error"] and peer.hits == []


async def test_redirects_are_not_followed(app_db, receiver, monkeypatch) -> None:
    monkeypatch.setattr("sila.workers.outbox._schedule_hand_off", lambda *args: None)
    target = receiver(200)
    hop = receiver(307, location=target.url)
    tenant, admin = await tenant_with_policy()
    await api_services.create_subscription(tenant.id, url=hop.url, events=["request.submitted"],
                                           actor=admin_actor(admin))
    oid = await held_event(tenant.id)
    await claim(tenant.id, oid)
    assert await relay.deliver(oid, tenant.id) == "retry"
    assert len(hop.hits) == 1 and target.hits == []
    assert "redirects are not followed" in (await webhook_rows(tenant.id))[0]["last_error"]


async def test_a_paused_subscription_gets_nothing_and_webhooks_do_not_count_as_messages(
        app_db, receiver, monkeypatch) -> None:
    monkeypatch.setattr("sila.workers.outbox._schedule_hand_off", lambda *args: None)
    peer = receiver(200)
    tenant, admin = await tenant_with_policy()
    sub, _ = await api_services.create_subscription(tenant.id, url=peer.url, events=["request.submitted"],
                                                    actor=admin_actor(admin))
    await api_services.set_subscription_active(tenant.id, sub, False, admin_actor(admin))
    await data.served_request(tenant, await data.create_staff(tenant, "relations_officer"))
    assert await webhook_rows(tenant.id) == []
    await api_services.set_subscription_active(tenant.id, sub, True, admin_actor(admin))
    oid = await held_event(tenant.id)
    async with tenant_scope(tenant.id) as tx:
        before = await tx.connection.fetchval("select coalesce(sum(sent), 0) from message_usage")
    await claim(tenant.id, oid)
    assert await relay.deliver(oid, tenant.id) == "sent" and len(peer.hits) == 1
    async with tenant_scope(tenant.id) as tx:
        assert await tx.connection.fetchval("select coalesce(sum(sent), 0) from message_usage") == before
    with pytest.raises(NotFound):
        await api_services.set_subscription_active(tenant.id, uuid.uuid4(), False, admin_actor(admin))
