"""In a real browser, at 390 px and 1366 px, Arabic and English: the admin pastes the charity's
own policy, reviews each field beside its passage, and saves it to the draft. Screenshots in
artifacts/screenshots/import-*.png; axe-core on the review page; nothing wider than the phone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.servers import run_async

pytestmark = pytest.mark.browser

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


def test_paste_review_and_save_at_phone_and_desktop_widths(server, make_tenant, make_staff, chromium):
    from sila.tenants.policy import services
    from sila.tenants.policy.seeds import get_seed

    async def setup():
        tenant = await make_tenant(name_ar="جمعية بسمات للعناية بالأسنان")
        admin = await make_staff(tenant, "admin", name="مديرة الجمعية")
        return tenant, admin

    tenant, admin = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, admin.email, admin.password)
    text = (SEEDS / get_seed("basmat").source).read_text(encoding="utf-8")
    try:
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + "/portal/policy/import")
        screenshot(page, "import-start-phone-ar")
        _fits(page, 390)
        page.locator("#text").fill(text)
        page.get_by_role("button", name="اقرأ الوثيقة").click()
        page.wait_for_selector("text=راجع ما قرأناه")
        review = page.url
        main = page.locator("main").inner_text()
        assert "جمعية بسمات للعناية بالأسنان" in main and "د. سيرين بنت فخر الشواف" in page.content()
        assert page.locator("#review_window_days").input_value() == "14"
        assert page.locator("#meeting_number").input_value() == "3"
        assert "من وثيقتك" in main and "وُجد" in main
        for width, label in ((390, "phone"), (1366, "desktop")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(review)
            screenshot(page, f"import-review-{label}-ar")
            _fits(page, width)
            problems = axe_problems(page)
            assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
        page.goto(base + "/lang/en")
        for width, label in ((1366, "desktop"), (390, "phone")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(review)
            assert page.locator("html").get_attribute("dir") == "ltr"
            assert "From your document" in page.locator("main").inner_text()
            screenshot(page, f"import-review-{label}-en")
            _fits(page, width)
        page.get_by_role("button", name="Save to the draft").click()
        page.wait_for_url("**/portal/policy?imported=1")
        draft = run_async(services.load_draft(tenant.id))
        assert draft.draft.review_window_days == 14 and draft.draft.table_of_contents
        assert draft.approval["chair_name"] == "د. سيرين بنت فخر الشواف"
    except Exception:
        screenshot(page, "import-failure")
        raise
    finally:
        page.context.close()
