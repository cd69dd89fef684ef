"""The review of a sign-up in real browsers (issue 15): an operator asks a pending charity for
more information on a desktop; its admin reads the question and answers it on a phone; the
operator sees the answer. Both pages fit the screen and pass axe-core, in Arabic."""
from __future__ import annotations

import secrets

import pytest
from support.browser import axe_problems, operator_sign_in_page, screenshot
from support.clients import sign_up
from support.data import PASSWORD
from support.servers import run_async

pytestmark = pytest.mark.browser


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_operator_asks_and_the_admin_answers_on_a_phone(server, make_operator, chromium, smtp_sink, celery_worker):
    slug = f"q{secrets.token_hex(3)}"
    _, email = sign_up(server, slug, mail=smtp_sink)
    op = run_async(make_operator(name="ريم الدوسري"))
    base = f"http://localhost:{server.port}"

    desk = operator_sign_in_page(chromium, base, op)
    # The registration filter takes a Hijri day and says, as it is typed, which day it is.
    desk.get_by_label("مسجّلة من تاريخ").fill("١٤٤٨/٠٦/٢٣")
    desk.locator("#created_from-day", has_text="٣ ديسمبر ٢٠٢٦").wait_for()
    desk.get_by_label("مسجّلة من تاريخ").fill("")
    desk.locator("tr", has_text=slug).get_by_role("link").first.click()
    desk.wait_for_url(f"{base}/operator/tenants/*")
    desk.get_by_label("السؤال").fill("أرفقوا صورة شهادة التسجيل لدى المركز الوطني")
    desk.get_by_role("button", name="أرسل السؤال").click()
    desk.wait_for_url("**?done=ask_info")
    assert "أُرسل السؤال" in desk.locator(".alert-success").inner_text()
    assert fits(desk) and not axe_problems(desk), axe_problems(desk)
    screenshot(desk, "operator-asks-info-ar-1366")

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ar-SA", is_mobile=True).new_page()
    tenant_base = f"http://{slug}.localhost:{server.port}"
    phone.goto(tenant_base + "/login")
    phone.get_by_label("البريد الإلكتروني").fill(email)
    phone.get_by_label("كلمة المرور").fill(PASSWORD)
    phone.get_by_role("button", name="تسجيل الدخول").click()
    phone.wait_for_url(tenant_base + "/portal")
    phone.goto(tenant_base + "/portal/setup")
    question = phone.locator(".platform-question")
    assert "شهادة التسجيل" in question.inner_text()
    phone.get_by_role("button", name="أرسل الرد").click()  # empty: refused beside the field
    assert phone.locator("#reply-error").is_visible()
    phone.get_by_label("إجابتكم").fill("أرسلناها إلى بريد الدعم اليوم")
    phone.get_by_role("button", name="أرسل الرد").click()
    phone.wait_for_url("**/portal/setup?replied=1")
    assert fits(phone) and not axe_problems(phone), axe_problems(phone)
    screenshot(phone, "admin-answers-platform-ar-390")

    desk.reload()
    assert "أرسلناها إلى بريد الدعم اليوم" in desk.locator("main").inner_text()
