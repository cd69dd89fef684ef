"""Database access for tests: the owner's connection (no RLS: to read or break what the app role
cannot), the app role's raw connection, and one-liners reading through a tenant's scope."""
from __future__ import annotations

from typing import Any

import asyncpg

from sila.platform.db import dsn_to_config, tenant_scope
from sila.platform.settings import get_settings


async def owner_connection(url: str | None = None) -> asyncpg.Connection:
    """A connection as the database owner (RLS does not apply): the test database's, or `url`'s."""
    return await asyncpg.connect(**dsn_to_config(url or get_settings().database_url))


async def app_connection() -> asyncpg.Connection:
    """A raw connection as the RLS-bound app role, with no tenant set."""
    return await asyncpg.connect(**dsn_to_config(get_settings().app_dsn))


async def scalar(tenant_id: Any, sql: str, *args: Any) -> Any:
    async with tenant_scope(tenant_id) as tx:
        return await tx.connection.fetchval(sql, *args)


async def row(tenant_id: Any, sql: str, *args: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        found = await tx.connection.fetchrow(sql, *args)
    return dict(found) if found else {}


async def tenant_tables(conn: asyncpg.Connection) -> list[str]:
    return [r["table_name"] for r in await conn.fetch(
        """select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant'
           and table_name in (select table_name from information_schema.tables where table_type = 'BASE TABLE')
           order by 1""")]


async def tenant_owned_tables() -> list[str]:
    conn = await owner_connection()
    try:
        return [r["table_name"] for r in await conn.fetch(
            """select table_name from information_schema.columns
               where table_schema = 'public' and column_name = 'tenant'
                 and table_name not in ('tenant_domain') order by 1""")]
    finally:
        await conn.close()


async def stage_of(tenant_id: Any, request_id: Any) -> str:
    return await scalar(tenant_id, "select stage from support_request where id = $1", request_id)
