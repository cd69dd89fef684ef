"""Notifications on real peers: each SMS gateway's and WhatsApp's request shape at a local HTTP
gateway, credentials encrypted at rest, signed delivery-status webhooks, failures shown with a
retry button, quiet hours, the monthly quota, channel fallback, and the tenant's own wording."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import uuid
from typing import Any

import pytest

from sila.platform.db import tenant_scope
from sila.platform.settings import get_settings
from sila.tenants.notifications import services
from sila.workers import relay
from sila.workers.providers import IDEMPOTENCY_HEADER
from support.gateways import no_quiet_hours, use_gateway

MOBILE = "+966551234567"


async def row_of(tenant_id: Any, oid: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        return dict(await tx.connection.fetchrow("select * from outbox where id = $1", oid))


@pytest.fixture(autouse=True)
def deliveries_are_ours(monkeypatch):
    """These tests deliver their rows themselves, through `relay.deliver`: the after-commit hand-off
    to the session's worker is left out, and `write` leaves each row `queued` (as the relay does when
    it claims one), which the session worker's relay never takes. No mock: the same code runs."""
    monkeypatch.setattr("sila.workers.outbox._schedule_hand_off", lambda *args: None)


async def write(tenant: Any, kind: str = "request.accepted", *, preferred: str = "sms", lang: str = "ar",
                email: str = "", **values: str) -> uuid.UUID:
    async with tenant_scope(tenant.id) as tx:
        oid = await services.notify(tenant, kind, lang=lang, preferred=preferred, mobile=MOBILE, email=email,
                                    values={"ref": "26-11112222", **values})
        await claim(tx.connection, oid)
        return oid


async def claim(conn: Any, oid: Any) -> None:
    """What the relay does when it takes a row (and the back-off is over)."""
    await conn.execute("""update outbox set status = 'queued', queued_at = now(), available_at = now()
                          where id = $1 and status = 'pending'""", oid)


async def send(tenant: Any, oid: Any, settings: Any = None) -> dict[str, Any]:
    # The after-commit fast path may have reached a session worker first: either way, once.
    assert await relay.deliver(oid, tenant.id, settings) in ("sent", "already sent")
    return await row_of(tenant.id, oid)


@pytest.fixture
async def tenant(make_tenant):
    t = await make_tenant(name_ar="جمعية البر بالرياض")
    await no_quiet_hours(t.id)
    return t


# --- each gateway's request shape -------------------------------------------------------------


async def test_unifonic_request_shape(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="unifonic", sender="AlBir", secret="unifonic-app-sid-9876")
    oid = await write(tenant)
    row = await send(tenant, oid)
    [req] = [r for r in gateway.requests if r["key"] == str(oid)]
    assert req["path"] == "/rest/SMS/messages" and req["headers"]["Content-Type"].startswith("application/x-www-form")
    body = req["body"]
    assert body["AppSid"] == "unifonic-app-sid-9876" and body["SenderID"] == "AlBir"
    assert body["Recipient"] == "966551234567"  # international, without + or 00
    assert body["CorrelationID"] == str(oid) and body["responseType"] == "JSON"
    assert "جمعية البر بالرياض" in body["Body"] and "26-11112222" in body["Body"]
    assert (row["status"], row["provider"]) == ("sent", "unifonic")
    assert row["provider_message_id"] == gateway.accepted[str(oid)]["message_id"]


async def test_taqnyat_request_shape(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="taqnyat", sender="AlBir", secret="taqnyat-bearer-123456")
    oid = await write(tenant, lang="en")
    await send(tenant, oid)
    [req] = [r for r in gateway.requests if r["key"] == str(oid)]
    assert req["path"] == "/v1/messages" and req["headers"]["Authorization"] == "Bearer taqnyat-bearer-123456"
    assert req["body"]["recipients"] == ["966551234567"] and req["body"]["sender"] == "AlBir"
    assert req["body"]["body"].startswith("Test ") and "was accepted" in req["body"]["body"]  # English wording


async def test_msegat_request_shape(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="msegat", account="albir", sender="AlBir",
                      secret="msegat-api-key-0000")
    oid = await write(tenant)
    await send(tenant, oid)
    [req] = [r for r in gateway.requests if r["key"] == str(oid)]
    assert req["path"] == "/gw/sendsms.php"
    b = req["body"]
    assert (b["userName"], b["apiKey"], b["numbers"], b["userSender"], b["msgEncoding"]) == (
        "albir", "msegat-api-key-0000", "966551234567", "AlBir", "UTF8")
    assert "قبول طلبك" in b["msg"]


async def test_twilio_request_shape(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="twilio", account="AC0123456789abcdef", sender="+15005550006",
                      secret="twilio-auth-token-42")
    oid = await write(tenant)
    row = await send(tenant, oid)
    [req] = [r for r in gateway.requests if r["key"] == str(oid)]
    assert req["path"] == "/2010-04-01/Accounts/AC0123456789abcdef/Messages.json"
    user, _, password = base64.b64decode(req["headers"]["Authorization"].split()[1]).decode().partition(":")
    assert (user, password) == ("AC0123456789abcdef", "twilio-auth-token-42")
    assert req["body"]["To"] == MOBILE and req["body"]["From"] == "+15005550006"
    hook = await hook_url(tenant, "sms", "twilio")
    assert req["body"]["StatusCallback"] == hook
    assert row["provider_message_id"] == gateway.accepted[str(oid)]["message_id"]


async def test_whatsapp_cloud_template_message_shape(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, channel="whatsapp", provider="whatsapp_cloud", account="1029384756",
                      secret="meta-access-token-xyz", signing_secret="meta-app-secret-abc")
    oid = await write(tenant, "request.rejected", preferred="whatsapp", reason="الدخل أعلى من الحد")
    row = await send(tenant, oid)
    [req] = [r for r in gateway.requests if r["key"] == str(oid)]
    assert req["path"] == "/1029384756/messages"
    assert req["headers"]["Authorization"] == "Bearer meta-access-token-xyz"
    b = req["body"]
    assert (b["messaging_product"], b["to"], b["type"]) == ("whatsapp", "966551234567", "template")
    assert b["template"]["name"] == "sila_request_rejected" and b["template"]["language"] == {"code": "ar"}
    [component] = b["template"]["components"]
    # The parameters in the order the wording uses its variables: {org}, {ref}, {reason}.
    assert [p["text"] for p in component["parameters"]] == ["جمعية البر بالرياض", "26-11112222", "الدخل أعلى من الحد"]
    assert (row["channel"], row["provider"]) == ("whatsapp", "whatsapp_cloud")


async def hook_url(tenant: Any, channel: str, hook: str) -> str:
    token = (await services.providers_of(tenant.id))[channel].webhook_token
    return get_settings().tenant_url(tenant.slug, f"/hooks/{hook}/{token}")


# --- credentials ------------------------------------------------------------------------------


async def test_credentials_are_encrypted_at_rest_and_never_shown_back(server, make_tenant, make_staff, gateway):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    client = server.client(tenant.slug)
    client.login(admin.email)
    page = client.get("/portal/notifications/providers")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    secret = "TAQNYAT-very-secret-token-7781"
    form = {"provider": "taqnyat", "base_url": gateway.url, "account": "", "sender": "AlNoor", "secret": secret,
            "enabled": "on"}
    # Bad input: the error beside the field, what was typed kept, the secret not echoed back.
    bad = client.post("/portal/notifications/providers/sms", {**form, "sender": "اسم عربي طويل جدا جدا"})
    assert bad.status_code == 400 and "sender-error" in bad.text and gateway.url in bad.text
    assert secret not in bad.text
    assert client.post("/portal/notifications/providers/sms", form).status_code == 303
    async with tenant_scope(tenant.id) as tx:
        stored = await tx.connection.fetchrow("select * from provider_config where channel = 'sms'")
        audit = await tx.connection.fetch("select before::text, after::text from audit_entry where action like 'notifications.%'")
    assert secret.encode() not in bytes(stored["secret_enc"]) and stored["secret_hint"] == "7781"
    assert all(secret not in (a["after"] or "") for a in audit)
    page = client.get("/portal/notifications/providers")
    assert secret not in page.text and "7781" in page.text and "/hooks/sms/" in page.text
    # Saving again without the key keeps the stored one.
    assert client.post("/portal/notifications/providers/sms", {**form, "secret": "", "sender": "AlNoor2"}).status_code == 303
    await no_quiet_hours(tenant.id)
    oid = await write(tenant)
    await send(tenant, oid)
    [req] = [r for r in gateway.requests if r["key"] == str(oid)]
    assert req["headers"]["Authorization"] == f"Bearer {secret}" and req["body"]["sender"] == "AlNoor2"
    # Another tenant's admin gets nothing of it.
    other = await make_staff(await make_tenant(), "admin")
    other_client = server.client(other.tenant.slug)
    other_client.login(other.email)
    assert "7781" not in other_client.get("/portal/notifications/providers").text


# --- delivery-status webhooks -------------------------------------------------------------------


def twilio_sig(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented algorithm, written out here independently of the app's."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_twilio_signature_matches_twilios_published_example():
    from sila.tenants.notifications.routes import twilio_signature

    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, list(params.items())) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_sig("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


async def test_twilio_status_webhook_is_signature_checked(server, tenant, make_tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="twilio", account="AC42", sender="+15005550006",
                      secret="twilio-token-for-hooks")
    oid = await write(tenant)
    row = await send(tenant, oid)
    url = await hook_url(tenant, "sms", "twilio")
    path = url.split(str(server.port), 1)[1]
    params = {"MessageSid": row["provider_message_id"], "MessageStatus": "delivered", "AccountSid": "AC42"}
    client = server.client(tenant.slug)
    forged = client.post(path, params, csrf=False, headers={"X-Twilio-Signature": twilio_sig("wrong", url, params)})
    assert forged.status_code == 403
    assert (await row_of(tenant.id, oid))["delivery_status"] == ""
    ok = client.post(path, params, csrf=False, headers={"X-Twilio-Signature": twilio_sig("twilio-token-for-hooks", url, params)})
    assert ok.status_code == 200
    assert (await row_of(tenant.id, oid))["delivery_status"] == "delivered"
    # A late "sent" does not undo "delivered".
    late = {**params, "MessageStatus": "sent"}
    client.post(path, late, csrf=False, headers={"X-Twilio-Signature": twilio_sig("twilio-token-for-hooks", url, late)})
    assert (await row_of(tenant.id, oid))["delivery_status"] == "delivered"
    # The same path on another tenant's host: no such gateway there.
    other = await make_tenant()
    assert server.client(other.slug).post(path, params, csrf=False).status_code == 404


async def test_whatsapp_webhook_handshake_and_signed_statuses(server, tenant, gateway):
    await use_gateway(tenant.id, gateway.url, channel="whatsapp", provider="whatsapp_cloud", account="55501",
                      secret="meta-token", signing_secret="meta-app-secret-for-hooks")
    oid = await write(tenant, preferred="whatsapp")
    row = await send(tenant, oid)
    url = await hook_url(tenant, "whatsapp", "whatsapp")
    path, token = url.split(str(server.port), 1)[1], url.rsplit("/", 1)[1]
    client = server.client(tenant.slug)
    hs = client.get(path, params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"})
    assert hs.status_code == 200 and hs.text == "1158201444"
    assert client.get(path, params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                    "hub.challenge": "1"}).status_code == 403
    event = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "statuses": [{"id": row["provider_message_id"], "status": "failed",
                                                        "recipient_id": "966551234567",
                                                        "errors": [{"code": 131026, "title": "Message undeliverable"}]}]}}]}]}
    body = json.dumps(event).encode()
    sig = "sha256=" + hmac.new(b"meta-app-secret-for-hooks", body, hashlib.sha256).hexdigest()
    assert client.post(path, content=body, csrf=False, headers={"X-Hub-Signature-256": "sha256=00",
                                                                 "Content-Type": "application/json"}).status_code == 403
    ok = client.post(path, content=body, csrf=False, headers={"X-Hub-Signature-256": sig,
                                                               "Content-Type": "application/json"})
    assert ok.status_code == 200
    after = await row_of(tenant.id, oid)
    assert after["delivery_status"] == "failed" and "131026" in after["delivery_error"]


async def test_an_undelivered_report_hands_the_message_to_the_next_channel(server, tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="unifonic")
    await use_gateway(tenant.id, gateway.url, channel="whatsapp", provider="whatsapp_cloud", account="77",
                      secret="meta-token")
    oid = await write(tenant, preferred="whatsapp")  # WhatsApp first, SMS behind it
    row = await send(tenant, oid)
    assert row["channel"] == "whatsapp" and json.loads(row["fallback"])[0]["channel"] == "sms"
    path = (await hook_url(tenant, "sms", "sms")).split(str(server.port), 1)[1]
    shown = services.hook_url(tenant.slug, tenant.id, "unifonic", path.rsplit("/", 1)[1])
    user, password = re.match(r"https?://([^:]+):([^@]+)@", shown).groups()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
    # Unsigned SMS reports authenticate with the token in the path and the Basic credentials of
    # the address we gave the gateway: without them, 401; an unknown token, 404.
    client = server.client(tenant.slug)
    assert client.post(path, json={"messageId": "x", "status": "delivered"}, csrf=False).status_code == 401
    assert client.post(path + "x", json={"messageId": "x", "status": "delivered"}, csrf=False,
                       headers=auth).status_code == 404
    # WhatsApp's own report of failure (sent through its hook) brings in SMS.
    await services.record_status(tenant.id, "whatsapp_cloud", row["provider_message_id"], "failed", "131026")
    async with tenant_scope(tenant.id) as tx:
        copy = await tx.connection.fetchrow("select * from outbox where retry_of = $1", oid)
    assert copy["channel"] == "sms" and copy["recipient"] == MOBILE
    copy_row = await send(tenant, copy["id"])
    ok = client.post(path, json={"messageId": copy_row["provider_message_id"], "status": "Delivered"}, csrf=False,
                     headers=auth)
    assert ok.status_code == 200
    assert (await row_of(tenant.id, copy["id"]))["delivery_status"] == "delivered"


# --- failures, retries, the admin's view -------------------------------------------------------------


async def test_a_refused_message_is_shown_with_its_reason_and_can_be_sent_again(server, make_tenant, make_staff, gateway):
    tenant = await make_tenant()
    await no_quiet_hours(tenant.id)
    admin = await make_staff(tenant, "admin")
    await use_gateway(tenant.id, gateway.url, provider="unifonic")
    gateway.failures.append(400)  # e.g. the sender name not yet approved: retrying cannot help
    oid = await write(tenant)
    assert await relay.deliver(oid, tenant.id) in ("failed", "already failed")
    row = await row_of(tenant.id, oid)
    assert row["status"] == "failed" and "HTTP 400" in row["last_error"]
    client = server.client(tenant.slug)
    client.login(admin.email)
    page = client.get("/portal/notifications")
    assert "HTTP 400" in page.text and f"/portal/notifications/outbox/{oid}/retry" in page.text
    assert client.post(f"/portal/notifications/outbox/{oid}/retry").status_code == 303
    async with tenant_scope(tenant.id) as tx:  # (the web server may have handed it to a session worker too)
        await claim(tx.connection, oid)
    row = await send(tenant, oid)
    assert (row["status"], row["attempts"], row["tries"]) == ("sent", 2, 1)  # counted afresh after the retry
    assert gateway.delivered(oid) == 1
    assert f"/outbox/{oid}/retry" not in client.get("/portal/notifications").text


async def test_temporary_failures_back_off_then_give_up_with_the_reason(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="taqnyat", secret="taqnyat-token-123456")
    settings = get_settings().model_copy(update={"outbox_max_attempts": 3})
    gateway.fail_all = 503
    oid = await write(tenant)
    outcomes = []
    for _ in range(3):
        outcomes.append(await relay.deliver(oid, tenant.id, settings))
        row = await row_of(tenant.id, oid)
        if row["status"] == "pending":
            async with tenant_scope(tenant.id) as tx:  # the back-off has passed
                await claim(tx.connection, oid)
    assert outcomes == ["retry", "retry", "failed"]
    row = await row_of(tenant.id, oid)
    assert row["status"] == "failed" and "HTTP 503" in row["last_error"] and row["attempts"] == 3
    assert gateway.delivered(oid) == 0


async def test_a_message_falls_back_to_the_next_channel_when_the_first_fails_for_good(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="unifonic")
    await use_gateway(tenant.id, gateway.url, channel="whatsapp", provider="whatsapp_cloud", account="88",
                      secret="meta-token")
    oid = await write(tenant, preferred="whatsapp", email="applicant@example.test")
    gateway.failures.append(400)  # WhatsApp refuses: e.g. not a WhatsApp number
    assert await relay.deliver(oid, tenant.id) in ("fallback",)
    row = await row_of(tenant.id, oid)
    assert row["channel"] == "sms" and "whatsapp" in row["last_error"]
    assert [f["channel"] for f in json.loads(row["fallback"])] == ["email"]
    async with tenant_scope(tenant.id) as tx:
        await claim(tx.connection, oid)
    row = await send(tenant, oid)
    assert (row["status"], row["provider"]) == ("sent", "unifonic")
    assert gateway.delivered(oid) == 1  # the one message, delivered once, by SMS


async def test_no_gateway_at_all_is_a_visible_failure_not_a_lost_message(tenant):
    oid = await write(tenant)
    assert await relay.deliver(oid, tenant.id) in ("failed", "already failed")
    row = await row_of(tenant.id, oid)
    assert row["status"] == "failed" and row["last_error"] == "no provider configured for sms"


# --- many at once: a campaign's batch, the relay's batches ----------------------------------------


async def test_a_batch_of_messages_is_written_in_order_and_each_delivered_once(tenant, gateway):
    """`notify_many` writes one row per person in the order given, each in their language, and
    `relay.deliver_many` sends them concurrently: every key reaches the gateway once, and the
    month's counter (the quota's) counts each."""
    await use_gateway(tenant.id, gateway.url)
    people = [services.Recipient("ar" if i % 2 else "en", "sms", f"+96655{i:07d}", values={"ref": f"26-{i:08d}"})
              for i in range(30)]
    async with tenant_scope(tenant.id) as tx:
        ids = await services.notify_many(tenant, "request.accepted", people)
        rows = {r["id"]: r for r in await tx.connection.fetch("select * from outbox where id = any($1)", ids)}
        for oid in ids:
            await claim(tx.connection, oid)
    assert len(set(ids)) == 30
    for oid, person in zip(ids, people, strict=True):
        row = rows[oid]
        assert row["recipient"] == person.mobile and person.values["ref"] in row["body_text"]
        assert bool(re.search("[\u0600-\u06FF]{3}", row["body_text"])) == (person.lang == "ar")
    assert await relay.deliver_many([[str(oid), str(tenant.id)] for oid in ids]) == []
    keys = [r["key"] for r in gateway.requests]
    assert sorted(keys) == sorted(str(oid) for oid in ids)  # each once, none twice
    async with tenant_scope(tenant.id) as tx:
        assert await tx.connection.fetchval(
            "select count(*) from outbox where id = any($1) and status = 'sent'", ids) == 30
        assert await tx.connection.fetchval("select coalesce(sum(sent), 0) from message_usage") == 30
    # Handed the same batch again (a broker redelivery): nothing is sent twice.
    assert await relay.deliver_many([[str(oid), str(tenant.id)] for oid in ids]) == []
    assert len(gateway.requests) == 30


# --- quiet hours and quota ----------------------------------------------------------------------------


async def test_quiet_hours_hold_applicant_messages_but_never_one_time_codes(make_tenant, gateway):
    tenant = await make_tenant()
    await use_gateway(tenant.id, gateway.url, provider="unifonic")
    now = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=3)))
    start, end = (now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0), \
        (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute(
            "insert into notification_settings (tenant, quiet_start, quiet_end) values ($1, $2, $3)",
            tenant.id, start, end)
    quiet = await write(tenant)
    code = await write(tenant, "request.tracking_code", code="123456")
    assert await relay.deliver(quiet, tenant.id) in ("held: quiet_hours", "not due")
    row = await row_of(tenant.id, quiet)
    assert (row["status"], row["held_reason"]) == ("pending", "quiet_hours")
    assert row["available_at"].astimezone(dt.timezone(dt.timedelta(hours=3))).time().replace(tzinfo=None) == end
    assert (await send(tenant, code))["status"] == "sent"
    assert gateway.delivered(code) == 1 and gateway.delivered(quiet) == 0


async def test_over_the_quota_messages_wait_and_the_admins_are_told_once(server, make_tenant, make_staff, gateway,
                                                                        operator_client, smtp_sink):
    tenant = await make_tenant()
    await no_quiet_hours(tenant.id)
    admin = await make_staff(tenant, "admin")
    await use_gateway(tenant.id, gateway.url, provider="unifonic")
    assert operator_client.post(f"/operator/tenants/{tenant.id}/quota", {"message_quota": "1"}).status_code == 303
    first = await write(tenant)
    assert (await send(tenant, first))["status"] == "sent"
    waiting = [await write(tenant) for _ in range(2)]
    for oid in waiting:
        assert await relay.deliver(oid, tenant.id) in ("held: quota", "not due")
        row = await row_of(tenant.id, oid)
        assert (row["status"], row["held_reason"]) == ("pending", "quota") and row["available_at"] > row["created_at"]
    async with tenant_scope(tenant.id) as tx:
        notice_id = await tx.connection.fetchval("select id from outbox where kind = 'notifications.quota_reached'")
    await send(tenant, notice_id)  # urgent: it is not held by the quota it reports
    [notice] = smtp_sink.wait_for(admin.email)
    assert "quota" in notice["Subject"].lower() or "الحصة" in notice["Subject"]
    async with tenant_scope(tenant.id) as tx:
        assert await tx.connection.fetchval(
            "select count(*) from outbox where kind = 'notifications.quota_reached'") == 1
    client = server.client(tenant.slug)
    client.login(admin.email)
    page = client.get("/portal/notifications")
    assert "الحصة الشهرية" in page.text
    # The operator raises the quota: the waiting messages go, none was dropped.
    assert operator_client.post(f"/operator/tenants/{tenant.id}/quota", {"message_quota": "10"}).status_code == 303
    for oid in waiting:
        async with tenant_scope(tenant.id) as tx:
            await claim(tx.connection, oid)
        assert (await send(tenant, oid))["status"] == "sent"
    assert all(gateway.delivered(oid) == 1 for oid in [first, *waiting])


# --- the tenant's own wording ------------------------------------------------------------------------


async def test_the_admin_rewords_a_message_with_preview_and_it_is_used(server, make_tenant, make_staff):
    tenant = await make_tenant(name_ar="جمعية النور")
    await no_quiet_hours(tenant.id)
    admin = await make_staff(tenant, "admin")
    client = server.client(tenant.slug)
    client.login(admin.email)
    listing = client.get("/portal/notifications/templates")
    assert listing.status_code == 200 and "request.received" in listing.text
    page = client.get("/portal/notifications/templates/request.rejected")
    assert page.status_code == 200 and "{reason}" in page.text and "جمعية النور" in page.text  # preview
    form = {"ar_subject": "بخصوص طلبك {ref}", "ar_body": "{org}: نأسف، طلبك {ref} لم يُقبل بسبب {reasn}.",
            "en_subject": "About {ref}", "en_body": "{org}: request {ref} declined: {reason}",
            "whatsapp_name": "albir_rejected"}
    bad = client.post("/portal/notifications/templates/request.rejected", form)
    assert bad.status_code == 400 and "ar_body-error" in bad.text and "{reasn}" in bad.text  # kept, and explained
    missing = client.post("/portal/notifications/templates/request.rejected", {**form, "ar_body": "{org}: {ref}"})
    assert missing.status_code == 400 and "{reason}" in missing.text
    preview = client.post("/portal/notifications/templates/request.rejected/preview",
                          {**form, "ar_body": "{org}: نأسف، طلبك {ref} لم يُقبل بسبب {reason}."})
    assert preview.status_code == 200 and "جمعية النور: نأسف" in preview.text and "الدخل أعلى" in preview.text
    good = {**form, "ar_body": "{org}: نأسف، طلبك {ref} لم يُقبل بسبب {reason}."}
    assert client.post("/portal/notifications/templates/request.rejected", good).status_code == 303
    assert client.post("/portal/notifications/templates/nope.kind", good).status_code == 404
    ar = await row_of(tenant.id, await write(tenant, "request.rejected", reason="نقص المستندات"))
    en = await row_of(tenant.id, await write(tenant, "request.rejected", lang="en", preferred="email",
                                             email="a@example.test", reason="missing documents"))
    assert ar["body_text"] == "جمعية النور: نأسف، طلبك 26-11112222 لم يُقبل بسبب نقص المستندات."
    assert en["body_text"] == f"Test {tenant.slug}: request 26-11112222 declined: missing documents"
    assert en["channel"] == "email" and en["subject"] == "About 26-11112222"
    assert client.post("/portal/notifications/templates/request.rejected/reset").status_code == 303
    back = await row_of(tenant.id, await write(tenant, "request.rejected", reason="x"))
    assert "نعتذر عن عدم قبول طلبك" in back["body_text"]


async def test_settings_form_keeps_input_and_explains_errors(server, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    client = server.client(tenant.slug)
    client.login(admin.email)
    assert client.get("/portal/notifications/settings").status_code == 200
    form = {"quiet_enabled": "on", "quiet_start": "٢٢:٠٠", "quiet_end": "25:00", "channel_1": "sms",
            "channel_2": "sms", "channel_3": "email", "reminder_percents": "50, 150", "reminder_days_before": "٢",
            "escalate_overdue": "on", "digest_enabled": "on", "digest_hour": "7"}
    bad = client.post("/portal/notifications/settings", form)
    assert bad.status_code == 400
    for field in ("quiet_end-error", "reminder_percents-error"):
        assert field in bad.text
    assert "50, 150" in bad.text and "٢٢:٠٠" in bad.text
    good = {**form, "quiet_end": "07:30", "channel_2": "whatsapp", "reminder_percents": "٥٠، 75"}
    assert client.post("/portal/notifications/settings", good).status_code == 303
    saved = await services.get_settings_of(tenant.id)
    assert saved.quiet_start == dt.time(22, 0) and saved.quiet_end == dt.time(7, 30)
    assert saved.channel_order == ["sms", "whatsapp", "email"] and saved.reminder_percents == [50, 75]
    assert saved.reminder_days_before == [2] and saved.digest_hour == 7


async def test_the_idempotency_header_is_on_every_gateway_request(tenant, gateway):
    await use_gateway(tenant.id, gateway.url, provider="msegat", account="u", secret="msegat-key-000011")
    oid = await write(tenant)
    await send(tenant, oid)
    assert all(r["headers"][IDEMPOTENCY_HEADER] == str(oid) for r in gateway.requests if r["key"] == str(oid))
    assert re.fullmatch(r"[0-9a-f-]{36}", gateway.requests[-1]["headers"][IDEMPOTENCY_HEADER])
