"""In a real browser, at 390 px and 1366 px: the review-window page (working days, step targets,
wording that states a maximum), the closures page in Arabic and English, and where an applicant and
staff read a working-day due date. Screenshots in artifacts/screenshots/window-*.png; axe-core on
the admin pages; nothing wider than the phone."""
from __future__ import annotations

import json

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.servers import run_async

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "desktop": 1366}


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


def test_window_and_closures_pages_at_phone_and_desktop_widths(server, make_tenant, make_staff, publish_policy,
                                                                chromium):
    async def setup():
        from sila.tenants.policy import deadlines
        import datetime as dt

        tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
        await publish_policy(tenant, "mafatih", channels=["interview", "phone", "website"],
                             review_window_basis="working", verify_target_days=3)
        admin = await make_staff(tenant, "admin", name="مدير الوقف")
        await deadlines.add_closure(tenant.id, dt.date(2026, 12, 29), dt.date(2026, 12, 31), "إجازة نهاية العام",
                                    admin.id)
        return tenant, admin

    tenant, admin = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, admin.email, admin.password)
    try:
        for label, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + "/portal/policy/window")
            text = page.locator("main").inner_text()
            assert "طريقة حساب الأيام" in text and "تستثنى الجمعة والسبت والعطل الرسمية" in text
            assert "في موعد أقصاه" in text and "صياغتكم تُفهم حدًّا أدنى" in text
            assert page.get_by_label("التحقق خلال (أيام)").input_value() == "3"
            screenshot(page, f"window-policy-{label}-ar")
            _fits(page, width)
            problems = axe_problems(page)
            assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)

            page.goto(base + "/portal/policy/closures")
            assert "إجازة نهاية العام" in page.locator("main").inner_text()
            screenshot(page, f"window-closures-{label}-ar")
            _fits(page, width)
            problems = axe_problems(page)
            assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)

        # The suggested wording, then an error kept beside its field, on the phone.
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + "/portal/policy/window")
        page.get_by_role("button", name="استخدم هذه الصياغة").click()
        page.wait_for_selector("text=وضعنا الصياغة المقترحة في النموذج")
        assert page.locator("#review_window_text_ar").input_value() == "مدة أقصاها ١٤ يوم عمل"
        screenshot(page, "window-policy-suggested-phone-ar")
        page.goto(base + "/portal/policy/closures")
        page.locator("#starts_on").fill("2026-13-01")
        page.locator("#reason").fill("صيانة المبنى")
        page.get_by_role("button", name="أضف الإغلاق").click()
        page.wait_for_selector("#starts_on-error")
        assert page.locator("#reason").input_value() == "صيانة المبنى"  # input kept
        screenshot(page, "window-closures-error-phone-ar")
        _fits(page, 390)

        # English, desktop.
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(base + "/lang/en")
        page.goto(base + "/portal/policy/closures")
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert "Eid al-Fitr" in page.locator("main").inner_text()
        screenshot(page, "window-closures-desktop-en")
        page.goto(base + "/portal/policy/window")
        assert "Fridays, Saturdays and official holidays are not counted" in page.locator("main").inner_text()
        screenshot(page, "window-policy-desktop-en")
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + "/portal/policy/window")
        screenshot(page, "window-policy-phone-en")
        _fits(page, 390)
    except Exception:
        screenshot(page, "window-failure")
        raise
    finally:
        page.context.close()


def test_the_apply_form_states_the_latest_date_at_both_widths(server, make_tenant, publish_policy, chromium):
    async def setup():
        tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
        await publish_policy(tenant, "mafatih", channels=["interview", "phone", "website"],
                             review_window_basis="working")
        return tenant

    tenant = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    for label, width in WIDTHS.items():
        context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA")
        page = context.new_page()
        page.goto(base + "/apply")
        promise = page.locator(".promise").inner_text()
        assert "في موعد أقصاه" in promise and "هـ" in promise
        assert "١٤ يوم عمل — تستثنى الجمعة والسبت والعطل الرسمية" in promise
        screenshot(page, f"window-apply-{label}-ar")
        _fits(page, width)
        page.goto(base + "/policy")
        assert "يوم عمل — تستثنى الجمعة والسبت والعطل الرسمية" in page.locator("main").inner_text()
        screenshot(page, f"window-public-policy-{label}-ar")
        _fits(page, width)
        context.close()
