"""In a real browser, at 390 px and 1366 px, Arabic and English: the admin uploads a spreadsheet of
existing beneficiaries and sees the column mapping guessed from its Arabic headers beside a
preview. Screenshots in artifacts/screenshots/bulk-import-*.png; axe-core on the upload and
mapping pages; nothing wider than the phone."""
from __future__ import annotations

import json

import pytest
from support.browser import axe_problems, screenshot, sign_in_page
from support.servers import run_async

from sila.platform.identity import valid_test_id

pytestmark = pytest.mark.browser

HEADERS = "رقم الهوية,الاسم الرباعي,رقم الجوال,المدينة,الفئة,عدد أفراد الأسرة,تاريخ التسجيل,ملاحظات طويلة عن الحالة"


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scroll"


def test_upload_and_mapping_pages_at_phone_and_desktop_widths(server, make_tenant, make_staff, chromium, tmp_path):
    async def setup():
        tenant = await make_tenant(name_ar="جمعية مفاتيح الخير")
        admin = await make_staff(tenant, "admin", name="مديرة الجمعية")
        return tenant, admin

    tenant, admin = run_async(setup())
    rows = [f"{valid_test_id(f'1{70_000_000 + i:08d}')},عبدالرحمن بن سليمان بن عبدالعزيز الشمري,05012345{i:02d},"
            f"الرياض,أرملة,{i + 2},1445/06/{i + 10:02d},تحتاج الأسرة إلى متابعة شهرية لسداد الإيجار" for i in range(6)]
    path = tmp_path / "مستفيدو الجمعية.csv"
    path.write_bytes(("\ufeff" + HEADERS + "\n" + "\n".join(rows) + "\n").encode("utf-8"))
    base = f"http://{tenant.slug}.localhost:{server.port}"
    page = sign_in_page(chromium, base, admin.email, admin.password)
    try:
        for width, label in ((390, "phone"), (1366, "desktop")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + "/portal/beneficiaries/import")
            screenshot(page, f"bulk-import-start-{label}-ar")
            _fits(page, width)
            problems = axe_problems(page)
            assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
        page.set_input_files("#file", str(path))
        page.get_by_role("button", name="ارفع الملف وطابق الأعمدة").click()
        page.wait_for_selector("text=طابق الأعمدة")
        mapping = page.url
        assert page.locator("#map_id_number").input_value() == "0"
        assert page.locator("#map_household_size").input_value() == "5"
        assert "UTF-8" in page.locator("main").inner_text()
        for width, label in ((390, "phone"), (1366, "desktop")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(mapping)
            screenshot(page, f"bulk-import-mapping-{label}-ar")
            _fits(page, width)
            problems = axe_problems(page)
            assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
        # Errors beside their fields: no lawful-basis tick, a column chosen twice.
        page.select_option("#map_name", "0")
        page.get_by_role("button", name="افحص كل الصفوف واستورد").click()
        page.wait_for_selector(".error-summary")
        screenshot(page, "bulk-import-mapping-errors-desktop-ar")
        _fits(page, 1366)
        page.goto(base + "/lang/en")
        for width, label in ((1366, "desktop"), (390, "phone")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(mapping)
            assert page.locator("html").get_attribute("dir") == "ltr"
            assert "Match the columns" in page.locator("main").inner_text()
            screenshot(page, f"bulk-import-mapping-{label}-en")
            _fits(page, width)
            problems = axe_problems(page)
            assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    except Exception:
        screenshot(page, "bulk-import-failure")
        raise
    finally:
        page.context.close()
