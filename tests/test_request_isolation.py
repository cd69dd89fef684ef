"""Requests and beneficiary files never cross tenants: every request/beneficiary/committee route
probed with every id of another tenant's populated rows, tracking across hosts, ID look-ups,
and the composite keys that stop a row from pointing at another tenant's row."""
from __future__ import annotations

import re

import asyncpg
import pytest

from sila.platform.db import tenant_scope
from support.clients import sign_in
from support.data import outbox_rows, valid_id, session_time
from support.db import owner_connection
from support.intake import CHANNELS, PDF, act, online, staff_intake
from support.routes import id_routes, identifiers_of

ALL_ROLES = ("admin", "relations_officer", "social_researcher", "committee_member")
MY_PREFIXES = ("/portal/requests", "/portal/beneficiaries", "/portal/committee", "/apply", "/track")


@pytest.fixture
async def populated(server, make_tenant, make_staff, publish_policy):
    """Tenant A (empty) and tenant B with a request through every stage's records: documents,
    verification, referral and report, attestation, committee session, vote and decision,
    registration and a service."""
    a, b = await make_tenant(name_ar="جمعية أ"), await make_tenant(name_ar="جمعية ب")
    for t in (a, b):
        await publish_policy(t, "mafatih", channels=CHANNELS)
    a_user = await make_staff(a, *ALL_ROLES, name="موظف أ")
    b_staff = await make_staff(b, *ALL_ROLES, name="موظف ب")
    b_client = sign_in(server, b_staff)
    online(server.client(b.slug), name="مراجعة ب", signature="مراجعة ب")
    assert staff_intake(b_client, name="مراجع ب الثاني").status_code == 303
    async with tenant_scope(b.id) as tx:
        rid = await tx.connection.fetchval("select id from support_request where channel = 'website'")
    checks = {f"check_{k}": "yes" for k in ("identity", "contact", "information", "documents")}
    assert act(b_client, rid, "verify", **checks).status_code == 303
    assert act(b_client, rid, "refer", researcher=str(b_staff.id), question="؟").status_code == 303
    assert act(b_client, rid, "report", notes="ملاحظات", files={"visit_file": PDF}).status_code == 303
    b_client.get("/portal/committee")
    session = b_client.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    b_client.post(f"{session}/agenda", {"requests": str(rid)})
    async with tenant_scope(b.id) as tx:
        item = await tx.connection.fetchval("select id from committee_item")
    b_client.post(f"{session}/items/{item}/vote", {"vote": "accept", "reasons": "سبب"})
    b_client.post(f"{session}/items/{item}/decide", {"decision": "accept"})
    assert act(b_client, rid, "register").status_code == 303
    assert act(b_client, rid, "record_service", service_type="خدمة ب").status_code == 303
    return a, b, a_user, b_staff


async def test_every_request_route_answers_404_for_another_tenants_ids(server, populated):
    a, b, a_user, _ = populated
    identifiers = await identifiers_of(b.id)
    async with tenant_scope(b.id) as tx:
        references = [r["reference"] for r in await tx.connection.fetch("select reference from support_request")]
        secrets_of_b = [r["name"] for r in await tx.connection.fetch("select name from beneficiary")]
    identifiers |= set(references)
    routes = [(p, m) for p, m in id_routes() if p.startswith(MY_PREFIXES)]
    assert len(routes) >= 12, routes
    client = sign_in(server, a_user)
    probed = 0
    for path, methods in routes:
        for ident in identifiers:
            url = re.sub(r"\{[^}]+\}", ident, path)
            for method in methods:
                response = client.get(url) if method == "GET" else client.post(
                    url, {"vote": "accept", "decision": "accept", "reason": "x", "assignee": str(a_user.id),
                          "requests": ident, "notes": "x", "service_type": "x"})
                probed += 1
                assert response.status_code == 404, (method, url, response.status_code)
                for secret in [*secrets_of_b, *references, "جمعية ب", "خدمة ب"]:
                    if secret != ident:  # the probe's own id is echoed in the language link
                        assert secret not in response.text, (method, url, secret)
    assert probed > 100
    # Nothing of B's changed: its request is still where B left it.
    async with tenant_scope(b.id) as tx:
        assert await tx.connection.fetchval("select count(*) from committee_vote") == 1
        assert await tx.connection.fetchval(
            "select stage from support_request where channel = 'website'") == "deliver"


async def test_a_tenant_cannot_put_another_tenants_request_on_its_agenda(server, populated):
    a, b, a_user, _ = populated
    client = sign_in(server, a_user)
    client.get("/portal/committee")
    session = client.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    async with tenant_scope(b.id) as tx:
        b_request = await tx.connection.fetchval("select id from support_request where stage = 'verify'")
    assert client.post(f"{session}/agenda", {"requests": str(b_request)}).status_code == 404
    async with tenant_scope(a.id) as tx:
        assert await tx.connection.fetchval("select count(*) from committee_item") == 0


async def test_tracking_another_tenants_reference_sends_nothing(server, populated):
    a, b, _, _ = populated
    async with tenant_scope(b.id) as tx:
        reference = await tx.connection.fetchval("select reference from support_request where channel = 'website'")
    codes_before = len(await outbox_rows(b.id, "request.tracking_code"))
    tracker = server.client(a.slug)
    tracker.get("/track")
    assert tracker.post("/track", {"reference": reference}).status_code == 200
    assert len(await outbox_rows(b.id, "request.tracking_code")) == codes_before
    assert await outbox_rows(a.id, "request.tracking_code") == []
    assert tracker.post("/track/code", {"reference": reference, "code": "123456"}).status_code == 400


async def test_the_same_id_number_in_two_tenants_is_two_unlinkable_files(server, populated):
    a, b, a_user, b_staff = populated
    number = valid_id()
    for tenant in (a, b):
        online(server.client(tenant.slug), id_number=number)
    hashes = []
    for tenant in (a, b):
        async with tenant_scope(tenant.id) as tx:
            hashes.append(await tx.connection.fetchval(
                "select id_hash from beneficiary where id_last4 = $1", number[-4:]))
    assert all(hashes) and hashes[0] != hashes[1]
    # A's search by B's applicants' ID finds nothing in A.
    async with tenant_scope(b.id) as tx:
        b_ids = [await tx.connection.fetchval("select count(*) from beneficiary")]
    client = sign_in(server, a_user)
    client.get("/portal/beneficiaries")
    response = client.post("/portal/beneficiaries", {"q": "مراجعة ب"})
    assert response.status_code == 200 and "لا توجد ملفات مطابقة" in response.text and "<table" not in response.text
    assert b_ids[0] >= 2


async def test_composite_keys_refuse_links_to_another_tenants_rows_even_for_the_owner(populated):
    """Row-level security already hides B's rows from A; the composite foreign keys make the
    database itself refuse a cross-tenant link, whatever code or role writes it."""
    a, b, _, _ = populated
    conn = await owner_connection()  # the owner: no RLS for it
    try:
        b_request = await conn.fetchval("select id from support_request where tenant = $1 limit 1", b.id)
        b_beneficiary = await conn.fetchval("select id from beneficiary where tenant = $1 limit 1", b.id)
        a_session = await conn.fetchval(
            "insert into committee_session (tenant, number, held_at) values ($1, 99, now()) returning id", a.id)
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute("insert into committee_item (tenant, session, request, position) values ($1, $2, $3, 1)",
                               a.id, a_session, b_request)
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(
                """insert into service_delivery (tenant, request, beneficiary, service_type, delivered_on)
                   values ($1, $2, $3, 'x', now())""", a.id, b_request, b_beneficiary)
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(
                """insert into support_request (tenant, reference, beneficiary, channel, channel_label,
                     policy_version_number, steps, stage, need, contact_name, contact_mobile)
                   values ($1, 'x', $2, 'phone', 'x', 1, '{}', 'verify', 'x', 'x', 'x')""", a.id, b_beneficiary)
    finally:
        await conn.close()


async def test_beneficiary_tables_are_closed_to_the_platform_scope(populated):
    from sila.platform.db import platform_scope

    async with platform_scope("test: must see nothing") as tx:
        for table in ("beneficiary", "beneficiary_consent", "support_request", "request_document",
                      "request_attestation", "committee_vote", "service_delivery"):
            assert await tx.connection.fetchval(f"select count(*) from {table}") == 0, table
