"""The research committee through HTTP: its rule set in the policy, a session decided by the rule
(attendance, votes, a conflict of interest, the casting vote, the chair's confirmation, deferral),
signed minutes, and what the server refuses (non-members 403, a closed session 409, another
tenant's ids 404), each time with nothing changed."""
from __future__ import annotations

import re
import subprocess
from typing import Any

import asyncpg
import pytest

from sila.tenants.policy import services as policy
from support.data import session_time
from support.clients import sign_in
from support.db import row, scalar, stage_of
from support.intake import at_committee

async def counts(tenant_id: Any) -> tuple[Any, ...]:
    r = await row(tenant_id, """select (select count(*) from committee_vote) as votes,
        (select count(*) from committee_attendance where present) as present,
        (select count(*) from committee_item where decision is not null) as decided,
        (select count(*) from committee_signature) as signatures,
        (select string_agg(stage, ',' order by id) from support_request) as stages""")
    return tuple(r.values())


@pytest.fixture
async def committee(server, make_tenant, make_staff, publish_policy):
    tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
    await publish_policy(tenant, "mafatih", channels=["website", "phone"])
    staff = {key: await make_staff(tenant, role, name=name) for key, role, name in [
        ("officer", "relations_officer", "نورة الموظفة"), ("admin", "admin", "مدير الجمعية"),
        ("chair", "committee_member", "د. هند الرئيسة"), ("deputy", "committee_member", "سعد النائب"),
        ("third", "committee_member", "ريم العضوة"), ("outsider", "committee_member", "ماجد من خارج اللجنة")]}
    return tenant, staff


async def test_the_committee_decides_by_its_rule_and_signs_its_minutes(server, committee, make_tenant, make_staff,
                                                                       publish_policy):
    tenant, staff = committee
    admin = sign_in(server, staff["admin"])
    ids = {k: str(s.id) for k, s in staff.items()}

    # --- the rule, in the policy ---------------------------------------------------------------
    assert admin.get("/portal/policy/committee").status_code == 200
    rule_form = {"members": [ids["chair"], ids["deputy"], ids["third"]], "chair": ids["chair"],
                 "deputy": ids["deputy"], "quorum": "majority", "majority": "simple", "casting_vote": "yes"}
    response = admin.post("/portal/policy/committee", {**rule_form, "members": [ids["chair"], ids["officer"]]})
    assert response.status_code == 400 and "اختر عضوًا واحدًا على الأقل" in response.text  # not a committee member
    response = admin.post("/portal/policy/committee", {**rule_form, "deputy": ids["chair"]})
    assert response.status_code == 400 and "لا يكون النائب هو الرئيس" in response.text
    response = admin.post("/portal/policy/committee", {**rule_form, "chair": "x\x00y"})
    assert response.status_code == 400 and "أحرف غير مسموح بها" in response.text
    response = admin.post("/portal/policy/committee", {**rule_form, "quorum": "fixed", "quorum_count": "٩"})
    assert response.status_code == 400 and 'value="٩"' in response.text  # what was typed is kept
    assert admin.post("/portal/policy/committee", rule_form).status_code == 303
    for role in ("officer", "chair"):
        assert sign_in(server, staff[role]).post("/portal/policy/committee", rule_form).status_code == 403
    version = await policy.publish(tenant.id, actor_name="test", without_approval=True)
    page = admin.get(f"/portal/policy/versions/{version.id}")
    assert page.status_code == 200 and "د. هند الرئيسة" in page.text and "الأغلبية البسيطة" in page.text

    # --- a session under that rule -------------------------------------------------------------
    officer = sign_in(server, staff["officer"])
    r1 = await at_committee(server, tenant, officer, "مراجعة أولى")
    r2 = await at_committee(server, tenant, officer, "مراجعة ثانية")
    chair, deputy, third, outsider = (sign_in(server, staff[k]) for k in ("chair", "deputy", "third", "outsider"))
    chair.get("/portal/committee")
    session = chair.post("/portal/committee", {"held_at": session_time(), "location": "مقر الوقف"}).headers[
        "location"]
    assert (await row(tenant.id, "select policy_version_number from committee_session"))["policy_version_number"] \
        == version.number
    assert officer.post(f"{session}/agenda", {"requests": [str(r1), str(r2)]}).status_code == 303
    i1 = await scalar(tenant.id, "select id from committee_item where request = $1", r1)
    i2 = await scalar(tenant.id, "select id from committee_item where request = $1", r2)

    # The item shows its case summary and the live tally.
    page = chair.get(session)
    assert page.status_code == 200 and "دعم إيجار السكن" in page.text and "أسرة محتاجة" in page.text
    assert "التحقق" in page.text and f"/portal/requests/{r1}/documents/" in page.text
    assert "القاعدة الافتراضية" not in page.text  # the policy's own rule, not the default
    tally = chair.get(f"{session}/items/{i1}/tally")
    assert tally.status_code == 200 and "لا يوجد نصاب" in tally.text and 'hx-trigger="every 10s"' in tally.text

    # Not a member of this committee: 403, nothing changes.
    before = await counts(tenant.id)
    for path, data in [(f"{session}/items/{i1}/vote", {"vote": "accept"}), (f"{session}/items/{i1}/conflict", {}),
                       (f"{session}/items/{i1}/decide", {"decision": "defer"}),
                       (f"{session}/attendance", {"present": [ids["chair"]]})]:
        assert outsider.post(path, data).status_code == 403, path
    assert officer.post(f"{session}/items/{i1}/decide", {"decision": "defer"}).status_code == 403
    assert await counts(tenant.id) == before

    # The chair votes (and is recorded present); 1 of 3 is no quorum: no decision to confirm.
    assert chair.post(f"{session}/items/{i1}/vote", {"vote": "accept", "reasons": "مستحقة"}).status_code == 303
    assert chair.post(f"{session}/items/{i1}/decide", {"decision": "accept"}).status_code == 409
    # Attendance: chair and deputy present; the deputy votes against: 1-1, the chair's casting vote.
    assert admin.post(f"{session}/attendance", {"present": [ids["chair"], ids["deputy"]]}).status_code == 303
    response = admin.post(f"{session}/attendance", {"present": [ids["outsider"]]})
    assert response.status_code == 400 and await scalar(tenant.id, "select count(*) from committee_attendance "
                                                                   "where present") == 2
    assert deputy.post(f"{session}/items/{i1}/vote", {"vote": "reject", "reasons": "الدخل كافٍ"}).status_code == 303
    assert "بالصوت المرجّح لرئيس الجلسة" in chair.get(f"{session}/items/{i1}/tally").text
    # Only the chair confirms while present; the deputy does not, nor a decision the votes do not give.
    assert deputy.post(f"{session}/items/{i1}/decide", {"decision": "accept"}).status_code == 403
    assert chair.post(f"{session}/items/{i1}/decide", {"decision": "reject", "reason": "x"}).status_code == 409
    assert await stage_of(tenant.id, r1) == "committee"
    assert chair.post(f"{session}/items/{i1}/decide", {"decision": "accept"}).status_code == 303
    assert await stage_of(tenant.id, r1) == "register"
    item = await row(tenant.id, "select decision, tally from committee_item where id = $1", i1)
    assert item["decision"] == "accepted" and '"casting": true' in item["tally"]

    # The second request: the deputy declares a conflict (not counted): no quorum; the chair defers.
    assert deputy.post(f"{session}/items/{i2}/conflict", {"reasons": "قريب المتقدم"}).status_code == 303
    assert deputy.post(f"{session}/items/{i2}/vote", {"vote": "accept"}).status_code == 409
    assert chair.post(f"{session}/items/{i2}/vote", {"vote": "accept"}).status_code == 303
    assert chair.post(f"{session}/items/{i2}/decide", {"decision": "accept"}).status_code == 409
    assert chair.post(f"{session}/items/{i2}/decide", {"decision": "defer", "reason": "لاستكمال الدراسة"}) \
        .status_code == 303
    assert await stage_of(tenant.id, r2) == "committee"  # still waiting, its window still counting

    # --- closed: the minutes are immutable, then signed ----------------------------------------
    assert chair.post(f"{session}/sign").status_code == 409  # not before it is closed
    assert outsider.post(f"{session}/close").status_code == 403
    assert chair.post(f"{session}/close").status_code == 303
    before = await counts(tenant.id)
    for path, data in [(f"{session}/items/{i1}/vote", {"vote": "reject"}), (f"{session}/items/{i2}/conflict", {}),
                       (f"{session}/items/{i2}/decide", {"decision": "defer"}),
                       (f"{session}/attendance", {"present": [ids["third"]]}), (f"{session}/close", {})]:
        assert chair.post(path, data).status_code == 409, path
    assert await counts(tenant.id) == before
    # Even a direct write is refused by the database.
    with pytest.raises(asyncpg.CheckViolationError):
        await scalar(tenant.id, "update committee_vote set vote = 'reject' where item = $1", i1)
    assert third.post(f"{session}/sign").status_code == 403  # absent: does not sign
    assert chair.post(f"{session}/sign").status_code == 303
    assert chair.post(f"{session}/sign").status_code == 409
    assert deputy.post(f"{session}/sign").status_code == 303
    signature = await row(tenant.id, "select member_name, minutes_sha256 from committee_signature "
                                     "where member = $1", staff["chair"].id)
    assert signature["member_name"] == "د. هند الرئيسة" and len(signature["minutes_sha256"]) == 64
    pdf = chair.get(f"{session}/minutes.pdf")
    assert pdf.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    text = re.sub(r"[\u200e\u200f\u202a-\u202e\s]", "", text)
    for expected in ("الحضور", "د.هندالرئيسة", "حاضر", "غائب", "قريبالمتقدم", "تعارضمصالح", "وقّعفي",
                     signature["minutes_sha256"][:16]):
        assert expected in text, expected

    # The deferred request is on the next session's agenda.
    nxt = chair.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    assert await scalar(tenant.id, "select count(*) from committee_item i join committee_session s on s.id = i.session "
                                   "where s.id = $1 and i.request = $2 and i.decision is null",
                        nxt.rsplit("/", 1)[1], r2) == 1

    # --- another tenant's staff: 404 on every id of this one, nothing changes -------------------
    other = await make_tenant(name_ar="جمعية أخرى")
    await publish_policy(other, "mafatih")
    stranger = sign_in(server, await make_staff(other, "committee_member", "admin", name="غريب"))
    before = await counts(tenant.id)
    for path in (session, f"{session}/items/{i2}/tally", f"{session}/minutes.pdf"):
        assert stranger.get(path).status_code == 404, path
    for path, data in [(f"{session}/items/{i2}/vote", {"vote": "accept"}), (f"{session}/items/{i2}/conflict", {}),
                       (f"{session}/items/{i2}/decide", {"decision": "defer"}), (f"{session}/sign", {}),
                       (f"{session}/attendance", {"present": [ids["chair"]]}),
                       (f"{nxt}/attendance", {"present": "\x00"})]:
        assert stranger.post(path, data).status_code == 404, path
    assert await counts(tenant.id) == before
