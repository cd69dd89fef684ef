"""The onboarding wizard: sign-up on the platform host (`/signup/…`), the emailed link that
confirms the admin's address on the new tenant's host (`/welcome/{token}`), and the checklist and organisation profile in the portal."""
from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from redis.exceptions import RedisError

from sila.platform import directory, i18n
from sila.platform.accounts import services as accounts
from sila.platform.accounts.services import normalise_email
from sila.platform.actors import actor_of
from sila.platform.auth import (
    clear_login_failures,
    client_address,
    login_locked,
    record_login_failure,
    requires_platform_site,
    requires_staff,
    requires_tenant_site,
    start_session,
)
from sila.platform.db import tenant_scope
from sila.platform.roles import Role
from sila.platform.tables import AuthToken
from sila.platform.ratelimit import hit, public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.forms import parse_form
from sila.platform.web import FormErrors, redirect, render
from sila.tenants.onboarding import forms, services
from sila.tenants.policy import catalogue
from sila.tenants.policy import services as policy
from sila.platform.bodies import UPLOAD_BODY_LIMIT, MultipartData
from sila.tenants.policy.uploads import store_upload

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
SESSION_KEY = "signup"
RESENDS = 3  # confirmation links resent per sign-up an hour


def _signup(request: Request) -> dict[str, Any]:
    return dict(request.session.get(SESSION_KEY) or {}) if "session" in request.scope else {}


def _remember(request: Request, **changes: Any) -> None:
    session = dict(request.session) if "session" in request.scope and request.session else {}
    session[SESSION_KEY] = {**_signup(request), **changes}
    request.set_session(session)


class SignupRoutes(Controller):
    """Steps 1 and 2, kept in the visitor's server-side session until the account is created."""

    path = "/signup"
    guards = [requires_platform_site, public_form_limit("signup")]

    @get("/", name="signup")
    async def start(self, request: Request) -> Any:
        state = _signup(request)
        if state.get("done"):
            return redirect("/signup/done")
        return redirect("/signup/account" if state.get("organisation") else "/signup/organisation")

    async def _organisation_page(self, request: Request, form: dict[str, Any], errors: FormErrors,
                                 status_code: int = 200) -> Any:
        return await render(request, "onboarding/organisation.html", status_code=status_code, form=form,
                            errors=errors, catalogue=catalogue, step=1,
                            base_domain=request.app.state.settings.base_domain.split(":")[0])

    @get("/organisation", name="signup_organisation")
    async def organisation(self, request: Request) -> Any:
        form = _signup(request).get("organisation") or {"kind": "association", "regulator": "ncnp"}
        return await self._organisation_page(request, form, FormErrors())

    @post("/organisation", name="signup_organisation_submit")
    async def organisation_submit(self, request: Request, data: FormData) -> Any:
        parsed = parse_form(forms.OrganisationForm, data)
        errors = parsed.errors
        if parsed.value is not None and await services.slug_taken(parsed.value.slug):
            errors.add("slug", services.MSG_SLUG_TAKEN)
        if parsed.value is None or errors:
            return await self._organisation_page(request, parsed.typed, errors, 400)
        form = parsed.value.model_dump()
        _remember(request, organisation=form)
        return redirect("/signup/account")

    @get("/slug", name="signup_slug_check")
    async def slug_check(self, request: Request) -> Any:
        """htmx: is this address valid and free? Answered as the visitor types."""
        slug = (request.query_params.get("slug") or "").strip().lower()
        errors = FormErrors()
        if slug and (problem := directory.slug_problem(slug)):
            errors.add("slug", problem)
        elif slug and await services.slug_taken(slug):
            errors.add("slug", services.MSG_SLUG_TAKEN)
        settings = request.app.state.settings
        return await render(request, "onboarding/_slug.html", slug=slug, errors=errors,
                            url=settings.tenant_url(slug, "").rstrip("/") if slug and not errors else "")

    async def _account_page(self, request: Request, form: dict[str, Any], errors: FormErrors,
                            status_code: int = 200) -> Any:
        return await render(request, "onboarding/account.html", status_code=status_code, form=form, errors=errors,
                            organisation=_signup(request).get("organisation"), step=2)

    @get("/account", name="signup_account")
    async def account(self, request: Request) -> Any:
        if not _signup(request).get("organisation"):
            return redirect("/signup/organisation")
        return await self._account_page(request, _signup(request).get("account") or {}, FormErrors())

    @post("/account", name="signup_account_submit")
    async def account_submit(self, request: Request, data: FormData) -> Any:
        org = _signup(request).get("organisation")
        if not org:
            return redirect("/signup/organisation")
        parsed = parse_form(forms.AccountForm, data)
        errors = parsed.errors
        form = {"email": parsed.typed["email"].strip(), "name": parsed.typed["name"].strip()}
        if parsed.value is not None:
            form = {"email": parsed.value.email, "name": parsed.value.name}
            password = parsed.value.password
            settings = request.app.state.settings
            try:
                tenant = await services.register(org, form, password, auto_approve=settings.auto_approve_tenants,
                                                 lang=i18n.get_language())
            except services.SignupError as exc:
                errors.add(exc.field, exc.msgid)
                if exc.field == "slug":  # taken meanwhile: back to step 1 with the message
                    return await self._organisation_page(request, org, errors, 400)
            else:
                _remember(request, organisation=None, account=None,
                          done={"slug": tenant.slug, "name": tenant.name_ar, "email": normalise_email(form["email"])})
                return redirect("/signup/done")
        _remember(request, account=form)  # never the password
        return await self._account_page(request, form, errors, 400)

    @get("/done", name="signup_done")
    async def done(self, request: Request) -> Any:
        done = _signup(request).get("done")
        if not done:
            return redirect("/signup")
        return await self._done_page(request, done, request.query_params.get("resent", ""))

    async def _done_page(self, request: Request, done: dict[str, Any], resent: str, status_code: int = 200) -> Any:
        return await render(request, "onboarding/done.html", status_code=status_code, done=done, resent=resent,
                            signup_days=services.SIGNUP_TTL.days,
                            portal_url=request.app.state.settings.tenant_url(done["slug"], "/login"))

    @post("/resend", name="signup_resend")
    async def resend(self, request: Request) -> Any:
        """A new confirmation link for this visitor's own sign-up (the one in their session, to
        the address they gave): at most RESENDS an hour per sign-up."""
        done = _signup(request).get("done")
        if not done:
            return redirect("/signup")
        try:
            count = await hit(request.app.state.redis, f"sila:signup-resend:{done['slug']}", 3600)
        except RedisError:
            count = 0  # the public forms' limits fail open when Redis is away
        if count > RESENDS:
            return await self._done_page(request, done, "limit", 429)
        outcome = await services.resend_signup(done["slug"], done["email"], i18n.get_language())
        if outcome == "gone":  # released or deleted meanwhile: the sign-up starts again
            _remember(request, done=None)
            return redirect("/signup/organisation")
        return redirect(f"/signup/done?resent={outcome}")

    @post("/restart", name="signup_restart")
    async def restart(self, request: Request) -> Any:
        _remember(request, organisation=None, account=None, done=None)
        return redirect("/signup/organisation")


class WelcomeRoutes(Controller):
    """The sign-up's email link, on the new tenant's host: confirming it makes the admin's
    account (or, for an address that has one, asks for its password) and opens the portal."""

    path = "/welcome/{token:str}"
    guards = [requires_tenant_site, public_form_limit("accounts")]

    async def _page(self, request: Request, row: dict[str, Any], errors: FormErrors, status_code: int = 200) -> Any:
        return await render(request, "onboarding/welcome.html", status_code=status_code, errors=errors,
                            invitation=row, existing=await accounts.has_password(row["email"]))

    @get("/", name="welcome")
    async def welcome(self, request: Request, token: FromPath[str]) -> Any:
        try:
            row = await accounts.check_link(tenant_of(request), "signup", token)
        except accounts.LinkError:
            # Used or expired: signing in is the way in, and says so.
            return await render(request, "onboarding/welcome_expired.html", status_code=404)
        return await self._page(request, row, FormErrors())

    @post("/", name="welcome_confirm")
    async def confirm(self, request: Request, token: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        settings, redis = request.app.state.settings, request.app.state.redis
        try:
            row = await accounts.check_link(tenant, "signup", token)
        except accounts.LinkError:
            return await render(request, "onboarding/welcome_expired.html", status_code=404)
        parsed = parse_form(forms.WelcomeForm, data)
        errors = parsed.errors
        if parsed.value is None:
            return await self._page(request, row, errors, 400)
        password = parsed.value.password
        existing = await accounts.has_password(row["email"])
        address, scope_key = client_address(request), str(tenant.id)
        if existing:
            # Signing in as the existing account: the same lock-out as the sign-in form.
            if await login_locked(redis, settings, scope_key, row["email"], address):
                errors.add("__all__", "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                           minutes=settings.login_lockout_seconds // 60)
                return await self._page(request, row, errors, 429)
            if not password:
                errors.add("password", "Enter your password.")
                return await self._page(request, row, errors, 400)
        try:
            user_id = await accounts.confirm_signup(tenant, token, password=password)
        except accounts.LinkError:
            return await render(request, "onboarding/welcome_expired.html", status_code=404)
        except accounts.WrongPassword:
            await record_login_failure(redis, settings, scope_key, row["email"], address)
            errors.add("password", "The password is incorrect.")
            return await self._page(request, row, errors, 400)
        if existing:
            await clear_login_failures(redis, scope_key, row["email"], address)
        start_session(request, {"uid": str(user_id), "tid": str(tenant.id)})
        return redirect("/portal/setup")


class SetupRoutes(Controller):
    """The checklist that resumes the wizard, the staff step, and the organisation profile."""

    path = "/portal"
    guards = [requires_staff(Role.admin)]

    async def _setup_page(self, request: Request, *, errors: FormErrors | None = None, form: dict[str, Any] | None = None,
                          status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        return await render(request, "onboarding/setup.html", status_code=status_code,
                            progress=await services.progress(tenant.id), section="setup",
                            question=await services.platform_question(tenant.id), errors=errors or FormErrors(),
                            form=form or {}, replied=request.query_params.get("replied") == "1")

    @get("/setup", name="setup")
    async def setup(self, request: Request) -> Any:
        return await self._setup_page(request)

    @post("/setup/reply", name="setup_reply")
    async def reply(self, request: Request, data: FormData) -> Any:
        """The admin answers the platform's question about the pending sign-up."""
        parsed = parse_form(forms.InfoReplyForm, data)
        if parsed.value is None:
            return await self._setup_page(request, errors=parsed.errors, form=parsed.typed, status_code=400)
        if not await services.reply_to_platform(tenant_of(request), (await actor_of(request)).id, parsed.value.reply):
            parsed.errors.add("__all__", "The platform has no open question for your charity.")
            return await self._setup_page(request, errors=parsed.errors, form=parsed.typed, status_code=409)
        return redirect("/portal/setup?replied=1")

    @get("/setup/staff", name="setup_staff")
    async def staff(self, request: Request) -> Any:
        tenant = tenant_of(request)
        async with tenant_scope(tenant.id):
            invited = await AuthToken.count().where(AuthToken.purpose == "invite")
        return await render(request, "onboarding/staff.html", progress=await services.progress(tenant.id),
                            invited=invited, section="staff")

    @post("/setup/staff", name="setup_staff_done")
    async def staff_done(self, request: Request) -> Any:
        tenant = tenant_of(request)
        await policy.mark_done(tenant.id, "staff")
        following = (await services.progress(tenant.id)).after("staff")
        return redirect(following.url if following else "/portal/setup")

    async def _profile_page(self, request: Request, form: dict[str, Any], errors: FormErrors,
                            status_code: int = 200, logo: Any = None) -> Any:
        return await render(request, "onboarding/profile.html", status_code=status_code, form=form, errors=errors,
                            catalogue=catalogue, logo=logo, progress=await services.progress(tenant_of(request).id),
                            section="profile", saved=request.query_params.get("saved") == "1",
                            limits=policy.UPLOADS)

    @get("/profile", name="profile")
    async def profile(self, request: Request) -> Any:
        tenant = tenant_of(request)
        row = await policy.get_profile(tenant.id) or {}
        form = {"name_ar": tenant.name_ar, "name_en": tenant.name_en,
                **{k: row.get(k, "") for k in ("regulator", "regulator_other", "licence_number", "region", "city",
                                               *forms.CONTACT_FIELDS)},
                "social_links": "\n".join(link["url"] for link in catalogue.social_links(row.get("social")))}
        form["phone"] = forms.display_phone(form.get("phone", ""))
        return await self._profile_page(request, form, FormErrors(), logo=row.get("logo"))

    @post("/profile", name="profile_save", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def profile_save(self, request: Request, data: MultipartData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.ProfileForm, data)
        errors, typed = parsed.errors, parsed.typed
        current = (await policy.get_profile(tenant.id) or {}).get("logo")
        carried = typed["logo_document"].strip()
        logo: Any = uuid.UUID(carried) if carried in await policy.existing_documents(
            tenant.id, [carried], "logo") else policy.KEEP
        if stored := await store_upload(request, data, "logo", "logo", errors):
            logo = stored
        elif typed["remove_logo"].strip():
            logo = None
        if parsed.value is None or errors:
            shown = logo if isinstance(logo, uuid.UUID) else (None if logo is None else current)
            return await self._profile_page(request, typed, errors, 400, logo=shown)
        await services.save_profile(tenant, forms.profile_values(parsed.value), logo=logo,
                                    actor=(await actor_of(request)).id)
        if parsed.value.action == "next":
            following = (await services.progress(tenant.id)).after("profile")
            return redirect(following.url if following else "/portal/setup")
        return redirect("/portal/profile?saved=1")


HANDLERS = [SignupRoutes, WelcomeRoutes, SetupRoutes]
