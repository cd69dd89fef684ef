"""Request pages: the public online form and tracking; staff queues, intake, the request page
with its workflow actions; research-committee sessions and minutes."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath

from sila.platform import i18n
from sila.platform.auth import client_address, load_staff_user, requires_staff, requires_tenant_site
from sila.platform.db import tenant_scope
from sila.platform.ratelimit import public_form_limit
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, form_value, redirect, render
from sila.tenants.beneficiaries import crypto
from sila.tenants.beneficiaries.forms import CATEGORIES, CONTACT_CHANNELS, read_applicant
from sila.tenants.policy import catalogue
from sila.tenants.policy.rules import due_date
from sila.tenants.requests import committee, forms, services, tracking
from sila.tenants.requests.display import template_helpers
from sila.tenants.requests.services import Actor, NotFound, Problem
from sila.tenants.requests.terms import PolicyTerms, terms_in_force, terms_of_version
from sila.tenants.requests.uploads import ACCEPT, MAX_BODY, MAX_FILES, MSG_TOO_MANY, Upload, read_files
from sila.tenants.requests.workflow import (
    ADMIN,
    COMMITTEE,
    OFFICER,
    RESEARCHER,
    STAGES,
    TransitionError,
)

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
STASH_TTL = 3600
STASH_FIELD = "apply.stash"
TRACK_MINUTES = 30
MSG_NO_FILE = i18n.N_("Choose at least one file.")
MSG_POLICY_CHANGED = i18n.N_("The charity published a new version of its policy while you were filling in the form. "
                             "Read it below and sign again; what you typed is kept.")


def choice_options() -> dict[str, Any]:
    """Radio / select options with their labels translated for this page."""
    return {"contact_options": [(k, i18n.gettext(v)) for k, v in CONTACT_CHANNELS.items()],
            "category_options": [(k, i18n.gettext(v)) for k, v in CATEGORIES.items()]}


async def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Any:
    return await render(request, template, status_code=status_code, **template_helpers(), **context)


def add_problem(errors: FormErrors, exc: Problem) -> None:
    errors.add(exc.field, exc.msgid, **exc.variables)


async def actor_of(request: Request) -> Actor:
    user = await load_staff_user(request)
    assert user is not None  # the controller's guard let the request in
    return Actor.of(user, client_address(request))


def _files_errors(errors: FormErrors, field: str, problems: list[tuple[str, dict[str, Any]]]) -> None:
    for msgid, variables in problems:
        errors.add(field, msgid, **variables)


# --- public: the online form ----------------------------------------------------------------


async def _public_terms(request: Request) -> PolicyTerms | None:
    tenant = tenant_of(request)
    terms = await terms_in_force(tenant.id)
    if tenant.status != "active" or terms is None or not terms.public_form_open:
        return None
    return terms


def _stash_key(tenant_id: Any, token: str) -> str:
    return f"sila:apply:files:{tenant_id}:{token}"


async def _stashed(redis: Any, tenant_id: Any, token: str) -> list[Upload]:
    """Files that passed their checks on an earlier attempt of this same form (kept an hour),
    so an error elsewhere in the form does not make the applicant upload them again."""
    raw = await redis.get(_stash_key(tenant_id, token)) if TOKEN_RE.match(token or "") else None
    if not raw:
        return []
    try:
        files = json.loads(crypto.decrypt(tenant_id, STASH_FIELD, raw))
    except Exception:  # another tenant's or a tampered entry: as if nothing were kept
        return []
    return [Upload(f["filename"], f["content_type"], base64.b64decode(f["content"])) for f in files]


async def _stash(redis: Any, tenant_id: Any, token: str, files: list[Upload]) -> None:
    if files:
        payload = [{"filename": f.filename, "content_type": f.content_type,
                    "content": base64.b64encode(f.content).decode()} for f in files]
        # Encrypted like the ID number: these are copies of people's documents.
        await redis.set(_stash_key(tenant_id, token), crypto.encrypt(tenant_id, STASH_FIELD, json.dumps(payload)),
                        ex=STASH_TTL)
    else:
        await redis.delete(_stash_key(tenant_id, token))


class PublicRequestRoutes(Controller):
    guards = [requires_tenant_site, public_form_limit("public_requests")]

    async def _form(self, request: Request, terms: PolicyTerms, *, form: dict[str, Any], errors: FormErrors,
                    token: str, stashed: list[Upload], status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        lang = i18n.get_language()
        now = dt.datetime.now(dt.timezone.utc)
        return await page(
            request, "public/request_form.html", status_code=status_code, terms=terms, form=form, errors=errors,
            token=token, stashed=stashed, accept=ACCEPT, max_files=MAX_FILES,
            declaration=forms.declaration_text(terms, lang).split("\n"),
            consent=forms.consent_text(tenant.name(lang), lang), **choice_options(),
            step_names=[catalogue.STEPS[s].label(lang) for s in terms.steps],
            due_if_today=due_date(now, terms.review_window_days) if terms.review_window_days else None)

    @get("/apply", name="request_apply")
    async def apply_form(self, request: Request) -> Any:
        terms = await _public_terms(request)
        if terms is None:
            return await page(request, "public/request_closed.html", status_code=404)
        return await self._form(request, terms, form={"preferred_language": i18n.get_language()},
                                errors=FormErrors(), token=secrets.token_urlsafe(32), stashed=[])

    @post("/apply", name="request_apply_submit", request_max_body_size=MAX_BODY)
    async def apply(self, request: Request, data: Multipart) -> Any:
        tenant = tenant_of(request)
        redis = request.app.state.redis
        terms = await _public_terms(request)
        if terms is None:
            return await page(request, "public/request_closed.html", status_code=404)
        token = form_value(data, "submit_token")
        if not TOKEN_RE.match(token or ""):
            token = secrets.token_urlsafe(32)
        errors = FormErrors()
        applicant, typed = read_applicant(data, errors)
        need, typed["need"] = forms.read_need(data, errors)
        typed["signature"] = form_value(data, "signature")
        signer = forms.read_esign(data, applicant.name, errors)
        keep = set(data.get("keep", []) if isinstance(data.get("keep"), list) else [data.get("keep")])
        stashed = [f for i, f in enumerate(await _stashed(redis, tenant.id, token)) if str(i) in keep]
        uploads, problems = await read_files(data.get("documents"))
        _files_errors(errors, "documents", problems)
        files = stashed + uploads
        if len(files) > MAX_FILES:
            errors.add("documents", MSG_TOO_MANY)
        if form_value(data, "policy_version") != str(terms.number):
            errors.add("__all__", MSG_POLICY_CHANGED)
        if errors:
            await _stash(redis, tenant.id, token, files[:MAX_FILES])
            return await self._form(request, terms, form=typed, errors=errors, token=token,
                                    stashed=files[:MAX_FILES], status_code=400)
        lang = i18n.get_language()
        result = await services.submit_online(tenant, terms, services.OnlineSubmission(
            applicant=applicant, need=need, signer_name=signer, form_text=forms.declaration_text(terms, lang),
            consent_text=forms.consent_text(tenant.name(lang), lang), files=files, token=token,
            address=client_address(request), user_agent=request.headers.get("user-agent", "")))
        await _stash(redis, tenant.id, token, [])
        session = dict(request.session or {})
        session["applied"] = {"reference": result.reference,
                              "due_at": result.due_at.isoformat() if result.due_at else None}
        request.set_session(session)
        return redirect("/apply/received")

    @get("/apply/received", name="request_received")
    async def received(self, request: Request) -> Any:
        applied = (request.session or {}).get("applied")
        if not applied:
            return redirect("/apply")
        terms = await terms_in_force(tenant_of(request).id)
        due = dt.datetime.fromisoformat(applied["due_at"]) if applied.get("due_at") else None
        return await page(request, "public/request_received.html", reference=applied["reference"], due_at=due,
                          terms=terms)

    # --- tracking ---

    @get("/track", name="track")
    async def track_form(self, request: Request) -> Any:
        return await page(request, "public/track.html", step="reference", form={}, errors=FormErrors())

    @post("/track", name="track_send")
    async def track_send(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        raw = form_value(data, "reference")
        errors = FormErrors()
        try:
            reference = await tracking.send_code(tenant, raw, request.app.state.redis, client_address(request))
        except tracking.TrackingError as exc:
            errors.add(exc.field, exc.msgid)
            status = 400 if exc.msgid == tracking.MSG_REFERENCE_REQUIRED else 429
            return await page(request, "public/track.html", status_code=status, step="reference",
                              form={"reference": raw}, errors=errors)
        return await page(request, "public/track.html", step="code", form={"reference": reference}, errors=errors)

    @post("/track/code", name="track_code")
    async def track_code(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        raw = form_value(data, "reference")
        errors = FormErrors()
        try:
            reference = await tracking.check_code(tenant, raw, form_value(data, "code"), request.app.state.redis,
                                                  client_address(request))
        except tracking.TrackingError as exc:
            errors.add(exc.field, exc.msgid)
            status = 429 if exc.msgid == tracking.MSG_LOCKED else 400
            return await page(request, "public/track.html", status_code=status, step="code",
                              form={"reference": services.normalise_reference(raw)}, errors=errors)
        session = dict(request.session or {})
        until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=TRACK_MINUTES)
        session["tracking"] = {"reference": reference, "until": until.isoformat()}
        request.set_session(session)
        return redirect("/track/status")

    @get("/track/status", name="track_status")
    async def track_status(self, request: Request) -> Any:
        tracked = (request.session or {}).get("tracking")
        if not tracked or dt.datetime.fromisoformat(tracked["until"]) < dt.datetime.now(dt.timezone.utc):
            return redirect("/track")
        tenant = tenant_of(request)
        status = await tracking.status(tenant.id, tracked["reference"])
        if status is None:
            return redirect("/track")
        return await page(request, "public/track_status.html", status=status)


# --- staff: queues, intake, the request page --------------------------------------------------

QUEUE_DEFAULTS = {
    OFFICER: ["verify", "incomplete", "refer", "attest", "register", "deliver"],
    RESEARCHER: ["research"],
    COMMITTEE: ["committee"],
}


class RequestRoutes(Controller):
    path = "/portal/requests"
    guards = [requires_staff()]

    @get("/", name="request_queue")
    async def queue(self, request: Request) -> Any:
        tenant = tenant_of(request)
        user = await load_staff_user(request)
        assert user
        q = request.query_params
        filtered = any(k in q for k in ("stage", "channel", "due", "assignee"))
        stages = [s for s in q.getall("stage", []) if s in STAGES] if filtered else sorted(
            {s for role in user.roles for s in QUEUE_DEFAULTS.get(role, [])})
        if ADMIN in user.roles and not filtered:
            stages = []  # the admin oversees every open request
        f = services.QueueFilter(stages=stages, channel=q.get("channel", ""), due=q.get("due", ""),
                                 assignee=q.get("assignee", ""),
                                 researcher="me" if not filtered and user.roles == {RESEARCHER} else "")
        async with tenant_scope(tenant.id):  # one transaction for the page's four reads
            rows = await services.queue(tenant.id, f, user.id)
            terms = await terms_in_force(tenant.id)
            staff = await services.staff_with_role(tenant.id, OFFICER)
            overdue = await services.overdue_count(tenant.id) if ADMIN in user.roles else 0
        return await page(request, "requests/queue.html", rows=rows, filter=f, terms=terms,
                          all_stages=terms.workflow.stages() if terms else list(STAGES), staff=staff,
                          overdue=overdue, now=dt.datetime.now(dt.timezone.utc))

    async def _intake_form(self, request: Request, terms: PolicyTerms | None, *, form: dict[str, Any],
                           errors: FormErrors, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        lang = i18n.get_language()
        return await page(request, "requests/new.html", status_code=status_code, terms=terms, form=form,
                          errors=errors, accept=ACCEPT, **choice_options(),
                          staff_channels=[(c.key, c.label(lang)) for c in terms.channels if c.code != "website"]
                          if terms else [],
                          consent=forms.consent_text(tenant.name(lang), lang),
                          declaration=forms.declaration_text(terms, lang).split("\n") if terms else [])

    @get("/new", name="request_new", guards=[requires_staff(OFFICER)])
    async def new_form(self, request: Request) -> Any:
        terms = await terms_in_force(tenant_of(request).id)
        return await self._intake_form(request, terms, form={}, errors=FormErrors())

    @post("/new", name="request_new_submit", guards=[requires_staff(OFFICER)], request_max_body_size=MAX_BODY)
    async def new(self, request: Request, data: Multipart) -> Any:
        tenant = tenant_of(request)
        terms = await terms_in_force(tenant.id)
        if terms is None:
            return await self._intake_form(request, terms, form={}, errors=FormErrors(), status_code=409)
        errors = FormErrors()
        applicant, typed = read_applicant(data, errors)
        need, typed["need"] = forms.read_need(data, errors)
        typed.update({k: form_value(data, k) for k in ("channel", "interview_url", "interview_at", "signer_name")})
        channel = terms.channel(typed["channel"])
        if channel is None or channel.code == "website":
            errors.add("channel", forms.MSG_CHANNEL_REQUIRED)
        interview_url, interview_at = "", None
        if channel and channel.code == "virtual_interview":
            interview_url, interview_at = forms.read_interview(data, errors)
        uploads, problems = await read_files(data.get("documents"))
        _files_errors(errors, "documents", problems)
        letters, problems = await read_files(data.get("letter_scan"))
        _files_errors(errors, "letter_scan", problems)
        if channel and channel.code == "letters" and not letters and not problems:
            errors.add("letter_scan", forms.MSG_LETTER_REQUIRED)
        scans, problems = await read_files(data.get("attestation_scan"))
        _files_errors(errors, "attestation_scan", problems)
        if scans and not typed["signer_name"]:
            errors.add("signer_name", services.MSG_SIGNER_REQUIRED)
        if form_value(data, "consent") != "yes":
            errors.add("consent", forms.MSG_STAFF_CONSENT_REQUIRED)
        if errors:
            if uploads or letters or scans:  # staff re-attach; only the public form stashes files
                errors.add("__all__", forms.MSG_FILES_AGAIN)
            return await self._intake_form(request, terms, form=typed, errors=errors, status_code=400)
        lang = applicant.preferred_language
        request_id = await services.record_by_staff(tenant, terms, services.StaffIntake(
            applicant=applicant, channel=channel, need=need, interview_url=interview_url,  # type: ignore[arg-type]
            interview_at=interview_at, files=uploads, letter_scan=letters[0] if letters else None,
            attestation_scan=scans[0] if scans else None, signer_name=typed["signer_name"],
            consent_text=forms.consent_text(tenant.name(lang), lang)), await actor_of(request))
        return redirect(f"/portal/requests/{request_id}")

    async def _detail(self, request: Request, request_id: str, *, errors: FormErrors | None = None,
                      form: dict[str, Any] | None = None, status_code: int = 200, alert: str = "",
                      failed: str = "") -> Any:
        tenant = tenant_of(request)
        user = await load_staff_user(request)
        assert user
        try:
            data = await services.get_request(tenant.id, request_id)
        except NotFound:
            raise NotFoundException() from None
        req = data["req"]
        terms = await terms_of_version(tenant.id, req["policy_version_number"])
        from sila.tenants.requests.workflow import Workflow

        workflow = Workflow.from_steps(req["steps"])
        actions = workflow.available(req["stage"], user.roles)
        if "report" in actions and req["researcher"] != user.id:
            actions.remove("report")
        return await page(
            request, "requests/detail.html", status_code=status_code, **data, terms=terms, workflow=workflow,
            actions=actions, errors=errors or FormErrors(), form=form or {}, failed=failed, alert=alert, accept=ACCEPT,
            researcher_options=[(str(s["id"]), s["name"] or s["email"]) for s in
                                await services.staff_with_role(tenant.id, RESEARCHER)] if "refer" in actions else [],
            step_label=lambda code: catalogue.STEPS[code].label(i18n.get_language()),
            officers=await services.staff_with_role(tenant.id, OFFICER), now=dt.datetime.now(dt.timezone.utc),
            can_assign=bool(user.roles & {OFFICER, ADMIN}), can_upload=bool(user.roles & {OFFICER, RESEARCHER}))

    @get("/{request_id:str}", name="request_detail")
    async def detail(self, request: Request, request_id: FromPath[str]) -> Any:
        return await self._detail(request, request_id)

    @post("/{request_id:str}/act/{action:str}", name="request_act", request_max_body_size=MAX_BODY)
    async def act(self, request: Request, request_id: FromPath[str], action: FromPath[str], data: Multipart) -> Any:
        tenant = tenant_of(request)
        if action not in services_actions():
            raise NotFoundException()
        payload = {k: v for k, v in data.items() if isinstance(v, str)}
        errors = FormErrors()
        for name in ("scan", "visit_file"):
            files, problems = await read_files(data.get(name))
            _files_errors(errors, name, problems)
            if files:
                payload[name] = files[0]
        if action == "attest":
            data_terms = None
            try:
                req = (await services.get_request(tenant.id, request_id))["req"]
                data_terms = await terms_of_version(tenant.id, req["policy_version_number"])
            except NotFound:
                raise NotFoundException() from None
            payload["form_text"] = forms.declaration_text(data_terms, "ar") if data_terms else ""
        form = {k: v for k, v in payload.items() if isinstance(v, str) and k != "form_text"}
        if errors:
            return await self._detail(request, request_id, errors=errors, form=form, failed=action, status_code=400)
        try:
            await services.act(tenant, request_id, action, await actor_of(request), payload)
        except NotFound:
            raise NotFoundException() from None
        except Problem as exc:
            add_problem(errors, exc)
            return await self._detail(request, request_id, errors=errors, form=form, failed=action, status_code=400)
        except TransitionError as exc:
            return await self._detail(request, request_id, form=form, failed=action, alert=i18n.gettext(exc.msgid),
                                      status_code=403 if exc.kind == "role" else 409)
        return redirect(f"/portal/requests/{request_id}")

    @post("/{request_id:str}/assign", name="request_assign")
    async def assign(self, request: Request, request_id: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        errors = FormErrors()
        try:
            await services.assign(tenant, request_id, form_value(data, "assignee"), await actor_of(request))
        except NotFound:
            raise NotFoundException() from None
        except Problem as exc:
            add_problem(errors, exc)
            return await self._detail(request, request_id, errors=errors, status_code=400)
        except TransitionError as exc:
            return await self._detail(request, request_id, alert=i18n.gettext(exc.msgid), status_code=403)
        return redirect(f"/portal/requests/{request_id}")

    @post("/{request_id:str}/documents", name="request_documents", request_max_body_size=MAX_BODY)
    async def documents(self, request: Request, request_id: FromPath[str], data: Multipart) -> Any:
        tenant = tenant_of(request)
        errors = FormErrors()
        files, problems = await read_files(data.get("documents"))
        _files_errors(errors, "documents", problems)
        if not files and not problems:
            errors.add("documents", MSG_NO_FILE)
        try:
            if not errors:
                await services.add_documents(tenant, request_id, files, await actor_of(request))
                return redirect(f"/portal/requests/{request_id}")
        except NotFound:
            raise NotFoundException() from None
        except TransitionError as exc:
            return await self._detail(request, request_id, alert=i18n.gettext(exc.msgid),
                                      status_code=403 if exc.kind == "role" else 409)
        return await self._detail(request, request_id, errors=errors, status_code=400)

    @get("/{request_id:str}/documents/{document_id:str}", name="request_document")
    async def document(self, request: Request, request_id: FromPath[str], document_id: FromPath[str]) -> Response:
        try:
            doc = await services.get_document(tenant_of(request).id, request_id, document_id)
        except NotFound:
            raise NotFoundException() from None
        # Types are checked by magic bytes at upload; still, never let the browser guess, and
        # sandbox the document so a crafted PDF cannot script the portal.
        return Response(content=bytes(doc["content"]), media_type=doc["content_type"], headers={
            "Content-Disposition": f"inline; filename=\"{doc['filename']}\"",
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store"})


def services_actions() -> set[str]:
    from sila.tenants.requests.workflow import ACTIONS

    return set(ACTIONS)


# --- committee sessions ----------------------------------------------------------------------


class CommitteeRoutes(Controller):
    path = "/portal/committee"
    guards = [requires_staff(COMMITTEE, ADMIN, OFFICER)]

    @get("/", name="committee_sessions")
    async def sessions(self, request: Request) -> Any:
        return await self._list(request, form={}, errors=FormErrors())

    async def _list(self, request: Request, *, form: dict[str, Any], errors: FormErrors, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        return await page(request, "requests/committee_list.html", status_code=status_code,
                          sessions=await committee.sessions(tenant.id),
                          waiting=await committee.waiting_requests(tenant.id), form=form, errors=errors)

    @post("/", name="committee_open")
    async def open(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        form = {"held_at": form_value(data, "held_at"), "location": form_value(data, "location")}
        errors = FormErrors()
        try:
            sid = await committee.create_session(tenant, forms.parse_local_datetime(form["held_at"]),
                                                 form["location"], await actor_of(request))
        except Problem as exc:
            add_problem(errors, exc)
            return await self._list(request, form=form, errors=errors, status_code=400)
        except TransitionError:
            raise_forbidden()
        return redirect(f"/portal/committee/{sid}")

    async def _detail(self, request: Request, session_id: str, *, errors: FormErrors | None = None,
                      form: dict[str, Any] | None = None, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        try:
            data = await committee.session_detail(tenant.id, session_id)
        except NotFound:
            raise NotFoundException() from None
        return await page(request, "requests/committee_session.html", status_code=status_code, **data,
                          waiting=await committee.waiting_requests(tenant.id) if data["session"]["status"] == "open"
                          else [], errors=errors or FormErrors(), form=form or {})

    @get("/{session_id:str}", name="committee_session")
    async def session(self, request: Request, session_id: FromPath[str]) -> Any:
        return await self._detail(request, session_id)

    async def _run(self, request: Request, session_id: str, form: dict[str, Any], call: Any, prefix: str = "") -> Any:
        errors = FormErrors()
        try:
            await call
        except NotFound:
            raise NotFoundException() from None
        except Problem as exc:
            errors.add(prefix + exc.field, exc.msgid, **exc.variables)
            return await self._detail(request, session_id, errors=errors, form=form, status_code=400)
        except TransitionError as exc:
            errors.add("__all__", exc.msgid)
            return await self._detail(request, session_id, errors=errors, form=form,
                                      status_code=403 if exc.kind == "role" else 409)
        return redirect(f"/portal/committee/{session_id}")

    @post("/{session_id:str}/agenda", name="committee_agenda")
    async def agenda(self, request: Request, session_id: FromPath[str], data: FormData) -> Any:
        chosen = data.get("requests", [])
        chosen = chosen if isinstance(chosen, list) else [chosen]
        return await self._run(request, session_id, {}, committee.add_to_agenda(
            tenant_of(request), session_id, chosen, await actor_of(request)))

    @post("/{session_id:str}/items/{item_id:str}/vote", name="committee_vote")
    async def vote(self, request: Request, session_id: FromPath[str], item_id: FromPath[str], data: FormData) -> Any:
        form = {f"{item_id}.vote": form_value(data, "vote"), f"{item_id}.reasons": form_value(data, "reasons")}
        return await self._run(request, session_id, form, committee.cast_vote(
            tenant_of(request), session_id, item_id, form_value(data, "vote"), form_value(data, "reasons"),
            await actor_of(request)), prefix=f"{item_id}.")

    @post("/{session_id:str}/items/{item_id:str}/decide", name="committee_decide")
    async def decide(self, request: Request, session_id: FromPath[str], item_id: FromPath[str], data: FormData) -> Any:
        form = {f"{item_id}.decision": form_value(data, "decision"), f"{item_id}.reason": form_value(data, "reason")}
        return await self._run(request, session_id, form, committee.decide(
            tenant_of(request), session_id, item_id, form_value(data, "decision"), form_value(data, "reason"),
            await actor_of(request)), prefix=f"{item_id}.")

    @post("/{session_id:str}/close", name="committee_close")
    async def close(self, request: Request, session_id: FromPath[str]) -> Any:
        return await self._run(request, session_id, {}, committee.close_session(
            tenant_of(request), session_id, await actor_of(request)))

    @get("/{session_id:str}/minutes.pdf", name="committee_minutes")
    async def minutes(self, request: Request, session_id: FromPath[str]) -> Response:
        from sila.tenants.requests.minutes import minutes_pdf

        tenant = tenant_of(request)
        try:
            pdf = await minutes_pdf(tenant, session_id, i18n.get_language())
        except NotFound:
            raise NotFoundException() from None
        return Response(content=pdf, media_type="application/pdf", headers={
            "Content-Disposition": "inline; filename=\"committee-minutes.pdf\"", "Cache-Control": "private, no-store"})


def raise_forbidden() -> None:
    from litestar.exceptions import PermissionDeniedException

    raise PermissionDeniedException()


HANDLERS = [PublicRequestRoutes, RequestRoutes, CommitteeRoutes]
