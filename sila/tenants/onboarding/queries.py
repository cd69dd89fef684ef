"""The onboarding area's data access: Piccolo's query builder where it says the query plainly, raw SQL
where it is the better tool (`on conflict`, array updates), reads returned as typed records. The
tenant row has no row-level security: these only ever touch the host's own tenant. None opens a scope."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sila.platform.db import current_connection
from sila.platform.roles import Role
from sila.platform.tables import AuthToken, Tenant
from sila.tenants.policy.tables import PolicyVersion, TenantProfile

SIGNUP_TTL = dt.timedelta(days=2)  # how long a sign-up's link works, and holds its address


@dataclasses.dataclass(frozen=True)
class PlatformQuestion:
    """What the operator asked a pending sign-up, and the admin's answer so far."""

    question: str
    asked_at: dt.datetime
    reply: str
    replied_at: dt.datetime | None


async def platform_question(tenant_id: Any) -> PlatformQuestion | None:
    row = await Tenant.select(Tenant.status_reason, Tenant.info_requested_at, Tenant.info_reply,
                              Tenant.info_replied_at).where(
        (Tenant.id == tenant_id) & (Tenant.status == "pending") & Tenant.info_requested_at.is_not_null()).first()
    if row is None:
        return None
    return PlatformQuestion(row["status_reason"], row["info_requested_at"], row["info_reply"], row["info_replied_at"])


async def reply_to_question(tenant_id: Any, reply: str) -> bool:
    """False when nothing is asked any more (approved, rejected, or never asked)."""
    return bool(await current_connection().fetchval(
        """update tenant set info_reply = $2, info_replied_at = now(), updated_at = now()
           where id = $1 and status = 'pending' and info_requested_at is not null returning id""",
        tenant_id, reply))


async def signup_held(tenant_id: Any) -> bool:
    """In the tenant's scope: someone joined it, its sign-up link still works, or it was not made
    by a sign-up at all (demo data, the command line)."""
    return bool(await current_connection().fetchval(
        """select exists (select 1 from membership) or exists (select 1 from member_deactivation)
                  or exists (select 1 from auth_token where purpose = 'signup'
                             and (used_at is not null or expires_at > now()))
                  or (select created_at > now() - $2::interval from tenant where id = $1)
                  or not exists (select 1 from auth_token where purpose = 'signup')""",
        tenant_id, SIGNUP_TTL))


async def setup_done(tenant_id: Any) -> frozenset[str]:
    """The wizard's pages the admin saved."""
    row = await TenantProfile.select(TenantProfile.setup_done).where(TenantProfile.tenant == tenant_id).first()
    return frozenset(row["setup_done"] if row else ())


async def has_published_policy(tenant_id: Any) -> bool:
    return await PolicyVersion.exists().where(PolicyVersion.tenant == tenant_id)


async def insert_signup(tenant_id: Any, org: dict[str, str], *, email: str, token_hash: str,
                        expires_at: dt.datetime, signup: dict[str, str]) -> uuid.UUID:
    """The new tenant's profile (its first two steps done) and the admin's sign-up token; the token's id."""
    await TenantProfile.insert(TenantProfile(
        tenant=tenant_id, regulator=org["regulator"], regulator_other=org.get("regulator_other", ""),
        licence_number=org["licence_number"], region=org["region"], city=org["city"],
        setup_done=["organisation", "account"]))
    row = await AuthToken.insert(AuthToken(
        tenant=tenant_id, purpose="signup", email=email, roles=[Role.admin], token_hash=token_hash,
        expires_at=expires_at, signup=signup)).returning(AuthToken.id)
    return row[0]["id"]


async def delete_tenant(tenant_id: Any) -> None:
    """Undo a failed sign-up, in a platform scope."""
    await Tenant.delete().where(Tenant.id == tenant_id)


async def profile_for_update(tenant_id: Any, regulator: str) -> dict[str, Any]:
    """The profile before a change, made first for tenants created outside the wizard (demo data, the
    command line). A dict of its columns: what the audit entry's `before` is built from."""
    await current_connection().execute(
        "insert into tenant_profile (tenant, regulator) values ($1, $2) on conflict (tenant) do nothing",
        tenant_id, regulator)
    return await TenantProfile.select().where(TenantProfile.tenant == tenant_id).first() or {}


async def save_profile(tenant_id: Any, names: dict[str, str], values: dict[Any, Any]) -> None:
    """Names on the tenant, `values` (profile column -> value) on its profile, and the step done."""
    await Tenant.update({Tenant.name_ar: names["name_ar"], Tenant.name_en: names["name_en"]}).where(
        Tenant.id == tenant_id)
    await TenantProfile.update({**values, TenantProfile.updated_at: TenantProfile.updated_at.default.python()}
                               ).where(TenantProfile.tenant == tenant_id)
    await current_connection().execute(
        """update tenant_profile set setup_done = array_append(setup_done, 'profile')
           where tenant = $1 and not ('profile' = any(setup_done))""", tenant_id)


async def held_roles() -> frozenset[str]:
    """The roles someone in this tenant holds."""
    return frozenset(r["role"] for r in await current_connection().fetch("select distinct role from membership"))


async def invited_roles() -> frozenset[str]:
    """The roles a live invitation names."""
    return frozenset(r["role"] for r in await current_connection().fetch(
        """select distinct unnest(roles) as role from auth_token
           where purpose = 'invite' and used_at is null and expires_at > now()"""))

