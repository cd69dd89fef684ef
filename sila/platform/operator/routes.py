"""The operator console on the platform's own host: tenants, their lifecycle, usage, health and
the operator audit; never the tenants' data. Signing in takes a password and a TOTP code."""
from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Annotated, Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import File, Redirect

from sila.platform import i18n
from sila.platform.ratelimit import public_form_limit
from sila.platform.forms import MSG_ANY_DAY, parse_form, read_day
from sila.platform.auth import (
    client_address,
    clear_login_failures,
    load_operator,
    login_locked,
    record_login_failure,
    requires_operator,
    requires_platform_site,
    start_session,
)
from sila.platform.labels import KIND_LABELS, STATUS_LABELS
from sila.platform.db import platform_scope
from sila.platform import charts
from sila.platform.operator import export, services, support, view
from sila.platform.organisations import REGIONS, REGULATORS
from sila.platform.operator import forms
from sila.platform.web import FormErrors, redirect, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
SCOPE_KEY = "operator"
TOTP_SCOPE_KEY = "operator-totp"
PENDING_SECONDS = 600  # between the password and the code


async def _operator(request: Request) -> dict[str, Any]:
    operator = await load_operator(request)
    assert operator is not None  # the guard ran
    return operator


def _pending(request: Request, stage: str) -> str | None:
    """The operator id that passed the password step and now owes `stage` ("totp" | "enrol")."""
    session = request.session if "session" in request.scope else {}
    if session.get("op_stage") != stage or time.time() - float(session.get("op_since", 0)) > PENDING_SECONDS:
        return None
    return session.get("op_pending")


class OperatorAuthRoutes(Controller):
    """Password, then the second factor; `op` enters the session only after both."""

    path = "/operator"
    guards = [requires_platform_site]

    @get("/login", name="operator_login")
    async def login_form(self, request: Request) -> Any:
        return await render(request, "operator/login.html", form={}, errors=FormErrors())

    @post("/login", name="operator_login_submit", guards=[public_form_limit("operator_login")])
    async def login(self, request: Request, data: FormData) -> Any:
        settings, redis = request.app.state.settings, request.app.state.redis
        parsed = parse_form(forms.OperatorLoginForm, data)
        errors = parsed.errors
        email = parsed.value.email if parsed.value else parsed.typed["email"].strip()
        password = parsed.value.password if parsed.value else ""
        address = client_address(request)
        if not errors and await login_locked(redis, settings, SCOPE_KEY, email, address):
            errors.add("__all__", "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                       minutes=settings.login_lockout_seconds // 60)
            return await render(request, "operator/login.html", status_code=429, form={"email": email}, errors=errors)
        if not errors:
            operator = await services.authenticate(email, password)
            if operator:
                await clear_login_failures(redis, SCOPE_KEY, email, address)
                stage = "totp" if operator["totp_secret"] else "enrol"
                # A fresh session id already here; not signed in until the code is right.
                start_session(request, {"op_pending": str(operator["id"]), "op_stage": stage, "op_since": time.time()})
                return redirect("/operator/login/code" if stage == "totp" else "/operator/enrol")
            await record_login_failure(redis, settings, SCOPE_KEY, email, address)
            errors.add("__all__", "The email or password is incorrect.")
        return await render(request, "operator/login.html", status_code=400, form={"email": email}, errors=errors)

    async def _check_code(self, request: Request, op_id: str, secret: str | None, data: Any) -> FormErrors:
        settings, redis = request.app.state.settings, request.app.state.redis
        address = client_address(request)
        parsed = parse_form(forms.CodeForm, data)
        errors = parsed.errors
        code = parsed.value.code if parsed.value else ""
        if await login_locked(redis, settings, TOTP_SCOPE_KEY, op_id, address):
            errors.add("__all__", "Too many failed attempts. Wait %(minutes)s minutes and try again.",
                       minutes=settings.login_lockout_seconds // 60)
        elif not errors and not await services.verify_totp(redis, op_id, secret, code):
            await record_login_failure(redis, settings, TOTP_SCOPE_KEY, op_id, address)
            errors.add("code", forms.MSG_WRONG_CODE)
        return errors

    @get("/login/code", name="operator_totp")
    async def code_form(self, request: Request) -> Any:
        if not _pending(request, "totp"):
            return redirect("/operator/login")
        return await render(request, "operator/totp.html", errors=FormErrors())

    @post("/login/code", name="operator_totp_submit", guards=[public_form_limit("operator_login")])
    async def code(self, request: Request, data: FormData) -> Any:
        op_id = _pending(request, "totp")
        operator = await services.get_operator(op_id) if op_id else None
        if operator is None:
            return redirect("/operator/login")
        errors = await self._check_code(request, op_id, services.open_secret(operator["totp_secret"]),  # type: ignore[arg-type]
                                        data)
        if errors:
            return await render(request, "operator/totp.html", status_code=400, errors=errors)
        await clear_login_failures(request.app.state.redis, TOTP_SCOPE_KEY, op_id, client_address(request))  # type: ignore[arg-type]
        await services.signed_in(operator, client_address(request))
        start_session(request, {"op": str(operator["id"])})
        return redirect("/operator")

    async def _enrol_page(self, request: Request, op_id: str, errors: FormErrors, status_code: int = 200) -> Any:
        operator = await services.get_operator(op_id)
        if operator is None:
            return redirect("/operator/login")
        secret = request.session.get("enrol_secret")
        if not secret:
            secret = services.new_totp_secret()
            request.set_session({**request.session, "enrol_secret": secret})
        qr = segno.make(services.provisioning_uri(secret, operator["email"]), error="m")
        return await render(request, "operator/enrol.html", status_code=status_code, errors=errors,
                            qr_svg=qr.svg_inline(scale=5, border=2, title=i18n.gettext("Sign-in QR code")),
                            secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))

    @get("/enrol", name="operator_enrol")
    async def enrol_form(self, request: Request) -> Any:
        op_id = _pending(request, "enrol")
        return await self._enrol_page(request, op_id, FormErrors()) if op_id else redirect("/operator/login")

    @post("/enrol", name="operator_enrol_submit", guards=[public_form_limit("operator_login")])
    async def enrol(self, request: Request, data: FormData) -> Any:
        op_id = _pending(request, "enrol")
        operator = await services.get_operator(op_id) if op_id else None
        secret = request.session.get("enrol_secret")
        if operator is None or not secret:
            return redirect("/operator/login")
        errors = await self._check_code(request, op_id, secret, data)  # type: ignore[arg-type]
        if errors:
            return await self._enrol_page(request, op_id, errors, status_code=400)  # type: ignore[arg-type]
        await services.set_totp(operator, secret, client_address(request))
        await services.signed_in(operator, client_address(request))
        start_session(request, {"op": str(operator["id"])})
        return redirect("/operator")

    @post("/logout", name="operator_logout")
    async def logout(self, request: Request) -> Any:
        request.clear_session()
        return redirect("/operator/login")


def _filters(request: Request) -> dict[str, str]:
    raw = {k: (request.query_params.get(k) or "").strip() for k in services.FILTERS}
    allowed = {"status": STATUS_LABELS, "kind": KIND_LABELS, "regulator": REGULATORS, "region": REGIONS}
    for key, values in allowed.items():
        if raw[key] not in values:
            raw[key] = ""
    raw["q"] = raw["q"][:100]
    return raw


def _days(filters: dict[str, str]) -> tuple[dict[str, str], FormErrors]:
    """The registration-date filters as typed (either calendar) -> ISO days for the query; a
    box that holds no day is left out of the query and said so beside it."""
    query, errors = dict(filters), FormErrors()
    for key in ("created_from", "created_to"):
        try:
            day = read_day(filters[key][:40])
        except ValueError:
            day = None
            errors.add(key, MSG_ANY_DAY)
        query[key] = day.isoformat() if day else ""
    return query, errors


class OperatorRoutes(Controller):
    path = "/operator"
    guards = [requires_platform_site, requires_operator]

    @get("/", name="operator_home")
    async def home(self, request: Request) -> Any:
        filters = _filters(request)
        query, errors = _days(filters)
        tenants, counts = await services.search_tenants(query)
        return await render(request, "operator/home.html", tenants=tenants, counts=counts, filters=filters, errors=errors,
                            regulators=REGULATORS, regions=REGIONS, ov=view, done=request.query_params.get("done", ""))

    async def _tenant_page(self, request: Request, tenant_id: uuid.UUID, *, errors: FormErrors | None = None,
                           status_code: int = 200, form: dict[str, Any] | None = None) -> Any:
        tenant = await services.get_tenant_row(tenant_id)
        if tenant is None:
            raise NotFoundException()
        monthly = await services.monthly_messages(tenant_id)
        lang = i18n.get_language()
        return await render(
            request, "operator/tenant.html", status_code=status_code, t=tenant, errors=errors or FormErrors(),
            form=form or {}, activity=await services.tenant_activity(tenant_id),
            exports=await services.exports_of(tenant_id), grant=await services.live_grant(tenant_id),
            actions=await services.audit_log(tenant_id=tenant_id, limit=50), monthly=monthly,
            chart=charts.monthly_bars(monthly, limit=tenant["message_quota"], lang=lang,
                                      title=i18n.gettext("Messages per month")),
            used=monthly[-1][1] if monthly else 0, ov=view,
            retention_days=request.app.state.settings.archive_retention_days,
            done=request.query_params.get("done", ""), now=dt.datetime.now(dt.UTC),
        )

    @get("/tenants/{tenant_id:uuid}", name="operator_tenant")
    async def tenant(self, request: Request, tenant_id: FromPath[uuid.UUID]) -> Any:
        return await self._tenant_page(request, tenant_id)

    @post("/tenants/{tenant_id:uuid}/lifecycle/{action:str}", name="operator_tenant_action")
    async def lifecycle(self, request: Request, tenant_id: FromPath[uuid.UUID], action: FromPath[str], data: FormData) -> Any:
        if action not in services.TRANSITIONS:
            raise NotFoundException()
        parsed = parse_form(forms.LIFECYCLE_FORMS[action], data)
        if parsed.value is None:
            # The two reason boxes (suspend, archive) are on one page: the error goes beside the one sent.
            errors = FormErrors({(f"{action}_reason" if key == "reason" else key): messages
                                 for key, messages in parsed.errors.items()})
            return await self._tenant_page(request, tenant_id, errors=errors, status_code=400, form=parsed.typed)
        errors, reason = parsed.errors, parsed.value.reason
        retention = getattr(parsed.value, "retention_days", None)
        try:
            await services.change_status(await _operator(request), tenant_id, action, reason=reason,
                                         address=client_address(request), retention_days=retention)
        except services.TenantGone:
            raise NotFoundException() from None
        except services.LifecycleError as exc:
            errors.add("__all__", exc.msgid, status=i18n.gettext(STATUS_LABELS.get(exc.variables.get("status", ""), "")))
            return await self._tenant_page(request, tenant_id, errors=errors, status_code=409)
        return redirect(f"/operator/tenants/{tenant_id}?done={action}")

    @post("/tenants/{tenant_id:uuid}/quota", name="operator_tenant_quota")
    async def quota(self, request: Request, tenant_id: FromPath[uuid.UUID], data: FormData) -> Any:
        parsed = parse_form(forms.QuotaForm, data)
        if parsed.value is None:
            return await self._tenant_page(request, tenant_id, errors=parsed.errors, status_code=400,
                                           form=parsed.typed)
        quota = parsed.value.message_quota
        try:
            await services.set_quota(await _operator(request), tenant_id, quota, client_address(request))
        except services.TenantGone:
            raise NotFoundException() from None
        return redirect(f"/operator/tenants/{tenant_id}?done=quota")

    @post("/tenants/{tenant_id:uuid}/export", name="operator_tenant_export")
    async def start_export(self, request: Request, tenant_id: FromPath[uuid.UUID]) -> Any:
        try:
            await services.request_export(await _operator(request), tenant_id, client_address(request))
        except services.TenantGone:
            raise NotFoundException() from None
        return redirect(f"/operator/tenants/{tenant_id}?done=export#exports")

    @post("/tenants/{tenant_id:uuid}/exports/{export_id:uuid}/download", name="operator_export_link")
    async def export_link(self, request: Request, tenant_id: FromPath[uuid.UUID], export_id: FromPath[uuid.UUID]) -> Any:
        token = await export.create_link(request.app.state.redis, await _operator(request), tenant_id, export_id)
        if token is None:
            raise NotFoundException()
        return redirect(f"/export/{token}")

    @get("/tenants/{tenant_id:uuid}/exports/{export_id:uuid}", name="operator_export_progress")
    async def export_progress(self, request: Request, tenant_id: FromPath[uuid.UUID], export_id: FromPath[uuid.UUID]) -> Any:
        """The progress row alone, polled by htmx while the worker builds."""
        item = await services.get_export(tenant_id, export_id)
        if item is None:
            raise NotFoundException()
        return await render(request, "operator/_export_row.html", e=item, ov=view)

    @post("/tenants/{tenant_id:uuid}/delete", name="operator_tenant_delete")
    async def delete(self, request: Request, tenant_id: FromPath[uuid.UUID], data: FormData) -> Any:
        parsed = parse_form(forms.DeleteForm, data)
        if parsed.value is None:
            return await self._tenant_page(request, tenant_id, errors=parsed.errors, status_code=400, form={})
        try:
            await services.delete_tenant(await _operator(request), tenant_id, parsed.value.confirm,
                                         client_address(request))
        except services.TenantGone:
            raise NotFoundException() from None
        except services.LifecycleError as exc:
            errors = FormErrors()
            errors.add("confirm", exc.msgid)
            return await self._tenant_page(request, tenant_id, errors=errors, status_code=409, form=dict(data))
        return redirect("/operator?done=deleted")

    @post("/tenants/{tenant_id:uuid}/support", name="operator_tenant_support")
    async def open_support(self, request: Request, tenant_id: FromPath[uuid.UUID]) -> Any:
        """Into the tenant's portal, read-only, only while its admin's grant is live."""
        tenant = await services.get_tenant_row(tenant_id)
        if tenant is None:
            raise NotFoundException()
        grant = await services.live_grant(tenant_id)
        if grant is None or tenant["status"] not in ("active", "pending"):
            raise PermissionDeniedException()
        operator = await _operator(request)
        token = await support.start_handoff(request.app.state.redis, operator, tenant_id, grant["id"])
        async with platform_scope("operator opens a tenant's portal"):
            # The tenant's own audit records the entry itself (and every page) when it happens.
            await services.record(operator, "support.portal_opened", tenant=tenant, mirror=False,
                                  detail={"grant": str(grant["id"])}, address=client_address(request))
        settings = request.app.state.settings
        return Redirect(settings.tenant_url(tenant["slug"], f"/support/enter/{token}"), status_code=303)

    @get("/usage", name="operator_usage")
    async def usage(self, request: Request) -> Any:
        monthly = await services.monthly_messages()
        return await render(request, "operator/usage.html", rows=await services.usage_by_tenant(), monthly=monthly, ov=view,
                            governance=await services.governance_numbers(),
                            chart=charts.monthly_bars(monthly, lang=i18n.get_language(),
                                                      title=i18n.gettext("Messages per month, all tenants")))

    @get("/health", name="operator_health")
    async def health(self, request: Request) -> Any:
        return await render(request, "operator/health.html", h=await services.health(request.app.state.redis), ov=view)

    @get("/health/panel", name="operator_health_panel")
    async def health_panel(self, request: Request) -> Any:
        return await render(request, "operator/_health_panel.html", h=await services.health(request.app.state.redis),
                            ov=view)

    @get("/audit", name="operator_audit")
    async def audit(self, request: Request) -> Any:
        action = (request.query_params.get("action") or "").strip()[:60]
        return await render(request, "operator/audit.html", entries=await services.audit_log(action=action, limit=500),
                            action=action, ov=view)


@get("/export/{token:str}", name="export_download", guards=[requires_operator])
async def export_download(request: Request, token: FromPath[str]) -> Response[Any]:
    """The archive, for the signed-in operator the link was made for, once (see export.create_link)."""
    found = await export.take_download(request.app.state.redis, await _operator(request), token,
                                       client_address(request))
    if found is None:
        raise NotFoundException()
    path, filename = found
    return File(path=path, filename=filename, media_type="application/zip", headers={"Cache-Control": "no-store"})


HANDLERS = [OperatorAuthRoutes, OperatorRoutes, export_download]
