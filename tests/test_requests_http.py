"""Support requests through HTTP against the real app: online and staff intake, every workflow
transition with its audit entry and outbox rows, refusals, tracking, the ID number at rest."""
from __future__ import annotations

import re
import subprocess
import tempfile
from typing import Any

import pytest

from sila.platform.db import tenant_scope
from support.clients import sign_in
from support.data import audit_rows, outbox_rows, valid_id, session_time
from support.db import row, scalar, stage_of
from support.intake import CHANNELS, NAME, PDF, act, online, staff_intake









@pytest.fixture
async def charity(make_tenant, make_staff, publish_policy):
    """Mafatih's policy (every step, a 14-day window) with its channels plus a virtual interview,
    and a staff member per role."""
    tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
    await publish_policy(tenant, "mafatih", channels=CHANNELS)
    staff = {role: await make_staff(tenant, role, name=name) for role, name in [
        ("relations_officer", "نورة الموظفة"), ("social_researcher", "خالد الباحث"),
        ("committee_member", "د. سلمان العضو"), ("admin", "مدير الجمعية")]}
    return tenant, staff


# --- online intake ---------------------------------------------------------------------------


async def test_online_request_records_file_attestation_consent_documents_and_the_received_message(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    response, data = online(client)
    assert response.status_code == 303 and response.headers["location"] == "/apply/received"
    page = client.get("/apply/received")
    reference = re.search(r'class="reference"><bdi dir="ltr"[^>]*>([\d-]+)<', page.text).group(1)
    assert "استلمنا طلبك" in page.text and "هـ" in page.text and "م" in page.text  # both calendars

    req = await row(tenant.id, "select * from support_request where reference = $1", reference)
    assert req["stage"] == "verify" and req["satisfied"] == ["attest"] and req["channel"] == "website"
    assert req["policy_version_number"] == 1 and req["review_window_days"] == 14 and req["due_at"]
    ben = await row(tenant.id, "select * from beneficiary where id = $1", req["beneficiary"])
    assert ben["mobile"] == "+966551234567" and ben["household_size"] == 5
    assert data["id_number"].encode() not in bytes(ben["id_number_enc"]) and ben["id_last4"] == data["id_number"][-4:]
    att = await row(tenant.id, "select * from request_attestation where request = $1", req["id"])
    assert att["method"] == "esign" and att["signer_name"] == NAME and att["policy_version_number"] == 1
    assert "الإصدار" in att["form_text"] and "مسؤول مسؤولية مباشرة" in att["form_text"] and att["address"]
    consent = await row(tenant.id, "select * from beneficiary_consent where beneficiary = $1", ben["id"])
    assert consent["form"] == "online_request_form" and "نظام حماية البيانات الشخصية" in consent["text"]
    doc = await row(tenant.id, "select * from request_document where request = $1", req["id"])
    assert doc["content_type"] == "application/pdf" and doc["kind"] == "supporting"

    [sms] = await outbox_rows(tenant.id, "request.received")
    assert sms["channel"] == "sms" and sms["recipient"] == "+966551234567" and reference in sms["body_text"]
    assert "وقف مفاتيح الخير" in sms["body_text"] and "هـ" in sms["body_text"]
    [entry] = await audit_rows(tenant.id, "request.submitted")
    assert entry["after"]["reference"] == reference and entry["after"]["stage"] == "verify"
    assert entry["actor_user"] is None and entry["actor_label"] == NAME


async def test_the_same_form_sent_twice_is_one_request(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    first, data = online(client)
    second = client.post("/apply", data, files={"documents": PDF})
    assert first.status_code == second.status_code == 303
    assert await scalar(tenant.id, "select count(*) from support_request") == 1
    assert len(await outbox_rows(tenant.id, "request.received")) == 1
    # Another browser (no session) sending the same token gets the same reference, not a second request.
    other = server.client(tenant.slug)
    other.get("/apply")
    data["_csrf_token"] = other.csrf("/apply")
    assert other.post("/apply", data, files={"documents": PDF}).status_code == 303
    assert await scalar(tenant.id, "select reference from support_request") in other.get("/apply/received").text
    assert await scalar(tenant.id, "select count(*) from support_request") == 1


@pytest.mark.parametrize("fields, files, field, message", [
    ({"id_number": "1000000000"}, None, "id_number", "رقم الهوية غير صحيح"),
    ({"id_number": "٣٠٠٠٠٠٠٠٠٤"}, None, "id_number", "يبدأ بالرقم ١ للمواطن أو ٢ للمقيم"),
    ({"mobile": "0112345678"}, None, "mobile", "أدخل رقم جوال صحيحًا"),
    ({"attest": ""}, None, "attest", "ضع علامة على الإقرار"),
    ({"signature": "اسم آخر"}, None, "signature", "الاسم الكامل نفسه"),
    ({"consent": ""}, None, "consent", "إلا بموافقتك"),
    ({"need": ""}, None, "need", "صف الدعم الذي تطلبه"),
    ({}, {"documents": ("cv.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}, "documents", "ليس بصيغة PDF"),
    ({}, {"documents": ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf")}, "documents",
     "أكبر من ٥ ميجابايت"),
])
async def test_bad_online_input_is_explained_beside_the_field_and_nothing_is_saved(server, charity, fields, files,
                                                                                  field, message):
    tenant, _ = charity
    client = server.client(tenant.slug)
    response, data = online(client, files=files, **fields)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert f'value="{data["mobile"]}"' in response.text or field == "mobile"
    assert data["need"] in response.text or field == "need"
    assert await scalar(tenant.id, "select count(*) from support_request") == 0
    assert await scalar(tenant.id, "select count(*) from beneficiary") == 0
    assert await outbox_rows(tenant.id) == []


async def test_a_valid_file_is_kept_while_another_field_is_corrected(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    response, data = online(client, files={"documents": ("عقد الإيجار.pdf", PDF[1], "application/pdf")},
                            mobile="123")
    assert response.status_code == 400 and "عقد الإيجار.pdf" in response.text
    data.update(mobile="0551234567", keep="0", _csrf_token=client.csrf())
    assert client.post("/apply", data, files={}).status_code == 303
    docs = await scalar(tenant.id, "select array_agg(filename) from request_document")
    assert docs == ["عقد الإيجار.pdf"]


async def test_a_policy_published_while_the_applicant_fills_in_the_form_asks_to_sign_again(server, charity,
                                                                                            publish_policy):
    tenant, _ = charity
    client = server.client(tenant.slug)
    await publish_policy(tenant, "mafatih", channels=CHANNELS, window=30)
    response, data = online(client, policy_version="1")  # the form was opened under version 1
    assert response.status_code == 400 and "إصدارًا جديدًا" in response.text
    assert 'name="policy_version" value="2"' in response.text and data["need"] in response.text
    assert await scalar(tenant.id, "select count(*) from support_request") == 0
    data.update(policy_version="2", _csrf_token=client.csrf())
    assert client.post("/apply", data, files={"documents": PDF}).status_code == 303
    assert await scalar(tenant.id, "select review_window_days from support_request") == 30


async def test_without_a_website_channel_there_is_no_online_form(server, make_tenant, publish_policy):
    tenant = await make_tenant()
    await publish_policy(tenant, "haramain")
    response = server.client(tenant.slug).get("/apply")
    assert response.status_code == 404 and "لا تستقبل هذه الجهة طلبات الدعم عبر موقعها" in response.text


async def test_one_id_number_is_one_file_and_the_online_form_cannot_change_its_contact(server, charity):
    tenant, _ = charity
    number = valid_id("2")
    online(server.client(tenant.slug), id_number=number)
    response, _ = online(server.client(tenant.slug), id_number=f" {number[:4]}-{number[4:]} ", mobile="0569999999",
                         name="شخص آخر", signature="شخص آخر")
    assert response.status_code == 303
    assert await scalar(tenant.id, "select count(*) from beneficiary") == 1
    assert await scalar(tenant.id, "select count(*) from support_request") == 2
    assert await scalar(tenant.id, "select mobile from beneficiary") == "+966551234567"
    # ...but that request's messages go to the mobile given with it.
    assert {r["recipient"] for r in await outbox_rows(tenant.id)} == {"+966551234567", "+966569999999"}


# --- staff intake ----------------------------------------------------------------------------




async def test_staff_intake_follows_the_channel_rules(server, charity):
    tenant, staff = charity
    client = sign_in(server, staff["relations_officer"])
    for fields, field, message in [
        ({"channel": "virtual_interview"}, "interview_url", "رابط المقابلة"),
        ({"channel": "virtual_interview", "interview_url": "https://meet.example.sa/x"}, "interview_at", "تاريخ المقابلة"),
        ({"channel": "letters"}, "letter_scan", "أرفق صورة الخطاب"),
        ({"channel": "internal_platform"}, "channel", "اختر القناة"),  # not enabled in this policy
        ({"channel": "website"}, "channel", "اختر القناة"),  # online requests come through the form
        ({"consent": ""}, "consent", "وافق على هذا الاستخدام"),
    ]:
        response = staff_intake(client, **fields)
        assert response.status_code == 400, fields
        assert f'id="{field}-error"' in response.text and message in response.text, fields
        assert NAME in response.text  # input kept
    assert await scalar(tenant.id, "select count(*) from support_request") == 0

    response = staff_intake(client, channel="letters", files={"letter_scan": ("letter.png", b"\x89PNG\r\n\x1a\n...",
                                                                               "image/png")})
    assert response.status_code == 303
    req = await row(tenant.id, "select * from support_request")
    assert req["channel"] == "letters" and req["stage"] == "verify" and req["assignee"] == staff["relations_officer"].id
    assert await scalar(tenant.id, "select kind from request_document") == "letter_scan"

    response = staff_intake(client, channel="virtual_interview", interview_url="https://meet.example.sa/abc",
                            interview_at="2026-12-01T10:30",
                            files={"attestation_scan": ("signed.pdf", PDF[1], "application/pdf")},
                            signer_name=NAME)
    assert response.status_code == 303
    req = await row(tenant.id, "select * from support_request where channel = 'virtual_interview'")
    assert req["interview_url"] == "https://meet.example.sa/abc" and req["interview_at"].hour == 7  # 10:30 Riyadh
    assert req["satisfied"] == ["attest"]
    assert await scalar(tenant.id, "select method from request_attestation where request = $1", req["id"]) == "paper"


async def test_other_roles_cannot_record_requests(server, charity):
    _, staff = charity
    for role in ("social_researcher", "committee_member"):
        client = sign_in(server, staff[role])
        assert client.get("/portal/requests/new").status_code == 403
        assert staff_intake(client).status_code == 403


# --- the workflow, transition by transition ------------------------------------------------




async def last_audit(tenant_id: Any, action: str) -> dict[str, Any]:
    return (await audit_rows(tenant_id, action))[-1]


async def test_each_transition_writes_its_audit_entry_and_the_applicants_message(server, charity):
    tenant, staff = charity
    officer = sign_in(server, staff["relations_officer"])
    researcher = sign_in(server, staff["social_researcher"])
    member = sign_in(server, staff["committee_member"])
    assert staff_intake(officer).status_code == 303
    rid = await scalar(tenant.id, "select id from support_request")
    checklist = {"check_identity": "yes", "check_contact": "yes", "check_information": "yes",
                 "check_documents": "yes"}

    # Verification: an unticked checklist is refused; incomplete tells the applicant what is missing.
    response = act(officer, rid, "verify", check_identity="yes", note="ملاحظة")
    assert response.status_code == 400 and "ضع علامة على كل بنود" in response.text and "ملاحظة" in response.text
    assert act(officer, rid, "mark_incomplete", missing="صورة صك الإعالة\nتعريف بالراتب").status_code == 303
    assert await stage_of(tenant.id, rid) == "incomplete"
    entry = await last_audit(tenant.id, "request.mark_incomplete")
    assert entry["before"]["stage"] == "verify" and entry["after"]["stage"] == "incomplete"
    assert entry["actor_user"] == staff["relations_officer"].id
    [msg] = await outbox_rows(tenant.id, "request.incomplete")
    assert "صورة صك الإعالة" in msg["body_text"] and "تعريف بالراتب" in msg["body_text"]
    assert act(officer, rid, "verify", **checklist).status_code == 303
    assert await stage_of(tenant.id, rid) == "refer"
    verification = await row(tenant.id, "select * from request_verification where outcome = 'verified'")
    assert verification["verified_by"] == staff["relations_officer"].id and verification["verified_by_name"] == "نورة الموظفة"

    # Referral, then the researcher's notes and field visit.
    assert act(officer, rid, "refer", researcher=str(staff["social_researcher"].id),
               question="هل الأسرة تسكن بالإيجار؟").status_code == 303
    assert await stage_of(tenant.id, rid) == "research"
    assert (await last_audit(tenant.id, "request.refer"))["after"]["question"] == "هل الأسرة تسكن بالإيجار؟"
    assert len(await outbox_rows(tenant.id, "request.referred")) == 1
    response = act(researcher, rid, "report", notes="", visit_date="2026-11-20")
    assert response.status_code == 400 and "اكتب ملاحظات البحث" in response.text
    assert act(researcher, rid, "report", notes="الأسرة مستحقة", visit_date="٢٠٢٦-١١-٢٠", visit_report="زيارة",
               files={"visit_file": ("visit.jpg", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")}).status_code == 303
    assert await stage_of(tenant.id, rid) == "attest"
    ref = await row(tenant.id, "select * from request_referral")
    assert ref["notes"] == "الأسرة مستحقة" and str(ref["visit_date"]) == "2026-11-20" and ref["answered_at"]

    # Paper attestation (a staff-recorded request).
    response = act(officer, rid, "attest", signer_name=NAME)
    assert response.status_code == 400 and "أرفق صورة الإقرار" in response.text
    assert act(officer, rid, "attest", signer_name=NAME, files={"scan": PDF}).status_code == 303
    assert await stage_of(tenant.id, rid) == "committee"
    assert (await last_audit(tenant.id, "request.attest"))["after"]["signer_name"] == NAME

    # Committee session: agenda, votes with reasons, the decision.
    member.get("/portal/committee")
    response = member.post("/portal/committee", {"held_at": session_time(), "location": "مقر الوقف"})
    assert response.status_code == 303
    session = response.headers["location"]
    assert member.post(f"{session}/agenda", {"requests": str(rid)}).status_code == 303
    item = await scalar(tenant.id, "select id from committee_item")
    response = member.post(f"{session}/items/{item}/vote", {"vote": "accept", "reasons": "الحالة مستحقة"})
    assert response.status_code == 303
    assert (await last_audit(tenant.id, "committee.vote"))["after"]["vote"] == "accept"
    response = member.post(f"{session}/items/{item}/decide", {"decision": "accept", "reason": ""})
    assert response.status_code == 303
    assert await stage_of(tenant.id, rid) == "register"
    entry = await last_audit(tenant.id, "request.accept")
    assert entry["before"] == {"stage": "committee", "decision": None}
    assert entry["after"]["decision"] == "accepted" and entry["after"]["stage"] == "register"
    assert len(await outbox_rows(tenant.id, "request.accepted")) == 1

    # Registration, service, close.
    assert act(officer, rid, "register").status_code == 303
    assert await scalar(tenant.id, "select registered_at is not null from beneficiary")
    assert len(await outbox_rows(tenant.id, "request.registered")) == 1
    response = act(officer, rid, "record_service", service_type="سلة غذائية", amount="abc")
    assert response.status_code == 400 and "أدخل المبلغ بالريال" in response.text and "سلة غذائية" in response.text
    assert act(officer, rid, "record_service", service_type="سلة غذائية", amount="٣٥٠٫٥٠",
               delivered_on="2026-11-26").status_code == 303
    service = await row(tenant.id, "select * from service_delivery")
    assert str(service["amount"]) == "350.50" and service["delivered_by_name"] == "نورة الموظفة"
    [msg] = await outbox_rows(tenant.id, "request.service_delivered")
    assert "سلة غذائية" in msg["body_text"]
    assert act(officer, rid, "close").status_code == 303
    assert await stage_of(tenant.id, rid) == "closed"

    stages = [(e["before"] or {}).get("stage") for e in await audit_rows(tenant.id, "request.")]
    assert "verify" in stages and "committee" in stages and "deliver" in stages
    page = officer.get(f"/portal/requests/{rid}")
    assert page.status_code == 200 and "تم التحقق" in page.text and "خالد الباحث" in page.text
    assert member.post(f"{session}/close").status_code == 303
    pdf = member.get(f"{session}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    text = re.sub(r"[\u200e\u200f\u202a-\u202e\s]", "", text)  # pdftotext's direction marks and split words
    for expected in ("محضرلجنةالبحث", "الحالةمستحقة", "د.سلمانالعضو", "هـ", "م", "مقبول"):
        assert expected in text, expected
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf.content)
        fh.flush()
        fonts = subprocess.run(["pdffonts", fh.name], capture_output=True, check=True).stdout.decode()
    assert "Amiri" in fonts and " yes " in fonts  # the Arabic font is there, embedded


async def test_a_declined_request_tells_the_applicant_the_reason(server, charity):
    tenant, staff = charity
    response, _ = online(server.client(tenant.slug))
    rid = await scalar(tenant.id, "select id from support_request")
    officer, member = sign_in(server, staff["relations_officer"]), sign_in(server, staff["committee_member"])
    act(officer, rid, "verify", check_identity="yes", check_contact="yes", check_information="yes",
        check_documents="yes")
    act(officer, rid, "skip_referral")
    assert await stage_of(tenant.id, rid) == "committee"  # attested online: the attest step is already done
    member.get("/portal/committee")
    session = member.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    member.post(f"{session}/agenda", {"requests": str(rid)})
    item = await scalar(tenant.id, "select id from committee_item")
    assert member.post(f"{session}/items/{item}/vote", {"vote": "reject", "reasons": "الدخل مرتفع"}).status_code == 303
    response = member.post(f"{session}/items/{item}/decide", {"decision": "reject", "reason": ""})
    assert response.status_code == 400 and "اكتب السبب الذي سيُبلَّغ به المراجع" in response.text
    assert await stage_of(tenant.id, rid) == "committee"
    member.post(f"{session}/items/{item}/decide", {"decision": "reject", "reason": "الدخل يتجاوز حد الاستحقاق"})
    assert await stage_of(tenant.id, rid) == "rejected"
    [msg] = await outbox_rows(tenant.id, "request.rejected")
    assert "الدخل يتجاوز حد الاستحقاق" in msg["body_text"]
    assert (await last_audit(tenant.id, "request.reject"))["after"]["reason"] == "الدخل يتجاوز حد الاستحقاق"


async def test_wrong_stage_and_wrong_role_are_refused_and_change_nothing(server, charity):
    tenant, staff = charity
    officer = sign_in(server, staff["relations_officer"])
    staff_intake(officer)
    rid = await scalar(tenant.id, "select id from support_request")
    audits_before = len(await audit_rows(tenant.id, "request."))

    response = act(officer, rid, "register")  # at verification: not yet
    assert response.status_code == 409 and "ليس في مرحلة تسمح بهذا الإجراء" in response.text
    response = act(officer, rid, "accept")  # only the committee decides
    assert response.status_code == 403 and "صلاحيات دورك لا تسمح" in response.text
    member = sign_in(server, staff["committee_member"])
    response = act(member, rid, "verify", check_identity="yes", check_contact="yes", check_information="yes",
                   check_documents="yes")
    assert response.status_code == 403
    admin = sign_in(server, staff["admin"])
    assert act(admin, rid, "verify", check_identity="yes").status_code == 403  # admin is not a wildcard
    assert act(officer, rid, "no-such-action").status_code == 404
    assert await stage_of(tenant.id, rid) == "verify"
    assert len(await audit_rows(tenant.id, "request.")) == audits_before
    assert await outbox_rows(tenant.id, "request.accepted") == []

    # A second researcher cannot answer a referral made to the first.
    act(officer, rid, "verify", check_identity="yes", check_contact="yes", check_information="yes",
        check_documents="yes")
    act(officer, rid, "refer", researcher=str(staff["social_researcher"].id), question="؟")
    from sila.platform.accounts import services as accounts

    other_id = await accounts.add_member(tenant, email="other-researcher@staff.test", name="باحث آخر",
                                         role="social_researcher", password="Sila-test-Passw0rd")
    other = server.client(tenant.slug)
    other.login("other-researcher@staff.test")
    assert other_id and act(other, rid, "report", notes="x").status_code == 403
    assert await stage_of(tenant.id, rid) == "research"
    # An officer cannot vote, and a member cannot vote on a closed session.
    member.get("/portal/committee")
    session = member.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    assert officer.post(f"{session}/close").status_code == 403


async def test_without_a_committee_the_officer_registers_or_declines(server, make_tenant, make_staff, publish_policy):
    tenant = await make_tenant()
    await publish_policy(tenant, "haramain")
    officer_staff = await make_staff(tenant, "relations_officer")
    officer = sign_in(server, officer_staff)
    staff_intake(officer, channel="phone")
    staff_intake(officer, channel="phone")
    first, second = [r["id"] for r in await _requests(tenant.id)]
    for rid in (first, second):
        act(officer, rid, "verify", check_identity="yes", check_contact="yes", check_information="yes",
            check_documents="yes")
        act(officer, rid, "skip_referral")
        act(officer, rid, "attest", signer_name=NAME, files={"scan": PDF})
        assert await stage_of(tenant.id, rid) == "register"
    req = await row(tenant.id, "select * from support_request where id = $1", first)
    assert req["due_at"] is None and req["review_window_days"] is None and "committee" not in req["steps"]
    assert act(officer, first, "register").status_code == 303
    assert await scalar(tenant.id, "select decision from support_request where id = $1", first) == "accepted"
    assert act(officer, second, "reject", reason="").status_code == 400
    assert act(officer, second, "reject", reason="خارج نطاق خدمات الجمعية").status_code == 303
    assert await stage_of(tenant.id, second) == "rejected"
    assert len(await outbox_rows(tenant.id, "request.rejected")) == 1


async def _requests(tenant_id: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch("select * from support_request order by created_at")]


# --- tracking ------------------------------------------------------------------------------------


async def test_tracking_needs_the_code_sent_by_sms_and_limits_wrong_guesses(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    online(client, preferred_channel="whatsapp")
    reference = await scalar(tenant.id, "select reference from support_request")

    tracker = server.client(tenant.slug)
    tracker.get("/track")
    unknown = tracker.post("/track", {"reference": "26-00000000"})
    assert unknown.status_code == 200 and await outbox_rows(tenant.id, "request.tracking_code") == []
    answer = tracker.post("/track", {"reference": reference.replace("-", "").translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))})
    assert answer.status_code == 200
    assert re.sub(r"\s+", " ", unknown.text.split("<main")[1]).count("أرسلنا رمزًا") == 1  # same answer for both
    [sms] = await outbox_rows(tenant.id, "request.tracking_code")
    assert sms["channel"] == "sms" and sms["recipient"] == "+966551234567"  # SMS even if WhatsApp is preferred
    code = re.search(r"\b(\d{6})\b", sms["body_text"]).group(1)

    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        response = tracker.post("/track/code", {"reference": reference, "code": wrong})
        assert response.status_code == 400 and "الرمز غير صحيح" in response.text
    assert tracker.get("/track/status").status_code == 303  # nothing shown without the code
    response = tracker.post("/track/code", {"reference": reference, "code": wrong})
    assert response.status_code == 429 and "انتظر ١٥ دقيقة" in response.text
    # Locked: even the right code is refused now, and the old code is spent.
    assert tracker.post("/track/code", {"reference": reference, "code": code}).status_code == 429

    await _unlock(reference, tenant.id)
    tracker.post("/track", {"reference": reference})
    code = re.search(r"\b(\d{6})\b", (await outbox_rows(tenant.id, "request.tracking_code"))[-1]["body_text"]).group(1)
    response = tracker.post("/track/code", {"reference": reference, "code": code})
    assert response.status_code == 303 and response.headers["location"] == "/track/status"
    status = tracker.get("/track/status")
    assert status.status_code == 200 and "نراجع بياناتك ومستنداتك" in status.text and "هـ" in status.text
    # The code is single-use.
    assert tracker.post("/track/code", {"reference": reference, "code": code}).status_code == 400


async def _unlock(reference: str, tenant_id: Any) -> None:
    import redis.asyncio as aioredis

    from sila.platform.settings import get_settings
    from sila.tenants.requests.tracking import _keys

    client = aioredis.from_url(get_settings().redis_url)
    keys = _keys(tenant_id, reference, "127.0.0.1")
    await client.delete(keys["wrong"], keys["addr"])
    await client.aclose()


async def test_too_many_codes_for_one_reference_are_refused(server, charity):
    tenant, _ = charity
    online(server.client(tenant.slug))
    reference = await scalar(tenant.id, "select reference from support_request")
    tracker = server.client(tenant.slug)
    tracker.get("/track")
    statuses = [tracker.post("/track", {"reference": reference}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(await outbox_rows(tenant.id, "request.tracking_code")) == 3


# --- the ID number -----------------------------------------------------------------------------


async def test_the_id_number_is_masked_and_opening_it_is_audited(server, charity):
    tenant, staff = charity
    response, data = online(server.client(tenant.slug))
    ben_id = await scalar(tenant.id, "select id from beneficiary")
    officer = sign_in(server, staff["relations_officer"])
    page = officer.get(f"/portal/beneficiaries/{ben_id}")
    assert data["id_number"] not in page.text and "••••••" + data["id_number"][-4:] in page.text
    officer.get("/portal/beneficiaries")
    found = officer.post("/portal/beneficiaries", {"q": data["id_number"]})  # POST: no ID number in a URL
    results = found.text.split("<table")[1]
    assert f"/portal/beneficiaries/{ben_id}" in results and data["id_number"] not in results
    revealed = officer.post(f"/portal/beneficiaries/{ben_id}/reveal")
    assert revealed.status_code == 200 and data["id_number"] in revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    [entry] = await audit_rows(tenant.id, "beneficiary.id_revealed")
    assert entry["actor_user"] == staff["relations_officer"].id and entry["target_id"] == str(ben_id)
    member = sign_in(server, staff["committee_member"])
    assert member.post(f"/portal/beneficiaries/{ben_id}/reveal").status_code == 403
    assert len(await audit_rows(tenant.id, "beneficiary.id_revealed")) == 1
    history = officer.get(f"/portal/beneficiaries/{ben_id}")
    assert await scalar(tenant.id, "select reference from support_request") in history.text
    assert "نظام حماية البيانات الشخصية" in history.text


# --- queues ------------------------------------------------------------------------------------


async def test_queues_per_role_sorted_by_time_left_with_filters(server, charity):
    tenant, staff = charity
    officer = sign_in(server, staff["relations_officer"])
    staff_intake(officer, channel="phone")
    online(server.client(tenant.slug))
    async with tenant_scope(tenant.id) as tx:  # make one overdue: it must come first
        await tx.connection.execute(
            "update support_request set due_at = now() - interval '2 days' where channel = 'website'")
    page = officer.get("/portal/requests")
    refs = re.findall(r'<bdi dir="ltr"[^>]*>(\d\d-\d{8})</bdi></a></th>', page.text)
    website_ref = await scalar(tenant.id, "select reference from support_request where channel = 'website'")
    assert len(refs) == 2 and refs[0] == website_ref and "due-overdue" in page.text
    only_phone = officer.get("/portal/requests", params={"channel": "phone"})
    assert website_ref not in only_phone.text
    mine = officer.get("/portal/requests", params={"assignee": "me"})
    assert website_ref not in mine.text and len(re.findall(r"\d\d-\d{8}</bdi></a>", mine.text)) == 1
    overdue = officer.get("/portal/requests", params={"due": "overdue"})
    assert website_ref in overdue.text and len(re.findall(r"\d\d-\d{8}</bdi></a>", overdue.text)) == 1
    # The committee's queue is empty: nothing is at the committee stage yet.
    member_page = sign_in(server, staff["committee_member"]).get("/portal/requests")
    assert "لا توجد طلبات مفتوحة" in member_page.text
    # The admin sees every open request and the overdue count stands out.
    admin_page = sign_in(server, staff["admin"]).get("/portal/requests")
    assert "طلب واحد تجاوز موعد القرار" in admin_page.text and website_ref in admin_page.text


async def test_staff_who_saw_the_applicant_may_update_the_file_and_the_change_is_audited(server, charity):
    tenant, staff = charity
    number = valid_id()
    online(server.client(tenant.slug), id_number=number)
    officer = sign_in(server, staff["relations_officer"])
    assert staff_intake(officer, id_number=number, mobile="0567654321").status_code == 303
    assert await scalar(tenant.id, "select count(*) from beneficiary") == 1
    assert await scalar(tenant.id, "select mobile from beneficiary") == "+966567654321"
    [entry] = await audit_rows(tenant.id, "beneficiary.updated")
    assert entry["before"]["mobile"] == "+966551234567" and entry["after"]["mobile"] == "+966567654321"
    assert entry["actor_user"] == staff["relations_officer"].id


async def test_a_committee_session_needs_its_date_and_keeps_what_was_typed(server, charity):
    tenant, staff = charity
    member = sign_in(server, staff["committee_member"])
    member.get("/portal/committee")
    response = member.post("/portal/committee", {"held_at": "غدًا", "location": "قاعة الاجتماعات"})
    assert response.status_code == 400 and "أدخل تاريخ الجلسة ووقتها" in response.text
    assert "قاعة الاجتماعات" in response.text
    assert await scalar(tenant.id, "select count(*) from committee_session") == 0
    researcher = sign_in(server, staff["social_researcher"])
    assert researcher.get("/portal/committee").status_code == 403


async def test_pages_read_in_english_left_to_right_too(server, charity):
    tenant, staff = charity
    visitor = server.client(tenant.slug)
    visitor.set_cookie("sila_lang", "en")
    page = visitor.get("/apply")
    assert page.status_code == 200 and 'dir="ltr"' in page.text and "Apply for support" in page.text
    assert "AH" in page.text  # the Hijri date beside the Gregorian one
    officer = sign_in(server, staff["relations_officer"])
    officer.set_cookie("sila_lang", "en")
    staff_intake(officer)
    rid = await scalar(tenant.id, "select id from support_request")
    detail = officer.get(f"/portal/requests/{rid}")
    assert detail.status_code == 200 and "Verification checklist" in detail.text and 'dir="ltr"' in detail.text
    [msg] = await outbox_rows(tenant.id, "request.received")
    assert "استلمنا طلبك" in msg["body_text"]  # the applicant chose Arabic messages, whatever the staff page
