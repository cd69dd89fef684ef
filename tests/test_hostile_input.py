"""Hostile bytes in forms, addresses and CSRF tokens are refused in the visitor's language (never
a 500); security headers on every response; no public OpenAPI pages."""
from __future__ import annotations

import re
import uuid

import httpx
import pytest
from support.data import PDF_BYTES
from support.db import scalar
from support.intake import online


NOT_ALLOWED_AR = "يحتوي هذا الحقل على أحرف غير مسموح بها."
NOT_ALLOWED_EN = "This field contains characters that are not allowed."


@pytest.fixture
async def charity(make_tenant, make_staff, publish_policy):
    tenant = await make_tenant(name_ar="جمعية الإدخال العدائي")
    await publish_policy(tenant, "mafatih")
    return tenant, await make_staff(tenant, "admin")


def multipart(client, path: str, parts: list[tuple[str, bytes, str | None]]) -> httpx.Response:
    """A hand-made multipart body: (name, raw bytes, filename or None) — bytes as they are, even
    when they are not UTF-8."""
    boundary = "sila-boundary-" + uuid.uuid4().hex
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: application/pdf\r\n"
        body += b"\r\n" + value + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return client.http.post(path, content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


async def test_a_nul_byte_re_renders_the_form_with_its_own_error_and_the_input_kept(server, charity, make_operator):
    tenant, staff = charity
    client = server.client(tenant.slug)
    client.get("/login")
    response = client.post("/login", {"email": "nora\x00@example.sa", "password": "x"})
    assert response.status_code == 400, response.text[-800:]
    assert NOT_ALLOWED_AR in response.text and 'dir="rtl"' in response.text
    assert "nora\ufffd@example.sa" in response.text  # what was typed, the bad character shown as �

    client.get("/track")
    response = client.post("/track", {"reference": "26-\x00\x01"})
    # The reference step again (200, as every answer of this form), the error beside the field, what was typed kept.
    assert response.status_code == 200, response.text[-800:]
    assert 'id="reference-error"' in response.text and NOT_ALLOWED_AR in response.text
    assert 'value="26-\ufffd\ufffd"' in response.text and 'action="/track"' in response.text

    response = client.get("/feedback")
    token = re.search(r'name="token" value="([^"]+)"', response.text).group(1)
    response = client.post("/feedback", {"token": token, "kind": "complaint", "body": "تأخر\x00 الرد",
                                         "contact_channel": "sms", "mobile": "0551234567"})
    assert response.status_code == 400 and NOT_ALLOWED_AR in response.text and "تأخر\ufffd الرد" in response.text

    operator = server.client()
    operator.get("/operator/login")
    response = operator.post("/operator/login", {"email": "op\x00@ops.test", "password": "p"})
    assert response.status_code == 400 and NOT_ALLOWED_AR in response.text

    # In English, for a visitor who chose it.
    english = server.client(tenant.slug)
    english.set_cookie("sila_lang", "en")
    english.get("/login")
    response = english.post("/login", {"email": "a\x00b@example.sa", "password": "x"})
    assert response.status_code == 400 and NOT_ALLOWED_EN in response.text and 'dir="ltr"' in response.text


async def test_the_apply_form_refuses_nul_and_invalid_utf8_and_saves_nothing(server, charity):

    tenant, _ = charity
    client = server.client(tenant.slug)
    response, _ = online(client, need="إيجار\x00 السكن")
    assert response.status_code == 400, response.text[-800:]
    assert NOT_ALLOWED_AR in response.text and "إيجار\ufffd السكن" in response.text
    page = client.get("/apply")
    token = re.search(r'name="submit_token" value="([^"]+)"', page.text).group(1)
    response = multipart(client, "/apply", [("_csrf_token", client.csrf().encode(), None),
                                            ("submit_token", token.encode(), None),
                                            ("name", b"\xff\xfe\xc3(", None), ("documents", PDF_BYTES, "a.pdf")])
    assert response.status_code == 400, response.text[-800:]
    assert NOT_ALLOWED_AR in response.text
    assert await scalar(tenant.id, "select count(*) from support_request") == 0


async def test_a_file_where_text_is_expected_is_refused(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    client.get("/login")
    response = multipart(client, "/login", [("_csrf_token", client.csrf().encode(), None),
                                            ("email", b"a@b.c", "email.pdf"), ("password", b"x", None)])
    assert response.status_code in (400, 415), response.text[-800:]


async def test_a_malformed_csrf_token_is_a_403(server, charity):
    tenant, _ = charity
    client = server.client(tenant.slug)
    client.get("/login")
    # As a file part, as non-ASCII text, twice, and in the header.
    response = multipart(client, "/login", [("_csrf_token", client.csrf().encode(), "token.txt"),
                                            ("email", b"a@b.c", None)])
    assert response.status_code == 403
    response = client.http.post("/login", data={"_csrf_token": "تزوير" * 30, "email": "a@b.c"})
    assert response.status_code == 403
    response = client.http.post("/login", data={"_csrf_token": [client.csrf(), "é"], "email": "a@b.c"})
    assert response.status_code in (400, 403)
    response = client.http.post("/login", data={"email": "a@b.c"}, headers={"X-CSRFToken": "é".encode()})
    assert response.status_code == 403
    planted = server.client(tenant.slug)
    response = planted.http.post("/login", data={"_csrf_token": "a" * 130},
                                 headers={"Cookie": "sila_csrf=é".encode()})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/policy/v/99999999999999999999", "/policy/v/99999999999999999999/pdf",
                                  "/policy/v/-99999999999999999999", "/policy/v/2147483648"])
async def test_an_integer_out_of_range_in_an_address_is_a_404(server, charity, path):
    tenant, _ = charity
    response = server.client(tenant.slug).get(path)
    assert response.status_code == 404, response.text[-800:]


@pytest.mark.parametrize("query", ["?status=%00", "?kind=%ff%fe", "?q=a%01b", "?%00=x"])
async def test_control_characters_in_a_query_string_are_a_400(server, charity, query):
    tenant, staff = charity
    client = server.client(tenant.slug)
    client.login(staff.email)
    response = client.get("/portal/feedback" + query)
    assert response.status_code == 400, response.text[-800:]
    assert "تحتوي" in response.text or "أحرف" in response.text


async def test_a_nul_in_a_path_is_a_404(server, charity):
    tenant, staff = charity
    client = server.client(tenant.slug)
    client.login(staff.email)
    for path in ["/portal/feedback/%00", "/portal/requests/a%00b", "/track/%00"]:
        assert client.get(path).status_code == 404, path


# --- headers -------------------------------------------------------------------------------------


def assert_security_headers(response: httpx.Response, where: str) -> None:
    h = response.headers
    csp = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, where
    assert h.get("x-frame-options") == "DENY", where
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("referrer-policy") in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), where
    assert "strict-transport-security" not in h, where  # not in tests: plain http


async def test_security_headers_and_no_store_on_signed_in_pages(server, charity, operator_client):
    tenant, staff = charity
    client = server.client(tenant.slug)
    for path in ["/", "/login", "/policy", "/apply", "/nowhere", "/static/sila.css"]:
        assert_security_headers(client.get(path), path)
    client.login(staff.email)
    for path in ["/portal", "/portal/requests", "/portal/feedback", "/portal/beneficiaries"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response, path)
        assert "no-store" in response.headers.get("cache-control", ""), path
    for path in ["/operator", "/operator/tenants"]:
        response = operator_client.get(path)
        assert_security_headers(response, path)
        assert "no-store" in response.headers.get("cache-control", ""), path
    assert "no-store" in client.get("/track").headers.get("cache-control", "")


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger", "/schema/redoc", "/schema/openapi.json"])
async def test_no_public_openapi_pages(server, charity, path):
    tenant, _ = charity
    for c in (server.client(tenant.slug), server.client()):
        assert c.get(path).status_code == 404, path


async def test_hsts_in_production_only(sila_env):
    from sila.platform.headers import security_headers

    for hsts, expected in ((True, True), (False, False)):
        message = {"type": "http.response.start", "status": 200, "headers": []}
        await security_headers(hsts=hsts)(message, {"path": "/"})
        names = {k.decode().lower() for k, _ in message["headers"]}
        assert ("strict-transport-security" in names) is expected
