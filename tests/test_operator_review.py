"""The operator's review of a sign-up (issue 15): operators are alerted when a sign-up confirms
its address; they approve, ask for more information (answered from the admin's setup page) or
reject it with a reason the applicant is emailed; the console lists each tenant's published
policy, and a last staff sign-in that is this tenant's."""
from __future__ import annotations

import secrets

from support.data import PASSWORD, create_staff
from support.mail import body_of

from sila.platform.accounts import services as accounts
from sila.platform.db import platform_scope, tenant_scope
from support.clients import sign_in, sign_up


async def tenant_row(slug: str) -> dict:
    async with platform_scope("test") as tx:
        return dict(await tx.connection.fetchrow("select * from tenant where slug = $1", slug))


async def test_alert_ask_answer_approve(server, operator_client, celery_worker, smtp_sink):
    op = operator_client
    slug = f"r{secrets.token_hex(4)}"
    admin, email = sign_up(server, slug, mail=smtp_sink)
    row = await tenant_row(slug)
    assert row["status"] == "pending"
    alert = smtp_sink.wait_for(op.operator.email)[-1]
    assert f"/operator/tenants/{row['id']}" in body_of(alert) and "جمعية النور الخيرية" in str(alert["Subject"])
    base = f"/operator/tenants/{row['id']}"

    # Asking needs a question; a refused one keeps the page and changes nothing.
    page = op.post(f"{base}/lifecycle/ask_info", {"reason": "\x00"})
    assert page.status_code == 400 and 'id="ask_info_reason"' in page.text and 'aria-invalid="true"' in page.text
    assert (await tenant_row(slug))["info_requested_at"] is None
    question = "أرفقوا رقم الترخيص كما في شهادة المركز الوطني"
    assert op.post(f"{base}/lifecycle/ask_info", {"reason": question}).status_code == 303
    row = await tenant_row(slug)
    assert row["status"] == "pending" and row["status_reason"] == question and row["info_requested_at"]
    told = [m for m in smtp_sink.wait_for(email, count=2) if question in body_of(m)]
    assert told and f"{slug}.localhost" in body_of(told[0]) and "/portal/setup" in body_of(told[0])
    assert "بانتظار" in op.get(f"/operator?q={slug}").text

    # The admin sees it on the checklist and answers; hostile input is refused and kept.
    setup = admin.get("/portal/setup")
    assert setup.status_code == 200 and question in setup.text
    refused = admin.post("/portal/setup/reply", {"reply": "رقم\x01الترخيص"})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text and "رقم" in refused.text
    assert admin.post("/portal/setup/reply", {"reply": ""}).status_code == 400
    assert admin.post("/portal/setup/reply", {"reply": "الرقم ١٢٣٤٥"}).status_code == 303
    assert "الرقم ١٢٣٤٥" in op.get(base).text
    # Approving closes the question; an answer after that is refused, not stored.
    assert op.post(f"{base}/lifecycle/approve").status_code == 303
    assert admin.post("/portal/setup/reply", {"reply": "متأخر"}).status_code == 409
    assert (await tenant_row(slug))["info_reply"] == "الرقم ١٢٣٤٥"
    assert question not in admin.get("/portal/setup").text


async def test_reject_tells_the_reason(server, operator_client, celery_worker, smtp_sink):
    op = operator_client
    slug = f"r{secrets.token_hex(4)}"
    admin, email = sign_up(server, slug, mail=smtp_sink)
    row = await tenant_row(slug)
    base = f"/operator/tenants/{row['id']}"
    assert op.post(f"{base}/lifecycle/reject", {"reason": ""}).status_code == 400
    assert (await tenant_row(slug))["status"] == "pending"
    reason = "لا يظهر ترخيص الجمعية في سجل المركز الوطني"
    assert op.post(f"{base}/lifecycle/reject", {"reason": reason}).status_code == 303
    row = await tenant_row(slug)
    assert row["status"] == "archived" and row["status_reason"] == reason and row["delete_after"] > row["archived_at"]
    assert [m for m in smtp_sink.wait_for(email, count=2) if reason in body_of(m)], "the applicant is told why"
    for action in ("approve", "reject", "ask_info"):
        assert op.post(f"{base}/lifecycle/{action}", {"reason": "x"}).status_code == 409
    assert "رفض طلب التسجيل" in op.get("/operator/audit").text
    assert admin.get("/portal/setup").status_code != 200  # the portal is closed


async def test_console_lists_the_published_policy_and_true_sign_ins(server, operator_client, make_tenant):
    tenant, other = await make_tenant(), await make_tenant()
    assert "لم تُنشر سياسة بعد" in operator_client.get(f"/operator?q={tenant.slug}").text
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute(
            """insert into policy_version (tenant, number, content, approval, approved_on)
               values ($1, 1, '{}', '{}', current_date), ($1, 2, '{}', '{}', current_date)""", tenant.id)
    row = await tenant_row(tenant.slug)
    assert row["policy_number"] == 2 and row["policy_published_at"] is not None
    assert "الإصدار ٢" in operator_client.get(f"/operator?q={tenant.slug}").text

    # One person in two charities: signing in to the other does not make this one "used".
    staff = await create_staff(tenant, "relations_officer")
    await accounts.add_member(other, email=staff.email, name="موظف", role="relations_officer", password=PASSWORD)
    sign_in(server, staff.email, other.slug)
    async with tenant_scope(tenant.id) as tx:
        assert await tx.connection.fetchval("select max(last_signed_in_at) from membership") is None
    sign_in(server, staff)
    async with tenant_scope(tenant.id) as tx:
        assert await tx.connection.fetchval("select max(last_signed_in_at) from membership") is not None
    page = operator_client.get(f"/operator/tenants/{tenant.id}").text
    assert "آخر دخول لفريق العمل" in page
