"""The API pages in a real browser: an admin makes a key in Arabic (shown once), revokes it; the
webhooks page; both at phone and desktop widths in both languages without sideways scrolling or
serious accessibility problems; the API documentation draws from this site's files only."""
from __future__ import annotations

import re
from typing import Any

import pytest

from support import data
from support.browser import accept_confirmations, axe_problems, screenshot, sign_in_page
from support.servers import run_async

pytestmark = pytest.mark.browser


def fits(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(server, chromium) -> None:
    async def setup() -> Any:
        tenant = await data.create_tenant(name_ar="جمعية البر")
        await data.publish_seed_policy(tenant, steps=data.SERVICE_STEPS, channels=["website", "phone"], window=None)
        return tenant, await data.create_staff(tenant, "admin", name="مدير الجمعية")

    tenant, admin = run_async(setup())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, admin.email, admin.password)
    page.get_by_role("link", name="مفاتيح الواجهة البرمجية").click()
    page.get_by_label("الاسم").fill("نظام المحاسبة")
    page.get_by_label(re.compile("الطلبات: قراءة")).check()
    page.get_by_role("button", name="أنشئ المفتاح").click()
    key = page.locator("#new-key").inner_text()
    assert re.fullmatch(r"sila_[A-Za-z0-9_-]{43}", key)
    assert axe_problems(page) == []
    for width, lang in [(1366, "ar"), (390, "ar"), (390, "en"), (1366, "en")]:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base + f"/lang/{lang}?next=/portal/api-keys")
        assert key not in page.content()  # shown once
        assert fits(page), (width, lang)
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        screenshot(page, f"api-keys-{lang}-{width}")
        page.goto(base + "/portal/webhooks")
        assert fits(page), ("webhooks", width, lang)
        screenshot(page, f"webhooks-{lang}-{width}")
    page.goto(base + "/lang/ar?next=/portal/api-keys")
    page.get_by_role("button", name="إلغاء المفتاح").click()
    assert "ملغى" in page.locator("main").inner_text()
    assert page.confirmations  # it asked first
    page.context.close()


def test_the_api_documentation_uses_this_sites_files_only(server, chromium) -> None:
    tenant = run_async(data.create_tenant())
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = accept_confirmations(context.new_page())
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"http://{tenant.slug}.localhost:{server.port}/api/v1/docs")
    page.wait_for_selector(".opblock-summary", timeout=15000)
    assert page.locator(".opblock-summary-path").count() >= 11
    assert all(u.startswith(f"http://{tenant.slug}.localhost:{server.port}/") for u in asked), asked
    screenshot(page, "api-docs-1366")
    context.close()
