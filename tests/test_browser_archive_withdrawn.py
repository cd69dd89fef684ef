"""An archive export that held a person later erased shows as withdrawn on the operator's tenant
page (issue 17), next to the export built after it; Arabic and English, 1366 and 390 px wide,
no horizontal scroll, axe-core clean."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from support.browser import axe_problems, operator_sign_in_page, screenshot
from support.data import SERVICE_STEPS
from support.servers import run_async

pytestmark = pytest.mark.browser


@dataclasses.dataclass(frozen=True)
class Who:
    id: Any
    name: str
    email: str = ""
    support_grant: Any = None


def test_a_withdrawn_archive_reads_as_such(server, make_operator, make_tenant, make_staff, publish_policy, chromium):
    from support.people import recorded

    async def setup() -> tuple[Any, Any]:
        from sila.platform.db import tenant_scope
        from sila.platform.operator import export
        from sila.tenants.beneficiaries import rights

        tenant = await make_tenant(name_ar="جمعية الأرشيف")
        await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, window=None)
        officer, admin = await make_staff(tenant, "relations_officer"), await make_staff(tenant, "admin")
        rid = await recorded(tenant, officer, "interview", "family")
        ids = []
        for _ in range(2):
            async with tenant_scope(tenant.id) as tx:
                ids.append(await tx.connection.fetchval(
                    "insert into tenant_export (tenant) values ($1) returning id", tenant.id))
                beneficiary = await tx.connection.fetchval("select beneficiary from support_request where id = $1",
                                                           rid)
            await export.build_export(ids[-1])
            if len(ids) == 1:
                await rights.erase(tenant.id, beneficiary, actor=Who(admin.id, "مدير"), address="")
        return tenant, await make_operator(name="ريم الدوسري")

    tenant, op = run_async(setup())
    base = f"http://localhost:{server.port}"
    # Signed in once (a TOTP code works once); the other widths and languages share the session.
    page = operator_sign_in_page(chromium, base, op)
    state = page.context.storage_state()
    page.context.close()
    for lang, width in (("ar", 1366), ("ar", 390), ("en", 1366), ("en", 390)):
        context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA",
                                       is_mobile=width < 500, storage_state=state)
        if lang == "en":
            context.add_cookies([{"name": "sila_lang", "value": "en", "url": base}])
        page = context.new_page()
        page.goto(f"{base}/operator/tenants/{tenant.id}")
        rows = page.locator("tr[id^=export-]")
        assert rows.count() == 2
        text = page.locator("main").inner_text()
        if lang == "ar":
            assert "سُحب" in text and "مُحي" in text and "جاهز" in text
        else:
            assert "Withdrawn" in text and "a person it held was erased" in text and "Ready" in text
        # The withdrawn one offers no download; the one built after the erasure does.
        assert page.locator("tr[id^=export-] button").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert not axe_problems(page), axe_problems(page)
        screenshot(page, f"operator-archive-withdrawn-{lang}-{width}")
        context.close()
