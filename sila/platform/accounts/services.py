"""Staff accounts: membership, sign-in, invitations and password resets.

Staff users are platform-wide (one person may work for two charities); what they may do in
a tenant lives in `membership`, which row-level security keeps per tenant.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sila.platform import audit
from sila.platform.auth import hash_password, new_token, token_hash, verify_password
from sila.platform.db import tenant_scope
from sila.platform.emails import render_email
from sila.platform.settings import get_settings
from sila.platform.tables import AuthToken, Membership, Role, StaffUser
from sila.platform.tenancy import TenantInfo
from sila.workers.outbox import enqueue

INVITE_TTL = dt.timedelta(days=7)
RESET_TTL = dt.timedelta(hours=2)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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
            await StaffUser.update({StaffUser.last_login_at: _now()}).where(StaffUser.id == user["id"])
            await audit.record(tenant.id, "auth.login", actor_user=user["id"], target_type="staff_user", target_id=user["id"])
    return LoginResult(user["id"] if member else None, bool(member))


async def invite(
    tenant: TenantInfo, *, email: str, role: str, invited_by: uuid.UUID | None, lang: str
) -> uuid.UUID:
    """Write the invitation and its email in one transaction."""
    Role(role)
    token, digest = new_token()
    email = normalise_email(email)
    settings = get_settings()
    link = settings.tenant_url(tenant.slug, f"/invite/{token}")
    async with tenant_scope(tenant.id):
        row = await AuthToken.insert(
            AuthToken(
                tenant=tenant.id,
                purpose="invite",
                email=email,
                role=role,
                token_hash=digest,
                created_by=invited_by,
                expires_at=_now() + INVITE_TTL,
            )
        ).returning(AuthToken.id)
        subject, text, html = render_email("invite", lang, tenant=tenant, link=link, role=role, days=INVITE_TTL.days)
        await enqueue(tenant_id=tenant.id, channel="email", kind="staff.invite", recipient=email,
                      subject=subject, body_text=text, body_html=html)
        await audit.record(tenant.id, "staff.invite", actor_user=invited_by, target_type="auth_token",
                           target_id=row[0]["id"], after={"email": email, "role": role})
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


async def accept_invite(tenant: TenantInfo, token: str, *, name: str, password: str) -> uuid.UUID:
    async with tenant_scope(tenant.id) as tx:
        # Lock the token row: two clicks on the same link cannot both succeed.
        await tx.connection.execute(
            "select 1 from auth_token where token_hash = $1 for update", token_hash(token)
        )
        row = await _live_token("invite", token)
        user = await _user_by_email(row["email"])
        if user is None:
            user_id = uuid.uuid4()
            await StaffUser.insert(
                StaffUser(id=user_id, email=row["email"], name=name, password_hash=hash_password(password))
            )
        else:
            user_id = user["id"]
            if not user["password_hash"]:
                await StaffUser.update({StaffUser.password_hash: hash_password(password), StaffUser.name: name}).where(
                    StaffUser.id == user_id
                )
        if not await Membership.exists().where(Membership.user == user_id, Membership.role == row["role"]):
            await Membership.insert(Membership(tenant=tenant.id, user=user_id, role=row["role"]))
        await AuthToken.update({AuthToken.used_at: _now(), AuthToken.user: user_id}).where(AuthToken.id == row["id"])
        await audit.record(tenant.id, "staff.invite_accepted", actor_user=user_id, target_type="staff_user",
                           target_id=user_id, after={"role": row["role"]})
    return user_id


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
        subject, text, html = render_email(
            "reset", user["preferred_language"] or lang, tenant=tenant, link=link,
            hours=int(RESET_TTL.total_seconds() // 3600),
        )
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
        await audit.record(tenant.id, "auth.password_reset", actor_user=row["user"], target_type="staff_user",
                           target_id=row["user"])
    return row["user"]


async def list_staff(tenant: TenantInfo) -> list[dict[str, Any]]:
    async with tenant_scope(tenant.id) as tx:
        return [
            dict(r)
            for r in await tx.connection.fetch(
                """
                select u.id, u.email, u.name, array_agg(m.role order by m.role) as roles
                from membership m join staff_user u on u.id = m."user"
                group by u.id order by u.name, u.email
                """
            )
        ]


async def pending_invitations(tenant: TenantInfo) -> list[dict[str, Any]]:
    async with tenant_scope(tenant.id):
        return await AuthToken.select(AuthToken.id, AuthToken.email, AuthToken.role, AuthToken.expires_at).where(
            AuthToken.purpose == "invite", AuthToken.used_at.is_null(), AuthToken.expires_at > _now()
        ).order_by(AuthToken.created_at, ascending=False)
