"""The tenant lifecycle through the console: approve, suspend, reactivate, archive; what each
does to the tenant's site, sign-in and messages; filters, quotas, usage, health and the audit."""
from __future__ import annotations

import datetime as dt
import secrets
import uuid

import pytest

from sila.platform import directory
from sila.platform.db import platform_scope, tenant_scope
from sila.workers.outbox import enqueue
from support.servers import wait_until



async def register_pending(region: str = "qassim", kind: str = "association") -> tuple:
    """A charity signs up (real onboarding service) and waits for approval."""
    from sila.tenants.onboarding.services import register

    slug = f"p{secrets.token_hex(4)}"
    admin = f"{slug}@charity.test"
    tenant = await register(
        {"slug": slug, "kind": kind, "name_ar": "جمعية الأمل الخيرية", "name_en": f"Amal {slug}",
         "regulator": "awqaf" if kind == "waqf" else "ncnp", "licence_number": "1234", "region": region,
         "city": "بريدة"},
        {"email": admin, "name": "سارة القحطاني"}, "Sila-test-Passw0rd", auto_approve=False, lang="ar")
    return tenant, admin


async def status_of(tenant_id) -> dict:
    async with platform_scope("test") as tx:
        return dict(await tx.connection.fetchrow("select * from tenant where id = $1", tenant_id))


async def test_lifecycle_transitions_through_http(server, operator_client, celery_worker, smtp_sink):
    tenant, admin = await register_pending()
    op = operator_client
    base = f"/operator/tenants/{tenant.id}"
    # Found by search and by filters; not by a filter it does not match.
    assert tenant.slug in op.get(f"/operator?q={tenant.slug[2:]}&status=pending&kind=association").text
    assert tenant.slug in op.get("/operator?region=qassim&regulator=ncnp").text
    assert tenant.slug not in op.get("/operator?status=active").text
    assert tenant.slug not in op.get("/operator?region=riyadh").text
    today = dt.date.today()
    assert tenant.slug in op.get(f"/operator?created_from={today - dt.timedelta(days=1)}&created_to={today}").text
    assert tenant.slug not in op.get(f"/operator?created_to={today - dt.timedelta(days=2)}").text
    page = op.get(base)
    assert page.status_code == 200 and "منطقة القصيم" in page.text and "بانتظار" in page.text

    # Approve: active, and the admin is told by email (outbox -> worker -> SMTP).
    response = op.post(f"{base}/lifecycle/approve")
    assert response.status_code == 303
    row = await status_of(tenant.id)
    assert row["status"] == "active" and row["approved_at"] is not None
    message = smtp_sink.wait_for(admin)[-1]
    assert tenant.name_ar in str(message["Subject"])
    assert f"{tenant.slug}.localhost" in message.get_body(("plain",)).get_content()
    # Not twice.
    assert op.post(f"{base}/lifecycle/approve").status_code == 409

    # Suspending needs a reason; without one nothing changes and the form says why.
    response = op.post(f"{base}/lifecycle/suspend", {"reason": ""})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.text
    assert (await status_of(tenant.id))["status"] == "active"
    assert op.post(f"{base}/lifecycle/suspend", {"reason": "رسوم الاشتراك متأخرة"}).status_code == 303
    assert (await status_of(tenant.id))["status_reason"] == "رسوم الاشتراك متأخرة"
    assert op.post(f"{base}/lifecycle/approve").status_code == 409
    assert op.post(f"{base}/lifecycle/reactivate", {"reason": "سُددت"}).status_code == 303
    assert (await status_of(tenant.id))["status"] == "active"

    # Archive: with a reason and a retention period.
    assert op.post(f"{base}/lifecycle/archive", {"reason": "", "retention_days": "30"}).status_code == 400
    assert op.post(f"{base}/lifecycle/archive", {"reason": "طلب الجمعية", "retention_days": "-1"}).status_code == 400
    assert op.post(f"{base}/lifecycle/archive", {"reason": "طلب الجمعية", "retention_days": "30"}).status_code == 303
    row = await status_of(tenant.id)
    assert row["status"] == "archived"
    assert dt.timedelta(days=29) < row["delete_after"] - row["archived_at"] <= dt.timedelta(days=30)
    for action in ("reactivate", "suspend", "approve", "archive"):
        assert op.post(f"{base}/lifecycle/{action}", {"reason": "x", "retention_days": "1"}).status_code == 409
    assert op.post(f"{base}/lifecycle/explode").status_code == 404
    assert op.post(f"/operator/tenants/{uuid.uuid4()}/lifecycle/approve").status_code == 404

    # Every step is in the operator audit, with who, what and why.
    audit_page = op.get("/operator/audit").text
    for label in ("اعتماد الجهة", "تعليق الجهة", "إعادة تفعيل الجهة", "أرشفة الجهة", "رسوم الاشتراك متأخرة"):
        assert label in audit_page, label
    assert op.operator.email in audit_page


async def test_a_suspended_tenant_stops_and_resumes(server, operator_client, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    portal = server.client(tenant.slug)
    portal.login(admin.email)
    public = server.client(tenant.slug)
    assert portal.get("/portal").status_code == 200 and public.get("/").status_code == 200

    assert operator_client.post(f"/operator/tenants/{tenant.id}/lifecycle/suspend",
                                {"reason": "مراجعة الترخيص"}).status_code == 303
    # The portal (even a session opened before), the public pages and sign-in say so and stop.
    for client, path in ((portal, "/portal"), (portal, "/portal/staff/"), (public, "/"), (public, "/login")):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "موقوفة حاليًا" in response.text and tenant.name_ar in response.text, path
    fresh = server.client(tenant.slug)
    response = fresh.post("/login", {"email": admin.email, "password": admin.password}, csrf=False)
    assert response.status_code == 403 and "sila_session" not in response.headers.get("set-cookie", "")
    # Messages written now wait: the relay's rule holds them.
    async with tenant_scope(tenant.id):
        held = await enqueue(tenant_id=tenant.id, channel="email", kind="test.notice", recipient="x@y.test",
                             body_text="x")
    assert not await directory.sending_allowed(tenant.id, "test.notice")
    assert not await claimable(held)

    assert operator_client.post(f"/operator/tenants/{tenant.id}/lifecycle/reactivate").status_code == 303
    assert portal.get("/portal").status_code == 200  # the same session works again
    assert public.get("/").status_code == 200
    fresh.login(admin.email)
    assert await directory.sending_allowed(tenant.id, "test.notice")
    assert await claimable(held)


async def claimable(outbox_id) -> bool:
    """Whether the relay's rule (directory.SQL_TENANT_CAN_SEND) lets this row go now (its status
    aside: a worker may already have taken it through the after-commit fast path)."""
    async with platform_scope("test") as tx:
        return bool(await tx.connection.fetchval(
            f"select 1 from outbox where id = $1 and {directory.SQL_TENANT_CAN_SEND}", outbox_id))


@pytest.mark.parametrize("status, kind, allowed", [
    # A pending tenant sends only mail to its own account and the platform's (directory.PENDING_TENANT_KINDS).
    ("pending", "staff.invite", False), ("pending", "request.received", False), ("pending", "staff.password_reset", True),
    ("pending", "platform.tenant_approved", True),
    ("active", "staff.invite", True), ("active", "request.received", True), ("suspended", "request.received", False),
    ("suspended", "platform.export_ready", False), ("archived", "request.received", False),
    ("archived", "platform.export_ready", True),
])
async def test_sending_allowed_rule(make_tenant, status, kind, allowed):
    tenant = await make_tenant(status=status)
    assert await directory.sending_allowed(tenant.id, kind) is allowed
    async with tenant_scope(tenant.id):
        row = await enqueue(tenant_id=tenant.id, channel="sms", kind=kind, recipient="+966500000000", body_text="x")
    assert await claimable(row) is allowed
    assert not await directory.sending_allowed(uuid.uuid4())


async def test_operator_actions_are_shown_to_the_tenant_admin(server, operator_client, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    officer = await make_staff(tenant, "relations_officer")
    op = operator_client
    op.post(f"/operator/tenants/{tenant.id}/quota", {"message_quota": "750"})
    op.post(f"/operator/tenants/{tenant.id}/lifecycle/suspend", {"reason": "تحقق من البيانات"})
    op.post(f"/operator/tenants/{tenant.id}/lifecycle/reactivate")
    client = server.client(tenant.slug)
    client.login(admin.email)
    page = client.get("/portal/security/")
    assert page.status_code == 200
    for text in ("تعليق الجهة", "تحقق من البيانات", "إعادة تفعيل الجهة", "حصة الرسائل", op.operator.email):
        assert text in page.text, text
    # Only admins read it.
    other = server.client(tenant.slug)
    other.login(officer.email)
    assert other.get("/portal/security/").status_code == 403


async def test_quota_usage_chart_and_health(server, operator_client, make_tenant, celery_worker, smtp_sink):
    tenant = await make_tenant()
    op = operator_client
    response = op.post(f"/operator/tenants/{tenant.id}/quota", {"message_quota": "lots"})
    assert response.status_code == 400 and 'value="lots"' in response.text
    # Three messages go out through the worker; usage counts what was sent this month.
    address = f"usage-{tenant.slug}@charity.test"
    async with tenant_scope(tenant.id):
        for i in range(3):
            await enqueue(tenant_id=tenant.id, channel="email", kind="staff.test", recipient=address,
                          subject=f"m{i}", body_text="x")
    smtp_sink.wait_for(address, 3)
    assert op.post(f"/operator/tenants/{tenant.id}/quota", {"message_quota": "2"}).status_code == 303
    # (the worker marks a row sent just after the SMTP peer has it)
    def sent_three() -> str | None:
        text = op.get(f"/operator/tenants/{tenant.id}").text
        return text if "٣ من ٢" in text else None

    page = wait_until(sent_three, 10, what="three sent messages on the tenant page")
    assert "<svg" in page and 'class="bar over"' in page and 'class="quota"' in page
    usage = op.get("/operator/usage").text
    assert tenant.slug in usage and "<svg" in usage
    health = op.get("/operator/health")
    assert health.status_code == 200 and 'hx-trigger="every 5s"' in health.text
    panel = op.get("/operator/health/panel")
    assert panel.status_code == 200 and "<html" not in panel.text and 'id="health"' in panel.text


async def test_health_reads_queue_heartbeats_and_backlog(server, operator_client, make_tenant, redis_url):
    import time

    import redis

    r = redis.Redis.from_url(redis_url)
    r.set("sila:heartbeat:probe-worker@test", str(time.time() - 5), ex=60)
    r.set("sila:heartbeat:dead-worker@test", str(time.time() - 600), ex=60)
    tenant = await make_tenant(status="suspended")
    async with tenant_scope(tenant.id) as tx:
        held = await enqueue(tenant_id=tenant.id, channel="sms", kind="test", recipient="+966500000000", body_text="x")
        # Not due yet, so a worker taking the fast path leaves it waiting whatever the rule.
        await tx.connection.execute("update outbox set available_at = now() + interval '1 hour' where id = $1", held)
    from sila.platform.operator import services
    from sila.platform.settings import get_settings

    import redis.asyncio as aioredis

    client = aioredis.from_url(get_settings().redis_url)
    h = await services.health(client)
    await client.aclose()
    workers = {w["name"]: w for w in h["workers"]}
    assert workers["probe-worker@test"]["alive"] and not workers["dead-worker@test"]["alive"]
    assert "celery" in h["queues"] and h["outbox"]["held"] >= 1
    panel = operator_client.get("/operator/health/panel").text
    assert "probe-worker@test" in panel and "dead-worker@test" in panel
    r.delete("sila:heartbeat:probe-worker@test", "sila:heartbeat:dead-worker@test")
