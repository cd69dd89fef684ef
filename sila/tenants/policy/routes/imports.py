"""Importing the charity's own policy document (`/portal/policy/import…`): upload or paste, review
what was read, save the reviewed sections to the draft."""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from sila.platform import i18n
from sila.platform.auth import requires_staff
from sila.platform.bodies import UPLOAD_BODY_LIMIT, FormData, MultipartData
from sila.platform.dates import DateRangeError, format_gregorian, format_hijri, reconcile, weekday_name
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect, render
from sila.tenants.onboarding import services as onboarding
from sila.tenants.policy import catalogue, forms, importer, services
from sila.tenants.policy.routes.pages import hijri_months, user_of
from sila.tenants.policy.uploads import store_upload


class PolicyImportRoutes(Controller):
    """Upload (or paste) the charity's own policy, review what we read from it field by field,
    and save the reviewed sections to the draft. Nothing here publishes."""

    path = "/portal/policy/import"
    guards = [requires_staff(Role.admin)]

    async def _start_page(self, request: Request, errors: FormErrors, status_code: int = 200,
                          text: str = "") -> Any:
        if status_code == 400 and request.headers.get("hx-request"):
            status_code = 200
        tenant = tenant_of(request)
        return await render(request, "policy/import.html", status_code=status_code, section="import",
                            progress=await onboarding.progress(tenant.id), errors=errors, text=text,
                            limits=services.UPLOADS)

    @get("/", name="policy_import")
    async def start(self, request: Request) -> Any:
        return await self._start_page(request, FormErrors())

    @post("/", name="policy_import_upload", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def upload(self, request: Request, data: MultipartData) -> Any:
        tenant = tenant_of(request)
        errors = FormErrors()
        pasted = forms.parse_paste(data)
        text = pasted.value.text if pasted.value else pasted.typed.get("text", "")
        stored = await store_upload(request, data, "file", "import", errors)
        if stored is None and not errors:
            if pasted.errors:
                errors = pasted.errors
            elif text.strip():
                stored = await services.store_document(tenant.id, "import", "pasted-policy.txt", text.encode("utf-8"),
                                                       actor=user_of(request).id, pasted=True)
            else:
                errors.add("file", forms.MSG_PASTE_OR_UPLOAD)
        if stored is not None and not errors:
            try:
                await services.read_import(tenant.id, stored)
            except importer.ImportError_ as exc:
                errors.add("file" if text.strip() == "" else "text", exc.msgid)
        if errors or stored is None:
            return await self._start_page(request, errors, 400, text=text)
        return redirect(f"/portal/policy/import/{stored}")

    async def _review_page(self, request: Request, document_id: uuid.UUID, *, values: dict[str, Any] | None = None,
                           rows: dict[str, list[dict[str, Any]]] | None = None, errors: FormErrors | None = None,
                           status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        try:
            doc, proposal = await services.read_import(tenant.id, document_id)
        except importer.ImportError_ as exc:
            return await self._start_page(request, FormErrors({"file": [i18n.gettext(exc.msgid)]}), 400)
        state = await services.load_draft(tenant.id)
        if values is None or rows is None:
            values, rows = forms.review_values(proposal, state.draft)
        a = proposal.approval
        dates = None
        if a.date_gregorian.value and a.date_hijri.value:
            try:
                dates = reconcile(a.date_gregorian.value, a.date_hijri.value)
            except DateRangeError:
                dates = None
        if status_code == 400 and request.headers.get("hx-request"):
            status_code = 200
        return await render(request, "policy/import_review.html", status_code=status_code, section="import",
                            progress=await onboarding.progress(tenant.id), catalogue=catalogue, doc=doc,
                            p=proposal, form=values, rows=rows, errors=errors or FormErrors(), dates=dates,
                            months=hijri_months(), format_hijri=format_hijri, format_gregorian=format_gregorian,
                            weekday_name=weekday_name, has_approval=state.approval is not None)

    @get("/{document_id:uuid}", name="policy_import_review")
    async def review(self, request: Request, document_id: FromPath[uuid.UUID]) -> Any:
        return await self._review_page(request, document_id)

    @post("/{document_id:uuid}", name="policy_import_save")
    async def save(self, request: Request, document_id: FromPath[uuid.UUID], data: FormData) -> Any:
        tenant = tenant_of(request)
        await services.get_import_document(tenant.id, document_id)  # NotFound for anything else
        state = await services.load_draft(tenant.id)
        review = forms.parse_import_review(data, state.draft, str(document_id))
        if review.errors:
            return await self._review_page(request, document_id, values=review.typed, rows=review.rows,
                                           errors=review.errors, status_code=400)
        await services.apply_import(tenant.id, document_id, review.draft, review.sections, approval=review.approval,
                                    actor=user_of(request).id)
        return redirect("/portal/policy?imported=1")
