"""Sessions and CSRF tokens belong to the site that issued them: a CSRF token from one tenant's
host is refused on another's, a tracking session opened at one tenant shows nothing at another,
and a session id the server never issued is never adopted."""
from __future__ import annotations

import os
import re

import redis

from sila.platform.db import tenant_scope
from support.data import outbox_rows
from support.db import scalar
from support.intake import CHANNELS, online


def test_a_csrf_token_from_one_host_is_refused_on_another(server, two_tenants):
    a, b = two_tenants
    on_a = server.client(a.tenant.slug)
    token = on_a.csrf("/login")
    cookie = on_a.cookie("sila_csrf")
    assert cookie
    # The pair works where it was issued...
    assert on_a.post("/login", {"email": a.email, "password": "wrong-password-1"}).status_code == 400
    # ...and nowhere else: another tenant's host, or the platform's own.
    for host_client in (server.client(b.tenant.slug), server.client()):
        host_client.set_cookie("sila_csrf", cookie)
        path = "/login" if host_client.host != server.host() else "/signup/organisation"
        response = host_client.post(path, {"_csrf_token": token, "email": b.email, "password": "x"}, csrf=False)
        assert response.status_code == 403, (host_client.host, response.status_code)


async def test_a_tracking_session_opened_at_one_tenant_shows_nothing_at_another(server, make_tenant,
                                                                                publish_policy):
    a, b = await make_tenant(), await make_tenant()
    for tenant in (a, b):
        await publish_policy(tenant, "mafatih", channels=CHANNELS)
        online(server.client(tenant.slug))
    reference = await scalar(a.id, "select reference from support_request")
    # References are unique per tenant only: give B's request the same number as A's.
    async with tenant_scope(b.id) as tx:
        await tx.connection.execute("update support_request set reference = $1", reference)

    tracker = server.client(a.slug)
    tracker.get("/track")
    tracker.post("/track", {"reference": reference})
    code = re.search(r"\b(\d{6})\b", (await outbox_rows(a.id, "request.tracking_code"))[-1]["body_text"]).group(1)
    before = tracker.cookie("sila_session")
    assert tracker.post("/track/code", {"reference": reference, "code": code}).headers["location"] == "/track/status"
    assert tracker.cookie("sila_session") not in (None, before)  # a verified code: a fresh session id
    assert tracker.get("/track/status").status_code == 200

    elsewhere = server.client(b.slug)
    elsewhere.set_cookie("sila_session", tracker.cookie("sila_session"))
    response = elsewhere.get("/track/status")
    assert response.status_code == 303 and response.headers["location"] == "/track"


def test_a_planted_session_id_is_never_adopted(server, make_tenant):
    planted = "f" * 64
    victim = server.client()
    victim.set_cookie("sila_session", planted)
    victim.get("/signup/organisation")
    form = {"kind": "association", "name_ar": "جمعية الضحية", "name_en": "", "slug": "victimcharity",
            "regulator": "ncnp", "licence_number": "55", "region": "riyadh", "city": "جدة"}
    assert victim.post("/signup/organisation", form).status_code == 303
    issued = victim.cookie("sila_session")
    assert issued and issued != planted
    store = redis.Redis.from_url(os.environ["SILA_REDIS_URL"])
    assert not store.exists(f"sila:session:{planted}")
    # The attacker holding the planted id sees none of what the victim typed.
    attacker = server.client()
    attacker.set_cookie("sila_session", planted)
    assert "جمعية الضحية" not in attacker.get("/signup/organisation").text
    assert "جمعية الضحية" in victim.get("/signup/organisation").text
