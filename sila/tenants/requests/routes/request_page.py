"""The request page: facts, procedure, actions offered, assignment, documents (each opening audited)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from sila.platform import audit, i18n
from sila.platform.actors import actor_of
from sila.platform.auth import client_address, load_staff_user, requires_staff
from sila.platform.db import tenant_scope
from sila.platform.downloads import content_disposition
from sila.platform.forms import FormErrors, parse_form
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import redirect
from sila.tenants.policy import catalogue
from sila.tenants.policy import custom_fields as cf
from sila.tenants.requests import actions, forms, services
from sila.tenants.requests.display import history
from sila.tenants.requests.routes.common import FormData, Multipart, add_problem, files_errors, page, refusal_status
from sila.tenants.requests.services import Problem
from sila.tenants.requests.terms import terms_of_version
from sila.tenants.requests.uploads import ACCEPT, MAX_BODY, read_files
from sila.tenants.requests.workflow import TransitionError, Workflow

MSG_NO_FILE = i18n.N_("Choose at least one file.")


async def request_page(request: Request, request_id: str, *, errors: FormErrors | None = None,
                       form: dict[str, Any] | None = None, status_code: int = 200, alert: str = "",
                       failed: str = "") -> Any:
    """The request page: its facts, the procedure, what this person can do now (the actions the
    server accepts, `actions.offered_in_scope`), documents and history; `failed` draws one action's
    form again with its errors and what was typed."""
    tenant = tenant_of(request)
    user = await load_staff_user(request)
    assert user
    data = await services.get_request_in_tenant(tenant.id, request_id)
    req = data["req"]
    data["history"] = history(data.pop("timeline"))
    terms = await terms_of_version(tenant.id, req["policy_version_number"])  # its own form's questions
    workflow = Workflow.from_steps(req["steps"])
    async with tenant_scope(tenant.id):  # the same table and guards the server applies
        offered = await actions.offered_in_scope(req, await actor_of(request))
    return await page(
        request, "requests/detail.html", status_code=status_code, **data, terms=terms, workflow=workflow,
        custom_answers=cf.answer_rows(list(terms.custom_fields) if terms else [], req["custom_answers"],
                                      i18n.get_language()),
        actions=offered, errors=errors or FormErrors(), form=form or {}, failed=failed, alert=alert, accept=ACCEPT,
        researcher_options=[(str(s.id), s.name or s.email) for s in
                            await services.staff_with_role(tenant.id, Role.social_researcher)] if "refer" in offered else [],
        step_label=lambda code: catalogue.STEPS[code].label(i18n.get_language()),
        officers=await services.staff_with_role(tenant.id, Role.relations_officer), now=dt.datetime.now(dt.UTC),
        can_assign=bool(user.roles & {Role.relations_officer, Role.admin}), can_upload=bool(user.roles & {Role.relations_officer, Role.social_researcher}))


class RequestPageRoutes(Controller):
    path = "/portal/requests"
    guards = [requires_staff()]

    @get("/{request_id:str}", name="request_detail")
    async def detail(self, request: Request, request_id: FromPath[str]) -> Any:
        return await request_page(request, request_id)

    @post("/{request_id:str}/assign", name="request_assign")
    async def assign(self, request: Request, request_id: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(forms.AssignForm, data)
        errors = parsed.errors
        if errors:
            return await request_page(request, request_id, errors=errors, status_code=400)
        try:
            await services.assign(tenant, request_id, parsed.typed["assignee"], await actor_of(request))
        except Problem as exc:
            add_problem(errors, exc)
            return await request_page(request, request_id, errors=errors, status_code=400)
        except TransitionError as exc:
            return await request_page(request, request_id, alert=i18n.gettext(exc.msgid),
                                      status_code=refusal_status(exc.kind))
        return redirect(f"/portal/requests/{request_id}")

    @post("/{request_id:str}/documents", name="request_documents", request_max_body_size=MAX_BODY)
    async def documents(self, request: Request, request_id: FromPath[str], data: Multipart) -> Any:
        tenant = tenant_of(request)
        errors = FormErrors()
        files, problems = await read_files(data.get("documents"))
        files_errors(errors, "documents", problems)
        if not files and not problems:
            errors.add("documents", MSG_NO_FILE)
        try:
            if not errors:
                await services.add_documents(tenant, request_id, files, await actor_of(request))
                return redirect(f"/portal/requests/{request_id}")
        except TransitionError as exc:
            return await request_page(request, request_id, alert=i18n.gettext(exc.msgid),
                                      status_code=refusal_status(exc.kind))
        return await request_page(request, request_id, errors=errors, status_code=400)

    @get("/{request_id:str}/documents/{document_id:str}", name="request_document")
    async def document(self, request: Request, request_id: FromPath[str], document_id: FromPath[str]) -> Response:
        tenant = tenant_of(request)
        doc = await services.get_request_document_in_tenant(tenant.id, request_id, document_id)
        user = await load_staff_user(request)
        async with tenant_scope(tenant.id):  # who opened which document (reports' audit browser)
            await audit.record(tenant.id, "request.document_viewed", **audit.actor_fields(user),
                               target_type="request_document",
                               target_id=document_id, after={"request": request_id, "filename": doc.filename},
                               address=client_address(request))
        # Types are checked by magic bytes at upload; still, never let the browser guess, and
        # sandbox the document so a crafted PDF cannot script the portal.
        return Response(content=doc.content, media_type=doc.content_type, headers={
            "Content-Disposition": content_disposition(doc.filename),
            "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store"})
