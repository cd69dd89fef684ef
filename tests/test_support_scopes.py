"""Support access has the scope the admin chose (issue 12, finding 15): "configuration only" (the
default) shows no beneficiary, request, committee, feedback or survey-answer page; "cases too"
shows them read-only with ID numbers masked, every page view in the tenant's audit. Checked over
every staff route the app registers (enumerated from the app, so a new page is covered)."""
from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from sila.platform.db import tenant_scope
from sila.platform.settings import get_settings
from support.data import BENEFICIARY_MOBILE, BENEFICIARY_NAME, add_beneficiary


# Pages the admin must be able to show support under "configuration only".
CONFIGURATION = ("/portal", "/portal/policy", "/portal/notifications/providers", "/portal/notifications/settings",
                 "/portal/notifications/templates", "/portal/staff/", "/portal/security/")
# Pages that are about people: never under "configuration only".
CASES = re.compile(r"^/portal/(beneficiaries|requests|committee|feedback|surveys/campaigns|surveys/[^/]+/results)"
                   r"|^/portal/notifications$")


def staff_get_routes() -> list[str]:
    """Every GET route guarded by `requires_staff` (its own guards and its controller's)."""
    from sila.platform.app import create_app

    paths = []
    for route in create_app(get_settings()).routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in handler.http_methods:
                continue
            if any(getattr(g, "__qualname__", "").startswith("requires_staff") for g in handler.resolve_guards()):
                paths.append(route.path)
    return sorted(set(paths))


def fill(path: str, beneficiary: uuid.UUID) -> str:
    return re.sub(r"\{([^}:]+)[^}]*\}",
                  lambda m: str(beneficiary) if m.group(1) == "beneficiary_id" else str(uuid.uuid4()), path)


async def enter(server, operator_client, tenant, admin, scope: str | None):
    portal = server.client(tenant.slug)
    portal.login(admin.email)
    form = {"hours": "1"} | ({"scope": scope} if scope else {})
    assert portal.post("/portal/security/grants", form).status_code == 303
    response = operator_client.post(f"/operator/tenants/{tenant.id}/support")
    assert response.status_code == 303
    viewer = server.client(tenant.slug)
    assert viewer.get(urlsplit(response.headers["location"]).path).status_code == 303
    return portal, viewer


async def full_id(tenant, beneficiary) -> str:
    from sila.platform import crypto
    from sila.tenants.beneficiaries.services import ID_FIELD

    async with tenant_scope(tenant.id) as tx:
        blob = await tx.connection.fetchval("select id_number_enc from beneficiary where id = $1", beneficiary)
    return crypto.decrypt(tenant.id, ID_FIELD, blob)


def test_the_routes_are_enumerated(sila_env):
    routes = staff_get_routes()
    assert len(routes) > 30 and "/portal/beneficiaries/{beneficiary_id:str}" in routes and "/portal" in routes


async def test_configuration_only_is_the_default_and_shows_no_case(server, operator_client, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    beneficiary = await add_beneficiary(tenant)
    portal, viewer = await enter(server, operator_client, tenant, admin, None)  # the admin chose nothing
    for path in CONFIGURATION:
        assert viewer.get(path).status_code == 200, path
    refused = 0
    for path in staff_get_routes():
        url = fill(path, beneficiary)
        page = viewer.get(url)
        assert page.status_code < 500, (url, page.status_code)
        assert BENEFICIARY_NAME not in page.text and BENEFICIARY_MOBILE not in page.text, url
        if CASES.match(path):
            assert page.status_code == 403, (url, page.status_code)
            refused += 1
    assert refused >= 10
    security = portal.get("/portal/security/").text
    assert "الإعدادات فقط" in security


async def test_cases_too_shows_cases_read_only_masked_and_audited(server, operator_client, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    beneficiary = await add_beneficiary(tenant)
    number = await full_id(tenant, beneficiary)
    portal, viewer = await enter(server, operator_client, tenant, admin, "cases")
    seen = viewer.get(f"/portal/beneficiaries/{beneficiary}")
    assert seen.status_code == 200 and BENEFICIARY_NAME in seen.text and number[-4:] in seen.text
    asked = []
    for path in staff_get_routes():
        url = fill(path, beneficiary)
        page = viewer.get(url)
        assert page.status_code < 500 and page.status_code != 403, (url, page.status_code)
        assert number not in page.text, url  # ID numbers masked everywhere
        asked.append(url)
    # Read-only all the same: revealing the ID is a write, refused.
    assert viewer.post(f"/portal/beneficiaries/{beneficiary}/reveal", {}).status_code == 403
    async with tenant_scope(tenant.id) as tx:
        audited = {r["target_id"] for r in await tx.connection.fetch(
            "select target_id from audit_entry where action = 'support.page_view'")}
    assert {urlsplit(u).path for u in asked} <= audited
    # An unknown scope is refused on the form, with what was typed kept.
    bad = portal.post("/portal/security/grants", {"hours": "1", "scope": "everything", "note": "ملاحظة"})
    assert bad.status_code == 400 and "ملاحظة" in bad.text
