"""Issue 17: the data-rights page, the correction form and the evidence-pack page on a phone and a
desktop, in Arabic and English: right to left, no sideways scroll, axe clean, screenshots."""
from __future__ import annotations

import pytest

from support.servers import run_async


@pytest.mark.browser
def test_rights_and_evidence_pages_on_a_phone_and_a_desktop_in_both_languages(
        server, make_tenant, make_staff, publish_policy, chromium):
    from support.browser import axe_problems, screenshot, sign_in_on
    from support.people import build_person, new_person

    from support.data import SERVICE_STEPS

    tenant = run_async(make_tenant(name_ar="جمعية الحقوق"))
    run_async(publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None))
    staff = {role: run_async(make_staff(tenant, role)) for role in ("relations_officer", "admin")}
    p = run_async(build_person(tenant, staff["relations_officer"], new_person()))
    base = f"http://{tenant.slug}.localhost:{server.port}"
    pages = {"rights": f"/portal/beneficiaries/{p.beneficiary}/rights", "edit": f"/portal/beneficiaries/{p.beneficiary}/edit",
             "file": f"/portal/beneficiaries/{p.beneficiary}", "evidence": "/portal/reports/evidence"}
    for width in (390, 1366):
        context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA",
                                       is_mobile=width < 500, has_touch=width < 500)
        page = context.new_page()
        sign_in_on(page, base, staff["admin"])
        for lang in ("ar", "en"):
            if lang == "en":
                page.goto(f"{base}/lang/en?next=/portal")
            for name, path in pages.items():
                page.goto(base + path)
                assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, lang, width)
                problems = axe_problems(page)
                assert not problems, (name, lang, width, problems)
                screenshot(page, f"rights-{name}-{lang}-{width}")
            # The erasure button is there and reachable (not hidden off-screen) on the rights page.
            page.goto(base + pages["rights"])
            button = page.locator('form[action$="/erase"] button')
            button.scroll_into_view_if_needed()
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        context.close()
