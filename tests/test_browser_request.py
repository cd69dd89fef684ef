"""In a real browser: an applicant applies online in Arabic on a phone, and staff take the
request through verification, referral and the research committee to a decision. axe-core
checks the public form."""
from __future__ import annotations

import base64
import json
import re
import subprocess
from typing import Any

import pytest
from support.browser import SCREENSHOTS, axe_problems, screenshot, sign_in_page
from support.data import outbox_rows, valid_id, session_time
from support.servers import ARTIFACTS, run_async


pytestmark = pytest.mark.browser






def test_online_application_on_a_phone_then_staff_take_it_to_a_committee_decision(
        server, make_tenant, make_staff, publish_policy, phone_page, chromium, tmp_path):
    async def setup():
        tenant = await make_tenant(name_ar="جمعية بسمات للعناية بالأسنان")
        await publish_policy(tenant, "basmat")
        return tenant, {role: await make_staff(tenant, role, name=name) for role, name in [
            ("relations_officer", "نورة العتيبي"), ("social_researcher", "خالد الشهري"),
            ("committee_member", "د. سيرين الشواف")]}

    tenant, staff = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = phone_page

    # --- the applicant, on a phone, in Arabic ---
    page.goto(base + "/")
    # On a phone the main menu folds behind its button (static/sila.js).
    page.get_by_role("button", name="القائمة").click()
    page.get_by_role("link", name="تقديم طلب دعم").first.click()
    page.wait_for_url(base + "/apply")
    assert page.locator("html").get_attribute("dir") == "rtl" and page.locator("html").get_attribute("lang") == "ar"
    promise = page.locator(".promise").inner_text()
    assert "مدة لا تقل عن أسبوعين" in promise and "هـ" in promise  # the review window before submitting
    screenshot(page, "request-form-phone-ar")
    problems = axe_problems(page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    number = valid_id()
    page.get_by_label("الاسم الكامل").fill("منيرة سعد الدوسري")
    page.get_by_label("رقم الهوية الوطنية أو الإقامة").fill("١٠٠٠٠٠٠٠٠٠")  # a wrong check digit, Arabic digits
    page.get_by_label("رقم الجوال").fill("٠٥٥٥١٢٣٤٥٦")
    page.get_by_label("ما الدعم الذي تحتاجه؟").fill("علاج أسنان لطفلين في الأسرة")
    pdf = tmp_path / "هوية.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% scan of the ID\n")
    page.get_by_label("صورة الهوية والمستندات المؤيدة").set_input_files(str(pdf))
    page.get_by_role("button", name="أرسل طلبي").click()
    page.wait_for_selector("#id_number-error")
    assert "رقم الهوية غير صحيح" in page.locator("#id_number-error").inner_text()
    assert "ضع علامة على الإقرار" in page.locator("#attest-error").inner_text()
    assert page.get_by_label("الاسم الكامل").input_value() == "منيرة سعد الدوسري"  # input kept
    assert page.get_by_label("ما الدعم الذي تحتاجه؟").input_value() == "علاج أسنان لطفلين في الأسرة"
    assert "هوية.pdf" in page.locator("main").inner_text()  # the valid upload was kept too
    screenshot(page, "request-form-errors-phone-ar")
    problems = axe_problems(page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)

    page.get_by_label("رقم الهوية الوطنية أو الإقامة").fill(number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")))
    page.get_by_label("أقرّ بما سبق.").check()
    page.get_by_label("اكتب اسمك الكامل توقيعًا").fill("منيرة سعد الدوسري")
    page.get_by_label("أوافق.").check()
    page.get_by_role("button", name="أرسل طلبي").click()
    page.wait_for_url(base + "/apply/received")
    reference = page.locator(".reference").inner_text().strip()
    assert re.fullmatch(r"\d\d-\d{8}", reference)
    assert "يصدر القرار في طلبك في موعد أقصاه" in page.locator("main").inner_text()
    screenshot(page, "request-received-phone-ar")

    # --- the relations officer verifies and refers ---
    officer = sign_in_page(chromium, base, staff["relations_officer"].email, staff["relations_officer"].password)
    officer.get_by_role("link", name="الطلبات").first.click()
    officer.wait_for_url(base + "/portal/requests")
    assert reference in officer.locator("table.queue").inner_text()
    screenshot(officer, "request-queue-officer-ar")
    officer.get_by_role("link", name=reference).click()
    assert "الإقرار" in officer.locator("main").inner_text()  # the e-signature is on file
    officer.get_by_role("button", name="تم التحقق: متابعة").click()  # checklist not ticked yet
    officer.wait_for_selector("#checklist-error")
    screenshot(officer, "request-verify-error-ar")
    for item in ("وثيقة الهوية تطابق الرقم والاسم المقدَّمين", "تأكدنا من رقم الجوال والعنوان",
                 "كل الحقول المطلوبة في نموذج الطلب مستوفاة", "طوبقت المستندات المؤيدة مع النموذج"):
        officer.get_by_label(item).check()
    officer.get_by_role("button", name="تم التحقق: متابعة").click()
    officer.wait_for_selector("text=الإحالة إلى الباحث الاجتماعي")
    officer.get_by_label("الباحث الاجتماعي", exact=True).select_option(label="خالد الشهري")
    officer.get_by_label("السؤال الموجّه إلى الباحث").fill("هل تحتاج الأسرة إلى زيارة ميدانية؟")
    officer.get_by_role("button", name="أحِل").click()
    officer.wait_for_selector(".stage-research")
    request_url = officer.url

    # --- the social researcher answers ---
    researcher = sign_in_page(chromium, base, staff["social_researcher"].email, staff["social_researcher"].password)
    researcher.goto(base + "/portal/requests")
    researcher.get_by_role("link", name=reference).click()
    researcher.get_by_label("ملاحظات البحث", exact=True).fill("زرنا الأسرة، والحاجة قائمة.")
    researcher.get_by_role("textbox", name="تقرير الزيارة الميدانية (اختياري)").fill("أسرة من ستة أفراد، دخلها محدود.")
    researcher.get_by_role("button", name="سجّل وتابع").click()
    researcher.wait_for_selector(".stage-committee")

    # --- the research committee decides ---
    member = sign_in_page(chromium, base, staff["committee_member"].email, staff["committee_member"].password)
    member.goto(base + "/portal/committee")
    member.get_by_label("التاريخ والوقت (بتوقيت الرياض)").fill(session_time())
    member.get_by_label("المكان أو رابط الاجتماع").fill("مقر الجمعية")
    member.get_by_role("button", name="افتح الجلسة").click()
    member.wait_for_selector("text=إضافة طلبات إلى جدول الأعمال")
    member.get_by_label(re.compile(reference)).check()
    member.get_by_role("button", name="أضف إلى جدول الأعمال").click()
    member.wait_for_selector(".agenda-item")
    member.locator(".agenda-item").get_by_label("قبول", exact=True).check()
    member.locator(".agenda-item").get_by_label("الأسباب").fill("الحالة مستحقة وفق دليل سياسة الدعم")
    member.get_by_role("button", name="سجّل صوتي").click()
    member.wait_for_selector("text=الحالة مستحقة وفق دليل سياسة الدعم")
    member.locator(".agenda-item").get_by_label("قبول الطلب").check()
    member.get_by_role("button", name="سجّل القرار").click()
    member.wait_for_selector(".decision")
    assert "مقبول" in member.locator(".decision").inner_text()
    screenshot(member, "committee-session-decided-ar")
    member.get_by_role("button", name="إغلاق الجلسة").click()
    member.wait_for_selector("text=أُغلقت في")

    # Fetched by the page itself (Playwright's own HTTP client cannot resolve *.localhost).
    status, content_type, body = member.evaluate("""async url => {
        const r = await fetch(url); const bytes = new Uint8Array(await r.arrayBuffer());
        let s = ''; for (const b of bytes) s += String.fromCharCode(b);
        return [r.status, r.headers.get('content-type'), btoa(s)]; }""", member.url + "/minutes.pdf")
    assert status == 200 and content_type == "application/pdf"
    pdf_path = ARTIFACTS / "committee-minutes-ar.pdf"
    pdf_path.write_bytes(base64.b64decode(body))
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf_path),
                    str(SCREENSHOTS / "committee-minutes-ar")], check=True)

    officer.goto(request_url)
    text = officer.locator("main").inner_text()
    assert "التسجيل" in officer.locator(".stage").first.inner_text() and "مقبول" in text
    assert "خالد الشهري" in text and "زرنا الأسرة" in text
    screenshot(officer, "request-after-committee-ar")
    # The applicant was told at each step (outbox rows; issue 5 sends them).
    kinds = run_async(_kinds(tenant.id))
    assert {"request.received", "request.referred", "request.accepted"} <= set(kinds)


async def _kinds(tenant_id: Any) -> list[str]:

    return [r["kind"] for r in await outbox_rows(tenant_id)]


def test_tracking_page_on_a_phone_passes_axe(server, make_tenant, publish_policy, phone_page):
    tenant = run_async(_tenant_with_policy(make_tenant, publish_policy))
    phone_page.goto(f"http://{tenant.slug}.localhost:{server.port}/track")
    problems = axe_problems(phone_page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    screenshot(phone_page, "track-phone-ar")


async def _tenant_with_policy(make_tenant: Any, publish_policy: Any) -> Any:
    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih")
    return tenant
