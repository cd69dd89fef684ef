"""Sign-up of a new charity and its onboarding checklist.

The first two steps (organisation, admin account) happen on the platform's own host, where
there is no tenant yet: their input waits in the visitor's server-side session. Submitting
the account creates the tenant (`pending` unless SILA_AUTO_APPROVE_TENANTS), its profile
and the admin in one go, then hands the new admin to the tenant's host with a one-time
token (session cookies are host-only). From there every step saves to the database, so
the admin can leave and resume from any device by signing in.
"""
from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from typing import Any

import asyncpg

from sila.platform import audit, directory
from sila.platform.accounts.services import add_member, normalise_email
from sila.platform.auth import token_hash, verify_password
from sila.platform.db import platform_scope, tenant_scope
from sila.platform.i18n import N_
from sila.platform.tables import StaffUser, Tenant
from sila.platform.tenancy import TenantInfo, clear_cache
from sila.tenants.policy import services as policy
from sila.tenants.policy.tables import PolicyVersion, TenantProfile


@dataclasses.dataclass(frozen=True)
class SetupStep:
    code: str
    label: str  # msgid
    url: str


# The wizard in order. The first two are done on the platform host at sign-up.
SETUP_STEPS = (
    SetupStep("organisation", N_("Organisation"), "/portal/profile"),
    SetupStep("account", N_("Your account"), "/portal/profile"),
    SetupStep("profile", N_("Letterhead and contacts"), "/portal/profile"),
    SetupStep("channels", N_("Channels"), "/portal/policy/channels"),
    SetupStep("tools", N_("Tools"), "/portal/policy/tools"),
    SetupStep("steps", N_("Procedure"), "/portal/policy/steps"),
    SetupStep("window", N_("Review window"), "/portal/policy/window"),
    SetupStep("texts", N_("Texts and layout"), "/portal/policy/texts"),
    SetupStep("staff", N_("Staff"), "/portal/setup/staff"),
    SetupStep("approval", N_("Board approval"), "/portal/policy/approval"),
    SetupStep("publish", N_("Publish"), "/portal/policy/publish"),
)
STEP_CODES = tuple(s.code for s in SETUP_STEPS)


@dataclasses.dataclass(frozen=True)
class Progress:
    steps: tuple[tuple[SetupStep, bool], ...]

    @property
    def complete(self) -> bool:
        return all(done for _, done in self.steps)

    @property
    def next_step(self) -> SetupStep | None:
        return next((s for s, done in self.steps if not done), None)

    def after(self, code: str) -> SetupStep | None:
        """The step that follows `code` in the wizard (for "save and continue")."""
        index = STEP_CODES.index(code)
        return SETUP_STEPS[index + 1] if index + 1 < len(SETUP_STEPS) else None

    @property
    def done_count(self) -> int:
        return sum(1 for _, done in self.steps if done)


async def progress(tenant_id: Any) -> Progress:
    async with tenant_scope(tenant_id):
        row = await TenantProfile.select(TenantProfile.setup_done).where(TenantProfile.tenant == tenant_id).first()
        published = await PolicyVersion.exists().where(PolicyVersion.tenant == tenant_id)
    done = set(row["setup_done"] if row else ()) | {"organisation", "account"}
    if published:
        done |= {"approval", "publish"}
    return Progress(tuple((s, s.code in done) for s in SETUP_STEPS))


# --- sign-up ----------------------------------------------------------------------------------


class SignupError(Exception):
    def __init__(self, field: str, msgid: str) -> None:
        super().__init__(msgid)
        self.field, self.msgid = field, msgid


MSG_SLUG_TAKEN = N_("This address is taken. Choose another.")
MSG_EXISTING_ACCOUNT = N_(
    "An account with this email already exists. Enter its password to add this charity to it.")


async def slug_taken(slug: str) -> bool:
    return await Tenant.exists().where(Tenant.slug == slug)


async def register(org: dict[str, str], account: dict[str, str], password: str, *,
                   auto_approve: bool) -> tuple[TenantInfo, uuid.UUID]:
    """Create the tenant, its profile, an empty draft and the first admin."""
    email = normalise_email(account["email"])
    user = await StaffUser.select().where(StaffUser.email == email).first()
    # Someone who already works for another charity signs up with their own password;
    # nobody can attach a new charity to an account they do not hold.
    if user is not None and not verify_password(user["password_hash"], password):
        raise SignupError("password", MSG_EXISTING_ACCOUNT)
    if await slug_taken(org["slug"]):
        raise SignupError("slug", MSG_SLUG_TAKEN)
    try:
        tenant = await directory.create_tenant(
            slug=org["slug"], kind=org["kind"], name_ar=org["name_ar"], name_en=org.get("name_en", ""),
            status="active" if auto_approve else "pending")
    except asyncpg.UniqueViolationError:  # the same address, claimed a moment ago
        raise SignupError("slug", MSG_SLUG_TAKEN) from None
    try:
        async with tenant_scope(tenant.id):
            await TenantProfile.insert(TenantProfile(
                tenant=tenant.id, regulator=org["regulator"], licence_number=org["licence_number"],
                region=org["region"], city=org["city"], setup_done=["organisation", "account"]))
            await audit.record(tenant.id, "tenant.registered", actor_label=email,
                               after={k: v for k, v in org.items()} | {"status": tenant.status})
        user_id = await add_member(tenant, email=email, name=account["name"], role="admin",
                                   password=None if user else password)
    except BaseException:
        # Nothing half-made stays behind: without its admin the tenant could never be used.
        async with platform_scope("undo a failed sign-up"):
            await Tenant.delete().where(Tenant.id == tenant.id)
        clear_cache()
        raise
    return tenant, user_id


# --- handing the new admin over to the tenant's host -------------------------------------------

HANDOFF_SECONDS = 300


def _handoff_key(token: str) -> str:
    return "sila:handoff:" + token_hash(token)


async def create_handoff(redis: Any, tenant_id: Any, user_id: Any) -> str:
    token = secrets.token_urlsafe(32)
    await redis.set(_handoff_key(token), json.dumps({"tid": str(tenant_id), "uid": str(user_id)}),
                    ex=HANDOFF_SECONDS)
    return token


async def take_handoff(redis: Any, tenant_id: Any, token: str) -> str | None:
    """The user id the token was made for, once, and only on its own tenant's host."""
    raw = await redis.getdel(_handoff_key(token))
    if not raw:
        return None
    data = json.loads(raw)
    return data["uid"] if data["tid"] == str(tenant_id) else None


# --- the organisation profile ------------------------------------------------------------------


async def save_profile(tenant: TenantInfo, form: dict[str, str], *, logo: Any = policy.KEEP,
                       actor: Any = None) -> None:
    """Names (on the tenant), regulator, licence, place, contacts and logo (on the profile)."""
    from sila.tenants.onboarding.forms import SOCIAL_FIELDS

    social = {name.removeprefix("social_"): form[name] for name in SOCIAL_FIELDS if form.get(name)}
    values = {
        TenantProfile.regulator: form["regulator"], TenantProfile.licence_number: form["licence_number"],
        TenantProfile.region: form["region"], TenantProfile.city: form["city"],
        TenantProfile.website: form["website"], TenantProfile.phone: form["phone"],
        TenantProfile.email: form["email"], TenantProfile.social: json.dumps(social, ensure_ascii=False),
    }
    if logo is not policy.KEEP:
        values[TenantProfile.logo] = logo
    async with tenant_scope(tenant.id) as tx:
        # Tenants made outside the wizard (demo data, the command line) have no profile yet.
        await tx.connection.execute(
            "insert into tenant_profile (tenant, regulator) values ($1, $2) on conflict (tenant) do nothing",
            tenant.id, form["regulator"])
        before = await TenantProfile.select().where(TenantProfile.tenant == tenant.id).first()
        # The tenant row has no row-level security; we only ever touch the host's own tenant.
        await Tenant.update({Tenant.name_ar: form["name_ar"], Tenant.name_en: form["name_en"]}).where(
            Tenant.id == tenant.id)
        await TenantProfile.update({**values, TenantProfile.updated_at: TenantProfile.updated_at.default.python()}
                                   ).where(TenantProfile.tenant == tenant.id)
        await tx.connection.execute(
            """update tenant_profile set setup_done = array_append(setup_done, 'profile')
               where tenant = $1 and not ('profile' = any(setup_done))""", tenant.id)
        await audit.record(tenant.id, "tenant.profile", actor_user=actor, target_type="tenant_profile",
                           target_id=before["id"] if before else "",
                           before={k: str(v) for k, v in (before or {}).items() if k != "setup_done"},
                           after={"name_ar": form["name_ar"], "name_en": form["name_en"], **{
                               k._meta.name: v for k, v in values.items()}})
    clear_cache()  # the cached TenantInfo carries the names
