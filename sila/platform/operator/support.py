"""Support access: a tenant admin's time-limited, revocable grant lets platform support see the
tenant's portal read-only; every page seen under it lands in the tenant's audit.

How an operator gets there: the console (platform host) checks for a live grant and puts a
one-minute, single-use token in Redis; the browser carries it to `<tenant host>/support/enter/…`,
which opens a session on the tenant's host holding the grant's id. Cookies are host-only, so
this is the only way an operator's identity ever reaches a tenant's host. Each request under
that session re-checks the grant, so revoking or expiry takes effect on the next page.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sila.platform import audit
from sila.platform.auth import SUPPORT_REFUSED, CurrentUser, client_address, new_token, token_hash
from sila.platform.db import current_connection, tenant_scope
from sila.platform.operator.view import ACTION_LABELS
from sila.platform.roles import Role
from sila.platform.tables import Operator
from sila.platform.tenancy import TenantInfo

# What the tenant's admin is shown: every operator action on the tenant, and support access.
TENANT_VISIBLE = tuple(code for code in ACTION_LABELS if code.startswith(("tenant.", "support.")))
HANDOFF_SECONDS = 60
GRANT_HOURS = (1, 4, 24, 72)
READ_METHODS = ("GET", "HEAD")
# What the admin lets support see. `configuration` (the default): the pages below, none of which
# shows a beneficiary, a request, a committee case, a complaint or a survey answer. Anything
# else, a page added later included, is refused until it is listed here. `cases`: every page.
SCOPES = ("configuration", "cases")
CONFIGURATION_PAGES = frozenset({
    "/portal", "/portal/staff", "/portal/security", "/portal/profile", "/portal/setup", "/portal/setup/staff",
    "/portal/library", "/portal/documents/{document_id:uuid}",
    "/portal/notifications/providers", "/portal/notifications/settings", "/portal/notifications/templates",
    "/portal/notifications/templates/{kind:str}", "/portal/surveys", "/portal/surveys/{survey_id:str}/edit",
})
CONFIGURATION_PREFIXES = ("/portal/policy",)  # the policy's configuration and versions


def in_scope(scope: str, path_template: str) -> bool:
    if scope == "cases":
        return True
    return path_template in CONFIGURATION_PAGES or path_template.startswith(CONFIGURATION_PREFIXES)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def operator_label(operator: dict[str, Any]) -> str:
    return f"{operator['name'] or operator['email']} <{operator['email']}>"


# --- the tenant admin's side ---------------------------------------------------------------------


async def create_grant(tenant: TenantInfo, admin: CurrentUser, hours: int, note: str, address: str,
                       scope: str = "configuration") -> uuid.UUID:
    if scope not in SCOPES:
        raise ValueError(scope)
    async with tenant_scope(tenant.id) as tx:
        grant_id = await tx.connection.fetchval(
            """insert into support_grant (tenant, created_by, note, expires_at, scope)
               values ($1, $2, $3, now() + make_interval(hours => $4), $5) returning id""",
            tenant.id, admin.id, note, hours, scope)
        await audit.record(tenant.id, "support.grant_created", actor_user=admin.id, target_type="support_grant",
                           target_id=grant_id, after={"hours": hours, "note": note, "scope": scope}, address=address)
    return grant_id


async def revoke_grant(tenant: TenantInfo, admin: CurrentUser, grant_id: uuid.UUID, address: str) -> bool:
    """False when there is no such live grant in this tenant (another tenant's id included)."""
    async with tenant_scope(tenant.id) as tx:
        done = await tx.connection.fetchval(
            """update support_grant set revoked_at = now(), revoked_by = $2
               where id = $1 and revoked_at is null and expires_at > now() returning id""", grant_id, admin.id)
        if done:
            await audit.record(tenant.id, "support.grant_revoked", actor_user=admin.id, target_type="support_grant",
                               target_id=grant_id, address=address)
    return bool(done)


async def security_overview(tenant: TenantInfo) -> dict[str, Any]:
    """What the tenant admin sees: its grants, and everything operators did to or in it."""
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        grants = await conn.fetch(
            """select g.*, u.name as created_by_name, u.email as created_by_email,
                      (g.revoked_at is null and g.expires_at > now()) as live
               from support_grant g left join staff_user u on u.id = g.created_by
               order by g.created_at desc limit 50""")
        entries = await conn.fetch(
            """select a.created_at, coalesce(nullif(a.actor_label, ''), u.name, u.email) as actor_label, a.action,
                      a.target_id, a.after
               from audit_entry a left join staff_user u on u.id = a.actor_user
               where a.action = any($1::text[]) order by a.created_at desc limit 300""", list(TENANT_VISIBLE))
    return {"grants": [dict(g) for g in grants],
            "entries": [{**dict(e), "after": json.loads(e["after"]) if isinstance(e["after"], str) else e["after"]}
                        for e in entries]}


# --- the operator's way in ------------------------------------------------------------------------


async def start_handoff(redis: Any, operator: dict[str, Any], tenant_id: uuid.UUID, grant_id: uuid.UUID) -> str:
    token, digest = new_token()
    await redis.set(f"sila:support:handoff:{digest}",
                    json.dumps({"op": str(operator["id"]), "grant": str(grant_id), "tid": str(tenant_id)}),
                    ex=HANDOFF_SECONDS)
    return token


async def take_handoff(redis: Any, tenant: TenantInfo, token: str) -> dict[str, str] | None:
    """The handoff for this tenant, once; None if unknown, used, expired or for another tenant."""
    raw = await redis.getdel(f"sila:support:handoff:{token_hash(token)}")
    data = json.loads(raw) if raw else None
    if not data or data["tid"] != str(tenant.id):
        return None
    operator = await _operator(data["op"])
    async with tenant_scope(tenant.id):
        if operator is None or not await _grant_live(uuid.UUID(data["grant"])):
            return None
        await audit.record(tenant.id, "support.session_started", actor_label=operator_label(operator),
                           target_type="support_grant", target_id=data["grant"])
    return data


async def _operator(op_id: Any) -> dict[str, Any] | None:
    return await Operator.select().where(
        Operator.id == uuid.UUID(str(op_id)), Operator.is_active.eq(True), Operator.totp_secret.is_not_null()
    ).first()


async def _grant_live(grant_id: uuid.UUID) -> str | None:
    """The live grant's scope; None when it is revoked, expired or gone."""
    return await current_connection().fetchval(
        "select scope from support_grant where id = $1 and revoked_at is null and expires_at > now()", grant_id)


async def load_support_viewer(request: Any, tenant: TenantInfo, session: dict[str, Any]) -> CurrentUser | None:
    """The operator looking in under a live grant, for a read-only request of a page its scope
    covers; otherwise None with the request marked refused (403). Each page seen is written to
    the tenant's audit."""
    grant, op_id = session.get("sup"), session.get("op")
    method = request.scope.get("method", "GET")
    operator = await _operator(op_id) if grant and op_id and session.get("tid") == str(tenant.id) else None
    live = False
    if operator is not None and method in READ_METHODS:
        async with tenant_scope(tenant.id):
            scope = await _grant_live(uuid.UUID(grant))
            live = scope is not None and in_scope(scope, request.scope.get("path_template", ""))
            if live:
                path = request.scope.get("path", "")
                await audit.record(tenant.id, "support.page_view", actor_label=operator_label(operator),
                                   target_type="page", target_id=path[:500], address=client_address(request))
    if not live:
        request.scope[SUPPORT_REFUSED] = True
        return None
    return CurrentUser(id=operator["id"], email=operator["email"], name=operator["name"],
                       roles=frozenset(r.value for r in Role), preferred_language="ar",
                       support_grant=uuid.UUID(grant))
