"""Sign-in: session rotation, CSRF on every unsafe method, lock-out shared by app processes."""
from __future__ import annotations

import pytest
from support.servers import start_server



async def test_login_rotates_the_session_id(server, two_tenants):
    a, _ = two_tenants
    client = server.client(a.tenant.slug)
    client.get("/login")
    # A session planted before sign-in (fixation) must not survive it.
    client.set_cookie("sila_session", "attacker-chosen-session-id")
    client.post("/login", {"email": a.email, "password": "wrong password"})
    before = client.cookie("sila_session")
    client.login(a.email)
    after = client.cookie("sila_session")
    assert after and after != before and after != "attacker-chosen-session-id"
    assert client.get("/portal").status_code == 200
    # The planted id does not open the portal.
    planted = server.client(a.tenant.slug)
    planted.set_cookie("sila_session", "attacker-chosen-session-id")
    assert planted.get("/portal").status_code == 303


async def test_logout_ends_the_session_on_the_server(server, two_tenants):
    a, _ = two_tenants
    client = server.client(a.tenant.slug)
    client.login(a.email)
    session = client.cookie("sila_session")
    client.get("/portal")
    assert client.post("/logout").status_code == 303
    replay = server.client(a.tenant.slug)
    replay.set_cookie("sila_session", session)
    assert replay.get("/portal").status_code == 303


@pytest.mark.parametrize("path", ["/login", "/logout", "/password/forgot", "/portal/staff/invite"])
async def test_unsafe_methods_without_csrf_token_are_refused(server, two_tenants, path):
    a, _ = two_tenants
    client = server.client(a.tenant.slug)
    client.login(a.email)
    response = client.post(path, {"email": a.email, "password": a.password, "role": "admin"}, csrf=False)
    assert response.status_code == 403
    # And a token from another session does not pass either.
    other = server.client(a.tenant.slug)
    other.get("/login")
    response = client.post(path, {"email": a.email, "_csrf_token": "0" * 128}, csrf=False)
    assert response.status_code == 403
    assert client.get("/portal").status_code == 200  # still signed in: nothing happened


async def test_operator_console_refuses_post_without_csrf(server):
    client = server.client()
    assert client.post("/operator/login", {"email": "x@y.z", "password": "p"}, csrf=False).status_code == 403


async def test_lockout_is_shared_across_two_app_processes(server, sila_env, two_tenants):
    from sila.platform.settings import get_settings

    a, _ = two_tenants
    limit = get_settings().login_max_failures_account
    second = start_server(sila_env, name="web-second")
    try:
        clients = [server.client(a.tenant.slug), second.client(a.tenant.slug)]
        for i in range(limit):
            c = clients[i % 2]
            c.get("/login")
            assert c.post("/login", {"email": a.email, "password": f"wrong-{i}"}).status_code == 400
        # Now both processes refuse even the right password for this account.
        for c in clients:
            c.get("/login")
            response = c.post("/login", {"email": a.email, "password": a.password})
            assert response.status_code == 429
            assert c.get("/portal").status_code == 303
    finally:
        second.process.stop()


async def test_bad_login_input_is_answered_in_arabic_and_keeps_the_email(server, two_tenants):
    a, _ = two_tenants
    client = server.client(a.tenant.slug)
    client.get("/login")
    response = client.post("/login", {"email": "not-an-email", "password": ""})
    assert response.status_code == 400
    assert 'value="not-an-email"' in response.text
    assert "أدخل بريدًا إلكترونيًا صحيحًا" in response.text
    assert 'aria-invalid="true"' in response.text


async def test_role_guard_hides_admin_pages_from_other_roles(server, make_tenant, make_staff):
    tenant = await make_tenant()
    officer = await make_staff(tenant, "relations_officer")
    client = server.client(tenant.slug)
    client.login(officer.email)
    assert client.get("/portal").status_code == 200
    assert client.get("/portal/staff/").status_code == 403
    assert client.post("/portal/staff/invite", {"email": "x@y.sa", "roles": "admin"}).status_code == 403


async def test_public_forms_are_rate_limited_per_address(sila_env, two_tenants):
    """Sign-in, the online request form and tracking all answer 429 past the limit."""
    a, _ = two_tenants
    limited = start_server(sila_env, name="web-limited", SILA_PUBLIC_FORM_LIMIT="3")
    try:
        for path, data in (("/login", {"email": "x@y.sa", "password": "p"}), ("/password/forgot", {"email": "x@y.sa"}),
                           ("/track", {"reference": "26-00000000"})):
            client = limited.client(a.tenant.slug)
            client.get("/login")
            codes = [client.post(path, data).status_code for _ in range(5)]
            assert 429 in codes, (path, codes)
            page = client.post(path, data)
            assert page.status_code == 429 and "محاولات كثيرة" in page.text
        # Another site keeps its own count.
        other = limited.client(_.tenant.slug)
        other.get("/login")
        assert other.post("/login", {"email": "x@y.sa", "password": "p"}).status_code == 400
    finally:
        limited.process.stop()
