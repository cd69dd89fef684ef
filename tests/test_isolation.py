"""Tenants never leak: row-level security in the database, and every route probed across tenants."""
from __future__ import annotations

import datetime as dt
import re

import asyncpg
import pytest

from sila.platform.auth import new_token
from sila.platform.db import dsn_to_config, platform_scope, tenant_scope
from sila.platform.settings import get_settings
from sila.platform.tables import AuthToken, Membership
from support.db import app_connection, owner_connection
from support.routes import id_routes, identifiers_of
from support.db import tenant_owned_tables








async def test_every_tenant_table_forces_rls_with_a_non_null_indexed_tenant_key(sila_env):
    tables = await tenant_owned_tables()
    assert {"membership", "auth_token", "audit_entry", "outbox"} <= set(tables)
    conn = await owner_connection()
    try:
        for table in tables:
            row = await conn.fetchrow(
                "select relrowsecurity, relforcerowsecurity from pg_class where relname = $1", table)
            assert row["relrowsecurity"] and row["relforcerowsecurity"], table
            nullable = await conn.fetchval(
                "select is_nullable from information_schema.columns where table_name=$1 and column_name='tenant'",
                table)
            assert nullable == "NO", table
            indexed = await conn.fetchval(
                """select count(*) from pg_index i join pg_attribute a
                     on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                   where i.indrelid = $1::regclass and a.attname = 'tenant'""", table)
            assert indexed >= 1, f"{table}: no index starting with tenant"
            # Every unique constraint includes the tenant (what later allows sharding by tenant).
            for con in await conn.fetch(
                """select conname, array(select attname from pg_attribute
                          where attrelid = c.conrelid and attnum = any(c.conkey)) as cols
                   from pg_constraint c where conrelid = $1::regclass and contype = 'u'""", table):
                assert "tenant" in con["cols"], f"{table}.{con['conname']} lacks tenant"
    finally:
        await conn.close()


async def test_scoped_queries_see_and_change_only_their_tenant(two_tenants):
    a, b = two_tenants
    async with tenant_scope(a.tenant.id):
        rows = await Membership.select(Membership.tenant)
        assert rows and {r["tenant"] for r in rows} == {a.tenant.id}
        # B's row is invisible to updates and deletes, not just to selects.
        changed = await Membership.update({Membership.role: "committee_member"}).where(
            Membership.user == b.id).returning(Membership.id)
        assert changed == []
        deleted = await Membership.delete().where(Membership.user == b.id).returning(Membership.id)
        assert deleted == []
        # Writing a row for B while scoped to A is refused by the policy's WITH CHECK.
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await Membership.insert(Membership(tenant=b.tenant.id, user=a.id, role="admin"))
    async with tenant_scope(b.tenant.id):
        assert await Membership.count().where(Membership.user == b.id) == 1


async def test_without_a_tenant_the_app_role_sees_nothing(two_tenants):
    conn = await app_connection()
    try:
        for table in await tenant_owned_tables():
            assert await conn.fetchval(f'select count(*) from "{table}"') == 0, table
        async with conn.transaction():
            await conn.execute("select set_config('sila.tenant_id', '', true)")
            assert await conn.fetchval("select count(*) from membership") == 0
    finally:
        await conn.close()
    # The platform scope opens only tables that allow it: never memberships.
    async with platform_scope("test") as tx:
        assert await tx.connection.fetchval("select count(*) from membership") == 0


async def test_the_app_role_cannot_disable_rls_or_become_owner(sila_env):
    conn = await app_connection()
    try:
        me = await conn.fetchrow("select rolsuper, rolbypassrls from pg_roles where rolname = current_user")
        assert not me["rolsuper"] and not me["rolbypassrls"]
        owned = await conn.fetchval(
            "select count(*) from pg_tables where schemaname='public' and tableowner = current_user")
        assert owned == 0
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await conn.execute("alter table membership disable row level security")
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await conn.execute("alter table membership no force row level security")
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await conn.execute("drop policy tenant_isolation on membership")
        owner = dsn_to_config(get_settings().database_url)["user"]
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await conn.execute(f'set role "{owner}"')
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await conn.fetch("select * from migration")
    finally:
        await conn.close()


async def test_nested_scope_for_another_tenant_is_refused(two_tenants):
    a, b = two_tenants
    async with tenant_scope(a.tenant.id):
        with pytest.raises(RuntimeError):
            async with tenant_scope(b.tenant.id):
                pass


# --- routes ---------------------------------------------------------------------------------






async def test_every_route_with_an_id_answers_404_for_another_tenants_ids(server, two_tenants):
    a, b = two_tenants
    # Give B live single-use links, so their raw tokens are identifiers to probe with.
    tokens = []
    for purpose in ("invite", "reset"):
        token, digest = new_token()
        tokens.append(token)
        async with tenant_scope(b.tenant.id):
            await AuthToken.insert(AuthToken(tenant=b.tenant.id, purpose=purpose, email=b.email, user=b.id,
                                             roles=["admin"], token_hash=digest,
                                             expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)))
    identifiers = await identifiers_of(b.tenant.id) | set(tokens) | {b.tenant.slug, str(b.tenant.id), str(b.id)}
    routes = id_routes()
    assert routes, "no parameterised routes found"
    client = server.client(a.tenant.slug)
    client.login(a.email)
    probed = 0
    for path, methods in routes:
        if path.startswith("/static") or path.startswith("/lang"):
            continue
        for ident in identifiers:
            url = re.sub(r"\{[^}]+\}", ident, path)
            for method in methods:
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, {"name": "x", "password": "Aa-123456789", "confirm": "Aa-123456789"})
                probed += 1
                # The API takes no session: a signed-in page user without a key is 401 there
                # (test_fuzz_tenants probes the API with a key of A and B's ids).
                allowed = (401, 404) if path.startswith("/api/") else (303, 400, 403, 404, 405, 410)
                assert response.status_code in allowed, (method, url, response.status_code)
                assert b.email not in response.text and b.tenant.name_en not in response.text, (method, url)
    assert probed > 0
    # B's links still work for B: the probe changed nothing.
    b_client = server.client(b.tenant.slug)
    assert b_client.get(f"/invite/{tokens[0]}").status_code == 200


async def test_a_user_of_tenant_a_cannot_sign_in_on_tenant_b(server, two_tenants):
    a, b = two_tenants
    client = server.client(b.tenant.slug)
    client.get("/login")
    response = client.post("/login", {"email": a.email, "password": a.password})
    assert response.status_code == 400
    assert client.get("/portal").status_code == 303  # still signed out


async def test_a_session_from_tenant_a_is_refused_on_tenant_b(server, two_tenants):
    a, b = two_tenants
    client = server.client(a.tenant.slug)
    client.login(a.email)
    session = client.cookie("sila_session")
    assert session
    other = server.client(b.tenant.slug)
    other.set_cookie("sila_session", session)
    assert other.get("/portal").status_code == 303


async def test_unknown_host_gets_a_clear_404(server):
    response = server.client("no-such-charity").get("/")
    assert response.status_code == 404
    assert 'dir="rtl"' in response.text


async def test_suspended_tenant_says_so_on_public_pages_and_portal(server, two_tenants):
    from sila.platform import directory

    a, _ = two_tenants
    await directory.set_status(a.tenant.id, "suspended", "test")
    import time

    time.sleep(6)  # the per-process host cache lives 5 s
    client = server.client(a.tenant.slug)
    for path in ("/", "/login", "/portal"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert a.tenant.name_ar in response.text
