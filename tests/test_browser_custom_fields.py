"""In a real browser: the charity's own questions on /apply on a phone (a conditional question hidden
until its answer is chosen, shown by the page's script and checked by the server, a required one
refused beside its field with what was typed kept, then sent), and the editor in the policy setup,
each at a phone's and a desktop's width in Arabic and English, with no sideways scrolling and axe."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.data import valid_id
from support.servers import run_async

from sila.tenants.policy import custom_fields as cf
from support.custom_fields import ANSWERS, LEASE, QUESTIONS

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "desktop": 1366}


def _context(chromium: Any, width: int, lang: str, base: str) -> Any:
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA")
    if lang == "en":
        context.add_cookies([{"name": "sila_lang", "value": "en", "url": base}])
    return context


def _check(page: Any, width: int, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    problems = axe_problems(page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    screenshot(page, name)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_the_charitys_questions_on_apply_show_conditionally_are_checked_and_sent(server, make_tenant, publish_policy,
                                                                                 chromium, tmp_path, lang):
    tenant = run_async(make_tenant(name_ar="جمعية إسكان"))
    run_async(publish_policy(tenant, "mafatih", channels=["website", "phone"], custom_fields=cf.to_dicts(QUESTIONS)))
    base = f"http://{tenant.slug}.localhost:{server.port}"
    lease = tmp_path / "lease.pdf"
    lease.write_bytes(b"%PDF-1.4\n% lease\n")
    for width_name, width in WIDTHS.items():
        page = _context(chromium, width, lang, base).new_page()
        page.goto(base + "/apply")
        # Hidden until the answer that shows them is chosen (and hidden again when it changes).
        assert page.locator("#cf_rent-question").is_hidden() and page.locator("#cf_lease-question").is_hidden()
        assert page.locator("#cf_released-question").is_hidden()
        page.locator("input[name=cf_tenure][value=rent]").check()
        assert page.locator("#cf_rent-question").is_visible() and page.locator("#cf_lease-question").is_visible()
        page.locator("input[name=cf_tenure][value=own]").check()
        assert page.locator("#cf_rent-question").is_hidden()
        page.locator("input[name=cf_tenure][value=rent]").check()
        page.locator("input[name=cf_prisoner][value=yes]").check()
        assert page.locator("#cf_released-question").is_visible()
        _check(page, width, f"apply-questions-{width_name}-{lang}")

        name = "منيرة سعد الدوسري"
        page.fill("#name", name)
        page.fill("#id_number", valid_id())
        page.fill("#mobile", "0555123456")
        page.fill("#need", "دعم إيجار السكن")
        page.fill("#cf_landlord", "محمد المؤجر")
        page.fill("#cf_members", "٥")
        page.fill("#cf_released", "١٤٤٧/٠٣/٢٣")
        page.check("#attest")
        page.fill("#signature", name)
        page.check("#consent")
        page.locator("form[action='/apply'] button[type=submit]").click()
        # The rent and the lease are required once renting: refused beside them, the rest kept.
        page.wait_for_selector("#cf_rent-error")
        assert page.locator("#cf_lease-error").count() == 1
        assert page.locator("#cf_landlord").input_value() == "محمد المؤجر"
        assert page.locator("input[name=cf_tenure][value=rent]").is_checked()
        assert page.locator("#cf_rent-question").is_visible()  # still shown: its condition holds
        assert "٢٠٢٥" in page.locator("#cf_released-day").inner_text() or "2025" in page.locator("#cf_released-day").inner_text()
        assert page.locator("#error-summary a[href='#cf_rent']").count() == 1
        _check(page, width, f"apply-questions-errors-{width_name}-{lang}")

        page.fill("#cf_rent", "١٢٬٥٠٠")
        page.set_input_files("#cf_lease", str(lease))
        page.check("#attest")
        page.check("#consent")
        page.locator("form[action='/apply'] button[type=submit]").click()
        page.wait_for_url(base + "/apply/received")
        assert re.search(r"\d\d-\d{8}", page.locator(".reference").inner_text())
        page.context.close()


def test_the_editor_at_a_phones_and_a_desktops_width(server, make_tenant, make_staff, publish_policy, chromium):
    tenant = run_async(make_tenant())
    run_async(publish_policy(tenant, "mafatih", custom_fields=cf.to_dicts(QUESTIONS)))
    admin = run_async(make_staff(tenant, "admin"))
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, admin.email, admin.password)
    for lang in ("ar", "en"):
        if lang == "en":
            page.context.add_cookies([{"name": "sila_lang", "value": "en", "url": base}])
        for width_name, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + "/portal/policy/form")
            assert page.locator("li.q-row").count() == len(QUESTIONS)
            assert page.locator("#custom_fields\\.1\\.show_when_field").input_value() == "tenure=rent"
            _check(page, width, f"policy-form-{width_name}-{lang}")
    # Adding a question: a new row to word, with the keyboard on its Arabic label.
    page.select_option("#new_type", "yes_no")
    page.locator("button[name=action][value=add]").click()
    page.wait_for_selector(f"#custom_fields\\.{len(QUESTIONS)}\\.label_ar")
    page.fill(f"#custom_fields\\.{len(QUESTIONS)}\\.label_ar", "هل لديكم دخل ثابت؟")
    page.locator("button[name=action][value=save]").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("li.q-row").count() == len(QUESTIONS) + 1
    _check(page, 1366, "policy-form-added-desktop-en")


def test_the_request_page_shows_the_answers(server, make_tenant, make_staff, publish_policy, chromium):
    from support.intake import PDF, online

    tenant = run_async(make_tenant())
    run_async(publish_policy(tenant, "mafatih", channels=["website", "phone"], custom_fields=cf.to_dicts(QUESTIONS)))
    officer = run_async(make_staff(tenant, "relations_officer"))
    response, _ = online(server.client(tenant.slug), files={"documents": PDF, "cf_lease": LEASE}, **ANSWERS)
    assert response.status_code == 303
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, officer.email, officer.password)
    page.goto(base + "/portal/requests")
    page.locator("table.queue a").first.click()
    for lang in ("ar", "en"):
        if lang == "en":
            page.context.add_cookies([{"name": "sila_lang", "value": "en", "url": base}])
        for width_name, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()
            answers = page.locator(".custom-answers").inner_text()
            assert ("إيجار" in answers and "غذاء، كسوة" in answers) if lang == "ar" else \
                ("Rented" in answers and "Food, Clothing" in answers and "12500 riyals" in answers)
            assert page.locator(".custom-answers a").count() == 1  # the lease opens from its answer
            _check(page, width, f"request-answers-{width_name}-{lang}")
