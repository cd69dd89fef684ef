"""Following a request from the public site: the reference, then the one-time code sent by SMS."""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post

from sila.platform.auth import client_address, requires_tenant_site, start_session
from sila.platform.forms import FormErrors, parse_form
from sila.platform.ratelimit import public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.requests import forms, services, tracking
from sila.tenants.requests.routes.common import FormData, page

TRACK_MINUTES = 30


class TrackRoutes(Controller):
    guards = [requires_tenant_site, public_form_limit("public_requests")]

    @get("/track", name="track")
    async def track_form(self, request: Request) -> Any:
        return await page(request, "public/track.html", step="reference", form={}, errors=FormErrors())

    @post("/track", name="track_send")
    async def track_send(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.TrackForm, data)
        errors = parsed.errors
        form = {"reference": parsed.typed["reference"]}
        if errors:  # a refused character: the same step again, the error beside the field
            return await page(request, "public/track.html", step="reference", form=form, errors=errors)
        try:
            reference = await tracking.send_code(tenant, parsed.typed["reference"], request.app.state.redis,
                                                 client_address(request))
        except tracking.TrackingError as exc:
            errors.add(exc.field, exc.msgid)
            status = 400 if exc.msgid == tracking.MSG_REFERENCE_REQUIRED else 429
            return await page(request, "public/track.html", status_code=status, step="reference",
                              form=form, errors=errors)
        return await page(request, "public/track.html", step="code", form={"reference": reference}, errors=errors)

    @post("/track/code", name="track_code")
    async def track_code(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.TrackForm, data)
        errors = parsed.errors
        raw = parsed.typed["reference"]
        form = {"reference": services.normalise_reference(raw), "code": parsed.typed["code"]}
        if errors:
            return await page(request, "public/track.html", status_code=400, step="code", form=form, errors=errors)
        try:
            reference = await tracking.check_code(tenant, raw, parsed.typed["code"], request.app.state.redis,
                                                  client_address(request))
        except tracking.TrackingError as exc:
            errors.add(exc.field, exc.msgid)
            status = 429 if exc.msgid == tracking.MSG_LOCKED else 400
            return await page(request, "public/track.html", status_code=status, step="code",
                              form={"reference": form["reference"]}, errors=errors)
        session = dict(request.session or {})
        until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=TRACK_MINUTES)
        # Bound to this tenant: references repeat across tenants, the session store does not.
        session["tracking"] = {"tid": str(tenant.id), "reference": reference, "until": until.isoformat()}
        start_session(request, session)  # a new privilege: a fresh session id
        return redirect("/track/status")

    @get("/track/status", name="track_status")
    async def track_status(self, request: Request) -> Any:
        tenant = tenant_of(request)
        tracked = (request.session or {}).get("tracking")
        if (not isinstance(tracked, dict) or tracked.get("tid") != str(tenant.id)
                or dt.datetime.fromisoformat(tracked["until"]) < dt.datetime.now(dt.timezone.utc)):
            return redirect("/track")
        status = await tracking.status(tenant.id, tracked["reference"])
        if status is None:
            return redirect("/track")
        return await page(request, "public/track_status.html", status=status)
