"""Issue 12, findings 3-5, as a user and an attacker would meet them: a committee member
cannot decide alone outside a session; an assigned request's page still renders; a document
with an Arabic file name downloads under its name."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from support.data import audit_rows, outbox_rows, session_time
from support.clients import sign_in
from support.db import scalar, stage_of
from support.intake import CHANNELS, PDF, act, staff_intake



@pytest.fixture
async def charity(make_tenant, make_staff, publish_policy):
    """Mafatih's policy (every step) and a member of staff per role."""
    tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
    await publish_policy(tenant, "mafatih", channels=CHANNELS)
    staff = {role: await make_staff(tenant, role, name=name) for role, name in [
        ("relations_officer", "نورة الموظفة"), ("social_researcher", "خالد الباحث"),
        ("committee_member", "د. سلمان العضو"), ("admin", "مدير الجمعية")]}
    return tenant, staff


CHECKS = {"check_identity": "yes", "check_contact": "yes", "check_information": "yes", "check_documents": "yes"}


async def at_committee(server, tenant, staff) -> str:
    officer = sign_in(server, staff["relations_officer"])
    assert staff_intake(officer, files={"attestation_scan": ("signed.pdf", PDF[1], "application/pdf")},
                        signer_name="سارة").status_code == 303
    rid = await scalar(tenant.id, "select id from support_request order by created_at desc limit 1")
    assert act(officer, rid, "verify", **CHECKS).status_code == 303
    assert act(officer, rid, "skip_referral").status_code == 303
    assert await stage_of(tenant.id, rid) == "committee"
    return rid


async def test_a_committee_member_cannot_decide_alone_outside_a_session(server, charity):
    tenant, staff = charity
    rid = await at_committee(server, tenant, staff)
    member = sign_in(server, staff["committee_member"])
    page = member.get(f"/portal/requests/{rid}")
    assert page.status_code == 200 and "/act/reject" not in page.text and "/act/accept" not in page.text
    before = len(await audit_rows(tenant.id, "request."))
    for action, data in [("reject", {"reason": "قرار فردي"}), ("accept", {})]:
        response = act(member, rid, action, **data)
        assert response.status_code == 403, (action, response.status_code)
        assert "جلسة" in response.text  # told why, in Arabic: decisions are taken in a session
    assert await stage_of(tenant.id, rid) == "committee"
    assert await scalar(tenant.id, "select decision from support_request where id = $1", rid) is None
    assert len(await audit_rows(tenant.id, "request.")) == before
    assert await outbox_rows(tenant.id, "request.rejected") == []
    # The session is where it is decided, and that still works.
    member.get("/portal/committee")
    session = member.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    assert member.post(f"{session}/agenda", {"requests": str(rid)}).status_code == 303
    item = await scalar(tenant.id, "select id from committee_item where request = $1", rid)
    # By the committee's rule: the member's vote, then the presiding member's confirmation.
    assert member.post(f"{session}/items/{item}/vote", {"vote": "reject", "reasons": "خارج النطاق"}).status_code == 303
    assert member.post(f"{session}/items/{item}/decide", {"decision": "reject", "reason": "خارج النطاق"}
                       ).status_code == 303
    assert await stage_of(tenant.id, rid) == "rejected"


async def test_assigning_a_request_keeps_its_page_working_for_everyone(server, charity):
    tenant, staff = charity
    officer = sign_in(server, staff["relations_officer"])
    assert staff_intake(officer).status_code == 303
    rid = await scalar(tenant.id, "select id from support_request")
    admin = sign_in(server, staff["admin"])
    assert admin.post(f"/portal/requests/{rid}/assign", {"assignee": str(staff["relations_officer"].id)}
                      ).status_code == 303
    assert admin.post(f"/portal/requests/{rid}/assign", {"assignee": ""}).status_code == 303
    for role in ("admin", "relations_officer", "social_researcher", "committee_member"):
        page = sign_in(server, staff[role]).get(f"/portal/requests/{rid}")
        assert page.status_code == 200, (role, page.text[-1500:])
        assert "نورة الموظفة" in page.text  # whom it was assigned to, in the history


async def test_a_document_with_an_arabic_name_downloads_under_its_name(server, charity):
    tenant, staff = charity
    officer = sign_in(server, staff["relations_officer"])
    name = "هوية-الطالب.pdf"
    assert staff_intake(officer, files={"documents": (name, PDF[1], "application/pdf")}).status_code == 303
    rid = await scalar(tenant.id, "select id from support_request")
    doc = await scalar(tenant.id, "select id from request_document where request = $1", rid)
    page = officer.get(f"/portal/requests/{rid}")
    assert name in page.text
    response = officer.get(f"/portal/requests/{rid}/documents/{doc}")
    assert response.status_code == 200 and response.content == PDF[1]
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert 'filename="' in disposition and disposition.isascii()
    # A name crafted to break out of the header is kept inside it.
    assert staff_intake(officer, files={"documents": ('a";\r\nSet-Cookie: x=1;.pdf', PDF[1], "application/pdf")}
                        ).status_code in (303, 400)
    for d in await _documents(tenant.id):
        r = officer.get(f"/portal/requests/{d['request']}/documents/{d['id']}")
        assert r.status_code == 200 and "x=1" not in r.headers.get("set-cookie", "")
        assert r.headers["content-disposition"].startswith('inline; filename="')


def test_the_download_header_helper_is_ascii_with_the_real_name_in_utf8():
    from sila.platform.downloads import content_disposition

    assert content_disposition("هوية-الطالب.pdf") == (
        "inline; filename=\"download.pdf\"; filename*=UTF-8''" + quote("هوية-الطالب.pdf", safe=""))
    assert content_disposition("Résumé final.PDF", "attachment").startswith('attachment; filename="Resume_final.PDF"')
    header = content_disposition('x";\r\nSet-Cookie: a=b;.pdf')
    assert header.isascii() and "\r" not in header and "\n" not in header and header.count('"') == 2


async def _documents(tenant_id):
    from sila.platform.db import tenant_scope

    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch("select id, request from request_document")]


async def test_closing_before_a_service_and_assigning_a_closed_request_are_refused(
        server, make_tenant, make_staff, publish_policy):
    from support.data import SERVICE_STEPS

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None)
    officer_staff = await make_staff(tenant, "relations_officer", name="نورة الموظفة")
    officer = sign_in(server, officer_staff)
    assert staff_intake(officer).status_code == 303
    rid = await scalar(tenant.id, "select id from support_request")
    assert act(officer, rid, "verify", **CHECKS).status_code == 303
    assert "/act/close" not in officer.get(f"/portal/requests/{rid}").text
    assert act(officer, rid, "close").status_code == 409  # not offered before a service is recorded
    assert await stage_of(tenant.id, rid) == "deliver"
    assert act(officer, rid, "record_service", service_type="سلة غذائية").status_code == 303
    assert act(officer, rid, "close").status_code == 303
    page = officer.get(f"/portal/requests/{rid}")
    assert page.status_code == 200 and "/assign" not in page.text
    response = officer.post(f"/portal/requests/{rid}/assign", {"assignee": ""})
    assert response.status_code == 409
    assert await scalar(tenant.id, "select assignee from support_request where id = $1", rid) == officer_staff.id
