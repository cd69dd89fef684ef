"""HTTP clients like a browser tab, and the one way to sign in (`sign_in`); operators and the sign-up wizard."""
from __future__ import annotations
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from support.mail import SmtpSink, link_in

if TYPE_CHECKING:
    from support.servers import Server

PASSWORD = "Sila-test-Passw0rd"


CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Client:
    """An HTTP client bound to one site (Host header), keeping its own cookies, like a browser tab."""

    def __init__(self, server: Server, host: str) -> None:
        self.server = server
        self.host = host
        self.http = httpx.Client(base_url=server.url, headers={"Host": host}, follow_redirects=False, timeout=30)
        self.last_csrf: str | None = None

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.http.cookies.jar if c.name == name), None)

    def set_cookie(self, name: str, value: str) -> None:
        """Replace a cookie as the server would have set it (host-only, for this server)."""
        for c in [c for c in self.http.cookies.jar if c.name == name]:
            self.http.cookies.jar.clear(c.domain, c.path, c.name)
        self.http.cookies.set(name, value, domain="127.0.0.1", path="/")

    def get(self, path: str, **kw: Any) -> httpx.Response:
        response = self.http.get(path, **kw)
        if m := CSRF_RE.search(response.text):
            self.last_csrf = m.group(1)
        return response

    def csrf(self, path: str = "/login") -> str:
        if self.last_csrf is None:
            self.get(path)
        assert self.last_csrf, f"no CSRF token on {path}"
        return self.last_csrf

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> httpx.Response:
        data = dict(data or {})
        if csrf:
            data.setdefault("_csrf_token", self.csrf())
        response = self.http.post(path, data=data, **kw)
        if m := CSRF_RE.search(response.text):
            self.last_csrf = m.group(1)
        return response

    def login(self, email_address: str, password: str = PASSWORD) -> httpx.Response:
        self.get("/login")
        response = self.post("/login", {"email": email_address, "password": password, "next": "/portal"})
        assert response.status_code == 303, response.text[-2000:]
        return response


OPERATOR_PASSWORD = "Operator-test-Passw0rd"


@dataclass
class OperatorAccount:
    id: uuid.UUID
    email: str
    name: str
    password: str
    secret: str  # the TOTP secret, as the operator's authenticator app holds it

    def code(self, at: float | None = None) -> str:
        import pyotp

        return pyotp.TOTP(self.secret).at(at if at is not None else time.time())


def operator_login(client: Client, op: OperatorAccount, at: float | None = None) -> httpx.Response:
    """Password, then the current TOTP code, on the platform's host."""
    client.get("/operator/login")
    response = client.post("/operator/login", {"email": op.email, "password": op.password})
    assert response.status_code == 303 and response.headers["location"] == "/operator/login/code", response.text[-800:]
    client.get("/operator/login/code")
    response = client.post("/operator/login/code", {"code": op.code(at)})
    assert response.status_code == 303 and response.headers["location"] == "/operator", response.text[-800:]
    return response


def signup_form(slug: str, **changes: str) -> dict[str, str]:
    return {"kind": "association", "name_ar": "جمعية النور الخيرية", "name_en": "Al Noor Charity", "slug": slug,
            "regulator": "ncnp", "licence_number": "١٢٣٤", "region": "riyadh", "city": "الرياض", **changes}


def sign_up(server: Server, slug: str, email: str | None = None, *, mail: SmtpSink) -> tuple[Client, str]:
    """A new charity through the real sign-up wizard and its emailed confirmation link (needs the
    `celery_worker` fixture to deliver it to `mail`); returns the tenant-host client, signed in."""
    email = email or f"{secrets.token_hex(4)}@charity.test"
    platform = server.client()
    platform.get("/signup/organisation")
    assert platform.post("/signup/organisation", signup_form(slug)).status_code == 303
    platform.get("/signup/account")
    response = platform.post("/signup/account", {"name": "مديرة الجمعية", "email": email, "password": PASSWORD,
                                                "confirm": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/signup/done", response.text[-3000:]
    tenant = server.client(slug)
    link = urlsplit(link_in(mail.wait_for(email)[-1]))
    assert link.hostname == f"{slug}.localhost" and link.path.startswith("/welcome/")
    assert tenant.get(link.path).status_code == 200
    confirmed = tenant.post(link.path, {})
    assert confirmed.headers.get("location") == "/portal/setup", confirmed.text[-3000:]
    return tenant, email


def sign_in(server: Server, who: Any, slug: str | None = None, *, password: str = PASSWORD,
            forwarded_for: str | None = None, check_portal: bool = False) -> Client:
    """The one way to a signed-in staff client, through the real /login form.

    `who` is a Staff (signed in on its own tenant's host unless `slug` says another) or an email
    address (then `slug` is required). `forwarded_for` gives the client its own made-up address
    (uvicorn trusts X-Forwarded-For from loopback), so rate limits are counted per client;
    `check_portal` also checks the new session opens the portal."""
    address = who if isinstance(who, str) else who.email
    if slug is None:
        assert not isinstance(who, str), "sign_in by email address needs the tenant's slug"
        slug = who.tenant.slug
    client = server.client(slug)
    if forwarded_for:
        client.http.headers["X-Forwarded-For"] = forwarded_for
    client.login(address, password)
    if check_portal:
        assert client.get("/portal").status_code == 200
    return client


async def create_operator(name: str = "مشغّل الاختبار") -> OperatorAccount:
    """An operator with an enrolled authenticator, created through the real service."""
    from sila.platform.operator import services

    address = f"op-{secrets.token_hex(4)}@ops.test"
    op_id = await services.create_operator(address, name, OPERATOR_PASSWORD)
    secret = services.new_totp_secret()
    await services.set_totp({"id": op_id, "email": address, "name": name}, secret)
    return OperatorAccount(op_id, address, name, OPERATOR_PASSWORD, secret)
