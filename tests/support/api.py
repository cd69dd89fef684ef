"""The JSON API as an integration calls it: a key made through the admin's page, a client that
sends it, and a request body that passes the online form's rules."""
from __future__ import annotations

import re
from typing import Any

from support import data
from support.servers import Server

KEY_RE = re.compile(r"sila_[A-Za-z0-9_-]{43}")
ALL_SCOPES = ["beneficiaries:read", "beneficiaries:reveal", "requests:read", "requests:write", "decisions:read",
              "services:read", "services:write", "surveys:read", "complaints:read"]


def make_key(admin: Any, scopes: list[str] = ALL_SCOPES, name: str = "نظام الاستقبال", **extra: str) -> str:
    page = admin.post("/portal/api-keys", {"name": name, "scopes": scopes, **extra})
    assert page.status_code == 200, page.text[:500]
    found = KEY_RE.findall(page.text)
    assert len(set(found)) == 1, "the new key is shown once on the answer"
    return found[0]


def api(server: Server, slug: str | None, key: str | None = None, **headers: str) -> Any:
    c = server.client(slug)
    if key:
        c.http.headers["Authorization"] = f"Bearer {key}"
    c.http.headers.update(headers)
    return c.http


def applicant_body(name: str = "سارة محمد القحطاني", version: int = 1, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "applicant": {"id_number": data.valid_id(), "name": name, "mobile": "0551234567", "preferred_channel": "sms",
                      "city": "الرياض", "category": "family", "household_size": 4},
        "need": "سلة غذائية شهرية للأسرة", "signature": name, "attest": True, "consent": True,
        "policy_version": version}
    body.update(changes)
    return body
