"""Suggestions and complaints through HTTP: the public form (errors beside fields, input kept,
an idempotent submit), a reference number, assigned, answered, closed — the applicant told at
each step through the channel they chose — and nothing for someone who left no contact."""
from __future__ import annotations

import re
from typing import Any

from sila.platform.db import tenant_scope
from support.gateways import no_quiet_hours


async def messages(tenant_id: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch(
            "select * from outbox where kind like 'feedback.%' order by created_at")]


def form_token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


async def test_a_complaint_is_received_assigned_answered_and_closed_with_the_applicant_told(
        server, make_tenant, make_staff):
    tenant = await make_tenant(name_ar="جمعية الإحسان")
    await no_quiet_hours(tenant.id)
    officer = await make_staff(tenant, "relations_officer", name="نورة الموظفة")
    public = server.client(tenant.slug)
    page = public.get("/feedback")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    token = form_token(page.text)
    data = {"token": token, "kind": "complaint", "body": "تأخر صرف السلة الغذائية شهرين", "name": "أبو فهد",
            "mobile": "٠٥٥١٢٣٤٥٦٧", "email": "", "contact_channel": "whatsapp"}
    bad = public.post("/feedback", {**data, "body": "", "mobile": "12345"})
    assert bad.status_code == 400 and 'id="body-error"' in bad.text and 'id="mobile-error"' in bad.text
    assert "أبو فهد" in bad.text and token in bad.text  # what was typed is kept, with the same form token
    sent = public.post("/feedback", data)
    assert sent.status_code == 303 and sent.headers["location"] == f"/feedback/received/{token}"
    again = public.post("/feedback", data)  # a double submit: the same item
    assert again.headers["location"] == sent.headers["location"]
    received = public.get(sent.headers["location"])
    reference = re.search(r'class="reference"><bdi dir="ltr"[^>]*>([A-Z0-9-]+)<', received.text).group(1)
    async with tenant_scope(tenant.id) as tx:
        [item] = await tx.connection.fetch("select * from feedback")
    assert (item["reference"], item["mobile"], item["status"]) == (reference, "+966551234567", "received")
    [told] = await messages(tenant.id)
    assert (told["kind"], told["channel"], told["recipient"]) == ("feedback.received", "whatsapp", "+966551234567")
    assert reference in told["body_text"]

    staff = server.client(tenant.slug)
    staff.login(officer.email)
    queue = staff.get("/portal/feedback")
    assert reference in queue.text
    path = f"/portal/feedback/{item['id']}"
    assert staff.get(path).status_code == 200
    refused = staff.post(f"{path}/assign", {"assignee": "not-a-person"})
    assert refused.status_code == 400 and 'id="assignee-error"' in refused.text
    assert staff.post(f"{path}/assign", {"assignee": str(officer.id)}).status_code == 303
    empty = staff.post(f"{path}/answer", {"answer": "  "})
    assert empty.status_code == 400 and 'id="answer-error"' in empty.text
    assert staff.post(f"{path}/answer", {"answer": "اعتذرنا، وصُرفت السلة اليوم."}).status_code == 303
    assert staff.post(f"{path}/close", {"note": "حُلّت"}).status_code == 303
    closed = staff.post(f"{path}/answer", {"answer": "مرة أخرى"})
    assert closed.status_code == 409  # closed: nothing more happens
    kinds = [m["kind"] for m in await messages(tenant.id)]
    assert kinds == ["feedback.received", "feedback.assigned", "feedback.answered", "feedback.closed"]
    answered = (await messages(tenant.id))[2]
    assert "اعتذرنا، وصُرفت السلة اليوم." in answered["body_text"]
    assert "اعتذرنا" in staff.get(path).text
    async with tenant_scope(tenant.id) as tx:
        history = [r["action"] for r in await tx.connection.fetch(
            "select action from audit_entry where target_type = 'feedback' order by created_at")]
    assert history == ["feedback.received", "feedback.assigned", "feedback.answered", "feedback.closed"]


async def test_an_anonymous_suggestion_gets_a_reference_and_no_messages(server, make_tenant, make_staff):
    tenant = await make_tenant()
    public = server.client(tenant.slug)
    page = public.get("/feedback?from=survey")
    assert "شكرًا" in page.text or "Thank you" in page.text
    token = form_token(page.text)
    sent = public.post("/feedback", {"token": token, "kind": "suggestion", "body": "ليت الدوام يمتد إلى المساء"})
    assert sent.status_code == 303
    assert re.search(r'class="reference"', public.get(sent.headers["location"]).text)
    assert await messages(tenant.id) == []
    # Another charity's host does not know this form's token.
    other = await make_tenant()
    assert server.client(other.slug).get(sent.headers["location"]).status_code == 404


async def test_the_queue_is_for_the_relations_team_only(server, make_tenant, make_staff):
    tenant = await make_tenant()
    researcher = await make_staff(tenant, "social_researcher")
    client = server.client(tenant.slug)
    client.login(researcher.email)
    assert client.get("/portal/feedback").status_code == 403
