"""Staff accounts: membership, sign-in, invitations and password resets.

Staff users are platform-wide (one person may work for two charities); what they may do in
a tenant lives in `membership`, which row-level security keeps per tenant.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sila.platform import audit
from sila.platform.auth import hash_password, new_token, token_hash, verify_password
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.messages import compose
from sila.platform.i18n import N_
from sila.platform.settings import get_settings
from sila.platform.roles import Role
from sila.platform.tables import AuthToken, Membership, MemberDeactivation, Operator, StaffUser
from sila.platform.tenancy import TenantInfo
from sila.workers.outbox import enqueue

# A leaving member's work handed over inside their leaving transaction (see requests' handover).
HandOver = Callable[[], Awaitable[Any]]

INVITE_TTL = dt.timedelta(days=7)
RESET_TTL = dt.timedelta(hours=2)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def _user_by_email(email: str) -> dict[str, Any] | None:
    return await StaffUser.select().where(StaffUser.email == normalise_email(email)).first()


async def add_member(
    tenant: TenantInfo, *, email: str, name: str, role: str, password: str | None = None
) -> uuid.UUID:
    """Create (or reuse) the staff user and give them `role` in `tenant`. For seeding and tests."""
    Role(role)
    user = await _user_by_email(email)
    if user is None:
        user_id = uuid.uuid4()
        await StaffUser.insert(
            StaffUser(
                id=user_id,
                email=normalise_email(email),
                name=name,
                password_hash=hash_password(password) if password else None,
            )
        )
    else:
        user_id = user["id"]
    async with tenant_scope(tenant.id):
        exists = await Membership.exists().where(Membership.user == user_id, Membership.role == role)
        if not exists:
            await Membership.insert(Membership(tenant=tenant.id, user=user_id, role=role))
    return user_id


async def _signed_in(user_id: Any) -> None:
    """Every way a member's session starts here (password, accepted invitation, confirmed
    sign-up, reset) stamps both the account and, in the open tenant scope, the membership: the
    console's "last staff sign-in" is this tenant's, not the person's last sign-in anywhere."""
    now = _now()
    await StaffUser.update({StaffUser.last_login_at: now}).where(StaffUser.id == user_id)
    await Membership.update({Membership.last_signed_in_at: now}).where(Membership.user == user_id)


@dataclass
class LoginResult:
    user_id: uuid.UUID | None
    ok: bool


async def authenticate(tenant: TenantInfo, email: str, password: str) -> LoginResult:
    """True only for an active user with a membership in *this* tenant and the right password."""
    user = await _user_by_email(email)
    valid = verify_password(user["password_hash"] if user else None, password)
    if not (user and valid and user["is_active"]):
        return LoginResult(None, False)
    async with tenant_scope(tenant.id):
        member = await Membership.exists().where(Membership.user == user["id"])
        if member:
            await _signed_in(user["id"])
            await audit.record(tenant.id, "auth.login", actor_user=user["id"], target_type="staff_user", target_id=user["id"])
    return LoginResult(user["id"] if member else None, bool(member))


class StaffError(Exception):
    """An admin's staff change the tenant's rules refuse; `msgid` is shown in the admin's language."""

    def __init__(self, msgid: str, **variables: Any) -> None:
        super().__init__(msgid)
        self.msgid, self.variables = msgid, variables


def _valid_roles(roles: Sequence[str]) -> list[str]:
    order = [r.value for r in Role]  # the order the page lists them
    chosen = sorted({Role(r).value for r in roles}, key=order.index)
    if not chosen:
        raise ValueError("at least one role")
    return chosen


async def invite(
    tenant: TenantInfo, *, email: str, roles: Sequence[str] = (), invited_by: uuid.UUID | None, lang: str,
    role: str | None = None,
) -> uuid.UUID:
    """Write the invitation and its email in one transaction. `role` is the one-role shorthand."""
    chosen = _valid_roles([*roles, *([role] if role else [])])
    email = normalise_email(email)
    async with tenant_scope(tenant.id) as tx:
        await _lock_staff(tx.connection, tenant)
        user = await _user_by_email(email)
        if user is not None:
            if await Membership.exists().where(Membership.user == user["id"]):
                raise StaffError(N_("%(email)s already works here. Change their roles on their page."), email=email)
            if await MemberDeactivation.exists().where(MemberDeactivation.user == user["id"]):
                raise StaffError(N_("%(email)s is deactivated here. Reactivate them on their page."), email=email)
        token_id = await _write_invitation(tenant, email, chosen, invited_by, lang)
        await audit.record(tenant.id, "staff.invite", actor_user=invited_by, target_type="auth_token",
                           target_id=token_id, after={"email": email, "roles": chosen})
    return token_id


async def _write_invitation(tenant: TenantInfo, email: str, roles: list[str], invited_by: uuid.UUID | None,
                            lang: str) -> uuid.UUID:
    """The token and its email (in the caller's tenant scope)."""
    token, digest = new_token()
    link = get_settings().tenant_url(tenant.slug, f"/invite/{token}")
    row = await AuthToken.insert(
        AuthToken(
            tenant=tenant.id,
            purpose="invite",
            email=email,
            roles=roles,
            token_hash=digest,
            created_by=invited_by,
            expires_at=_now() + INVITE_TTL,
        )
    ).returning(AuthToken.id)
    subject, text, html = compose("staff.invite", lang, {"tenant": tenant, "link": link, "roles": roles,
                                                         "days": INVITE_TTL.days})
    await enqueue(tenant_id=tenant.id, channel="email", kind="staff.invite", recipient=email,
                  subject=subject, body_text=text, body_html=html)
    return row[0]["id"]


class LinkError(Exception):
    """An invitation or reset link that is unknown, expired or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown" | "expired" | "used"


async def _live_token(purpose: str, token: str) -> dict[str, Any]:
    row = await AuthToken.select().where(
        AuthToken.token_hash == token_hash(token), AuthToken.purpose == purpose
    ).first()
    if row is None:
        raise LinkError("unknown")
    if row["used_at"] is not None:
        raise LinkError("used")
    if row["expires_at"] <= _now():
        raise LinkError("expired")
    return row


async def check_link(tenant: TenantInfo, purpose: str, token: str) -> dict[str, Any]:
    async with tenant_scope(tenant.id):
        return await _live_token(purpose, token)


class WrongPassword(Exception):
    """The address already has an account: joining through a link needs that account's password."""


async def has_password(email: str) -> bool:
    """Whether this address already has an account one signs in to (for the link pages only:
    whoever holds an invitation or confirmation link has proven they own the address)."""
    user = await _user_by_email(email)
    return bool(user and user["password_hash"])


async def _join(tenant: TenantInfo, tx: Any, purpose: str, token: str, *, name: str, password: str,
                password_hash: str | None = None) -> tuple[uuid.UUID, dict[str, Any]]:
    """Spend a live `purpose` link and give its address its roles here.

    The link proves the address. An address without an account gets one with the password
    chosen now; an account with a password joins only by entering that password (signing in as
    it): a password set by someone else before is never kept behind the owner's back, and the
    owner's account is never given a new one silently.
    """
    # Lock the token row: two clicks on the same link cannot both succeed.
    await tx.connection.execute("select 1 from auth_token where token_hash = $1 for update", token_hash(token))
    row = await _live_token(purpose, token)
    user = await _user_by_email(row["email"])
    if not (user and user["password_hash"]) and not (password_hash or password):
        raise ValueError("a new account needs a password")
    if user is None:
        user_id = uuid.uuid4()
        await StaffUser.insert(StaffUser(id=user_id, email=row["email"], name=name,
                                         password_hash=password_hash or hash_password(password)))
    elif user["password_hash"]:
        if not verify_password(user["password_hash"], password):
            raise WrongPassword()
        user_id = user["id"]
    else:
        user_id = user["id"]
        await StaffUser.update({StaffUser.password_hash: password_hash or hash_password(password),
                                StaffUser.name: name or user["name"]}).where(StaffUser.id == user_id)
    for role in row["roles"]:
        if not await Membership.exists().where(Membership.user == user_id, Membership.role == role):
            await Membership.insert(Membership(tenant=tenant.id, user=user_id, role=role))
    await AuthToken.update({AuthToken.used_at: _now(), AuthToken.user: user_id, AuthToken.signup: None}).where(
        AuthToken.id == row["id"])
    await _signed_in(user_id)
    return user_id, row


async def accept_invite(tenant: TenantInfo, token: str, *, name: str, password: str) -> uuid.UUID:
    """For an address that already has an account, `password` must be that account's password
    (WrongPassword otherwise); for a new one it is the password chosen."""
    async with tenant_scope(tenant.id) as tx:
        user_id, row = await _join(tenant, tx, "invite", token, name=name, password=password)
        await audit.record(tenant.id, "staff.invite_accepted", actor_user=user_id, target_type="staff_user",
                           target_id=user_id, after={"roles": row["roles"]})
    return user_id


async def confirm_signup(tenant: TenantInfo, token: str, *, password: str = "") -> uuid.UUID:
    """The sign-up's email link: the first admin's account exists from here on, with the password
    chosen in the wizard (or, for an address that already has an account, after its password)."""
    async with tenant_scope(tenant.id) as tx:
        row = await _live_token("signup", token)
        pending = row["signup"] or {}
        if isinstance(pending, str):
            pending = json.loads(pending)
        user_id, row = await _join(tenant, tx, "signup", token, name=pending.get("name", ""), password=password,
                                   password_hash=pending.get("password_hash"))
        await audit.record(tenant.id, "tenant.signup_confirmed", actor_user=user_id, target_type="staff_user",
                           target_id=user_id, after={"roles": row["roles"]})
        if tenant.status == "pending":
            await _alert_operators(tenant)
    return user_id


async def _alert_operators(tenant: TenantInfo) -> None:
    """A confirmed sign-up waits for review: every active operator is emailed, in the same
    transaction as the confirmation (an address typed but never confirmed alerts nobody)."""
    link = get_settings().platform_url(f"/operator/tenants/{tenant.id}")
    operators = await Operator.select(Operator.email).where(Operator.is_active == True)  # noqa: E712
    subject, text, html = compose("platform.signup_alert", "ar", {"tenant": tenant, "link": link})
    for op in operators:
        await enqueue(tenant_id=tenant.id, channel="email", kind="platform.signup_alert", recipient=op["email"],
                      subject=subject, body_text=text, body_html=html)


async def request_reset(tenant: TenantInfo, email: str, lang: str) -> None:
    """Send a reset link if the address belongs to a member of this tenant; say nothing either way."""
    user = await _user_by_email(email)
    if user is None or not user["is_active"]:
        return
    async with tenant_scope(tenant.id):
        if not await Membership.exists().where(Membership.user == user["id"]):
            return
        token, digest = new_token()
        link = get_settings().tenant_url(tenant.slug, f"/password/reset/{token}")
        await AuthToken.insert(
            AuthToken(tenant=tenant.id, purpose="reset", email=user["email"], user=user["id"],
                      token_hash=digest, expires_at=_now() + RESET_TTL)
        )
        subject, text, html = compose("staff.password_reset", user["preferred_language"] or lang, {
            "tenant": tenant, "link": link, "hours": int(RESET_TTL.total_seconds() // 3600)})
        await enqueue(tenant_id=tenant.id, channel="email", kind="staff.password_reset", recipient=user["email"],
                      subject=subject, body_text=text, body_html=html)


async def reset_password(tenant: TenantInfo, token: str, password: str) -> uuid.UUID:
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute(
            "select 1 from auth_token where token_hash = $1 for update", token_hash(token)
        )
        row = await _live_token("reset", token)
        await StaffUser.update({StaffUser.password_hash: hash_password(password)}).where(StaffUser.id == row["user"])
        await AuthToken.update({AuthToken.used_at: _now()}).where(AuthToken.id == row["id"])
        await _signed_in(row["user"])
        await audit.record(tenant.id, "auth.password_reset", actor_user=row["user"], target_type="staff_user",
                           target_id=row["user"])
    return row["user"]


async def list_staff(tenant: TenantInfo) -> list[dict[str, Any]]:
    """Active members with their roles, then deactivated ones with the roles they held."""
    async with tenant_scope(tenant.id) as tx:
        return [
            dict(r)
            for r in await tx.connection.fetch(
                """
                select u.id, u.email, u.name, array_agg(m.role order by m.role) as roles, true as active
                from membership m join staff_user u on u.id = m."user"
                group by u.id
                union all
                select u.id, u.email, u.name, d.roles, false as active
                from member_deactivation d join staff_user u on u.id = d."user"
                order by active desc, name, email
                """
            )
        ]


async def pending_invitations(tenant: TenantInfo) -> list[dict[str, Any]]:
    """Invitations not yet accepted, the expired ones too (they can be sent again)."""
    async with tenant_scope(tenant.id) as tx:
        return [
            dict(r)
            for r in await tx.connection.fetch(
                """select id, email, roles, expires_at, expires_at <= now() as expired from auth_token
                   where purpose = 'invite' and used_at is null order by created_at desc"""
            )
        ]


# --- offboarding: roles, deactivation, removal, invitations ----------------------------------------
#
# Every change runs in one transaction of the tenant's scope, serialised per tenant by an advisory
# lock, so two admins demoting each other at once cannot leave the tenant with no admin. The routes
# end the member's sessions after the change commits (`auth.end_sessions`).

LAST_ADMIN = N_("This is the last administrator of this portal. Make someone else an administrator first.")


async def _lock_staff(conn: Any, tenant: TenantInfo) -> None:
    await conn.execute("select pg_advisory_xact_lock(hashtextextended('sila:staff:' || $1::text, 0))", str(tenant.id))


async def get_member_in_tenant(tenant: TenantInfo, user_id: Any) -> dict[str, Any]:
    """A member of this tenant, active or deactivated; NotFound otherwise (another tenant's too)."""
    uid = parse_uuid(user_id)
    async with tenant_scope(tenant.id) as tx:
        member = await _member(tx.connection, uid) if uid else None
    if member is None:
        raise NotFound(user_id)
    return member


async def get_invitation_in_tenant(tenant: TenantInfo, token_id: Any) -> dict[str, Any]:
    """A pending (or expired, not accepted) invitation of this tenant; NotFound otherwise."""
    tid = parse_uuid(token_id)
    found = next((i for i in await pending_invitations(tenant) if i["id"] == tid), None) if tid else None
    if found is None:
        raise NotFound(token_id)
    return found


async def _member(conn: Any, user_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """select u.id, u.email, u.name,
                  coalesce((select array_agg(m.role order by m.role) from membership m where m."user" = u.id),
                           '{}') as roles,
                  (select d.roles from member_deactivation d where d."user" = u.id) as deactivated_roles
           from staff_user u
           where u.id = $1 and (exists (select 1 from membership m where m."user" = u.id)
                                or exists (select 1 from member_deactivation d where d."user" = u.id))""",
        user_id)
    if row is None:
        return None
    member = dict(row)
    member["active"] = member["deactivated_roles"] is None
    return member


async def _locked_member(conn: Any, tenant: TenantInfo, user_id: uuid.UUID) -> dict[str, Any]:
    await _lock_staff(conn, tenant)
    member = await _member(conn, user_id)
    if member is None:
        raise NotFound(user_id)
    return member


async def _keep_an_admin(conn: Any, user_id: uuid.UUID) -> None:
    """Refuse when taking admin away from `user_id` would leave the tenant with no active admin."""
    others = await conn.fetchval(
        """select count(distinct "user") from membership where role = 'admin' and "user" <> $1""", user_id)
    if not others:
        raise StaffError(LAST_ADMIN)


async def set_roles(tenant: TenantInfo, user_id: uuid.UUID, roles: Sequence[str], *, actor: uuid.UUID,
                    address: str = "") -> bool:
    """Give an active member exactly `roles`. Returns whether anything changed."""
    chosen = _valid_roles(roles)
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        member = await _locked_member(conn, tenant, user_id)
        if not member["active"]:
            raise StaffError(N_("Reactivate this member before changing their roles."))
        before = list(member["roles"])
        if set(before) == set(chosen):
            return False
        if Role.admin in before and Role.admin not in chosen:
            await _keep_an_admin(conn, user_id)
        await conn.execute("""delete from membership where "user" = $1 and role <> all($2::varchar[])""",
                           user_id, chosen)
        await conn.execute(
            """insert into membership (tenant, "user", role) select $1, $2, r from unnest($3::varchar[]) r
               on conflict (tenant, "user", role) do nothing""", tenant.id, user_id, chosen)
        await audit.record(tenant.id, "staff.roles_changed", actor_user=actor, target_type="staff_user",
                           target_id=user_id, before={"roles": before}, after={"roles": chosen}, address=address)
    return True


async def _forget_links(conn: Any, email: str, user_id: uuid.UUID) -> None:
    """Unused invitations and reset links of this person in this tenant stop working."""
    await conn.execute("""delete from auth_token where used_at is null and (email = $1 or "user" = $2)""",
                       email, user_id)


async def deactivate(tenant: TenantInfo, user_id: uuid.UUID, *, actor: uuid.UUID, address: str = "",
                     hand_over: HandOver | None = None) -> None:
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        member = await _locked_member(conn, tenant, user_id)
        if not member["active"]:
            return
        if Role.admin in member["roles"]:
            await _keep_an_admin(conn, user_id)
        if hand_over is not None:
            await hand_over()
        await conn.execute('delete from membership where "user" = $1', user_id)
        await conn.execute(
            """insert into member_deactivation (tenant, "user", roles, deactivated_by) values ($1, $2, $3, $4)""",
            tenant.id, user_id, list(member["roles"]), actor)
        await _forget_links(conn, member["email"], user_id)
        await audit.record(tenant.id, "staff.deactivated", actor_user=actor, target_type="staff_user",
                           target_id=user_id, before={"roles": list(member["roles"])}, address=address)


async def reactivate(tenant: TenantInfo, user_id: uuid.UUID, *, actor: uuid.UUID, address: str = "") -> None:
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        member = await _locked_member(conn, tenant, user_id)
        if member["active"]:
            return
        roles = list(member["deactivated_roles"])
        await conn.execute(
            """insert into membership (tenant, "user", role) select $1, $2, r from unnest($3::varchar[]) r
               on conflict (tenant, "user", role) do nothing""", tenant.id, user_id, roles)
        await conn.execute('delete from member_deactivation where "user" = $1', user_id)
        await audit.record(tenant.id, "staff.reactivated", actor_user=actor, target_type="staff_user",
                           target_id=user_id, after={"roles": roles}, address=address)


async def remove(tenant: TenantInfo, user_id: uuid.UUID, *, actor: uuid.UUID, address: str = "",
                 hand_over: HandOver | None = None) -> None:
    """The member leaves this tenant; their platform-wide account stays for their other tenants.
    `hand_over` runs in the same transaction, so their work moves only if they do leave."""
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        member = await _locked_member(conn, tenant, user_id)
        if Role.admin in member["roles"]:
            await _keep_an_admin(conn, user_id)
        if hand_over is not None:
            await hand_over()
        await conn.execute('delete from membership where "user" = $1', user_id)
        await conn.execute('delete from member_deactivation where "user" = $1', user_id)
        await _forget_links(conn, member["email"], user_id)
        await audit.record(tenant.id, "staff.removed", actor_user=actor, target_type="staff_user",
                           target_id=user_id,
                           before={"email": member["email"], "name": member["name"],
                                   "roles": list(member["roles"] or member["deactivated_roles"] or [])},
                           address=address)


async def _locked_invitation(conn: Any, tenant: TenantInfo, token_id: Any) -> dict[str, Any]:
    await _lock_staff(conn, tenant)
    tid = parse_uuid(token_id)
    row = await conn.fetchrow(
        "select * from auth_token where id = $1 and purpose = 'invite' and used_at is null for update",
        tid) if tid else None
    if row is None:
        raise NotFound(token_id)
    return dict(row)


async def revoke_invitation(tenant: TenantInfo, token_id: uuid.UUID, *, actor: uuid.UUID, address: str = "") -> None:
    """The link stops working at once (the token is deleted; the audit keeps who and when)."""
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        row = await _locked_invitation(conn, tenant, token_id)
        await conn.execute("delete from auth_token where id = $1", token_id)
        await audit.record(tenant.id, "staff.invite_revoked", actor_user=actor, target_type="auth_token",
                           target_id=token_id, before={"email": row["email"], "roles": list(row["roles"])},
                           address=address)


async def resend_invitation(tenant: TenantInfo, token_id: uuid.UUID, *, actor: uuid.UUID, lang: str,
                            address: str = "") -> dict[str, Any]:
    """A new link, valid for the full period, to the same address with the same roles; the old link dies."""
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        row = await _locked_invitation(conn, tenant, token_id)
        await conn.execute("delete from auth_token where id = $1", token_id)
        new_id = await _write_invitation(tenant, row["email"], list(row["roles"]), actor, lang)
        await audit.record(tenant.id, "staff.invite_resent", actor_user=actor, target_type="auth_token",
                           target_id=new_id, before={"token": str(token_id)},
                           after={"email": row["email"], "roles": list(row["roles"])}, address=address)
    return {"id": new_id, "email": row["email"]}
