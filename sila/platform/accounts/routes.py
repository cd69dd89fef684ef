"""Sign-in, sign-out, invitation and password-reset pages on a tenant's portal; staff admin."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from sila.platform import i18n
from sila.platform.accounts import forms, services
from sila.platform.auth import (
    client_address,
    clear_login_failures,
    login_locked,
    record_login_failure,
    requires_staff,
    requires_tenant_site,
    start_session,
)
from sila.platform.labels import ROLE_LABELS
from sila.platform.tables import Role
from sila.platform.ratelimit import public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, form_value, redirect, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/portal"


class AccountRoutes(Controller):
    guards = [requires_tenant_site, public_form_limit("accounts")]

    @get("/login", name="login")
    async def login_form(self, request: Request) -> Any:
        return await render(request, "accounts/login.html", form={}, errors=FormErrors(),
                            next=_safe_next(request.query_params.get("next")))

    @post("/login", name="login_submit")
    async def login(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        settings = request.app.state.settings
        redis = request.app.state.redis
        email, password = form_value(data, "email"), form_value(data, "password")
        next_path = _safe_next(form_value(data, "next"))
        errors = forms.login_errors(email, password)
        address = client_address(request)
        scope_key = str(tenant.id)
        if not errors and await login_locked(redis, settings, scope_key, email, address):
            errors.add("__all__", "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                       minutes=settings.login_lockout_seconds // 60)
            return await render(request, "accounts/login.html", status_code=429, form={"email": email},
                                errors=errors, next=next_path)
        if not errors:
            result = await services.authenticate(tenant, email, password)
            if result.ok:
                await clear_login_failures(redis, scope_key, email, address)
                start_session(request, {"uid": str(result.user_id), "tid": str(tenant.id)})
                return redirect(next_path)
            await record_login_failure(redis, settings, scope_key, email, address)
            errors.add("__all__", "The email or password is incorrect.")
        return await render(request, "accounts/login.html", status_code=400, form={"email": email},
                            errors=errors, next=next_path)

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Any:
        request.clear_session()
        return redirect("/login")

    @get("/invite/{token:str}", name="invite")
    async def invite_form(self, request: Request, token: FromPath[str]) -> Any:
        tenant = tenant_of(request)
        try:
            row = await services.check_link(tenant, "invite", token)
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await render(request, "accounts/invite.html", form={}, errors=FormErrors(), invitation=row,
                            role_labels=ROLE_LABELS)

    @post("/invite/{token:str}", name="invite_submit")
    async def invite_accept(self, request: Request, token: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        name, password, confirm = form_value(data, "name"), form_value(data, "password"), form_value(data, "confirm")
        try:
            row = await services.check_link(tenant, "invite", token)
            errors = forms.password_errors(password, confirm)
            if not name:
                errors.add("name", "Enter your name.")
            if not errors:
                user_id = await services.accept_invite(tenant, token, name=name, password=password)
                start_session(request, {"uid": str(user_id), "tid": str(tenant.id)})
                return redirect("/portal")
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await render(request, "accounts/invite.html", status_code=400, form={"name": name}, errors=errors,
                            invitation=row, role_labels=ROLE_LABELS)

    @get("/password/forgot", name="password_forgot")
    async def forgot_form(self, request: Request) -> Any:
        return await render(request, "accounts/forgot.html", form={}, errors=FormErrors(), sent=False)

    @post("/password/forgot", name="password_forgot_submit")
    async def forgot(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        email = form_value(data, "email")
        errors = FormErrors()
        if not forms.looks_like_email(email):
            errors.add("email", "Enter a valid email address.")
            return await render(request, "accounts/forgot.html", status_code=400, form={"email": email},
                                errors=errors, sent=False)
        await services.request_reset(tenant, email, i18n.get_language())
        # The same answer whether or not the address has an account here.
        return await render(request, "accounts/forgot.html", form={}, errors=errors, sent=True)

    @get("/password/reset/{token:str}", name="password_reset")
    async def reset_form(self, request: Request, token: FromPath[str]) -> Any:
        tenant = tenant_of(request)
        try:
            await services.check_link(tenant, "reset", token)
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await render(request, "accounts/reset.html", errors=FormErrors())

    @post("/password/reset/{token:str}", name="password_reset_submit")
    async def reset(self, request: Request, token: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        password, confirm = form_value(data, "password"), form_value(data, "confirm")
        errors = forms.password_errors(password, confirm)
        try:
            if not errors:
                user_id = await services.reset_password(tenant, token, password)
                start_session(request, {"uid": str(user_id), "tid": str(tenant.id)})
                return redirect("/portal")
            await services.check_link(tenant, "reset", token)
        except services.LinkError as exc:
            return await render(request, "accounts/link_invalid.html", status_code=410 if exc.reason != "unknown" else 404,
                                reason=exc.reason)
        return await render(request, "accounts/reset.html", status_code=400, errors=errors)


class StaffRoutes(Controller):
    path = "/portal/staff"
    guards = [requires_staff(Role.admin.value)]

    async def _page(self, request: Request, *, form: dict[str, Any], errors: FormErrors, status_code: int = 200,
                    invited: str = "") -> Any:
        tenant = tenant_of(request)
        return await render(
            request,
            "accounts/staff.html",
            status_code=status_code,
            staff=await services.list_staff(tenant),
            invitations=await services.pending_invitations(tenant),
            role_labels=ROLE_LABELS,
            form=form,
            errors=errors,
            invited=invited,
        )

    @get("/", name="staff")
    async def staff(self, request: Request) -> Any:
        return await self._page(request, form={}, errors=FormErrors(), invited=request.query_params.get("invited", ""))

    @post("/invite", name="staff_invite")
    async def invite(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        email, role = form_value(data, "email"), form_value(data, "role")
        errors = FormErrors()
        if not forms.looks_like_email(email):
            errors.add("email", "Enter a valid email address.")
        if role not in ROLE_LABELS:
            errors.add("role", "Choose a role.")
        if errors:
            return await self._page(request, form={"email": email, "role": role}, errors=errors, status_code=400)
        user = request.scope["_sila_user"]
        await services.invite(tenant, email=email, role=role, invited_by=user.id, lang=i18n.get_language())
        return redirect("/portal/staff?invited=" + services.normalise_email(email))
