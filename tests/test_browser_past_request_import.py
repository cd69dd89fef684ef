"""In a real browser, at 390 px and 1366 px, Arabic and English: the admin chooses "past requests"
on the upload form, sees the mapping guessed from a charity's own Arabic headers, starts the import,
watches the real worker finish it, and opens an imported request, whose history says it was
imported and from which file. Screenshots in artifacts/screenshots/past-import-*.png; axe-core on
each page; nothing wider than the phone."""
from __future__ import annotations

import json

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.servers import run_async

from sila.platform.identity import valid_test_id

pytestmark = pytest.mark.browser

HEADERS = "رقم الهوية,اسم مقدم الطلب,الجوال,تاريخ الطلب,نوع الدعم,تفاصيل الطلب,النتيجة,سبب الرفض,تاريخ الصرف,المبلغ"
OUTCOMES = [("تم الصرف", "", "2024-01-20", "1500"), ("مرفوض", "الدخل أعلى من حد الاستحقاق", "", ""),
            ("مقبول", "", "", ""), ("مرفوض", "", "", "")]  # the last: a decline with no reason


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


def _axe(page) -> None:
    problems = axe_problems(page)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_past_requests_import_at_phone_and_desktop_widths(server, celery_worker, make_tenant, make_staff,
                                                          publish_policy, chromium, tmp_path):
    async def setup():
        tenant = await make_tenant(name_ar="جمعية مفاتيح الخير")
        await publish_policy(tenant)
        admin = await make_staff(tenant, "admin", name="مديرة الجمعية")
        return tenant, admin

    tenant, admin = run_async(setup())
    rows = [f"{valid_test_id(f'1{71_000_000 + i:08d}')},عبدالرحمن بن سليمان الشمري,05512345{i:02d},1445/0{i + 1}/15,"
            f"مساعدة إيجار,أسرة من ستة أفراد تسكن بالإيجار منذ سنوات,{o},{reason},{served},{amount}"
            for i, (o, reason, served, amount) in enumerate(OUTCOMES)]
    path = tmp_path / "طلبات الدعم 1440-1445.csv"
    path.write_bytes(("\ufeff" + HEADERS + "\n" + "\n".join(rows) + "\n").encode("utf-8"))
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, admin.email, admin.password)
    try:
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(base + "/portal/beneficiaries/import")
        page.get_by_label("الطلبات السابقة", exact=True).check()
        screenshot(page, "past-import-start-phone-ar")
        _fits(page, 390)
        _axe(page)
        page.set_input_files("#file", str(path))
        page.get_by_role("button", name="ارفع الملف وطابق الأعمدة").click()
        page.wait_for_selector("text=طابق الأعمدة")
        mapping = page.url
        for field, column in (("id_number", "0"), ("submitted_on", "3"), ("support_kind", "4"), ("outcome", "6"),
                              ("reason", "7"), ("served_on", "8"), ("amount", "9")):
            assert page.locator(f"#map_{field}").input_value() == column, field
        for width, label in ((390, "phone"), (1366, "desktop")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(mapping)
            screenshot(page, f"past-import-mapping-{label}-ar")
            _fits(page, width)
            _axe(page)
        page.locator("#lawful").check()
        page.get_by_role("button", name="افحص كل الصفوف واستورد").click()
        page.wait_for_selector("#import-progress:not([hx-get])", timeout=120_000)
        text = page.locator("#import-progress").inner_text()
        assert "استُوردت طلبات سابقة" in text and "اكتملت" in text, text
        for width, label in ((390, "phone"), (1366, "desktop")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(mapping)
            screenshot(page, f"past-import-done-{label}-ar")
            _fits(page, width)
            _axe(page)
        # An imported request's page: on the "imported" channel, its history naming the file.
        page.goto(base + "/portal/beneficiaries")
        page.get_by_role("link", name="عبدالرحمن بن سليمان الشمري").first.click()
        page.locator("a.ref, bdi.ref").first.click()
        page.wait_for_selector("#tl-title")
        main = page.locator("main").inner_text()
        assert "استُورد من سجلات الجمعية السابقة" in main and "طلبات الدعم 1440-1445.csv" in main, main
        request_page = page.url
        for width, label in ((390, "phone"), (1366, "desktop")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(request_page)
            screenshot(page, f"past-import-request-{label}-ar")
            _fits(page, width)
            _axe(page)
        page.goto(base + "/lang/en")
        for target, name in ((mapping, "done"), (request_page, "request"), (base + "/portal/beneficiaries/import",
                                                                            "start")):
            for width, label in ((1366, "desktop"), (390, "phone")):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(target)
                assert page.locator("html").get_attribute("dir") == "ltr"
                screenshot(page, f"past-import-{name}-{label}-en")
                _fits(page, width)
                _axe(page)
        page.goto(request_page)
        assert "Imported from the charity's earlier records" in page.locator("main").inner_text()
    except Exception:
        screenshot(page, "past-import-failure")
        raise
    finally:
        page.context.close()
