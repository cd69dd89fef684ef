"""A new charity onboards in a real browser, from sign-up to its published Arabic policy page
and PDF. Screenshots (and the PDF's first pages as PNG) go to artifacts/screenshots/."""
from __future__ import annotations

import base64
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from support.browser import SCREENSHOTS, accept_confirmations, screenshot
from support.clients import PASSWORD
from support.data import PDF_BYTES, png_bytes
from support.mail import link_in
from support.servers import run_async


pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def axe_problems(page) -> list:
    """Serious and critical axe-core violations of WCAG 2.x A/AA on the current page."""
    page.evaluate(AXE.read_text() + "\n;undefined")  # not a <script> tag: the CSP refuses inline scripts
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_a_charity_onboards_from_sign_up_to_its_published_policy(server, page, tmp_path, smtp_sink, celery_worker):
    try:
        onboard(server, page, tmp_path, smtp_sink)
    except Exception:
        screenshot(page, "policy-failure")  # where it stopped, for whoever reads the CI artifacts
        raise


def onboard(server, page, tmp_path, smtp_sink):
    from sila.platform import directory
    from sila.tenants.policy import catalogue

    slug = f"noor{secrets.token_hex(3)}"
    base = f"http://localhost:{server.port}"
    tenant_base = f"http://{slug}.localhost:{server.port}"
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes((240, 120)))
    bylaws = tmp_path / "لائحة.pdf"
    bylaws.write_bytes(PDF_BYTES)

    # 1. The platform's home page, then the organisation step.
    page.goto(base + "/")
    page.get_by_role("link", name="سجّل جهتك").click()
    page.wait_for_url("**/signup/organisation")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.get_by_label("الاسم بالعربية").fill("جمعية النور لرعاية الأيتام")
    page.get_by_label("الاسم بالإنجليزية (اختياري)").fill("Al Noor Orphan Care")
    page.get_by_label("عنوان صفحاتك").fill(slug)
    page.locator("#slug-check").get_by_text("متاح").wait_for()
    page.get_by_label("الجهة المشرفة").select_option("ncnp")
    page.get_by_label("رقم التسجيل أو الترخيص").fill("٤٥٦٧")
    page.get_by_label("المنطقة").select_option("makkah")
    page.get_by_label("المدينة").fill("جدة")
    screenshot(page, "policy-01-signup-organisation")
    assert axe_problems(page) == []
    page.get_by_role("button", name="متابعة").click()

    # 2. The account: bad input first (kept, errors beside fields), then right.
    page.wait_for_url("**/signup/account")
    email = f"{slug}@charity.test"
    page.get_by_label("اسمك").fill("هند العتيبي")
    page.get_by_label("البريد الإلكتروني").fill(email)
    page.locator("#password").fill("short")
    page.locator("#confirm").fill("short")
    page.get_by_role("button", name="أنشئ الحساب وتابع").click()
    page.locator("#password-error").wait_for()
    assert page.get_by_label("البريد الإلكتروني").input_value() == email
    screenshot(page, "policy-02-signup-account-errors")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.get_by_role("button", name="أنشئ الحساب وتابع").click()
    page.wait_for_url("**/signup/done")
    assert "تحقق من بريدك الإلكتروني" in page.content()

    # 3. The emailed link opens the charity's own host; confirming signs in, on the checklist; pending.
    link = link_in(smtp_sink.wait_for(email)[0])
    assert link.startswith(tenant_base + "/welcome/")
    page.goto(link)
    page.get_by_role("button", name="أكّد وافتح البوابة").click()
    page.wait_for_url(tenant_base + "/portal/setup")
    assert "بانتظار موافقة المنصة" in page.content()
    screenshot(page, "policy-03-setup-checklist")
    page.get_by_role("link", name="تابع: الترويسة وبيانات التواصل").click()

    # 4. Letterhead: logo and contacts.
    page.wait_for_url("**/portal/profile")
    page.locator("#logo").set_input_files(str(logo))
    page.get_by_label("الموقع الإلكتروني (اختياري)").fill("noor.org.sa")
    page.get_by_label("الهاتف (اختياري)").fill("٠١٢٦٦٦٧٧٨٨")
    page.get_by_label("البريد الإلكتروني (اختياري)").fill("info@noor.org.sa")
    page.get_by_label("روابط حساباتكم، رابط في كل سطر").fill("https://x.com/alnoor_org")
    page.get_by_role("button", name="احفظ وتابع").click()

    # 5. Channels: three standard ones, a note, and one of their own (htmx keeps the page).
    page.wait_for_url("**/portal/policy/channels")
    for code in ("interview", "phone", "website"):
        page.locator(f'input[name="channels.{list(catalogue.CHANNELS).index(code)}.enabled"]').check()
    page.locator('input[name="channels.2.note"]').fill("٩٢٠٠٠٠٠٠٠ من الأحد إلى الخميس")
    page.get_by_role("button", name="إضافة قناة خاصة بكم").click()
    page.locator('input[name="channels.10.label_ar"]').wait_for()
    assert page.evaluate("document.activeElement.id") == "channels.10.label_ar"  # focus on the new row
    assert page.locator('input[name="channels.2.note"]').input_value().startswith("٩٢٠")  # typing kept
    page.locator('input[name="channels.10.label_ar"]').fill("تطبيق الجوال")
    page.locator('input[name="channels.10.label_en"]').fill("Mobile app")
    page.get_by_role("button", name="تقديم: قناة جديدة").click()  # move the new row up one
    page.locator('input[name="channels.9.label_ar"][value="تطبيق الجوال"]').wait_for()
    screenshot(page, "policy-04-channels")
    assert axe_problems(page) == []
    page.get_by_role("button", name="احفظ وتابع").click()

    # 6. Tools: the charity's own wording and the bylaws as a PDF.
    page.wait_for_url("**/portal/policy/tools")
    page.locator('input[name="tools.0.label_ar"]').fill("اللائحة الأساسية للجمعية")
    page.locator('input[name="tools.0.file"]').set_input_files(str(bylaws))
    page.get_by_role("button", name="احفظ وتابع").click()

    # 7-9. Procedure as proposed, a two-week window in their words, numbered articles.
    page.wait_for_url("**/portal/policy/steps")
    screenshot(page, "policy-05-steps")
    page.get_by_role("button", name="احفظ وتابع").click()
    page.wait_for_url("**/portal/policy/window")
    page.get_by_label("مدة الرد بالأيام").fill("0")
    page.get_by_role("button", name="احفظ وتابع").click()
    page.locator("#review_window_days-error").wait_for()
    page.get_by_label("مدة الرد بالأيام").fill("١٤")
    page.get_by_label("صياغتكم لها بالعربية (اختياري)").fill("مدة لا تقل عن أسبوعين")
    page.get_by_role("button", name="احفظ وتابع").click()
    page.wait_for_url("**/portal/policy/texts")
    page.get_by_label("مواد مرقمة").check()
    page.get_by_label("ابدأ بجدول للمحتويات").check()
    page.get_by_role("button", name="احفظ وتابع").click()

    # 10. Staff: later.
    page.wait_for_url("**/portal/setup/staff")
    page.get_by_role("button", name="تخطَّ الآن وتابع").click()

    # 11. Board approval in Hijri; the Gregorian date appears as they type.
    page.wait_for_url("**/portal/policy/approval")
    page.get_by_label("رقم الاجتماع").fill("١٢")
    page.get_by_label("اليوم").fill("21")
    page.get_by_label("الشهر").select_option("5")
    page.get_by_label("السنة").fill("1445")
    page.locator("#conversion").get_by_text("٥ ديسمبر ٢٠٢٣ م").wait_for()
    page.get_by_label("الصفة").fill("رئيس مجلس الإدارة")
    page.get_by_label("الاسم", exact=True).fill("عبدالله بن سعد")
    page.get_by_label("نشر السياسة على الموقع الإلكتروني").check()
    screenshot(page, "policy-06-approval")
    assert axe_problems(page) == []
    page.get_by_role("button", name="احفظ وتابع").click()

    # 12. Publish.
    page.wait_for_url("**/portal/policy/publish")
    screenshot(page, "policy-07-publish")
    page.get_by_role("button", name="انشر الإصدار ١").click()
    page.wait_for_url("**/portal/policy/versions/**")
    assert "نُشر الإصدار ١" in page.content()
    # Staff can open the bylaws PDF from the published version.
    href = page.get_by_role("link", name="افتح المستند").get_attribute("href")
    assert page.evaluate("url => fetch(url).then(r => r.headers.get('content-type'))", href) == "application/pdf"

    # Before the operator approves, the public page is not live.
    public = accept_confirmations(page.context.new_page())
    public.goto(tenant_base + "/policy")
    assert "لم تُفعَّل بعد" in public.content()
    # The operator approves (the console's own browser test covers doing it on screen).
    tenant = run_async(directory.get_tenant_by_slug(slug))
    run_async(directory.set_status(tenant.id, "active"))
    time.sleep(5.5)  # each app process caches a host's tenant for 5 s

    # 13. The public policy, in Arabic, then English, and its PDF.
    public.goto(tenant_base + "/policy")
    html = public.content()
    for fact in ("جمعية النور لرعاية الأيتام", "المادة الأولى", "تطبيق الجوال", "اللائحة الأساسية للجمعية",
                 "مدة لا تقل عن أسبوعين (١٤ يومًا)", "٢١ جمادى الأولى ١٤٤٥ هـ", "٥ ديسمبر ٢٠٢٣ م", "عبدالله بن سعد",
                 "ترخيص رقم ٤٥٦٧", "<bdi>جدة</bdi>، منطقة مكة المكرمة", "012 666 7788"):
        assert fact in html, fact
    assert public.locator("img.logo").evaluate("img => img.naturalWidth") == 240
    screenshot(public, "policy-08-public-ar")
    assert axe_problems(public) == []
    public.get_by_role("link", name="English").click()
    public.wait_for_url("**/policy")
    assert public.locator("html").get_attribute("dir") == "ltr"
    assert "Beneficiary relations policy" in public.content() and "Article 1" in public.content()
    screenshot(public, "policy-09-public-en")
    public.get_by_role("link", name="العربية").click()

    public.wait_for_url("**/policy")
    href = public.get_by_role("link", name="تنزيل بصيغة PDF").get_attribute("href")
    status, kind, body = public.evaluate("""async (url) => {
        const r = await fetch(url); const bytes = new Uint8Array(await r.arrayBuffer());
        let s = ''; for (const b of bytes) s += String.fromCharCode(b);
        return [r.status, r.headers.get('content-type'), btoa(s)]; }""", href)
    assert status == 200 and kind == "application/pdf"
    pdf_path = SCREENSHOTS / "policy-10.pdf"
    pdf_path.write_bytes(base64.b64decode(body))
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "2", str(pdf_path),
                    str(SCREENSHOTS / "policy-10-pdf-page")], check=True)
    assert (SCREENSHOTS / "policy-10-pdf-page-1.png").exists()
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    assert "noor.org.sa" in text  # the footer's contact details
    images = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    assert " 240   120 " in images  # the letterhead's logo, embedded
