"""An operator approves a newly registered charity in a real browser, in Arabic; then the
charity's admin opens support access and the operator looks in, read-only."""
from __future__ import annotations

import secrets

import pyotp
import pytest
from support.browser import accept_confirmations, screenshot
from support.clients import OPERATOR_PASSWORD
from support.mail import body_of, link_in
from support.servers import run_async


pytestmark = pytest.mark.browser


def test_operator_approves_a_new_tenant(server, make_operator, page, smtp_sink, celery_worker):
    async def setup():
        from sila.tenants.onboarding.services import register

        slug = f"b{secrets.token_hex(3)}"
        tenant = await register(
            {"slug": slug, "kind": "association", "name_ar": "جمعية رفق لرعاية المسنين", "name_en": "Rifq",
             "regulator": "ncnp", "licence_number": "2231", "region": "madinah", "city": "المدينة المنورة"},
            {"email": f"admin@{slug}.test", "name": "هند الحربي"}, "Sila-test-Passw0rd", auto_approve=False, lang="ar")
        return tenant, await make_operator(name="ريم الدوسري")

    tenant, op = run_async(setup())
    base = f"http://localhost:{server.port}"
    page.goto(base + "/operator/login")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.get_by_label("البريد الإلكتروني").fill(op.email)
    page.get_by_label("كلمة المرور").fill(op.password)
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(base + "/operator/login/code")
    # The password alone is not enough: the console is still closed.
    assert page.locator("h1").inner_text() == "رمز تطبيق المصادقة"
    screenshot(page, "operator-totp-ar")
    page.get_by_label("الرمز").fill(pyotp.TOTP(op.secret).now())
    page.get_by_role("button", name="تأكيد").click()
    page.wait_for_url(base + "/operator")

    page.get_by_label("الحالة").select_option("pending")
    page.get_by_role("button", name="تصفية").click()
    page.wait_for_url("**/operator?*status=pending*")
    row = page.locator("tr", has_text=tenant.slug)
    assert "بانتظار الموافقة" in row.inner_text() and "منطقة المدينة المنورة" in row.inner_text()
    screenshot(page, "operator-tenants-pending-ar")

    row.get_by_role("link", name="جمعية رفق لرعاية المسنين").click()
    page.wait_for_url(f"{base}/operator/tenants/{tenant.id}")
    assert "المركز الوطني لتنمية القطاع غير الربحي" in page.locator("main").inner_text()
    screenshot(page, "operator-tenant-pending-ar")
    page.get_by_role("button", name="اعتماد هذه الجهة").click()
    page.wait_for_url(f"{base}/operator/tenants/{tenant.id}?done=approve")
    assert "اعتُمدت الجهة" in page.locator(".alert-success").inner_text()
    assert page.locator("h1 .badge").inner_text() == "نشطة"
    # The dates and numbers read in Arabic, and the page's start is on the right.
    facts = page.locator(".facts").bounding_box()
    assert facts["x"] + facts["width"] > 600
    screenshot(page, "operator-tenant-approved-ar")
    mail = smtp_sink.wait_for(f"admin@{tenant.slug}.test")[-1]
    assert "جمعية رفق" in str(mail["Subject"])
    # The same page in English reads left to right (the chart too: newest month on the right).
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{base}/operator/tenants/{tenant.id}*")
    assert page.locator("html").get_attribute("dir") == "ltr" and "Approve" not in page.locator("h1").inner_text()
    screenshot(page, "operator-tenant-approved-en")
    page.get_by_role("link", name="العربية").click()

    # The audit shows who approved it, the usage and health pages draw.
    page.get_by_role("link", name="سجل المشغّلين").click()
    assert "اعتماد الجهة" in page.locator("table").inner_text() and op.email in page.locator("table").inner_text()
    screenshot(page, "operator-audit-ar")
    page.get_by_role("link", name="الاستخدام").click()
    page.wait_for_selector("svg.chart")
    screenshot(page, "operator-usage-ar")
    page.get_by_role("link", name="سلامة النظام").click()
    page.wait_for_selector("#health")
    before = page.locator("#health .meta").inner_text()
    page.wait_for_function("b => document.querySelector('#health .meta').innerText !== b", arg=before, timeout=12000)
    screenshot(page, "operator-health-ar")

    # The charity's admin lets support look in; the operator sees the portal read-only.
    tenant_base = f"http://{tenant.slug}.localhost:{server.port}"
    # No account exists until the admin confirms the address from the sign-up email.
    admin = accept_confirmations(
        page.context.browser.new_context(locale="ar-SA", viewport={"width": 1280, "height": 900}).new_page())
    confirm = next(link_in(m) for m in smtp_sink.to(f"admin@{tenant.slug}.test") if "/welcome/" in body_of(m))
    admin.goto(confirm)
    admin.get_by_role("button", name="أكّد وافتح البوابة").click()
    admin.wait_for_url("**/portal**")
    admin.context.clear_cookies()  # and a plain sign-in works from now on
    admin.goto(tenant_base + "/login")
    admin.get_by_label("البريد الإلكتروني").fill(f"admin@{tenant.slug}.test")
    admin.get_by_label("كلمة المرور").fill("Sila-test-Passw0rd")
    admin.get_by_role("button", name="تسجيل الدخول").click()
    admin.wait_for_url("**/portal**")
    admin.goto(tenant_base + "/portal/security")
    admin.get_by_label("المدة").select_option("4")
    admin.get_by_role("button", name="السماح بالاطلاع دون تعديل").click()
    admin.wait_for_selector(".alert-success")
    page.goto(f"{base}/operator/tenants/{tenant.id}")
    page.get_by_role("button", name="افتح البوابة للاطلاع فقط").click()
    page.wait_for_url(tenant_base + "/portal")
    assert "قراءة فقط" in page.locator("header").inner_text()
    screenshot(page, "support-view-portal-ar")
    admin.reload()
    assert "فتح دعم المنصة البوابة" in admin.locator("main").inner_text()
    screenshot(admin, "portal-security-ar")
    admin.context.close()


def test_first_sign_in_shows_the_enrolment_qr(server, page):
    async def setup():
        from sila.platform.operator import services

        email = f"enrol-{secrets.token_hex(3)}@ops.test"
        await services.create_operator(email, "مشغّل جديد", OPERATOR_PASSWORD)
        return email

    email = run_async(setup())
    base = f"http://localhost:{server.port}"
    page.goto(base + "/operator/login")
    page.get_by_label("البريد الإلكتروني").fill(email)
    page.get_by_label("كلمة المرور").fill(OPERATOR_PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(base + "/operator/enrol")
    assert page.locator("figure.qr svg").is_visible()
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    screenshot(page, "operator-enrol-ar")
    page.get_by_label("الرمز من التطبيق").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="تأكيد وتسجيل الدخول").click()
    page.wait_for_url(base + "/operator")
