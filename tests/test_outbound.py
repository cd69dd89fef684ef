"""A gateway's address cannot reach inside (issue 12, finding 2): the providers form refuses
internal addresses when saving, the worker refuses them again when connecting (after DNS, so a
rebind is caught), redirects are not followed, and a gateway's answer is never stored or shown.

The test session allows exactly the host `127.0.0.1` (SILA_OUTBOUND_ALLOW, tests/conftest.py) for
its local gateway; every other internal address is refused by the server as it runs. The literal
`127.0.0.1` itself is checked without that exception through settings that leave it out."""
from __future__ import annotations

import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sila.platform import outbound
from sila.platform.db import tenant_scope
from sila.platform.settings import get_settings
from sila.tenants.notifications import services
from sila.workers import relay
from support.gateways import no_quiet_hours, use_gateway

REFUSED_AR = "يشير إلى هذا الخادم أو إلى شبكة خاصة"
LOOPBACK_NAME = socket.gethostname()  # e.g. "vm": /etc/hosts points it at 127.0.0.1
INTERNAL = ["http://127.0.0.2:8080", "http://169.254.169.254/latest/meta-data", "http://[::1]:6379",
            "http://10.0.0.1", "http://172.16.0.5", "http://192.168.1.1", "http://100.64.0.1",
            "http://metadata.google.internal", "http://localhost:5432", "http://[fd00::1]", "http://[fe80::1]",
            "http://224.0.0.1", "http://0.0.0.0:6379", "http://240.0.0.1", "http://[::ffff:127.0.0.1]:6379",
            "http://[::]", "http://2130706433:6379", f"http://{LOOPBACK_NAME}:6379"]


def no_exception():
    """The deployment's settings without the test session's exception for 127.0.0.1."""
    return get_settings().model_copy(update={"outbound_allow": ""})


@pytest.fixture(autouse=True)
def deliveries_are_ours(monkeypatch):
    """These tests deliver their rows themselves through `relay.deliver` (as test_notifications does)."""
    monkeypatch.setattr("sila.workers.outbox._schedule_hand_off", lambda *args: None)


class Peer:
    """A local HTTP server answering every POST/GET with one fixed answer, recording each hit."""

    def __init__(self, status: int = 200, body: bytes = b"{}", headers: dict[str, str] | None = None) -> None:
        self.hits: list[tuple[str, str]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                peer.hits.append((self.command, self.path))
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = _answer  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def gateway_row(tenant_id: Any) -> Any:
    async with tenant_scope(tenant_id) as tx:
        return await tx.connection.fetchrow("select * from provider_config where channel = 'sms'")


async def queued_sms(tenant: Any) -> uuid.UUID:
    async with tenant_scope(tenant.id) as tx:
        oid = await services.notify(tenant, "request.accepted", lang="ar", preferred="sms", mobile="+966551234567",
                                    email="", values={"ref": "26-11112222"})
        await tx.connection.execute("""update outbox set status = 'queued', queued_at = now(), available_at = now()
                                       where id = $1 and status = 'pending'""", oid)
    return oid


async def outbox_row(tenant_id: Any, oid: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        return dict(await tx.connection.fetchrow("select * from outbox where id = $1", oid))


def test_a_name_of_this_machine_resolves_inside():
    # What the "name resolving to 127.0.0.1" cases below rely on (a loopback or private address).
    import ipaddress

    found = {info[4][0] for info in socket.getaddrinfo(LOOPBACK_NAME, 80)}
    assert found and all(outbound.address_refused(ipaddress.ip_address(a)) for a in found), found


async def test_the_form_refuses_every_internal_address_and_keeps_the_input(server, make_tenant, make_staff, gateway):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    client = server.client(tenant.slug)
    client.login(admin.email)
    form = {"provider": "taqnyat", "account": "", "sender": "AlNoor", "secret": "taqnyat-token-0001", "enabled": "on"}
    for url in INTERNAL:
        page = client.post("/portal/notifications/providers/sms", {**form, "base_url": url})
        assert page.status_code == 400, (url, page.status_code)
        assert REFUSED_AR in page.text and "base_url-error" in page.text, url
        assert f'value="{url}"' in page.text, url  # what was typed is kept
        assert await gateway_row(tenant.id) is None, url
    # A name that resolves nowhere is refused too, with its own message.
    page = client.post("/portal/notifications/providers/sms", {**form, "base_url": "https://no-such-gateway.invalid"})
    assert page.status_code == 400 and "تعذّر العثور على هذا العنوان" in page.text
    # Production takes https only.
    assert outbound.check_url("https://8.8.8.8", get_settings().model_copy(update={"env": "production"}))
    with pytest.raises(outbound.Refused):
        outbound.check_url("http://8.8.8.8", get_settings().model_copy(update={"env": "production"}))
    # The session's one exception is exactly the host it names: 127.0.0.1 as typed.
    assert client.post("/portal/notifications/providers/sms", {**form, "base_url": gateway.url}).status_code == 303
    assert (await gateway_row(tenant.id))["base_url"] == gateway.url
    # Without the exception, 127.0.0.1 is refused like the rest, by the same check the form and service use.
    for url in [gateway.url, *INTERNAL]:
        with pytest.raises(outbound.Refused) as refused:
            await outbound.check_url_resolved(url, no_exception())
        assert refused.value.reason == outbound.INTERNAL, url


async def test_the_service_refuses_what_the_form_would(make_tenant):
    tenant = await make_tenant()
    for url in INTERNAL:
        with pytest.raises(outbound.Refused):
            await use_gateway(tenant.id, url)
    assert await gateway_row(tenant.id) is None


async def test_sending_refuses_internal_addresses_after_dns(make_tenant, gateway):
    """An address saved while harmless that now points inside (a DNS rebind, or a row changed
    behind the form) is refused when connecting; the gateway sees nothing."""
    tenant = await make_tenant()
    await no_quiet_hours(tenant.id)
    await use_gateway(tenant.id, gateway.url)
    for url in [f"http://{LOOPBACK_NAME}:{gateway.url.rsplit(':', 1)[1]}", f"http://localhost:{gateway.url.rsplit(':', 1)[1]}",
                f"http://[::ffff:127.0.0.1]:{gateway.url.rsplit(':', 1)[1]}", "http://169.254.169.254", "http://10.0.0.1"]:
        async with tenant_scope(tenant.id) as tx:
            await tx.connection.execute("update provider_config set base_url = $1", url)
        oid = await queued_sms(tenant)
        assert await relay.deliver(oid, tenant.id) in ("failed", "already failed"), url
        row = await outbox_row(tenant.id, oid)
        assert row["status"] == "failed" and "not allowed" in row["last_error"], (url, row["last_error"])
        assert gateway.seen(oid) == 0, url
    # And the exact host the test session allows, once the deployment no longer allows it.
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update provider_config set base_url = $1", gateway.url)
    oid = await queued_sms(tenant)
    assert await relay.deliver(oid, tenant.id, no_exception()) in ("failed", "already failed")
    assert gateway.seen(oid) == 0 and "not allowed" in (await outbox_row(tenant.id, oid))["last_error"]
    # The control: with the exception, the same gateway gets the message.
    oid = await queued_sms(tenant)
    assert await relay.deliver(oid, tenant.id) in ("sent", "already sent") and gateway.delivered(oid) == 1


async def test_the_guarded_connector_refuses_a_name_resolving_inside(gateway):
    async with outbound.session() as http:
        with pytest.raises(outbound.Refused):
            await http.post(f"http://{LOOPBACK_NAME}:{gateway.url.rsplit(':', 1)[1]}/rest/SMS/messages", data={})
    assert gateway.requests == []


async def test_redirects_are_not_followed(server, make_tenant, make_staff):
    internal = Peer(200, b'{"success": true, "data": {"MessageID": "x"}}')  # e.g. an internal admin port
    redirecting = Peer(307, b"", {"Location": f"{internal.url}/admin/flush"})
    try:
        tenant = await make_tenant()
        await no_quiet_hours(tenant.id)
        await use_gateway(tenant.id, redirecting.url)
        oid = await queued_sms(tenant)
        assert await relay.deliver(oid, tenant.id) in ("failed", "already failed")
        row = await outbox_row(tenant.id, oid)
        assert row["status"] == "failed" and "HTTP 307" in row["last_error"]
        assert redirecting.hits and internal.hits == []
    finally:
        internal.stop()
        redirecting.stop()


async def test_a_gateways_answer_is_never_stored_or_shown(server, make_tenant, make_staff):
    leak = "root:x:0:0 INTERNAL-SECRET-ANSWER"
    peers = [Peer(400, json.dumps({"success": False, "errorCode": "ER-05", "message": leak}).encode()),
             Peer(200, json.dumps({"success": False, "errorCode": leak, "message": leak}).encode()),
             Peer(503, leak.encode()), Peer(200, leak.encode())]
    try:
        tenant = await make_tenant()
        admin = await make_staff(tenant, "admin")
        await no_quiet_hours(tenant.id)
        errors = []
        for peer in peers:
            async with tenant_scope(tenant.id) as tx:
                await tx.connection.execute("delete from provider_config")
            await use_gateway(tenant.id, peer.url)
            oid = await queued_sms(tenant)
            await relay.deliver(oid, tenant.id)
            async with tenant_scope(tenant.id) as tx:
                await tx.connection.execute("update outbox set status = 'failed' where id = $1", oid)
            errors.append((await outbox_row(tenant.id, oid))["last_error"])
        assert all(e and leak not in e and "INTERNAL" not in e for e in errors), errors
        assert "HTTP 400" in errors[0] and "ER-05" in errors[0]  # the status and a known code stay
        async with tenant_scope(tenant.id) as tx:
            attempts = [r["error"] for r in await tx.connection.fetch("select error from delivery_attempt")]
        assert attempts and all("INTERNAL" not in (a or "") for a in attempts)
        client = server.client(tenant.slug)
        client.login(admin.email)
        page = client.get("/portal/notifications")
        assert page.status_code == 200 and "HTTP 400" in page.text and "INTERNAL-SECRET" not in page.text
    finally:
        for peer in peers:
            peer.stop()
