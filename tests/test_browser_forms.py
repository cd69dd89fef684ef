"""The one error summary in a real browser: a form sent with mistakes shows, at the top, every
error linked to its field, in Arabic (right to left) and English, on a phone and a desktop, with
what was typed kept and nothing wider than the screen."""
from __future__ import annotations

from typing import Any

import pytest
from support.browser import axe_problems, screenshot

pytestmark = pytest.mark.browser


def _send_with_mistakes(page: Any, base: str) -> None:
    page.goto(base + "/signup/organisation")
    page.fill("#name_ar", "")
    page.fill("#licence_number", "١٢ab")
    page.fill("#city", "")
    page.locator("form[action='/signup/organisation'] button[type=submit]").last.click()
    page.wait_for_selector("#error-summary")


@pytest.mark.parametrize("width, lang", [(390, "ar"), (1366, "ar"), (390, "en"), (1366, "en")])
def test_the_error_summary_lists_and_links_every_error(server, chromium, width, lang):
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA")
    if lang == "en":
        context.add_cookies([{"name": "sila_lang", "value": "en", "url": f"http://localhost:{server.port}"}])
    page = context.new_page()
    try:
        _send_with_mistakes(page, f"http://localhost:{server.port}")
        summary = page.locator("#error-summary")
        assert summary.get_attribute("role") == "alert" and summary.is_visible()
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        links = summary.locator("a")
        targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert {"#name_ar", "#licence_number", "#city"} <= set(targets)
        for href in targets:  # every link lands on a field of the page
            assert page.locator(f"[id='{href[1:]}']").count() == 1, href
        heading = summary.locator("strong").inner_text()
        assert ("تصحيح" in heading) if lang == "ar" else ("Please correct" in heading)
        assert page.input_value("#licence_number") == "١٢ab"  # kept as typed
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        links.first.click()
        assert page.evaluate("location.hash") == targets[0]
        assert not axe_problems(page)
        screenshot(page, f"error-summary-{lang}-{width}")
    finally:
        context.close()
