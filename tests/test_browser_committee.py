"""In a real browser, at 390 px and 1366 px, in Arabic and English: the session page a committee
decides in (rule, attendance, case summary, live tally, the chair's confirmation) and the
policy's committee page. Screenshots in artifacts/screenshots/committee-*.png; axe-core on each;
nothing wider than the phone."""
from __future__ import annotations

import json

import pytest
from support.data import session_time
from support.browser import axe_problems, screenshot, sign_in_page
from support.clients import sign_in
from support.db import scalar
from support.intake import act, online
from support.servers import run_async

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "desktop": 1366}
CHECKS = {f"check_{k}": "yes" for k in ("identity", "contact", "information", "documents")}


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


def _clean(page) -> None:
    problems = axe_problems(page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_session_page_and_the_committee_rule_at_phone_and_desktop_widths(server, make_tenant, make_staff,
                                                                            publish_policy, chromium):
    from sila.tenants.committee.rule import CommitteeRule

    async def setup():
        tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
        staff = {key: await make_staff(tenant, role, name=name) for key, role, name in [
            ("officer", "relations_officer", "نورة الموظفة"), ("admin", "admin", "مدير الوقف"),
            ("chair", "committee_member", "د. هند الرئيسة"), ("deputy", "committee_member", "سعد النائب"),
            ("third", "committee_member", "ريم العضوة")]}
        rule = CommitteeRule(members=tuple(str(staff[k].id) for k in ("chair", "deputy", "third")),
                             member_names=("د. هند الرئيسة", "سعد النائب", "ريم العضوة"),
                             chair=str(staff["chair"].id), deputy=str(staff["deputy"].id))
        await publish_policy(tenant, "mafatih", channels=["website", "phone"], committee=rule.to_dict())
        return tenant, staff

    tenant, staff = run_async(setup())
    officer = sign_in(server, staff["officer"])
    response, _ = online(server.client(tenant.slug), need="دعم إيجار السكن لأسرة من ستة أفراد")
    assert response.status_code == 303
    rid = run_async(scalar(tenant.id, "select id from support_request"))
    assert act(officer, rid, "verify", **CHECKS).status_code == 303
    assert act(officer, rid, "skip_referral").status_code == 303
    chair, deputy = sign_in(server, staff["chair"]), sign_in(server, staff["deputy"])
    chair.get("/portal/committee")
    session = chair.post("/portal/committee", {"held_at": session_time(), "location": "مقر الوقف"}).headers[
        "location"]
    assert officer.post(f"{session}/agenda", {"requests": str(rid)}).status_code == 303
    item = run_async(scalar(tenant.id, "select id from committee_item"))
    assert chair.post(f"{session}/attendance", {"present": [str(staff["chair"].id), str(staff["deputy"].id)]}) \
        .status_code == 303
    assert chair.post(f"{session}/items/{item}/vote", {"vote": "accept", "reasons": "الحاجة قائمة"}).status_code == 303
    assert deputy.post(f"{session}/items/{item}/vote", {"vote": "reject", "reasons": "الدخل كافٍ"}).status_code == 303

    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, staff["chair"].email, staff["chair"].password)
    try:
        for lang in ("ar", "en"):
            if lang == "en":
                page.goto(base + "/lang/en")
            for label, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(base + session)
                text = page.locator("main").inner_text()
                if lang == "ar":
                    assert "بالصوت المرجّح لرئيس الجلسة" in text and "د. هند الرئيسة" in text
                    assert "أسرة محتاجة" in text
                else:
                    assert page.locator("html").get_attribute("dir") == "ltr"
                    assert "casting vote of the presiding member" in text and "Attendance" in text
                page.locator(".case-summary > details > summary").click()  # the details open: documents, research
                screenshot(page, f"committee-session-{label}-{lang}")
                _fits(page, width)
                _clean(page)
        # The chair confirms the outcome in the browser (English, phone).
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + session)
        page.get_by_label("Accept the request").check()
        page.get_by_role("button", name="Record the decision").click()
        page.wait_for_selector(".decision")
        assert "Accepted" in page.locator(".decision").inner_text()
        screenshot(page, "committee-session-decided-phone-en")
        _fits(page, 390)
    finally:
        page.close()

    admin = sign_in_page(chromium, base, staff["admin"].email, staff["admin"].password)
    try:
        for label, width in WIDTHS.items():
            admin.set_viewport_size({"width": width, "height": 900})
            admin.goto(base + "/portal/policy/committee")
            assert admin.get_by_label("رئيس اللجنة").input_value() == str(staff["chair"].id)
            screenshot(admin, f"committee-policy-{label}-ar")
            _fits(admin, width)
            _clean(admin)
    finally:
        admin.close()
