"""Issue 15's last pieces in a real browser, on a phone and a desktop, in Arabic and English: an
admin removes a member who holds open requests and chooses who takes them; a new charity's admin
asks for the confirmation link again; a researcher writes the field visit's day in the Hijri
calendar and sees which day it is. Each page fits the screen and passes axe-core."""
from __future__ import annotations

import secrets

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.clients import signup_form
from support.data import PASSWORD, create_staff, create_tenant, publish_seed_policy, recorded_request
from support.servers import run_async

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_removing_a_member_hands_their_requests_to_a_colleague(server, chromium):
    async def make():
        tenant = await create_tenant()
        await publish_seed_policy(tenant, "mafatih")
        admin = await create_staff(tenant, "admin")
        leaving = await create_staff(tenant, "relations_officer", name="سارة المغادرة")
        taker = await create_staff(tenant, "relations_officer", name="ريم المتولية")
        rid = (await recorded_request(tenant, leaving))["id"]
        return tenant, admin, leaving, taker, rid

    tenant, admin, leaving, taker, rid = run_async(make())
    base = f"http://{tenant.slug}.localhost:{server.port}"
    for width, lang in ((390, "ar"), (1366, "en")):
        page = sign_in_page(chromium, base, admin.email, PASSWORD)
        page.set_viewport_size({"width": width, "height": 900})
        if lang == "en":
            page.goto(base + "/lang/en")
        page.goto(f"{base}/portal/staff/{leaving.id}/remove")
        assert page.locator("#hand_to").is_visible()
        assert fits(page) and not axe_problems(page), axe_problems(page)
        screenshot(page, f"staff-remove-handover-{lang}-{width}")
        page.context.close()
    page = sign_in_page(chromium, base, admin.email, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/portal/staff/{leaving.id}/remove")
    page.get_by_role("button", name="أزل من هذه البوابة").click()  # nothing chosen: refused beside the field
    assert page.locator("#hand_to-error").is_visible()
    page.get_by_label("لديه طلب مفتوح واحد. من يتولاه؟").select_option(label="ريم المتولية")
    page.get_by_role("button", name="أزل من هذه البوابة").click()
    page.wait_for_url("**/portal/staff?done=remove")
    page.goto(f"{base}/portal/requests/{rid}")
    assert "ريم المتولية" in page.locator("main").inner_text()


def test_a_new_charity_asks_for_its_link_again_on_a_phone(server, chromium):
    slug = f"r{secrets.token_hex(3)}"
    base = f"http://localhost:{server.port}"
    page = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ar-SA", is_mobile=True).new_page()
    page.goto(base + "/signup/organisation")
    # The wizard's own form, posted from the page's session (the form itself is tested elsewhere).
    hidden = page.locator("form[action='/signup/organisation'] input[type=hidden]")
    form = {**signup_form(slug), **{hidden.nth(i).get_attribute("name"): hidden.nth(i).get_attribute("value")
                                    for i in range(hidden.count())}}
    assert page.request.post(base + "/signup/organisation", form=form, max_redirects=0).status == 303
    page.goto(base + "/signup/account")
    page.locator("#name").fill("مديرة الجمعية")
    page.locator("#email").fill(f"{secrets.token_hex(4)}@charity.test")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.get_by_role("button", name="أنشئ الحساب وتابع").click()
    page.wait_for_url("**/signup/done")
    assert "يومين" in page.locator("main").inner_text()
    page.get_by_role("button", name="أرسل الرابط مرة أخرى").click()
    page.wait_for_url("**/signup/done?resent=sent")
    assert page.locator("[role=status]").is_visible()
    assert fits(page) and not axe_problems(page), axe_problems(page)
    screenshot(page, "signup-resent-ar-390")
