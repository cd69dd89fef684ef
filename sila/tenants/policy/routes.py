"""Policy pages: configuration, approval, publishing and history for the tenant admin
(`/portal/policy/…`), documents for staff (`/portal/documents/…`), and the public policy
with its PDF and earlier versions (`/policy…`)."""
from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath

from sila.platform import i18n
from sila.platform.auth import requires_staff, requires_tenant_site
from sila.platform.db import tenant_scope
from sila.platform.tables import Role
from sila.platform.templating import digits, environment
from sila.platform.tenancy import TenantInfo, tenant_of
from sila.platform.web import FormErrors, form_value, redirect, render
from sila.tenants.onboarding import services as onboarding
from sila.tenants.policy import catalogue, forms, pdf, services, view
from sila.tenants.policy.rules import ChannelConfig, ToolConfig, diff_versions, due_date, validate_approval

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
# Above the largest accepted file, so an oversized one still gets a message beside its field.
UPLOAD_BODY_LIMIT = 24 * 1024 * 1024
ADMIN = Role.admin.value

# Where a publishing error sends the admin to fix it.
FIX_PAGES = {
    "channels": "/portal/policy/channels", "tools": "/portal/policy/tools", "steps": "/portal/policy/steps",
    "review_window_days": "/portal/policy/window", "review_window_text_ar": "/portal/policy/window",
    "review_window_text_en": "/portal/policy/window", "approval": "/portal/policy/approval",
}


def _user(request: Request) -> Any:
    return request.scope["_sila_user"]


async def _upload(data: Any, name: str) -> tuple[str, bytes] | None:
    value = data.get(name) if data else None
    if isinstance(value, list):
        value = value[-1] if value else None
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return value.filename, await value.read()


async def store_upload(request: Request, data: Any, name: str, purpose: str, errors: FormErrors) -> uuid.UUID | None:
    """Store the file posted in field `name`; a wrong type or size becomes an error beside it."""
    upload = await _upload(data, name)
    if upload is None:
        return None
    try:
        return await services.store_document(tenant_of(request).id, purpose, upload[0], upload[1],
                                             actor=_user(request).id)
    except services.UploadError as exc:
        errors.add(name, exc.msgid, **{k: digits(v) for k, v in exc.params.items()})
        return None


def _publish_problems(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    out = []
    for key, msgids in errors.items():
        head = key.split(".")[0]
        url = FIX_PAGES.get(head) or ("/portal/policy/approval" if head.startswith("approval") else
                                      "/portal/policy/texts")
        out.extend({"text": i18n.gettext(m), "url": url} for m in msgids)
    return out


def _changes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    lang = i18n.get_language()
    return [change.text(i18n.gettext) for change in diff_versions(a, b, lang)]


class PolicyRoutes(Controller):
    path = "/portal/policy"
    guards = [requires_staff(ADMIN)]

    async def _page(self, request: Request, template: str, section: str, *, status_code: int = 200,
                    **context: Any) -> Any:
        # htmx swaps only 2xx answers; a form with errors is still the page to show.
        if status_code == 400 and request.headers.get("hx-request"):
            status_code = 200
        tenant = tenant_of(request)
        context.setdefault("focus", request.query_params.get("focus", ""))
        return await render(request, template, status_code=status_code, section=section,
                            progress=await onboarding.progress(tenant.id), catalogue=catalogue,
                            saved=request.query_params.get("saved") == "1", **context)

    async def _saved(self, request: Request, section: str, action: str, focus: str = "") -> Any:
        tenant = tenant_of(request)
        await services.mark_done(tenant.id, section)
        if action == "next":
            following = (await onboarding.progress(tenant.id)).after(section)
            target = following.url if following else "/portal/policy"
            if request.headers.get("hx-request"):  # a new page: navigate, do not swap it in
                return Response(content=b"", status_code=200, headers={"HX-Redirect": target})
            return redirect(target)
        anchor = f"&focus={quote(focus)}#{quote(focus.rsplit('.', 1)[0])}" if focus else ""
        return redirect(f"/portal/policy/{section}?saved=1{anchor}")

    # --- overview -----------------------------------------------------------------------------

    @get("/", name="policy_overview")
    async def overview(self, request: Request) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        current = await services.current_policy_version(tenant.id)
        return await self._page(request, "policy/overview.html", "overview", state=state, current=current,
                                problems=_publish_problems(state.publish_errors()),
                                pending_changes=_changes(current.content, services.draft_to_dict(state.draft))
                                if current else [])

    @get("/preview", name="policy_preview")
    async def preview(self, request: Request) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        doc = view.build(tenant, await services.get_profile(tenant.id), state.draft, state.approval_record)
        return await self._page(request, "policy/preview.html", "overview", doc=doc)

    # --- channels -----------------------------------------------------------------------------

    @get("/channels", name="policy_channels")
    async def channels(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._page(request, "policy/channels.html", "channels", items=state.draft.channels,
                                errors=forms.page_errors(state.draft, "channels"))

    @post("/channels", name="policy_channels_save")
    async def channels_save(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        items = forms.parse_channels(data)
        action, index = forms.parse_action(data)
        if action == "add":  # shown, not saved: the new row needs its name first
            items.append(ChannelConfig(code=None, enabled=True))
            return await self._page(request, "policy/channels.html", "channels", items=items,
                                    errors=FormErrors(), focus=f"channels.{len(items) - 1}.label_ar")
        state = await services.load_draft(tenant.id)
        errors = forms.page_errors(services.replace(state.draft, channels=items), "channels")
        if forms.blocking(errors, {"channels"}):
            return await self._page(request, "policy/channels.html", "channels", status_code=400, items=items,
                                    errors=errors)
        moved = forms.apply_move(items, action, index)
        await services.save_section(tenant.id, "channels", services.replace(state.draft, channels=items),
                                    actor=_user(request).id)
        return await self._saved(request, "channels", action, _moved_focus("channels", action, index) if moved else "")

    # --- tools --------------------------------------------------------------------------------

    @get("/tools", name="policy_tools")
    async def tools(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._page(request, "policy/tools.html", "tools", items=state.draft.tools,
                                errors=forms.page_errors(state.draft, "tools"), limits=services.UPLOADS)

    @post("/tools", name="policy_tools_save", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def tools_save(self, request: Request, data: MultipartData) -> Any:
        tenant = tenant_of(request)
        items = forms.parse_tools(data)
        action, index = forms.parse_action(data)
        # Document ids come back from the page; only this tenant's tool documents are kept.
        mine = await services.existing_documents(tenant.id, [t.document_id for t in items if t.document_id], "tool")
        errors = FormErrors()
        for i, tool in enumerate(items):
            if tool.document_id not in mine:
                tool.document_id = None
            # A valid file is stored at once, so a mistake elsewhere does not make it be chosen again.
            if stored := await store_upload(request, data, f"tools.{i}.file", "tool", errors):
                tool.document_id = str(stored)
        if action == "detach" and index is not None and 0 <= index < len(items):
            items[index].document_id = None
        if action == "add":
            items.append(ToolConfig(code=None, enabled=True))
            return await self._page(request, "policy/tools.html", "tools", status_code=400 if errors else 200,
                                    items=items, errors=errors, limits=services.UPLOADS,
                                    focus=f"tools.{len(items) - 1}.label_ar")
        state = await services.load_draft(tenant.id)
        for key, messages in forms.page_errors(services.replace(state.draft, tools=items), "tools").items():
            errors.setdefault(key, []).extend(messages)
        if forms.blocking(errors, {"tools"}):
            return await self._page(request, "policy/tools.html", "tools", status_code=400, items=items,
                                    errors=errors, limits=services.UPLOADS)
        moved = forms.apply_move(items, action, index)
        await services.save_section(tenant.id, "tools", services.replace(state.draft, tools=items),
                                    actor=_user(request).id)
        return await self._saved(request, "tools", action, _moved_focus("tools", action, index) if moved else "")

    # --- procedure steps ----------------------------------------------------------------------

    @get("/steps", name="policy_steps")
    async def steps(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._page(request, "policy/steps.html", "steps", items=state.draft.steps,
                                errors=forms.page_errors(state.draft, "steps"))

    @post("/steps", name="policy_steps_save")
    async def steps_save(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        items = forms.parse_steps(data)
        action, index = forms.parse_action(data)
        state = await services.load_draft(tenant.id)
        errors = forms.page_errors(services.replace(state.draft, steps=items), "steps")
        if forms.blocking(errors, {"steps"}):
            return await self._page(request, "policy/steps.html", "steps", status_code=400, items=items,
                                    errors=errors)
        moved = forms.apply_move(items, action, index)
        draft = services.replace(state.draft, steps=items)
        extra: tuple[str, ...] = ()
        if not draft.has_committee and draft.review_window_days is not None:
            # The window is the committee's promise: without the committee it goes too.
            draft.review_window_days = None
            extra = ("review_window_days",)
        await services.save_section(tenant.id, "steps", draft, actor=_user(request).id, also=extra)
        return await self._saved(request, "steps", action, _moved_focus("steps", action, index) if moved else "")

    # --- review window ------------------------------------------------------------------------

    async def _window_page(self, request: Request, draft: Any, errors: FormErrors, status_code: int = 200,
                           raw: str | None = None) -> Any:
        example = None
        if draft.has_committee and isinstance(draft.review_window_days, int) and 1 <= draft.review_window_days <= 365:
            import datetime as dt

            example = due_date(dt.datetime.now(dt.timezone.utc), draft.review_window_days)
        days = draft.review_window_days if raw is None else raw
        return await self._page(request, "policy/window.html", "window", status_code=status_code, draft=draft,
                                errors=errors, example=example, days="" if days is None else days)

    @get("/window", name="policy_window")
    async def window(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._window_page(request, state.draft, FormErrors())

    @post("/window", name="policy_window_save")
    async def window_save(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        draft = services.replace(state.draft)
        errors = forms.parse_window(data, draft)
        if not errors:
            errors = forms.page_errors(draft, ("review_window_days", "review_window_text_ar", "review_window_text_en"))
        if errors:
            return await self._window_page(request, draft, errors, 400, raw=form_value(data, "review_window_days"))
        await services.save_section(tenant.id, "window", draft, actor=_user(request).id)
        return await self._saved(request, "window", forms.parse_action(data)[0])

    # --- texts and layout ---------------------------------------------------------------------

    @get("/texts", name="policy_texts")
    async def texts(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._page(request, "policy/texts.html", "texts", draft=state.draft, errors=FormErrors())

    @post("/texts", name="policy_texts_save")
    async def texts_save(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        draft = services.replace(state.draft)
        action = forms.parse_action(data)[0]
        errors = forms.parse_texts(data, draft)
        if action == "defaults":  # put our texts in the form; saving them is the admin's choice
            fresh = services.default_draft()
            for name in services.SECTIONS["texts"][:6]:
                setattr(draft, name, getattr(fresh, name))
            return await self._page(request, "policy/texts.html", "texts", draft=draft, errors=FormErrors(),
                                    restored=True)
        for key, messages in forms.page_errors(draft, services.SECTIONS["texts"]).items():
            errors.setdefault(key, []).extend(messages)
        if errors:
            return await self._page(request, "policy/texts.html", "texts", status_code=400, draft=draft,
                                    errors=errors)
        await services.save_section(tenant.id, "texts", draft, actor=_user(request).id)
        return await self._saved(request, "texts", action)

    # --- board approval -----------------------------------------------------------------------

    async def _approval_page(self, request: Request, form: dict[str, Any], errors: FormErrors,
                             status_code: int = 200, scan: Any = None) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        record = state.approval_record
        scan_id = scan or (state.minutes_document if record else None)
        scan_doc = await services.get_document(tenant_of(request).id, scan_id, with_content=False) if scan_id else None
        return await self._page(request, "policy/approval.html", "approval", status_code=status_code, form=form,
                                errors=errors, record=record, scan=scan_doc, months=_hijri_months(),
                                limits=services.UPLOADS)

    @get("/approval", name="policy_approval")
    async def approval(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._approval_page(request, forms.approval_form(state.approval), FormErrors())

    @post("/approval", name="policy_approval_save", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def approval_save(self, request: Request, data: MultipartData) -> Any:
        tenant = tenant_of(request)
        approval, errors = forms.parse_approval(data)
        if not errors:
            for key, msgids in validate_approval(approval).items():
                for msgid in msgids:
                    errors.add(key, msgid)
        # The scan: a new upload, one uploaded with an earlier failed attempt, the saved one, or none.
        carried = form_value(data, "minutes_document")
        carried = carried if carried in await services.existing_documents(tenant.id, [carried], "minutes") else None
        new_scan = await store_upload(request, data, "minutes_file", "minutes", errors)
        scan: Any = new_scan or (uuid.UUID(carried) if carried else services.KEEP)
        if form_value(data, "remove_minutes") and not new_scan:
            scan = None
        if errors:
            form = {k: form_value(data, k) for k in (
                "meeting_number", "session_ordinal", "date_gregorian", "hijri_year", "hijri_month", "hijri_day",
                "chair_title", "chair_name", "computed", "computed_value")}
            form["decisions"] = forms.values(data, "decisions")
            return await self._approval_page(request, form, errors, 400,
                                             scan=scan if isinstance(scan, uuid.UUID) else None)
        await services.save_approval(tenant.id, approval, minutes_document=scan, actor=_user(request).id)
        return await self._saved(request, "approval", forms.parse_action(data)[0])

    @get("/approval/convert", name="policy_approval_convert")
    async def approval_convert(self, request: Request) -> Any:
        """htmx: the other calendar (or the mismatch) as the admin types a date."""
        from sila.platform.dates import format_gregorian, format_hijri, weekday_name

        preview = forms.conversion_preview(dict(request.query_params))
        return await render(request, "policy/_conversion.html", format_hijri=format_hijri,
                            format_gregorian=format_gregorian, weekday_name=weekday_name, **preview)

    # --- publishing and history ---------------------------------------------------------------

    async def _publish_page(self, request: Request, status_code: int = 200, errors: Any = None) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        current = await services.current_policy_version(tenant.id)
        problems = _publish_problems(errors if errors is not None else state.publish_errors())
        return await self._page(request, "policy/publish.html", "publish", status_code=status_code, state=state,
                                current=current, problems=problems,
                                changes=_changes(current.content, services.draft_to_dict(state.draft))
                                if current else [])

    @get("/publish", name="policy_publish")
    async def publish_form(self, request: Request) -> Any:
        return await self._publish_page(request)

    @post("/publish", name="policy_publish_submit")
    async def publish(self, request: Request) -> Any:
        user = _user(request)
        try:
            version = await services.publish(tenant_of(request).id, actor=user.id, actor_name=user.name or user.email)
        except services.PublishError as exc:
            return await self._publish_page(request, 400, exc.errors)
        return redirect(f"/portal/policy/versions/{version.id}?published=1")

    @get("/history", name="policy_history")
    async def history(self, request: Request) -> Any:
        tenant = tenant_of(request)
        versions = await services.list_versions(tenant.id)
        by_number = {v.number: v for v in versions}

        def pick(name: str, default: int | None) -> int | None:
            raw = request.query_params.get(name, "")
            return int(raw) if raw.isdigit() and int(raw) in by_number else default

        b = pick("b", versions[0].number if versions else None)
        a = pick("a", versions[1].number if len(versions) > 1 else None)
        changes = _changes(by_number[a].content, by_number[b].content) if a and b and a != b else None
        return await self._page(request, "policy/history.html", "history", versions=versions, a=a, b=b,
                                changes=changes)

    @get("/versions/{version_id:uuid}", name="policy_version")
    async def version(self, request: Request, version_id: FromPath[uuid.UUID]) -> Any:
        tenant = tenant_of(request)
        version = await services.get_version(tenant.id, version_id=version_id)
        if version is None:
            raise NotFoundException()
        doc = view.build(tenant, await services.get_profile(tenant.id), version.policy, version.approval)
        return await self._page(request, "policy/version.html", "history", version=version, doc=doc,
                                published=request.query_params.get("published") == "1")


def _moved_focus(prefix: str, action: str, index: int | None) -> str:
    """After a move, keep the keyboard on the moved row's same button."""
    if action == "remove" or index is None:
        return ""
    return f"{prefix}.{index - 1 if action == 'up' else index + 1}.{action}"


def _hijri_months() -> list[tuple[int, str]]:
    from sila.platform.dates import HIJRI_MONTHS_AR, HIJRI_MONTHS_EN

    names = HIJRI_MONTHS_AR if i18n.get_language() == "ar" else HIJRI_MONTHS_EN
    return list(enumerate(names, 1))


# --- documents for staff -------------------------------------------------------------------------


def file_response(doc: dict[str, Any], *, cache: str) -> Response:
    name = doc["filename"]
    return Response(
        content=doc["content"], media_type=doc["content_type"],
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
                 "X-Content-Type-Options": "nosniff", "Cache-Control": cache},
    )


class DocumentRoutes(Controller):
    path = "/portal"
    guards = [requires_staff()]

    @get("/documents/{document_id:uuid}", name="document")
    async def document(self, request: Request, document_id: FromPath[uuid.UUID]) -> Response:
        doc = await services.get_document(tenant_of(request).id, document_id)
        if doc is None:
            raise NotFoundException()
        # Minutes may record other board business: administrators only.
        if doc["purpose"] == "minutes" and not _user(request).has(ADMIN):
            raise PermissionDeniedException()
        return file_response(doc, cache="private, no-store")

    @get("/library", name="library")
    async def library(self, request: Request) -> Any:
        """The tools of the policy in force, each with its document, for every staff member."""
        current = await services.current_policy_version(tenant_of(request).id)
        return await render(request, "policy/library.html", current=current)


# --- public pages --------------------------------------------------------------------------------


class PublicPolicyRoutes(Controller):
    path = "/policy"
    guards = [requires_tenant_site]

    async def _version(self, tenant: TenantInfo, number: int | None) -> services.PublishedVersion | None:
        if tenant.status != "active":
            return None
        if number is None:
            return await services.current_policy_version(tenant.id)
        version = await services.get_version(tenant.id, number=number)
        if version is None:
            raise NotFoundException()
        return version

    async def _show(self, request: Request, number: int | None) -> Any:
        tenant = tenant_of(request)
        async with tenant_scope(tenant.id):  # one transaction for the page's reads
            version = await self._version(tenant, number)
            if version is None:
                return await render(request, "policy/public.html", version=None, doc=None, latest=None)
            latest = await services.current_policy_version(tenant.id) if number is not None else version
            profile = await services.get_profile(tenant.id)
        doc = view.build(tenant, profile, version.policy, version.approval)
        return await render(request, "policy/public.html", version=version, doc=doc, latest=latest)

    async def _pdf(self, request: Request, number: int | None) -> Response:
        tenant = tenant_of(request)
        version = await self._version(tenant, number)
        if version is None:
            raise NotFoundException()
        profile = await services.get_profile(tenant.id)
        logo = None
        if profile and profile.get("logo"):
            doc = await services.get_document(tenant.id, profile["logo"])
            logo = pdf.data_uri(doc["content_type"], doc["content"]) if doc else None
        doc_view = view.build(tenant, profile, version.policy, version.approval)
        lang = i18n.get_language()
        html = environment().get_template("policy/pdf.html").render(
            doc=doc_view, version=version, tenant=tenant, logo=logo, lang=lang, dir=i18n.direction(lang))
        content = await pdf.render_pdf_async(html)
        filename = f"{tenant.slug}-policy-v{version.number}-{lang}.pdf"
        return Response(content=content, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}"',
                                 "Cache-Control": "public, max-age=300"})

    @get("/", name="public_policy")
    async def current(self, request: Request) -> Any:
        return await self._show(request, None)

    @get("/pdf", name="public_policy_pdf")
    async def current_pdf(self, request: Request) -> Response:
        return await self._pdf(request, None)

    @get("/v/{number:int}", name="public_policy_version")
    async def numbered(self, request: Request, number: FromPath[int]) -> Any:
        return await self._show(request, number)

    @get("/v/{number:int}/pdf", name="public_policy_version_pdf")
    async def numbered_pdf(self, request: Request, number: FromPath[int]) -> Response:
        return await self._pdf(request, number)

    @get("/versions", name="public_policy_versions")
    async def versions(self, request: Request) -> Any:
        tenant = tenant_of(request)
        versions = await services.list_versions(tenant.id) if tenant.status == "active" else []
        return await render(request, "policy/public_versions.html", versions=versions)

    @get("/logo", name="public_logo")
    async def logo(self, request: Request) -> Response:
        tenant = tenant_of(request)
        profile = await services.get_profile(tenant.id)
        doc = await services.get_document(tenant.id, profile["logo"]) if profile and profile.get("logo") else None
        if doc is None:
            raise NotFoundException()
        return file_response(doc, cache="public, max-age=3600")


HANDLERS = [PolicyRoutes, DocumentRoutes, PublicPolicyRoutes]
