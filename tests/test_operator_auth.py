"""Operator accounts: a password alone never opens the console; TOTP is enrolled at first sign-in."""
from __future__ import annotations

import re
import time

import pyotp
from support.clients import OPERATOR_PASSWORD, operator_login



async def test_password_alone_does_not_open_the_console(server, make_operator):
    op = await make_operator()
    client = server.client()
    client.get("/operator/login")
    response = client.post("/operator/login", {"email": op.email, "password": op.password})
    assert response.status_code == 303 and response.headers["location"] == "/operator/login/code"
    # Half signed in: every console page still sends to the sign-in form.
    for path in ("/operator", "/operator/usage", "/operator/health", "/operator/audit", f"/operator/tenants/{op.id}"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/operator/login"), path
    # A wrong code, an old code and a malformed one are refused and keep it closed.
    stale = pyotp.TOTP(op.secret).at(time.time() - 300)
    for code in ("000000", stale, "12345", "abcdef"):
        response = client.post("/operator/login/code", {"code": code})
        assert response.status_code == 400, code
        assert 'aria-invalid="true"' in response.text
    assert client.get("/operator").status_code == 303
    # The current code opens it, typed with Eastern Arabic digits too.
    code = op.code().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.post("/operator/login/code", {"code": code}).status_code == 303
    assert client.get("/operator").status_code == 200


async def test_a_code_works_once(server, make_operator):
    op = await make_operator()
    now = time.time()
    operator_login(server.client(), op, at=now)
    # The same code, replayed by someone who saw it, does not open a second session.
    thief = server.client()
    thief.get("/operator/login")
    thief.post("/operator/login", {"email": op.email, "password": op.password})
    assert thief.post("/operator/login/code", {"code": op.code(now)}).status_code == 400
    assert thief.get("/operator").status_code == 303


async def test_first_sign_in_enrols_an_authenticator_with_a_qr_code(server, sila_env):
    from sila.platform.operator import services

    email = f"new-{int(time.time() * 1000)}@ops.test"
    await services.create_operator(email, "مشغّل جديد", OPERATOR_PASSWORD)
    client = server.client()
    client.get("/operator/login")
    response = client.post("/operator/login", {"email": email, "password": OPERATOR_PASSWORD})
    assert response.headers["location"] == "/operator/enrol"
    page = client.get("/operator/enrol")
    assert page.status_code == 200 and "<svg" in page.text and 'dir="rtl"' in page.text
    secret = re.search(r'class="secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    # The secret is not saved until a code from it is confirmed: the console stays closed.
    assert client.get("/operator").status_code == 303
    assert client.post("/operator/enrol", {"code": "000000"}).status_code == 400
    # Reloading shows the same secret (the one the app just scanned), not a new one.
    assert secret in client.get("/operator/enrol").text.replace(" ", "")
    assert client.post("/operator/enrol", {"code": pyotp.TOTP(secret).now()}).status_code == 303
    assert client.get("/operator").status_code == 200
    # Stored encrypted, not as the base32 secret itself.
    row = await services.authenticate(email, OPERATOR_PASSWORD)
    assert row["totp_secret"] and secret not in row["totp_secret"]
    assert services.open_secret(row["totp_secret"]) == secret
    # From now on the password leads to the code, not to a new enrolment.
    other = server.client()
    other.get("/operator/login")
    assert other.post("/operator/login", {"email": email, "password": OPERATOR_PASSWORD}).headers["location"] \
        == "/operator/login/code"
    assert other.get("/operator/enrol").status_code == 303


async def test_resetting_the_authenticator_from_the_command_line_ends_its_sessions(server, make_operator):
    from sila.platform.operator import services

    op = await make_operator()
    client = server.client()
    operator_login(client, op)
    assert client.get("/operator").status_code == 200
    await services.create_operator(op.email, op.name, op.password)  # name/password only: TOTP kept
    assert client.get("/operator").status_code == 200
    await services.create_operator(op.email, op.name, op.password, reset_totp=True)
    assert client.get("/operator").status_code == 303
    entries = await services.audit_log(action="operator.")
    assert any(e["action"] == "operator.reset" and op.email in e["operator_label"] for e in entries)


async def test_weak_operator_passwords_are_refused(sila_env):
    import pytest

    from sila.platform.operator import services

    for weak in ("short-1", "123456789012345", "aaaaaaaaaaaaaaaa"):
        with pytest.raises(ValueError):
            await services.create_operator("weak@ops.test", "x", weak)


async def test_operator_session_is_worthless_on_a_tenant_host(server, operator_client, two_tenants):
    a, _ = two_tenants
    session = operator_client.cookie("sila_session")
    tenant_client = server.client(a.tenant.slug)
    tenant_client.set_cookie("sila_session", session)
    for path in ("/portal", "/portal/staff/", "/portal/security/"):
        response = tenant_client.get(path)
        assert response.status_code == 403, path
        assert a.email not in response.text
