"""A staff member signs in to an Arabic portal in a real browser."""
from __future__ import annotations

import pytest
from support.browser import screenshot
from support.servers import run_async


pytestmark = pytest.mark.browser


def test_sign_in_and_see_the_arabic_portal_home(server, make_tenant, make_staff, page):
    async def setup():
        tenant = await make_tenant(name_ar="جمعية البر الخيرية")
        return tenant, await make_staff(tenant, "admin", "relations_officer", name="نورة العتيبي")

    tenant, staff = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page.goto(base + "/login")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    # Wrong password first: the error is in Arabic, beside the form, and the email is kept.
    page.get_by_label("البريد الإلكتروني").fill(staff.email)
    page.get_by_label("كلمة المرور").fill("wrong-password-1")
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_selector(".alert-error")
    assert "غير صحيحة" in page.locator(".alert-error").inner_text()
    assert page.get_by_label("البريد الإلكتروني").input_value() == staff.email
    screenshot(page, "portal-login-error-ar")

    page.get_by_label("كلمة المرور").fill(staff.password)
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(base + "/portal")
    heading = page.locator("h1").inner_text()
    assert heading == "جمعية البر الخيرية"
    assert "نورة العتيبي" in page.locator("main").inner_text()
    assert "مدير النظام" in page.locator("main").inner_text()
    # The header's brand sits on the right in RTL: its box starts right of the nav's.
    brand = page.locator(".brand").bounding_box()
    nav = page.locator(".top nav").bounding_box()
    assert brand["x"] > nav["x"]
    screenshot(page, "portal-home-ar")

    page.get_by_role("link", name="English").click()
    page.wait_for_url(base + "/portal")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "Administrator" in page.locator("main").inner_text()
    screenshot(page, "portal-home-en")
