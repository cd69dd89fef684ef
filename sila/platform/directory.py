"""The tenant directory: creating tenants and changing their status (platform scope)."""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from sila.platform.db import platform_scope
from sila.platform.settings import get_settings
from sila.platform.tables import Tenant
from sila.platform.tenancy import TenantInfo, clear_cache

SLUG_RE = re.compile(r"^[a-z](?:[a-z0-9-]{1,61}[a-z0-9])$")
RESERVED_SLUGS = frozenset(
    "www api admin operator operators platform static assets mail smtp app apps portal help support "
    "status docs dev test staging sila localhost root system billing signup login auth".split()
)


def slug_problem(slug: str) -> str | None:
    """An English message id for what is wrong with `slug`, or None."""
    if not SLUG_RE.match(slug or "") or "--" in slug:
        return "Use 3 to 63 lowercase Latin letters, digits or hyphens, starting with a letter."
    if slug in RESERVED_SLUGS:
        return "This address is reserved. Choose another."
    return None


async def create_tenant(
    *, slug: str, kind: str, name_ar: str, name_en: str = "", status: str = "pending"
) -> TenantInfo:
    problem = slug_problem(slug)
    if problem:
        raise ValueError(problem)
    async with platform_scope("create tenant"):
        row = (
            await Tenant.insert(
                Tenant(slug=slug, kind=kind, name_ar=name_ar, name_en=name_en, status=status)
            ).returning(*Tenant.all_columns())
        )[0]
    clear_cache()
    return _info(row)


async def get_tenant(tenant_id: Any) -> TenantInfo | None:
    row = await Tenant.select().where(Tenant.id == uuid.UUID(str(tenant_id))).first()
    return _info(row) if row else None


async def get_tenant_by_slug(slug: str) -> TenantInfo | None:
    row = await Tenant.select().where(Tenant.slug == slug).first()
    return _info(row) if row else None


async def set_status(tenant_id: Any, status: str, reason: str = "") -> None:
    async with platform_scope("tenant status"):
        await Tenant.update(
            {Tenant.status: status, Tenant.status_reason: reason, Tenant.updated_at: Tenant.updated_at.default.python()}
        ).where(Tenant.id == uuid.UUID(str(tenant_id)))
    clear_cache()


async def list_tenants() -> list[TenantInfo]:
    rows = await Tenant.select().order_by(Tenant.created_at, ascending=False)
    return [_info(r) for r in rows]


def _info(row: dict[str, Any]) -> TenantInfo:
    return TenantInfo(
        id=row["id"],
        slug=row["slug"],
        kind=row["kind"],
        name_ar=row["name_ar"],
        name_en=row["name_en"],
        status=row["status"],
        status_reason=row["status_reason"],
    )


# --- what a tenant owns, for export and deletion ---------------------------------------------

# Every table with a `tenant` column, read from the catalog at run time, so a table added by
# any area later is exported and deleted without anyone remembering to list it here.
SQL_TENANT_OWNED_TABLES = """
    select c.table_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and c.column_name = 'tenant' and t.table_type = 'BASE TABLE'
    order by 1
"""


async def tenant_owned_tables(conn: Any) -> list[str]:
    return [r["table_name"] for r in await conn.fetch(SQL_TENANT_OWNED_TABLES)]


async def delete_tenant_rows(conn: Any, tenant_id: uuid.UUID) -> dict[str, int]:
    """Delete the tenant and every row it owns, in its open scope; returns rows per table.
    Deleting the tenant row cascades to every table that references it; that is also the only
    delete the immutable tables (published policies, documents) accept. The sweep after it
    catches a table that carries `tenant` without a cascading foreign key."""
    tables = await tenant_owned_tables(conn)
    deleted = {t: await conn.fetchval(f'select count(*) from "{t}" where tenant = $1', tenant_id) for t in tables}
    await conn.execute("delete from tenant where id = $1", tenant_id)
    for table in tables:
        await conn.execute(f'delete from "{table}" where tenant = $1', tenant_id)
    return deleted


def tenant_exports_dir(tenant_id: Any) -> Path:
    """Where a tenant's archive exports are written (shared by web and workers); deleted with it."""
    return Path(get_settings().data_dir).resolve() / "exports" / str(uuid.UUID(str(tenant_id)))


# --- may this tenant's messages go out now? ----------------------------------------------------

# A tenant waiting for approval has proven nothing about itself yet: what it would send to third
# parties (staff invitations, messages to beneficiaries) waits in the outbox, and goes once an
# operator approves it (or is deleted with it if it is never approved). Only these kinds go out
# meanwhile: mail to the sign-up's own account and the platform's own mail. This set is the one
# place that decides it; a new kind a pending tenant must send is added here, by name.
PENDING_TENANT_KINDS = frozenset({
    "platform.signup_confirm",     # the sign-up's own email-confirmation link
    "staff.password_reset",        # to a member of the tenant (a pending tenant has only its sign-up's)
    "notifications.quota_reached",  # to the tenant's own admins
    "platform.tenant_approved",    # the platform's own mail
    "platform.tenant_info_requested",
    "platform.tenant_rejected",
    "platform.signup_alert",       # to the operators: a sign-up waits for review
    "platform.export_ready",
})

# A suspended tenant's messages wait in the outbox (they go once it is reactivated). An
# archived tenant sends only the platform's own messages about its archive (kind
# `platform.*`, e.g. the export link); the rest wait and are deleted with it. The relay
# claims only rows for which this holds, and a delivery task re-checks it before sending,
# because the after-commit fast path reaches the worker without passing through the relay.
def tenant_can_send_sql(outbox_alias: str = "outbox") -> str:
    pending_kinds = ", ".join(f"'{kind}'" for kind in sorted(PENDING_TENANT_KINDS))
    return (
        f"exists (select 1 from tenant t_can_send where t_can_send.id = {outbox_alias}.tenant"
        f" and (t_can_send.status = 'active'"
        f" or (t_can_send.status = 'pending' and {outbox_alias}.kind in ({pending_kinds}))"
        f" or (t_can_send.status = 'archived' and {outbox_alias}.kind like 'platform.%')))"
    )


SQL_TENANT_CAN_SEND = tenant_can_send_sql("outbox")


def status_allows_sending(status: str | None, kind: str = "") -> bool:
    return (status == "active"
            or (status == "pending" and kind in PENDING_TENANT_KINDS)
            or (status == "archived" and kind.startswith("platform.")))


async def sending_allowed(tenant_id: Any, kind: str = "") -> bool:
    """The same rule for one message; `tenant` has no row-level security, so any scope may ask."""
    row = await Tenant.select(Tenant.status).where(Tenant.id == uuid.UUID(str(tenant_id))).first()
    return status_allows_sending(row["status"] if row else None, kind)
