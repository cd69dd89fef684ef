"""The operator console on the platform's own host: tenants and their status, never their data."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from sila.platform import directory
from sila.platform.accounts.forms import looks_like_email
from sila.platform.auth import (
    client_address,
    clear_login_failures,
    login_locked,
    record_login_failure,
    requires_operator,
    requires_platform_site,
    start_session,
)
from sila.platform.operator import services
from sila.platform.web import FormErrors, form_value, redirect, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
SCOPE_KEY = "operator"


class OperatorRoutes(Controller):
    path = "/operator"
    guards = [requires_platform_site]

    @get("/login", name="operator_login")
    async def login_form(self, request: Request) -> Any:
        return await render(request, "operator/login.html", form={}, errors=FormErrors())

    @post("/login", name="operator_login_submit")
    async def login(self, request: Request, data: FormData) -> Any:
        settings, redis = request.app.state.settings, request.app.state.redis
        email, password = form_value(data, "email"), form_value(data, "password")
        errors = FormErrors()
        if not looks_like_email(email):
            errors.add("email", "Enter a valid email address.")
        if not password:
            errors.add("password", "Enter your password.")
        address = client_address(request)
        if not errors and await login_locked(redis, settings, SCOPE_KEY, email, address):
            errors.add("__all__", "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                       minutes=settings.login_lockout_seconds // 60)
            return await render(request, "operator/login.html", status_code=429, form={"email": email}, errors=errors)
        if not errors:
            operator = await services.authenticate(email, password)
            if operator:
                await clear_login_failures(redis, SCOPE_KEY, email, address)
                start_session(request, {"op": str(operator["id"])})
                return redirect("/operator")
            await record_login_failure(redis, settings, SCOPE_KEY, email, address)
            errors.add("__all__", "The email or password is incorrect.")
        return await render(request, "operator/login.html", status_code=400, form={"email": email}, errors=errors)

    @post("/logout", name="operator_logout")
    async def logout(self, request: Request) -> Any:
        request.clear_session()
        return redirect("/operator/login")

    @get("/", name="operator_home", guards=[requires_operator])
    async def home(self, request: Request) -> Any:
        tenants = await directory.list_tenants()
        counts: dict[str, int] = {}
        for t in tenants:
            counts[t.status] = counts.get(t.status, 0) + 1
        return await render(request, "operator/home.html", tenants=tenants, counts=counts)
