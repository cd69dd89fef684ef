"""The tenant directory: creating tenants and changing their status (platform scope)."""
from __future__ import annotations

import re
import uuid
from typing import Any

from sila.platform.db import platform_scope
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
