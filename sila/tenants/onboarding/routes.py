"""The onboarding wizard: sign-up on the platform host (`/signup/…`), the hand-over to the new
tenant's host (`/welcome/{token}`), and the checklist and organisation profile in the portal."""
from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from sila.platform import directory
from sila.platform.auth import requires_platform_site, requires_staff, requires_tenant_site, start_session
from sila.platform.db import tenant_scope
from sila.platform.tables import AuthToken, Role
from sila.platform.ratelimit import public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, form_value, redirect, render
from sila.tenants.onboarding import forms, services
from sila.tenants.policy import catalogue
from sila.tenants.policy import services as policy
from sila.tenants.policy.routes import UPLOAD_BODY_LIMIT, MultipartData, store_upload

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
SESSION_KEY = "signup"


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
        form = forms.read(data, forms.ORGANISATION_FIELDS)
        errors = forms.organisation_errors(form)
        if "slug" not in errors and await services.slug_taken(form["slug"]):
            errors.add("slug", services.MSG_SLUG_TAKEN)
        if errors:
            return await self._organisation_page(request, form, errors, 400)
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
        form = forms.read(data, ("email", "name"))
        password, confirm = form_value(data, "password"), form_value(data, "confirm")
        errors = forms.account_errors(form, password, confirm)
        if not errors:
            settings = request.app.state.settings
            try:
                tenant, user_id = await services.register(org, form, password,
                                                          auto_approve=settings.auto_approve_tenants)
            except services.SignupError as exc:
                errors.add(exc.field, exc.msgid)
                if exc.field == "slug":  # taken meanwhile: back to step 1 with the message
                    return await self._organisation_page(request, org, errors, 400)
            else:
                token = await services.create_handoff(request.app.state.redis, tenant.id, user_id)
                _remember(request, organisation=None, account=None, done={"slug": tenant.slug,
                                                                           "name": tenant.name_ar})
                return redirect(settings.tenant_url(tenant.slug, f"/welcome/{token}"))
        _remember(request, account=form)  # never the password
        return await self._account_page(request, form, errors, 400)

    @get("/done", name="signup_done")
    async def done(self, request: Request) -> Any:
        done = _signup(request).get("done")
        if not done:
            return redirect("/signup")
        settings = request.app.state.settings
        return await render(request, "onboarding/done.html", done=done,
                            portal_url=settings.tenant_url(done["slug"], "/login?next=/portal/setup"))

    @post("/restart", name="signup_restart")
    async def restart(self, request: Request) -> Any:
        _remember(request, organisation=None, account=None, done=None)
        return redirect("/signup/organisation")


class WelcomeRoutes(Controller):
    guards = [requires_tenant_site]

    @get("/welcome/{token:str}", name="welcome")
    async def welcome(self, request: Request, token: FromPath[str]) -> Any:
        tenant = tenant_of(request)
        user_id = await services.take_handoff(request.app.state.redis, tenant.id, token)
        if user_id is None:
            # Used or expired: signing in is the way in, and says so.
            return await render(request, "onboarding/welcome_expired.html", status_code=404)
        start_session(request, {"uid": user_id, "tid": str(tenant.id)})
        return redirect("/portal/setup")


class SetupRoutes(Controller):
    """The checklist that resumes the wizard, the staff step, and the organisation profile."""

    path = "/portal"
    guards = [requires_staff(Role.admin.value)]

    @get("/setup", name="setup")
    async def setup(self, request: Request) -> Any:
        tenant = tenant_of(request)
        return await render(request, "onboarding/setup.html", progress=await services.progress(tenant.id),
                            section="setup")

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
                **{k: row.get(k, "") for k in ("regulator", "licence_number", "region", "city", *forms.CONTACT_FIELDS)},
                **{f"social_{k}": v for k, v in (row.get("social") or {}).items()}}
        form["phone"] = forms.display_phone(form.get("phone", ""))
        return await self._profile_page(request, form, FormErrors(), logo=row.get("logo"))

    @post("/profile", name="profile_save", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def profile_save(self, request: Request, data: MultipartData) -> Any:
        tenant = tenant_of(request)
        form = forms.read(data, ("name_ar", "name_en", "regulator", "licence_number", "region", "city",
                                 *forms.CONTACT_FIELDS, *forms.SOCIAL_FIELDS))
        errors = forms.organisation_errors(form, with_slug=False)
        for key, messages in forms.contact_errors(form).items():
            errors.setdefault(key, []).extend(messages)
        current = (await policy.get_profile(tenant.id) or {}).get("logo")
        carried = form_value(data, "logo_document")
        logo: Any = uuid.UUID(carried) if carried in await policy.existing_documents(
            tenant.id, [carried], "logo") else policy.KEEP
        if stored := await store_upload(request, data, "logo", "logo", errors):
            logo = stored
        elif form_value(data, "remove_logo"):
            logo = None
        if errors:
            shown = logo if isinstance(logo, uuid.UUID) else (None if logo is None else current)
            return await self._profile_page(request, form, errors, 400, logo=shown)
        await services.save_profile(tenant, form, logo=logo, actor=request.scope["_sila_user"].id)
        if form_value(data, "action") == "next":
            following = (await services.progress(tenant.id)).after("profile")
            return redirect(following.url if following else "/portal/setup")
        return redirect("/portal/profile?saved=1")


HANDLERS = [SignupRoutes, WelcomeRoutes, SetupRoutes]
