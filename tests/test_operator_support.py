"""Support access: without a grant an operator reaches no tenant route and no beneficiary data;
with one, read-only, every page audited for the tenant's admin, until revoked or expired."""
from __future__ import annotations

import re
from urllib.parse import urlsplit


from sila.platform.db import tenant_scope
from sila.platform.settings import get_settings
from support.data import BENEFICIARY_MOBILE, BENEFICIARY_NAME, add_beneficiary
from support.db import owner_connection





def tenant_routes() -> list[tuple[str, set[str]]]:
    from sila.platform.app import create_app

    routes = []
    for route in create_app(get_settings()).routes:
        methods = set(getattr(route, "methods", set())) - {"HEAD", "OPTIONS"}
        if route.path.startswith(("/portal", "/support")) and methods:
            routes.append((route.path, methods))
    return routes


def fill(path: str, ident: str) -> str:
    return re.sub(r"\{[^}]+\}", ident, path)


async def test_without_a_grant_no_tenant_route_and_no_beneficiary_data(server, operator_client, make_tenant,
                                                                         make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    beneficiary = await add_beneficiary(tenant)
    op = operator_client
    # The console's way in is shut without a grant, and a made-up entry token leads nowhere.
    assert op.post(f"/operator/tenants/{tenant.id}/support").status_code == 403
    assert server.client(tenant.slug).get("/support/enter/made-up-token").status_code == 404
    # The operator's own session, carried to the tenant's host by hand: every portal route refuses.
    on_tenant = server.client(tenant.slug)
    on_tenant.set_cookie("sila_session", op.cookie("sila_session"))
    on_tenant.last_csrf = None
    for path, methods in tenant_routes():
        for method in methods:
            url = fill(path, str(beneficiary))
            response = on_tenant.get(url) if method == "GET" else on_tenant.post(url, {"x": "1"}, csrf=False)
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            assert BENEFICIARY_NAME not in response.text and admin.email not in response.text, (method, url)
    # The console itself shows metadata and counts only: no beneficiary, no staff member.
    async with tenant_scope(tenant.id) as tx:
        export_id = await tx.connection.fetchval(
            "insert into tenant_export (tenant, status) values ($1, 'done') returning id", tenant.id)
    for path in ("/operator", f"/operator?q={tenant.slug}", f"/operator/tenants/{tenant.id}", "/operator/usage",
                 "/operator/health", "/operator/audit", f"/operator/tenants/{tenant.id}/exports/{export_id}"):
        page = op.get(path)
        assert page.status_code == 200, path
        for secret in (BENEFICIARY_NAME, BENEFICIARY_MOBILE, admin.email, "بريدة"):
            assert secret not in page.text, (path, secret)


async def test_with_a_grant_support_sees_read_only_until_revoked(server, operator_client, make_tenant, make_staff):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    beneficiary = await add_beneficiary(tenant)
    portal = server.client(tenant.slug)
    portal.login(admin.email)
    assert portal.post("/portal/security/grants", {"hours": "5"}).status_code == 400  # not an offered duration
    # Cases too: the admin chose it (the default is configuration only, tests/test_support_scopes.py).
    assert portal.post("/portal/security/grants", {"hours": "4", "note": "الحقل لا يظهر", "scope": "cases"}).status_code == 303
    op = operator_client
    assert "افتح البوابة" in op.get(f"/operator/tenants/{tenant.id}").text
    response = op.post(f"/operator/tenants/{tenant.id}/support")
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.hostname == f"{tenant.slug}.localhost"
    viewer = server.client(tenant.slug)
    assert viewer.get(target.path).status_code == 303
    assert server.client(tenant.slug).get(target.path).status_code == 404  # the entry works once
    page = viewer.get("/portal")
    assert page.status_code == 200 and "قراءة فقط" in page.text
    assert viewer.get("/portal/staff/").status_code == 200
    assert viewer.get("/portal/policy").status_code == 200
    # Under the admin's grant support may read a beneficiary's file (issue 6), with the ID number
    # masked; revealing it is a write and refused below; the admin sees the page in the audit.
    seen = viewer.get(f"/portal/beneficiaries/{beneficiary}")
    assert seen.status_code == 200 and BENEFICIARY_NAME in seen.text
    # Read-only: nothing can be changed under a grant, however it is asked.
    for path, data in (("/portal/staff/invite", {"email": "x@y.sa", "roles": "admin"}),
                       (f"/portal/beneficiaries/{beneficiary}/reveal", {}),
                       ("/portal/security/grants", {"hours": "72"})):
        assert viewer.post(path, data).status_code == 403, path
    # The operator audit has the way in; the admin sees who looked at what.
    from sila.platform.operator import services

    assert "support.portal_opened" in {e["action"] for e in await services.audit_log(tenant_id=tenant.id)}
    security = portal.get("/portal/security/").text
    assert op.operator.email in security
    assert "/portal/staff" in security and "/portal/policy" in security
    assert f"/portal/beneficiaries/{beneficiary}" in security
    # Revoked: the next page is refused, and the console no longer offers the way in.
    grant_id = re.search(r'/portal/security/grants/([0-9a-f-]{36})/revoke', security).group(1)
    assert portal.post(f"/portal/security/grants/{grant_id}/revoke").status_code == 303
    assert viewer.get("/portal").status_code == 403
    assert BENEFICIARY_NAME not in viewer.get(f"/portal/beneficiaries/{beneficiary}").text
    assert op.post(f"/operator/tenants/{tenant.id}/support").status_code == 403
    assert portal.post(f"/portal/security/grants/{grant_id}/revoke").status_code == 404  # not twice


async def test_an_expired_grant_lets_nobody_in(server, operator_client, make_tenant, make_staff, sila_env):
    tenant = await make_tenant()
    admin = await make_staff(tenant, "admin")
    portal = server.client(tenant.slug)
    portal.login(admin.email)
    portal.post("/portal/security/grants", {"hours": "1"})
    response = operator_client.post(f"/operator/tenants/{tenant.id}/support")
    viewer = server.client(tenant.slug)
    viewer.get(urlsplit(response.headers["location"]).path)
    assert viewer.get("/portal").status_code == 200
    # An hour later (moved on in the database, as the owner: the app role could not do it).
    conn = await owner_connection()
    try:
        await conn.execute("update support_grant set created_at = created_at - interval '2 hours', "
                           "expires_at = expires_at - interval '2 hours' where tenant = $1", tenant.id)
    finally:
        await conn.close()
    assert viewer.get("/portal").status_code == 403
    assert operator_client.post(f"/operator/tenants/{tenant.id}/support").status_code == 403
    assert "انتهت" in portal.get("/portal/security/").text


async def test_a_grant_of_one_tenant_opens_nothing_in_another(server, operator_client, two_tenants):
    a, b = two_tenants
    portal = server.client(a.tenant.slug)
    portal.login(a.email)
    portal.post("/portal/security/grants", {"hours": "1"})
    response = operator_client.post(f"/operator/tenants/{a.tenant.id}/support")
    token_path = urlsplit(response.headers["location"]).path
    # A's entry token on B's host is refused (and, used up, is gone for A too).
    assert server.client(b.tenant.slug).get(token_path).status_code == 404
    assert operator_client.post(f"/operator/tenants/{b.tenant.id}/support").status_code == 403
    # A support session opened on A and carried to B is refused there.
    response = operator_client.post(f"/operator/tenants/{a.tenant.id}/support")
    viewer = server.client(a.tenant.slug)
    viewer.get(urlsplit(response.headers["location"]).path)
    carried = server.client(b.tenant.slug)
    carried.set_cookie("sila_session", viewer.cookie("sila_session"))
    assert carried.get("/portal").status_code == 403
