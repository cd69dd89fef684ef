"""Beneficiary files for staff: search (exact by ID number, or by name), the file with its
history of requests and services, the audited reveal of the full ID number, and the person's
rights under the Personal Data Protection Law (sila.tenants.beneficiaries.rights): their requests
with the 30-day clock, the export of everything held, correction, restriction, consent
withdrawal and erasure."""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, post, get
from litestar.datastructures import UploadFile
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath

from sila.platform.auth import client_address, load_staff_user, requires_staff
from sila.platform.tenancy import tenant_of
from sila.platform import i18n, spreadsheet
from sila.platform.dates import dual_date, dual_datetime
from sila.platform.downloads import content_disposition
from sila.platform.errors import NotFound
from sila.platform.forms import FormErrors, parse_form, riyadh_today
from sila.platform.pdf import render_pdf
from sila.platform.web import redirect, render
from sila.platform.bodies import UPLOAD_BODY_LIMIT, FormData, MultipartData
from sila.platform.roles import Role
from sila.platform.spreadsheet import SheetError
from sila.platform.templating import digits
from sila.tenants.beneficiaries import forms, imports, queries, rights, services
from sila.tenants.beneficiaries.forms import SearchForm
from sila.tenants.requests.display import template_helpers

REVEALERS = (Role.relations_officer, Role.social_researcher, Role.admin)
RIGHTS_STAFF = (Role.relations_officer, Role.admin)  # record and answer requests, export, correct
RIGHTS_ADMIN = (Role.admin,)  # restrict and erase
CORRECTED = tuple(forms.CorrectionForm.model_fields)


class BeneficiaryRoutes(Controller):
    path = "/portal/beneficiaries"
    guards = [requires_staff()]

    @get("/", name="beneficiaries")
    async def recent(self, request: Request) -> Any:
        rows = await services.search(tenant_of(request).id, "")
        return await render(request, "beneficiaries/list.html", rows=rows, q="", errors={}, **template_helpers())

    @post("/", name="beneficiaries_search")
    async def search(self, request: Request, data: FormData) -> Any:
        """POST, so an ID number typed here never lands in a URL, a log line or the history."""
        parsed = parse_form(SearchForm, data)
        if parsed.value is None:
            return await render(request, "beneficiaries/list.html", status_code=400, rows=[], q=parsed.typed["q"],
                                errors=parsed.errors, **template_helpers())
        q = parsed.value.q
        rows = await services.search(tenant_of(request).id, q)
        return await render(request, "beneficiaries/list.html", rows=rows, q=q, errors={}, **template_helpers())

    async def _file(self, request: Request, beneficiary_id: str, revealed: str | None = None) -> Any:
        tenant = tenant_of(request)
        ben = await services.get_beneficiary_in_tenant(tenant.id, beneficiary_id)
        user = await load_staff_user(request)
        return await render(request, "beneficiaries/detail.html", ben=ben, revealed=revealed,
                            can_reveal=bool(user and user.has(*REVEALERS) and not user.support_grant),
                            can_rights=bool(user and user.has(*RIGHTS_STAFF)),
                            **vars(await services.history(tenant.id, ben.id)), **template_helpers())

    @get("/{beneficiary_id:str}", name="beneficiary")
    async def file(self, request: Request, beneficiary_id: FromPath[str]) -> Any:
        response = await self._file(request, beneficiary_id)
        user = await load_staff_user(request)
        await services.record_view(tenant_of(request).id, beneficiary_id, user, client_address(request))
        return response

    @post("/{beneficiary_id:str}/reveal", name="beneficiary_reveal", guards=[requires_staff(*REVEALERS)])
    async def reveal(self, request: Request, beneficiary_id: FromPath[str]) -> Any:
        """POST (not a link): opening the number is an act that is audited, and CSRF-protected.
        The page is rendered directly, so the number is never put in a URL or a session."""
        user = await load_staff_user(request)
        assert user
        number = await services.reveal_id_number(
            tenant_of(request).id, beneficiary_id, actor_id=user.id, actor_label=user.name or user.email,
            address=client_address(request))
        response = await self._file(request, beneficiary_id, revealed=number)
        response.headers["Cache-Control"] = "no-store"
        return response


def _acting(user: Any) -> Any:
    """Exports, corrections and erasures are the charity's acts: not platform support's."""
    if user is None or user.support_grant:
        raise PermissionDeniedException()
    return user


def _clock(q: queries.RightsRequest, today: dt.date) -> dict[str, Any]:
    left = rights.days_left(q.due_on, today)
    return {**vars(q), "days_left": left, "overdue": q.status == "open" and left < 0}


class RightsRoutes(Controller):
    """/portal/beneficiaries/{id}/rights and what its forms post to."""

    path = "/portal/beneficiaries/{beneficiary_id:str}"
    guards = [requires_staff(*RIGHTS_STAFF)]

    async def _page(self, request: Request, beneficiary_id: str, *, errors: FormErrors | None = None,
                    form: dict[str, str] | None = None, answering: str = "", status: int = 200) -> Any:
        tenant = tenant_of(request)
        ben = await services.get_beneficiary_in_tenant(tenant.id, beneficiary_id)
        user = await load_staff_user(request)
        today = riyadh_today()
        requests = [_clock(q, today) for q in await rights.rights_requests(tenant.id, ben.id)]
        return await render(request, "beneficiaries/rights.html", status_code=status, ben=ben, requests=requests,
                            errors=errors or FormErrors(), form=form or {"received_on": today.isoformat(),
                                                                         "withdrawn_on": today.isoformat()},
                            answering=answering, kinds=rights.KINDS, channels=rights.CHANNELS,
                            statuses=rights.STATUSES, law_days=rights.LAW_DAYS, today=today,
                            due_example=dual_date(rights.due_on(today)),
                            is_admin=bool(user and user.has(*RIGHTS_ADMIN) and not user.support_grant),
                            **template_helpers())

    async def _after(self, request: Request, beneficiary_id: str, parsed: Any, call: Any, *,
                     answering: str = "") -> Any:
        if parsed.value is None:
            return await self._page(request, beneficiary_id, errors=parsed.errors, form=parsed.typed,
                                    answering=answering, status=400)
        user = _acting(await load_staff_user(request))
        try:
            await call(user, parsed.value)
        except rights.AlreadyErased:
            errors = FormErrors()
            errors.add("__all__", MSG_ERASED)
            return await self._page(request, beneficiary_id, errors=errors, form=parsed.typed, status=409)
        return redirect(f"/portal/beneficiaries/{beneficiary_id}/rights")

    @get("/rights", name="beneficiary_rights")
    async def page(self, request: Request, beneficiary_id: FromPath[str]) -> Any:
        return await self._page(request, beneficiary_id)

    @post("/rights", name="beneficiary_rights_record")
    async def record(self, request: Request, beneficiary_id: FromPath[str], data: FormData) -> Any:
        tid, address = tenant_of(request).id, client_address(request)
        return await self._after(request, beneficiary_id, parse_form(forms.RightsRequestForm, data),
                                 lambda user, v: rights.record_request(
                                     tid, beneficiary_id, kind=v.kind, channel=v.channel, received_on=v.received_on,
                                     note=v.note, actor=user, address=address))

    @post("/rights/{request_id:str}/answer", name="beneficiary_rights_answer")
    async def answer(self, request: Request, beneficiary_id: FromPath[str], request_id: FromPath[str],
                     data: FormData) -> Any:
        tid, address = tenant_of(request).id, client_address(request)
        return await self._after(request, beneficiary_id, parse_form(forms.RightsAnswerForm, data),
                                 lambda user, v: rights.close_request(
                                     tid, beneficiary_id, request_id, status=v.status, outcome=v.outcome,
                                     actor=user, address=address), answering=request_id)

    @post("/consent/withdraw", name="beneficiary_consent_withdraw")
    async def withdraw(self, request: Request, beneficiary_id: FromPath[str], data: FormData) -> Any:
        tid, address = tenant_of(request).id, client_address(request)
        return await self._after(request, beneficiary_id, parse_form(forms.WithdrawalForm, data),
                                 lambda user, v: rights.withdraw_consent(
                                     tid, beneficiary_id, on=v.withdrawn_on, channel=v.withdrawal_channel,
                                     actor=user, address=address))

    @post("/restriction", name="beneficiary_restriction", guards=[requires_staff(*RIGHTS_ADMIN)])
    async def restrict(self, request: Request, beneficiary_id: FromPath[str], data: FormData) -> Any:
        tid, address = tenant_of(request).id, client_address(request)
        return await self._after(request, beneficiary_id, parse_form(forms.RestrictionForm, data),
                                 lambda user, v: rights.set_restricted(
                                     tid, beneficiary_id, restricted=v.action == "restrict", reason=v.reason,
                                     actor=user, address=address))

    @post("/erase", name="beneficiary_erase", guards=[requires_staff(*RIGHTS_ADMIN)])
    async def erase(self, request: Request, beneficiary_id: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        ben = await services.get_beneficiary_in_tenant(tenant.id, beneficiary_id)
        parsed = parse_form(forms.ErasureForm, data, context={"last4": ben.id_last4})
        address = client_address(request)
        return await self._after(request, beneficiary_id, parsed, lambda user, v: rights.erase(
            tenant.id, ben.id, actor=user, address=address))

    @get("/export/{fmt:str}", name="beneficiary_export")
    async def export(self, request: Request, beneficiary_id: FromPath[str], fmt: FromPath[str]) -> Response:
        """Everything held about the person: PDF to hand them, JSON to carry elsewhere. Audited."""
        if fmt not in ("pdf", "json"):
            raise NotFound(fmt)
        tenant = tenant_of(request)
        held = await rights.holdings(tenant.id, beneficiary_id)
        user = _acting(await load_staff_user(request))
        lang = i18n.get_language()
        if fmt == "json":
            body, media = held.as_json(), "application/json"
        else:
            body = await render_pdf("beneficiaries/export_pdf.html", {
                **template_helpers(), "held": held, "tenant": tenant, "kinds": rights.KINDS,
                "channels": rights.CHANNELS, "statuses": rights.STATUSES, "generated": dt.datetime.now(dt.UTC),
                "erased": rights.ERASED}, lang=lang)
            media = "application/pdf"
        await rights.record_export(tenant.id, beneficiary_id, fmt, user, client_address(request))
        return Response(content=body, media_type=media, headers={
            "Content-Disposition": content_disposition(f"personal-data-{held.person['id']}.{fmt}", "attachment"),
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})

    async def _edit(self, request: Request, beneficiary_id: str, form: dict[str, Any] | None = None,
                    errors: FormErrors | None = None, status: int = 200) -> Any:
        ben = await services.get_beneficiary_in_tenant(tenant_of(request).id, beneficiary_id)
        if ben.erased_at:
            raise NotFound(beneficiary_id)
        shown = form or {k: "" if getattr(ben, k) is None else str(getattr(ben, k)) for k in CORRECTED}
        return await render(request, "beneficiaries/edit.html", status_code=status, ben=ben, form=shown,
                            errors=errors or FormErrors(), languages=forms.LANGUAGES,
                            category_options=[(k, i18n.gettext(v)) for k, v in forms.CATEGORIES.items()],
                            **template_helpers())

    @get("/edit", name="beneficiary_edit")
    async def edit(self, request: Request, beneficiary_id: FromPath[str]) -> Any:
        return await self._edit(request, beneficiary_id)

    @post("/edit", name="beneficiary_correct")
    async def correct(self, request: Request, beneficiary_id: FromPath[str], data: FormData) -> Any:
        parsed = parse_form(forms.CorrectionForm, data)
        if parsed.value is None:
            return await self._edit(request, beneficiary_id, parsed.typed, parsed.errors, 400)
        user = _acting(await load_staff_user(request))
        tenant = tenant_of(request)
        ben = await services.get_beneficiary_in_tenant(tenant.id, beneficiary_id)
        try:
            await rights.correct(tenant.id, ben.id, parsed.value.model_dump(), actor=user,
                                 address=client_address(request))
        except rights.AlreadyErased:
            raise NotFound(beneficiary_id) from None
        return redirect(f"/portal/beneficiaries/{ben.id}")


MSG_ERASED = i18n.N_("This person's data was erased: nothing on the file can change any more.")


class ImportRoutes(Controller):
    """Bulk import (sila.tenants.beneficiaries.imports) of existing beneficiaries or of past
    requests, chosen on the upload form: upload, match the columns over a preview, a worker imports
    while the page's bar polls, the rejected rows download. The admin's alone; platform support may
    look, never import."""

    path = "/portal/beneficiaries/import"
    guards = [requires_staff(Role.admin)]

    async def _start_page(self, request: Request, errors: FormErrors | None = None, status: int = 200,
                          kind: str = imports.BENEFICIARIES.code) -> Any:
        return await render(request, "beneficiaries/import.html", status_code=status, errors=errors or FormErrors(),
                            imports=await queries.imports(tenant_of(request).id), statuses=imports.STATUS,
                            max_mb=imports.MAX_BYTES // (1024 * 1024), max_rows=imports.MAX_ROWS,
                            kinds=imports.kinds(), kind=kind, dual_datetime=dual_datetime)

    @get("/", name="beneficiary_import")
    async def start_page(self, request: Request) -> Any:
        return await self._start_page(request)

    @post("/", name="beneficiary_import_upload", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def upload(self, request: Request, data: MultipartData) -> Any:
        user = _acting(await load_staff_user(request))
        errors = FormErrors()
        kind = data.get("kind", imports.BENEFICIARIES.code) if data else imports.BENEFICIARIES.code
        if not isinstance(kind, str) or kind not in imports.kinds():
            errors.add("kind", imports.MSG_KIND)
            return await self._start_page(request, errors, 400)
        value = data.get("file") if data else None
        if isinstance(value, list):
            value = value[-1] if value else None
        if not isinstance(value, UploadFile) or not value.filename:
            errors.add("file", imports.MSG_NO_FILE)
            return await self._start_page(request, errors, 400, kind)
        content = await value.read()
        try:
            import_id = await imports.upload(tenant_of(request).id, value.filename, content, actor=user,
                                             address=client_address(request), kind=kind)
        except SheetError as exc:
            errors.add("file", exc.msgid, **{k: digits(v) for k, v in exc.params.items()})
            return await self._start_page(request, errors, 400, kind)
        return redirect(f"/portal/beneficiaries/import/{import_id}")

    async def _import_page(self, request: Request, import_id: str, *, form: dict[str, str] | None = None,
                           errors: FormErrors | None = None, status: int = 200) -> Any:
        tenant = tenant_of(request)
        record = await queries.get_import_in_tenant(tenant.id, import_id)
        user = await load_staff_user(request)
        mapping = record.mapping
        kind = imports.kind_of(record.kind)
        shown = form or {"map_" + f: str(mapping[f]) if f in mapping else "" for f in kind.fields}
        return await render(request, "beneficiaries/import_mapping.html", status_code=status, record=record,
                            rows=await imports.preview(tenant.id, record.id) if record.status == "mapping" else [],
                            kind=kind, fields=kind.fields, form=shown, errors=errors or FormErrors(),
                            statuses=imports.STATUS, dual_datetime=dual_datetime,
                            can_start=bool(user and not user.support_grant and record.status == "mapping"))

    @get("/{import_id:str}", name="beneficiary_import_page")
    async def import_page(self, request: Request, import_id: FromPath[str]) -> Any:
        return await self._import_page(request, import_id)

    @post("/{import_id:str}", name="beneficiary_import_start")
    async def start(self, request: Request, import_id: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        record = await queries.get_import_in_tenant(tenant.id, import_id)  # NotFound before anything else
        user = _acting(await load_staff_user(request))
        if record.status != "mapping":
            errors = FormErrors()
            errors.add("__all__", imports.MSG_NOT_STARTED)
            return await self._import_page(request, import_id, errors=errors, status=409)
        parsed = forms.read_mapping(data, len(record.headers), imports.kind_of(record.kind).fields)
        if parsed.value is None:
            return await self._import_page(request, import_id, form=parsed.typed, errors=parsed.errors, status=400)
        try:
            await imports.start(tenant.id, record.id, parsed.value.mapping(), actor=user,
                                address=client_address(request))
        except imports.Refused as exc:
            errors = FormErrors()
            errors.add("__all__", exc.msgid, **exc.params)
            return await self._import_page(request, import_id, form=parsed.typed, errors=errors, status=409)
        except imports.NotStartable:
            errors = FormErrors()
            errors.add("__all__", imports.MSG_NOT_STARTED)
            return await self._import_page(request, import_id, errors=errors, status=409)
        return redirect(f"/portal/beneficiaries/import/{record.id}")

    @get("/{import_id:str}/progress", name="beneficiary_import_progress")
    async def progress(self, request: Request, import_id: FromPath[str]) -> Any:
        """The import's progress and counts: what the page's bar polls (htmx) until it is finished."""
        record = await queries.get_import_in_tenant(tenant_of(request).id, import_id)
        return await render(request, "beneficiaries/_import_progress.html", record=record, statuses=imports.STATUS)

    @get("/{import_id:str}/rejected/{fmt:str}", name="beneficiary_import_rejected")
    async def rejected(self, request: Request, import_id: FromPath[str], fmt: FromPath[str]) -> Response:
        if fmt not in spreadsheet.CONTENT_TYPES:
            raise NotFound(fmt)
        user = _acting(await load_staff_user(request))
        record, headers, rows = await imports.rejected_report(tenant_of(request).id, import_id, actor=user,
                                                              address=client_address(request), fmt=fmt)
        body = spreadsheet.render(fmt, i18n.gettext("Rejected rows"), headers, rows, rtl=i18n.get_language() == "ar")
        stem = record.file_name.rsplit(".", 1)[0] or "import"
        return Response(content=body, media_type=spreadsheet.CONTENT_TYPES[fmt], headers={
            "Content-Disposition": content_disposition(f"{stem}-rejected.{fmt}", "attachment"),
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


HANDLERS = [ImportRoutes, BeneficiaryRoutes, RightsRoutes]
