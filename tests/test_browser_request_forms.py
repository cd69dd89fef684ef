"""In a real browser, at a phone's and a desktop's width, in Arabic and English: the request area's
forms after their move to the form layer. A refused character on the tracking page is shown beside
its field (the page answers 200); an amount that is no amount of riyals is refused on the request
page with what was typed kept; the committee's sessions list counts its requests."""
from __future__ import annotations

import json
from typing import Any

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.data import SERVICE_STEPS, served_request, session_time
from support.servers import run_async

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "desktop": 1366}


def _page(chromium: Any, width: int, lang: str, base: str) -> Any:
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA")
    if lang == "en":
        context.add_cookies([{"name": "sila_lang", "value": "en", "url": base}])
    return context.new_page()


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_refused_character_on_the_tracking_page_is_shown_beside_its_field(server, make_tenant, publish_policy,
                                                                             chromium, lang):
    tenant = run_async(make_tenant())
    run_async(publish_policy(tenant, "mafatih"))
    base = f"http://{tenant.slug}.localhost:{server.port}"
    for name, width in WIDTHS.items():
        page = _page(chromium, width, lang, base)
        page.goto(base + "/track")
        # A control character, typed as a browser would never send it: set by script.
        page.evaluate("document.querySelector('#reference').value = '26-1\\u0001'")
        with page.expect_response(lambda r: r.url.endswith("/track") and r.request.method == "POST") as answer:
            page.locator("form[action='/track'] button[type=submit]").click()
        assert answer.value.status == 200
        page.wait_for_selector("#reference-error")
        assert page.locator("#reference-error").inner_text().strip()
        assert page.locator("#error-summary a[href='#reference']").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        problems = axe_problems(page)
        assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
        screenshot(page, f"track-refused-{name}-{lang}")
        page.context.close()


def test_an_amount_that_is_no_amount_is_refused_and_the_sessions_list_counts_its_requests(
        server, make_tenant, make_staff, publish_policy, chromium):
    async def setup() -> Any:
        tenant = await make_tenant()
        await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None)
        officer = await make_staff(tenant, "relations_officer", name="نورة العتيبي")
        admin = await make_staff(tenant, "admin", name="سعد")
        req = await served_request(tenant, officer)  # at delivery, one service recorded: another may be
        return tenant, officer, admin, req["id"]

    tenant, officer, admin, rid = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, officer.email, officer.password)
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/portal/requests/{rid}")
        page.get_by_label("الخدمة", exact=True).fill("سلة غذائية")
        page.get_by_label("المبلغ بالريال (اختياري)").fill("NaN")
        page.get_by_role("button", name="سجّل الخدمة").click()
        page.wait_for_selector("#amount-error")
        assert page.get_by_label("المبلغ بالريال (اختياري)").input_value() == "NaN"
        assert page.get_by_label("الخدمة", exact=True).input_value() == "سلة غذائية"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"request-amount-refused-{name}-ar")

    chair = sign_in_page(chromium, base, admin.email, admin.password)
    chair.goto(base + "/portal/committee")
    chair.get_by_label("التاريخ والوقت (بتوقيت الرياض)").fill(session_time())
    chair.get_by_role("button", name="افتح الجلسة").click()
    chair.wait_for_selector("text=جدول الأعمال")
    chair.goto(base + "/portal/committee")
    text = chair.locator("main").inner_text()
    assert "built-in" not in text and "method" not in text
    assert "٠ / ٠" in text or "0 / 0" in text
    for name, width in WIDTHS.items():
        chair.set_viewport_size({"width": width, "height": 900})
        assert chair.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(chair, f"committee-sessions-{name}-ar")
