"""Following a request from the public site: the reference, then the one-time code sent by SMS."""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post

from sila.platform.auth import client_address, requires_tenant_site, start_session
from sila.platform import i18n
from sila.platform.forms import FormErrors, parse_form
from sila.platform.ratelimit import public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.requests import forms, services, tracking
from sila.tenants.requests.routes.common import FormData, Multipart, add_problem, files_errors, page, refusal_status
from sila.tenants.requests.services import applicant
from sila.tenants.requests.routes.stash import FileStash, token_or_new
from sila.tenants.requests.uploads import ACCEPT, MAX_BODY, MAX_FILES, MSG_TOO_MANY, Upload, read_files
from sila.tenants.requests.workflow import TransitionError

TRACK_MINUTES = 30
STASH = FileStash("track")  # the completion form's files, kept across attempts as /apply keeps its own


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
        until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=TRACK_MINUTES)
        # Bound to this tenant: references repeat across tenants, the session store does not.
        session["tracking"] = {"tid": str(tenant.id), "reference": reference, "until": until.isoformat()}
        start_session(request, session)  # a new privilege: a fresh session id
        return redirect("/track/status")

    @get("/track/status", name="track_status")
    async def track_status(self, request: Request) -> Any:
        return await self._status(request, done=request.query_params.get("done", ""))

    async def _status(self, request: Request, *, errors: FormErrors | None = None, form: dict[str, Any] | None = None,
                      alert: str = "", done: str = "", status_code: int = 200, token: str | None = None,
                      stashed: list[Upload] | None = None) -> Any:
        tenant = tenant_of(request)
        reference = _tracked(request, tenant.id)
        status = await tracking.status(tenant.id, reference) if reference else None
        if status is None:
            return redirect("/track")
        return await page(request, "public/track_status.html", status_code=status_code, status=status,
                          errors=errors or FormErrors(), form=form or {}, alert=alert, accept=ACCEPT,
                          done=done if done in ("completed", "appealed") else "", token=token_or_new(token),
                          stashed=stashed or [], max_files=MAX_FILES)

    @post("/track/complete", name="track_complete", request_max_body_size=MAX_BODY)
    async def track_complete(self, request: Request, data: Multipart) -> Any:
        """The applicant sends what an incomplete request is missing: files (the /apply checks) and/or a reply."""
        tenant = tenant_of(request)
        reference = _tracked(request, tenant.id)
        if reference is None:
            return redirect("/track")
        parsed = parse_form(forms.CompleteForm, data)
        errors = parsed.errors
        redis = request.app.state.redis
        token = token_or_new(parsed.typed["submit_token"])
        uploads, problems = await read_files(data.get("documents"))
        files_errors(errors, "documents", problems)
        files = await STASH.kept(redis, tenant.id, token, data) + uploads  # the valid ones of an earlier attempt too
        if len(files) > MAX_FILES:
            errors.add("documents", MSG_TOO_MANY)
        typed = {"reply": parsed.typed["reply"]}
        if not errors and parsed.value is not None:
            try:
                await applicant.complete(tenant, reference, parsed.value.reply, files, client_address(request))
                await STASH.keep(redis, tenant.id, token, [])
                return redirect("/track/status?done=completed")
            except services.Problem as exc:
                add_problem(errors, exc)
            except TransitionError as exc:
                await STASH.keep(redis, tenant.id, token, [])
                return await self._status(request, alert=i18n.gettext(exc.msgid), status_code=refusal_status(exc.kind))
        await STASH.keep(redis, tenant.id, token, files[:MAX_FILES])
        return await self._status(request, errors=errors, form=typed, status_code=400, token=token,
                                  stashed=files[:MAX_FILES])

    @post("/track/appeal", name="track_appeal")
    async def track_appeal(self, request: Request, data: FormData) -> Any:
        """A declined applicant appeals, once, within the policy's period."""
        tenant = tenant_of(request)
        reference = _tracked(request, tenant.id)
        if reference is None:
            return redirect("/track")
        parsed = parse_form(forms.AppealForm, data)
        errors = parsed.errors
        if not errors and parsed.value is not None:
            try:
                await applicant.appeal(tenant, reference, parsed.value.reason, client_address(request))
                return redirect("/track/status?done=appealed")
            except services.Problem as exc:
                add_problem(errors, exc)
            except TransitionError as exc:
                return await self._status(request, alert=i18n.gettext(exc.msgid), status_code=refusal_status(exc.kind))
        return await self._status(request, errors=errors, form={"reason": parsed.typed["reason"]}, status_code=400)


def _tracked(request: Request, tenant_id: Any) -> str | None:
    """The reference this browser proved (the code) for this tenant, while the proof lasts."""
    tracked = (request.session or {}).get("tracking")
    if (not isinstance(tracked, dict) or tracked.get("tid") != str(tenant_id)
            or dt.datetime.fromisoformat(tracked["until"]) < dt.datetime.now(dt.UTC)):
        return None
    return str(tracked.get("reference") or "") or None
