"""Sign-up of a new charity and its onboarding checklist.

The first two steps (organisation, admin account) happen on the platform's own host, where
there is no tenant yet: their input waits in the visitor's server-side session. Submitting
the account creates the tenant (`pending` unless SILA_AUTO_APPROVE_TENANTS) and its profile,
and emails the admin a single-use link to the tenant's host; opening it proves the address,
creates the admin's account and signs them in there (session cookies are host-only). From there every step saves to the database, so
the admin can leave and resume from any device by signing in.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import asyncpg

from sila.platform import audit, directory
from sila.platform.accounts.services import normalise_email
from sila.platform.auth import hash_password, new_token
from sila.platform.db import platform_scope, tenant_scope
from sila.platform.messages import compose
from sila.platform.i18n import N_
from sila.platform.settings import get_settings
from sila.platform.tenancy import TenantInfo, clear_cache
from sila.tenants.onboarding import queries, readiness
# The routes ask the services; these reads need no more than the query.
from sila.tenants.onboarding.queries import PlatformQuestion, platform_question  # noqa: F401
from sila.tenants.policy import services as policy
from sila.tenants.policy.tables import TenantProfile
from sila.workers.outbox import enqueue


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
    SetupStep("sms", N_("SMS gateway"), "/portal/notifications/providers"),
    SetupStep("approval", N_("Board approval"), "/portal/policy/approval"),
    SetupStep("publish", N_("Publish"), "/portal/policy/publish"),
)
STEP_CODES = tuple(s.code for s in SETUP_STEPS)
OUTSIDE_WIZARD = frozenset({"sms"})


@dataclasses.dataclass(frozen=True)
class Progress:
    steps: tuple[tuple[SetupStep, bool], ...]
    problems: tuple[readiness.Problem, ...] = ()  # what will not work once live

    @property
    def complete(self) -> bool:
        return all(done for _, done in self.steps)

    @property
    def next_step(self) -> SetupStep | None:
        return next((s for s, done in self.steps if not done), None)

    def after(self, code: str) -> SetupStep | None:
        """The step that follows `code` in the wizard (for "save and continue"). The SMS step is
        the notifications area's gateway page, which has no "continue": the wizard passes it by,
        the checklist and the publish page's readiness list keep asking for it."""
        following = [s for s in SETUP_STEPS[STEP_CODES.index(code) + 1:] if s.code not in OUTSIDE_WIZARD]
        return following[0] if following else None

    @property
    def done_count(self) -> int:
        return sum(1 for _, done in self.steps if done)




async def reply_to_platform(tenant: TenantInfo, user_id: Any, reply: str) -> bool:
    """Store the answer (a later answer replaces it) and audit it; False when nothing is asked
    any more (approved, rejected, or never asked)."""
    async with tenant_scope(tenant.id):
        done = await queries.reply_to_question(tenant.id, reply)
        if done:
            await audit.record(tenant.id, "tenant.info_replied", actor_user=user_id, target_type="tenant",
                               target_id=tenant.id, after={"reply": reply})
    return done


async def progress(tenant_id: Any) -> Progress:
    """A page the admin saved is done, except where saving proves nothing: channels need one
    enabled, staff need someone who works cases, the SMS step an enabled gateway."""
    async with tenant_scope(tenant_id):
        saved = await queries.setup_done(tenant_id)
        published = await queries.has_published_policy(tenant_id)
    found = await readiness.facts(tenant_id)
    done = set(saved) | {"organisation", "account"}
    if published:
        done |= {"approval", "publish"}
    if not found.channels:
        done.discard("channels")
    done.discard("staff")
    if readiness.staffed(found):
        done.add("staff")
    if found.sms:
        done.add("sms")
    return Progress(tuple((s, s.code in done) for s in SETUP_STEPS), tuple(readiness.problems(found)))


# --- sign-up ----------------------------------------------------------------------------------


class SignupError(Exception):
    def __init__(self, field: str, msgid: str) -> None:
        super().__init__(msgid)
        self.field, self.msgid = field, msgid


MSG_SLUG_TAKEN = N_("This address is taken. Choose another.")
MSG_EXISTING_ACCOUNT = N_(
    "An account with this email already exists. Enter its password to add this charity to it.")

SIGNUP_TTL = queries.SIGNUP_TTL


async def slug_taken(slug: str) -> bool:
    """Held by a tenant: any tenant but a sign-up nobody confirmed within its link's life (whose
    address the next sign-up takes over, see `release_unconfirmed`)."""
    tenant = await directory.get_tenant_by_slug(slug)
    if tenant is None:
        return False
    async with tenant_scope(tenant.id):
        return await queries.signup_held(tenant.id)


async def register(org: dict[str, str], account: dict[str, str], password: str, *, auto_approve: bool,
                   lang: str) -> TenantInfo:
    """Create the tenant, its profile and an empty draft, and email the admin a link that
    confirms the address. No account and no access exist until that link is used (an address
    is not proven by typing it), and the answer is the same whether or not the address already
    has an account: sign-up tells nobody who has one, and checks no password."""
    email = normalise_email(account["email"])
    if await slug_taken(org["slug"]) or not await release_unconfirmed(org["slug"]):
        raise SignupError("slug", MSG_SLUG_TAKEN)
    try:
        tenant = await directory.create_tenant(
            slug=org["slug"], kind=org["kind"], name_ar=org["name_ar"], name_en=org.get("name_en", ""),
            status="active" if auto_approve else "pending")
    except asyncpg.UniqueViolationError:  # the same address, claimed a moment ago
        raise SignupError("slug", MSG_SLUG_TAKEN) from None
    try:
        async with tenant_scope(tenant.id):
            token, digest = new_token()
            token_id = await queries.insert_signup(
                tenant.id, org, email=email, token_hash=digest, expires_at=dt.datetime.now(dt.UTC) + SIGNUP_TTL,
                signup={"name": account["name"], "password_hash": hash_password(password)})
            await _send_signup_link(tenant, email, token, lang)
            await audit.record(tenant.id, "tenant.registered", actor_label=email, target_type="auth_token",
                               target_id=token_id,
                               after={k: v for k, v in org.items()} | {"status": tenant.status})
    except BaseException:
        # Nothing half-made stays behind.
        async with platform_scope("undo a failed sign-up"):
            await queries.delete_tenant(tenant.id)
        clear_cache()
        raise
    return tenant


async def _send_signup_link(tenant: TenantInfo, email: str, token: str, lang: str) -> None:
    link = get_settings().tenant_url(tenant.slug, f"/welcome/{token}")
    subject, text, html = compose("platform.signup_confirm", lang,
                                  {"tenant": tenant, "link": link, "days": SIGNUP_TTL.days})
    # "platform.": the platform's own mail, sent now even while the tenant is pending.
    await enqueue(tenant_id=tenant.id, channel="email", kind="platform.signup_confirm", recipient=email,
                  subject=subject, body_text=text, body_html=html)


async def resend_signup(slug: str, email: str, lang: str) -> str:
    """A fresh link for a sign-up nobody confirmed yet, to the address it was made with (the old
    link stops working; an expired one is renewed). "sent", "confirmed" (sign in instead), or
    "gone" (released or deleted meanwhile: register again)."""
    tenant = await directory.get_tenant_by_slug(slug)
    if tenant is None:
        return "gone"
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        if await conn.fetchval("select exists (select 1 from membership)"):
            return "confirmed"
        row = await conn.fetchrow(
            """select id from auth_token where purpose = 'signup' and email = $1 and used_at is null
               order by created_at desc limit 1 for update""", normalise_email(email))
        if row is None:
            return "gone"
        token, digest = new_token()
        await conn.execute("update auth_token set token_hash = $2, expires_at = $3 where id = $1", row["id"],
                           digest, dt.datetime.now(dt.UTC) + SIGNUP_TTL)
        await _send_signup_link(tenant, normalise_email(email), token, lang)
        await audit.record(tenant.id, "tenant.signup_resent", actor_label=email, target_type="auth_token",
                           target_id=row["id"])
    return "sent"


async def release_unconfirmed(slug: str) -> bool:
    """An address held by a sign-up nobody confirmed within its link's life is free again: that
    tenant (nothing but its profile, its empty draft and the sent link) is deleted, recorded in
    the operator audit. False, and nothing changes, for any tenant someone has joined or whose
    link still works."""
    tenant = await directory.get_tenant_by_slug(slug)
    if tenant is None:
        return True
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        await conn.execute("select 1 from tenant where id = $1 for update", tenant.id)
        if await queries.signup_held(tenant.id):
            return False
        deleted = await directory.delete_tenant_rows(conn, tenant.id)
        await conn.execute(
            """insert into operator_audit (operator_label, action, subject_tenant, subject_label, detail)
               values ('sila', 'tenant.signup_released', $1, $2, $3::jsonb)""",
            tenant.id, tenant.slug, json.dumps({"rows": deleted, "name_ar": tenant.name_ar}))
    clear_cache()
    return True


# --- the organisation profile ------------------------------------------------------------------


async def save_profile(tenant: TenantInfo, form: dict[str, Any], *, logo: Any = policy.KEEP,
                       actor: Any = None) -> None:
    """Names (on the tenant), regulator, licence, place, contacts and logo (on the profile)."""
    social = {"links": [{"network": link["network"], "url": link["url"]} for link in form.get("social_links", [])]}
    values: dict[Any, Any] = {
        TenantProfile.regulator: form["regulator"], TenantProfile.regulator_other: form.get("regulator_other", ""),
        TenantProfile.licence_number: form["licence_number"],
        TenantProfile.region: form["region"], TenantProfile.city: form["city"],
        TenantProfile.website: form["website"], TenantProfile.phone: form["phone"],
        TenantProfile.email: form["email"], TenantProfile.social: json.dumps(social, ensure_ascii=False),
    }
    if logo is not policy.KEEP:
        values[TenantProfile.logo] = logo
    async with tenant_scope(tenant.id):
        before = await queries.profile_for_update(tenant.id, form["regulator"])
        await queries.save_profile(tenant.id, form, values)
        await audit.record(tenant.id, "tenant.profile", actor_user=actor, target_type="tenant_profile",
                           target_id=before["id"] if before else "",
                           before={k: str(v) for k, v in (before or {}).items() if k != "setup_done"},
                           after={"name_ar": form["name_ar"], "name_en": form["name_en"], **{
                               k._meta.name: v for k, v in values.items()}})
    clear_cache()  # the cached TenantInfo carries the names
