"""The database engine and the two scopes through which all data is read and written.

- `tenant_scope(tenant_id)`: one transaction with `sila.tenant_id` set (transaction-local,
  so it is safe on pooled connections). Row-level security then shows and accepts only that
  tenant's rows.
- `platform_scope(reason)`: one transaction that crosses tenants, for the few places that
  must (the outbox relay, the operator console's aggregates). Only tables whose migration
  grants the `platform_access` policy answer in it; beneficiaries' data never does.

Everything that crosses tenants goes through `platform_scope`, so `grep platform_scope`
finds every such place.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from piccolo.engine.postgres import PostgresEngine

from sila.platform import input_guard

DB = PostgresEngine(config={})
# The settings of the scope open in this context: a nested tenant_scope checks them without
# asking the database (a round trip per nested call on every page).
_scope_settings: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "sila_scope_settings", default=None)
_after_commit_hooks: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "sila_after_commit", default=None
)


def dsn_to_config(dsn: str) -> dict[str, Any]:
    """asyncpg connect kwargs from a URL; understands `?host=/socket/dir` too."""
    parts = urlsplit(dsn)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    config: dict[str, Any] = {
        "host": query.get("host") or parts.hostname or "localhost",
        "port": parts.port or int(query.get("port", 5432)),
        "user": unquote(parts.username or query.get("user", "postgres")),
        "database": unquote(parts.path.lstrip("/")) or "postgres",
    }
    if parts.password:
        config["password"] = unquote(parts.password)
    return config


def configure(dsn: str) -> None:
    """Point the one engine at `dsn`. Called once per process (web, worker, CLI, tests)."""
    DB.config = dsn_to_config(dsn)


async def start_pool(max_size: int) -> None:
    await DB.start_connection_pool(min_size=1, max_size=max_size)


async def close_pool() -> None:
    if DB.pool is not None:
        await DB.close_connection_pool()


def parse_uuid(value: Any) -> uuid.UUID | None:
    """The one uuid parser: `value` as a UUID, or None when it is not one (a malformed id in a
    URL or a form finds nothing, like an unknown one)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def json_value(value: Any) -> Any:
    """The one reader of a json/jsonb column: asyncpg hands it over as text (no codec is set on the
    pool), Piccolo's `output(load_json=True)` as Python; either way, Python."""
    return json.loads(value) if isinstance(value, str) else value


@contextlib.asynccontextmanager
async def _scope(settings: dict[str, str]) -> AsyncIterator[Any]:
    hooks: list[Any] = []
    token = _after_commit_hooks.set(hooks)
    settings_token = _scope_settings.set(settings)
    try:
        async with DB.transaction() as tx:
            keys, values = list(settings), list(settings.values())
            await tx.connection.execute(
                "select set_config(k, v, true) from unnest($1::text[], $2::text[]) as s(k, v)", keys, values)
            yield tx
            # Refused input that no form reported is never saved (reads are fine: a form may
            # look things up before it reads its fields).
            if input_guard.unreported_refusal() and await tx.connection.fetchval(
                    "select txid_current_if_assigned()") is not None:
                raise input_guard.RefusedInput()
    finally:
        _scope_settings.reset(settings_token)
        _after_commit_hooks.reset(token)
    for hook in hooks:
        hook()


@contextlib.asynccontextmanager
async def tenant_scope(tenant_id: Any) -> AsyncIterator[Any]:
    """Open a transaction bound to one tenant. Nested calls for the same tenant reuse it."""
    parsed = parse_uuid(tenant_id)
    if parsed is None:
        raise ValueError(f"tenant_scope needs a tenant id, not {tenant_id!r}")
    tid = str(parsed)
    current = DB.current_transaction.get()
    if current is not None:
        if (_scope_settings.get() or {}).get("sila.tenant_id") != tid:
            raise RuntimeError("tenant_scope opened inside another tenant's or the platform's scope")
        yield current
        return
    async with _scope({"sila.tenant_id": tid}) as tx:
        yield tx


@contextlib.asynccontextmanager
async def platform_scope(reason: str) -> AsyncIterator[Any]:
    """Open a transaction that may cross tenants, on tables that allow it. `reason` documents why."""
    if DB.current_transaction.get() is not None:
        raise RuntimeError("platform_scope cannot be nested in another scope")
    async with _scope({"sila.platform": "on", "application_name": f"sila:{reason}"[:63]}) as tx:
        yield tx


def current_connection() -> Any:
    tx = DB.current_transaction.get()
    if tx is None:
        raise RuntimeError("no scope is open: use tenant_scope() or platform_scope()")
    return tx.connection


def after_commit(callback: Any) -> None:
    """Run `callback()` once the current scope has committed (e.g. hand new outbox rows to Celery)."""
    hooks = _after_commit_hooks.get()
    if hooks is None:
        raise RuntimeError("after_commit outside a scope")
    hooks.append(callback)
