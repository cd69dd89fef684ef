"""In a real browser at 390 px (and 1366 px): the tracking page of an incomplete request (what is
missing, the paused clock, the completion form) and of a declined one (the appeal form), in Arabic
and English; the queue's due-date explanation opened by a tap; the committee agenda item of an
appeal; the completion form keeping the valid file of a refused attempt. Screenshots in artifacts/screenshots/window-track-*.png; axe-core clean; nothing wider
than the phone."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.data import outbox_rows, valid_id
from support.servers import run_async

pytestmark = pytest.mark.browser

CHANNELS = ["interview", "phone", "website"]
STEPS = ["receive", "verify", "committee", "deliver"]


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


def _clean(page) -> None:
    problems = axe_problems(page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


async def _setup(make_tenant, make_staff, publish_policy):
    from sila.platform.actors import Actor
    from sila.platform.db import tenant_scope
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.committee import services as committee
    from sila.tenants.requests import services as rs
    from sila.tenants.requests.terms import terms_in_force

    tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS, review_window_basis="working")
    officer_row = await make_staff(tenant, "relations_officer", name="نورة العتيبي")
    member_row = await make_staff(tenant, "committee_member", name="د. سيرين الشواف")
    officer = Actor(officer_row.id, "نورة العتيبي", frozenset({"relations_officer"}))
    member = Actor(member_row.id, "د. سيرين الشواف", frozenset({"committee_member"}))
    terms = await terms_in_force(tenant.id)

    async def new(name: str, mobile: str) -> dict:
        person = ApplicantInput(id_number=valid_id(), name=name, mobile=mobile, email="", preferred_channel="sms",
                                preferred_language="ar", city="الرياض", category="family", household_size=4)
        rid = await rs.record_by_staff(tenant, terms, rs.StaffIntake(applicant=person,
                                                                     channel=terms.staff_channels()[0],
                                                                     need="دعم إيجار السكن لثلاثة أشهر"), officer)
        async with tenant_scope(tenant.id) as tx:
            return dict(await tx.connection.fetchrow("select * from support_request where id = $1", rid))

    waiting = await new("هند الشهري", "+966551234001")
    await rs.act(tenant, waiting["id"], "mark_incomplete", officer,
                 {"missing": "صورة صك الإعالة\nتعريف بالراتب حديث", "note": "نرجو أن يكون الصك مصدقًا من المحكمة"})
    declined = await new("سعد القحطاني", "+966551234002")
    await rs.act(tenant, declined["id"], "verify", officer, {f"check_{k}": "on" for k in rs.CHECKLIST})
    sid = await committee.create_session(tenant, dt.datetime.now(dt.UTC), "مقر الوقف", member)
    await committee.add_to_agenda(tenant, sid, [declined["id"]], officer)
    [item] = (await committee.session_detail(tenant.id, sid)).items
    await committee.cast_vote(tenant, sid, item.id, "reject", "الدخل أعلى من حد الاستحقاق", member)  # the rule decides
    await committee.decide(tenant, sid, item.id, "reject", "الدخل أعلى من حد الاستحقاق", member)
    return tenant, officer_row, member_row, waiting, declined


def _open_tracking(chromium, base: str, tenant, reference: str, width: int):
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA")
    page = context.new_page()
    page.goto(base + "/track")
    page.locator("#reference").fill(reference)
    page.get_by_role("button", name="أرسل لي رمزًا").click()
    page.wait_for_selector("#code")
    rows = [r for r in run_async(outbox_rows(tenant.id, "request.tracking_code")) if reference in r["body_text"]]
    page.locator("#code").fill(re.search(r"\b(\d{6})\b", rows[-1]["body_text"]).group(1))
    page.get_by_role("button", name="اعرض طلبي").click()
    page.wait_for_url("**/track/status")
    return page


def test_track_incomplete_and_appeal_on_a_phone_in_arabic_and_english(server, make_tenant, make_staff,
                                                                       publish_policy, chromium):
    tenant, officer, member, waiting, declined = run_async(_setup(make_tenant, make_staff, publish_policy))
    base = f"http://{tenant.slug}.localhost:{server.port}"

    page = _open_tracking(chromium, base, tenant, waiting["reference"], 390)
    try:
        text = page.locator("main").inner_text()
        assert "صورة صك الإعالة" in text and "مصدقًا من المحكمة" in text and "المدة متوقفة أثناء انتظارك" in text
        screenshot(page, "window-track-incomplete-phone-ar")
        _fits(page, 390)
        _clean(page)
        # A file that is not a document: refused beside the field, the reply kept.
        bad = page.context.new_page()  # same session
        bad.goto(base + "/track/status")
        bad.set_input_files("#documents", files=[{"name": "صك.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"MZ\x90\x00" + b"\x00" * 64},
                                                  {"name": "تعريف-بالراتب.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"%PDF-1.4\n% salary letter\n"}])
        bad.locator("#reply").fill("أرفقت الصك")
        bad.get_by_role("button", name="أرسل إلى الجهة").click()
        bad.wait_for_selector("#documents-error")
        assert bad.locator("#reply").input_value() == "أرفقت الصك"
        kept = bad.get_by_label("تعريف-بالراتب.pdf")  # the valid file is kept, ticked, for the next attempt
        assert kept.is_checked() and bad.get_by_label("صك.pdf").count() == 0
        screenshot(bad, "window-track-incomplete-error-phone-ar")
        _fits(bad, 390)
        _clean(bad)
        bad.goto(base + "/lang/en")
        bad.goto(base + "/track/status")
        assert bad.locator("html").get_attribute("dir") == "ltr"
        assert "The count is paused while we wait for you" in bad.locator("main").inner_text()
        screenshot(bad, "window-track-incomplete-phone-en")
        _fits(bad, 390)
        _clean(bad)
    except Exception:
        screenshot(page, "window-track-failure")
        raise
    finally:
        page.context.close()

    page = _open_tracking(chromium, base, tenant, declined["reference"], 390)
    try:
        text = page.locator("main").inner_text()
        assert "الدخل أعلى من حد الاستحقاق" in text and "التظلم من هذا القرار" in text
        screenshot(page, "window-track-appeal-phone-ar")
        _fits(page, 390)
        _clean(page)
        page.goto(base + "/lang/en")
        page.goto(base + "/track/status")
        assert "Appeal this decision" in page.locator("main").inner_text()
        screenshot(page, "window-track-appeal-phone-en")
        _fits(page, 390)
        _clean(page)
        page.locator("#reason").fill("توفي العائل وتغيّر دخل الأسرة")
        page.get_by_role("button", name="Send my appeal").click()
        page.wait_for_url("**/track/status?done=appealed")
        assert "the research committee will consider it" in page.locator("main").inner_text()
        screenshot(page, "window-track-appealed-phone-en")
        _fits(page, 390)
        _clean(page)
    finally:
        page.context.close()

    # Staff: the queue's due date explained with a tap, the appeal on the committee's page.
    page = sign_in_page(chromium, base, officer.email, officer.password)
    try:
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + "/portal/requests")
            first = page.locator("details.due-why").first
            first.locator("summary").click()
            assert "من تقديم الطلب" in first.inner_text() or "من تقديم التظلم" in first.inner_text()
            screenshot(page, f"window-track-queue-{width}-ar")
            _fits(page, width)
            _clean(page)
            page.goto(base + f"/portal/requests/{waiting['id']}")
            assert "بانتظار المتقدم" in page.locator("main").inner_text()
            screenshot(page, f"window-track-request-{width}-ar")
            _fits(page, width)
    finally:
        page.context.close()
    async def on_agenda():
        from sila.platform.actors import Actor
        from sila.tenants.committee import services as committee

        chair = Actor(member.id, "د. سيرين الشواف", frozenset({"committee_member"}))
        sid = await committee.create_session(tenant, dt.datetime.now(dt.UTC), "مقر الوقف", chair)
        await committee.add_to_agenda(tenant, sid, [declined["id"]],
                                      Actor(officer.id, "نورة العتيبي", frozenset({"relations_officer"})))
        return sid

    sid = run_async(on_agenda())
    page = sign_in_page(chromium, base, member.email, member.password)
    try:
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + f"/portal/committee/{sid}")
        text = page.locator("main").inner_text()
        assert "تظلم من قرار" in text and "الدخل أعلى من حد الاستحقاق" in text and "توفي العائل" in text
        screenshot(page, "window-track-committee-phone-ar")
        _fits(page, 390)
        _clean(page)
    finally:
        page.context.close()
