"""Policy pages: configuration, approval, publishing and history for the tenant admin
(`/portal/policy/…`), documents for staff (`/portal/documents/…`), and the public policy
with its PDF and earlier versions (`/policy…`)."""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException, TooManyRequestsException
from litestar.params import FromPath
from redis.exceptions import RedisError

from sila.platform import i18n, pdf, ratelimit
from sila.platform.i18n import N_
from sila.platform.auth import requires_staff, requires_tenant_site
from sila.platform.bodies import UPLOAD_BODY_LIMIT, FormData, MultipartData
from sila.platform.db import tenant_scope
from sila.platform.downloads import content_disposition
from sila.platform.roles import Role
from sila.platform.tenancy import TenantInfo, tenant_of
from sila.platform.web import FormErrors, redirect, render
from sila.platform.forms import parse_form, ticked
from sila.tenants.committee import forms as committee_forms
from sila.tenants.committee import rule as committee_rule
from sila.tenants.onboarding import services as onboarding
from sila.tenants.requests import services as requests
from sila.tenants.policy import catalogue, custom_fields, deadlines, forms, importer, services, view
from sila.tenants.policy.uploads import store_upload
from sila.tenants.policy.rules import TARGETS, ChannelConfig, ToolConfig, diff_versions, validate_approval

MSG_PDF_LIMIT = N_("Too many policy PDFs were prepared for your connection. Wait ten minutes and try again, "
                   "the policy stays readable on its page.")

MSG_TOO_MANY_CLOSURES = N_("You can keep at most %(n)s closures; remove past ones first.")

# Where a publishing error sends the admin to fix it.
FIX_PAGES = {
    "channels": "/portal/policy/channels", "tools": "/portal/policy/tools", "steps": "/portal/policy/steps",
    "review_window_days": "/portal/policy/window", "review_window_text_ar": "/portal/policy/window",
    "review_window_text_en": "/portal/policy/window", "review_window_basis": "/portal/policy/window",
    "verify_target_days": "/portal/policy/window", "research_target_days": "/portal/policy/window",
    "appeal_days": "/portal/policy/window", "online_completion": "/portal/policy/window",
    "approval": "/portal/policy/approval", "committee": "/portal/policy/committee",
    "custom_fields": "/portal/policy/form",
}


def _user(request: Request) -> Any:
    return request.scope["_sila_user"]


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
    return [change.text(i18n.gettext, i18n.ngettext) for change in diff_versions(a, b, lang)]


class PolicyRoutes(Controller):
    path = "/portal/policy"
    guards = [requires_staff(Role.admin)]

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
                                if current else [],
                                # A committee step with no rule set up: sessions get the default rule.
                                default_committee_rule=bool(current and current.policy.has_committee and not
                                                            committee_rule.CommitteeRule.from_dict(
                                                                current.policy.committee).configured))

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
        items, row_errors = forms.parse_channels(data)
        action, index = forms.parse_action(data)
        if action == "add":  # shown, not saved: the new row needs its name first
            items.append(ChannelConfig(code=None, enabled=True))
            return await self._page(request, "policy/channels.html", "channels", items=items,
                                    errors=FormErrors(), focus=f"channels.{len(items) - 1}.label_ar")
        state = await services.load_draft(tenant.id)
        errors = forms.page_errors(services.replace(state.draft, channels=items), "channels")
        _merge(errors, row_errors)
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
        items, errors = forms.parse_tools(data)
        action, index = forms.parse_action(data)
        # Document ids come back from the page; only this tenant's tool documents are kept.
        mine = await services.existing_documents(tenant.id, [t.document_id for t in items if t.document_id], "tool")
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
        items, row_errors = forms.parse_steps(data)
        action, index = forms.parse_action(data)
        state = await services.load_draft(tenant.id)
        errors = forms.page_errors(services.replace(state.draft, steps=items), "steps")
        _merge(errors, row_errors)
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
        for name, step in TARGETS.items():  # a step's target goes with the step
            if step not in draft.enabled_steps() and getattr(draft, name) is not None:
                setattr(draft, name, None)
                extra += (name,)
        await services.save_section(tenant.id, "steps", draft, actor=_user(request).id, also=extra)
        return await self._saved(request, "steps", action, _moved_focus("steps", action, index) if moved else "")

    # --- the support-request form's own questions ---------------------------------------------

    async def _questions_page(self, request: Request, items: list[Any], errors: FormErrors, *,
                              status_code: int = 200, focus: str = "") -> Any:
        lang = i18n.get_language()
        types = [(t, i18n.gettext(label)) for t, label in custom_fields.TYPE_LABELS.items()]
        return await self._page(request, "policy/form.html", "form", status_code=status_code, items=items,
                                type_names=dict(types),
                                errors=errors, focus=focus or request.query_params.get("focus", ""),
                                types=types,
                                conditions=[_conditions(items[:i], lang) for i in range(len(items))],
                                options_text=forms.options_text, max_fields=custom_fields.MAX_FIELDS)

    @get("/form", name="policy_form")
    async def questions(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        items = custom_fields.from_dicts(state.draft.custom_fields)
        return await self._questions_page(request, items, forms.page_errors(state.draft, "custom_fields"))

    @post("/form", name="policy_form_save")
    async def questions_save(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        items, errors = forms.parse_questions(data, custom_fields.from_dicts(state.draft.custom_fields))
        action, index = forms.parse_action(data)
        if action == "add":  # shown, not saved: the new question needs its wording first
            kind = forms.parse_form(forms.NewQuestionForm, data)
            if kind.value is None or len(items) >= custom_fields.MAX_FIELDS:
                _merge(errors, kind.errors)
                if len(items) >= custom_fields.MAX_FIELDS:
                    errors.add("new_type", custom_fields.MSG_TOO_MANY)
                return await self._questions_page(request, items, errors, status_code=400)
            items.append(custom_fields.CustomField(forms.new_key(items), kind.value.new_type, ""))
            return await self._questions_page(request, items, errors, focus=f"custom_fields.{len(items) - 1}.label_ar")
        moved = False
        if index is not None and 0 <= index < len(items):
            if action == "remove":
                del items[index]
                moved = True
            elif action in ("up", "down"):
                moved = forms.apply_move_any(items, action, index)
        draft = services.replace(state.draft, custom_fields=custom_fields.to_dicts(items))
        _merge(errors, forms.page_errors(draft, "custom_fields"))
        if errors:
            return await self._questions_page(request, items, errors, status_code=400)
        await services.save_section(tenant.id, "form", draft, actor=_user(request).id)
        focus = _moved_focus("custom_fields", action, index) if moved and action != "remove" else ""
        anchor = f"&focus={quote(focus)}#{quote(focus.rsplit('.', 1)[0])}" if focus else ""
        return redirect(f"/portal/policy/form?saved=1{anchor}")

    # --- review window ------------------------------------------------------------------------

    async def _window_page(self, request: Request, draft: Any, errors: FormErrors, status_code: int = 200,
                           raw: str | None = None, typed: dict[str, str] | None = None,
                           suggested: bool = False) -> Any:
        import datetime as dt

        tenant = tenant_of(request)
        example = None
        days_ok = isinstance(draft.review_window_days, int) and 1 <= draft.review_window_days <= 365
        basis = deadlines.basis_of(draft)
        if draft.has_committee and days_ok:
            example = await deadlines.due_for(tenant.id, dt.datetime.now(dt.timezone.utc), draft.review_window_days,
                                              basis)
        days = draft.review_window_days if raw is None else raw
        shown = {"review_window_basis": basis,
                 "verify_target_days": "" if draft.verify_target_days is None else str(draft.verify_target_days),
                 "research_target_days": "" if draft.research_target_days is None else str(draft.research_target_days),
                 "appeal_days": str(draft.appeal_days), "online_completion": "yes" if draft.online_completion else "no"}
        shown.update(typed or {})
        suggestion = forms.suggested_wording(draft.review_window_days, basis) if days_ok else None
        minimum = [lang for lang in ("ar", "en")
                   if forms.reads_as_minimum(getattr(draft, f"review_window_text_{lang}"))]
        return await self._page(request, "policy/window.html", "window", status_code=status_code, draft=draft,
                                errors=errors, example=example, days="" if days is None else days, rules=shown,
                                suggestion=suggestion, minimum=minimum, suggested=suggested,
                                explained=deadlines.days_text(draft.review_window_days, basis) if days_ok else "",
                                enabled_steps=draft.enabled_steps(),
                                closures=await deadlines.count_closures(tenant.id))

    @get("/window", name="policy_window")
    async def window(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._window_page(request, state.draft, FormErrors())

    @post("/window", name="policy_window_save")
    async def window_save(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        draft = services.replace(state.draft)
        errors, window_typed = forms.parse_window(data, draft)
        rules = forms.parse_window_rules(data, draft)
        for key, messages in rules.errors.items():
            errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
        typed = None if rules.ok else rules.typed
        if forms.parse_action(data)[0] == "suggest" and not errors:
            # Put wording that states a maximum in the form; saving it is the admin's choice.
            suggestion = forms.suggested_wording(draft.review_window_days, deadlines.basis_of(draft)) \
                if isinstance(draft.review_window_days, int) and 1 <= draft.review_window_days <= 365 else None
            if suggestion:
                draft.review_window_text_ar, draft.review_window_text_en = suggestion
            return await self._window_page(request, draft, errors, suggested=bool(suggestion))
        if not errors:
            errors = forms.page_errors(draft, services.SECTIONS["window"])
        if errors:
            return await self._window_page(request, draft, errors, 400,
                                           raw=window_typed["review_window_days"].strip(), typed=typed)
        await services.save_section(tenant.id, "window", draft, actor=_user(request).id)
        return await self._saved(request, "window", forms.parse_action(data)[0])

    # --- closures: days the office is closed, which working days skip ---------------------------

    async def _closures_page(self, request: Request, errors: FormErrors | None = None,
                             typed: dict[str, str] | None = None, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        return await self._page(request, "policy/closures.html", "closures", status_code=status_code,
                                closures=await deadlines.list_closures(tenant.id), errors=errors or FormErrors(),
                                form=typed or {}, removed=request.query_params.get("removed") == "1",
                                max_closures=deadlines.MAX_CLOSURES, holidays=deadlines.holidays_shown())

    @get("/closures", name="policy_closures")
    async def closures(self, request: Request) -> Any:
        return await self._closures_page(request)

    @post("/closures", name="policy_closures_add")
    async def closures_add(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = forms.parse_closure(data)
        if parsed.ok and await deadlines.count_closures(tenant.id) >= deadlines.MAX_CLOSURES:
            parsed.errors.add("starts_on", MSG_TOO_MANY_CLOSURES, n=deadlines.MAX_CLOSURES)
        if not parsed.ok or parsed.value is None:
            return await self._closures_page(request, parsed.errors, parsed.typed, 400)
        value = parsed.value
        await deadlines.add_closure(tenant.id, value.starts_on, value.ends_on or value.starts_on, value.reason,
                                    _user(request).id)
        return redirect("/portal/policy/closures?saved=1")

    @post("/closures/{closure_id:str}/remove", name="policy_closures_remove")
    async def closures_remove(self, request: Request, closure_id: FromPath[str]) -> Any:
        await deadlines.remove_closure(tenant_of(request).id, closure_id, _user(request).id)
        return redirect("/portal/policy/closures?removed=1")

    # --- the research committee: members, chair and deputy, quorum and majority ------------------

    async def _committee_page(self, request: Request, rule: Any, errors: FormErrors | None = None,
                              typed: dict[str, Any] | None = None, status_code: int = 200) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        staff = await requests.staff_with_role(tenant.id, Role.committee_member)
        return await self._page(request, "policy/committee.html", "committee", status_code=status_code,
                                draft=state.draft, rule=rule, staff=staff, errors=errors or FormErrors(),
                                typed=typed, quorum_kinds=committee_rule.QUORUM_KINDS,
                                majorities=committee_rule.MAJORITIES, majority_labels=committee_rule.MAJORITIES)

    @get("/committee", name="policy_committee")
    async def committee(self, request: Request) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        return await self._committee_page(request, committee_rule.CommitteeRule.from_dict(state.draft.committee))

    @post("/committee", name="policy_committee_save")
    async def committee_save(self, request: Request, data: FormData) -> Any:
        tenant = tenant_of(request)
        parsed = parse_form(committee_forms.RuleForm, data)
        typed = {**parsed.typed, "members": ticked(data, "members")}
        staff = {str(s.id): s.name or s.email for s in await requests.staff_with_role(tenant.id, Role.committee_member)}
        if parsed.value is None:
            return await self._committee_page(request, committee_rule.CommitteeRule(), parsed.errors, typed, 400)
        v = parsed.value
        members = tuple(m for m in v.members)
        rule = committee_rule.CommitteeRule(
            members=members, member_names=tuple(staff.get(m, "") for m in members), chair=v.chair or None,
            deputy=v.deputy or None, quorum=v.quorum, quorum_count=v.quorum_count if v.quorum == "fixed" else None,
            majority=v.majority, casting_vote=v.casting_vote)
        errors = FormErrors()
        for key, msgids in committee_rule.validate(rule, staff).items():
            for msgid in msgids:
                errors.add(key, msgid, n=committee_rule.MAX_MEMBERS)
        if errors:
            return await self._committee_page(request, rule, errors, typed, 400)
        state = await services.load_draft(tenant.id)
        await services.save_section(tenant.id, "committee", services.replace(state.draft, committee=rule.to_dict()),
                                    actor=_user(request).id)
        return redirect("/portal/policy/committee?saved=1")

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
        approval, errors, typed = forms.parse_approval(data)
        if not errors:
            for key, msgids in validate_approval(approval).items():
                for msgid in msgids:
                    errors.add(key, msgid)
        # The scan: a new upload, one uploaded with an earlier failed attempt, the saved one, or none.
        carried = typed["minutes_document"].strip()
        carried = carried if carried in await services.existing_documents(tenant.id, [carried], "minutes") else None
        new_scan = await store_upload(request, data, "minutes_file", "minutes", errors)
        scan: Any = new_scan or (uuid.UUID(carried) if carried else services.KEEP)
        if typed["remove_minutes"].strip() and not new_scan:
            scan = None
        if errors:
            form = {k: (v.strip() if isinstance(v, str) else v) for k, v in typed.items()}
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
        found = errors if errors is not None else state.publish_errors()
        # Only the approval is missing: publishing is possible once the admin says so explicitly.
        acknowledge = state.approval is None and not state.publish_errors(without_approval=True)
        problems = _publish_problems(found)
        return await self._page(request, "policy/publish.html", "publish", status_code=status_code, state=state,
                                current=current, problems=problems, acknowledge=acknowledge,
                                changes=_changes(current.content, services.draft_to_dict(state.draft))
                                if current else [])

    @get("/publish", name="policy_publish")
    async def publish_form(self, request: Request) -> Any:
        return await self._publish_page(request)

    @post("/publish", name="policy_publish_submit")
    async def publish(self, request: Request, data: FormData) -> Any:
        user = _user(request)
        try:
            version = await services.publish(tenant_of(request).id, actor=user.id, actor_name=user.name or user.email,
                                             without_approval=forms.parse_publish(data))
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
        version = await services.get_version_in_tenant(tenant.id, version_id=version_id)
        doc = view.build(tenant, await services.get_profile(tenant.id), version.policy, version.approval)
        return await self._page(request, "policy/version.html", "history", version=version, doc=doc,
                                published=request.query_params.get("published") == "1",
                                committee=committee_rule.CommitteeRule.from_dict(version.policy.committee),
                                majority_labels=committee_rule.MAJORITIES,
                                questions=custom_fields.from_dicts(version.policy.custom_fields),
                                type_names={t: i18n.gettext(label) for t, label in custom_fields.TYPE_LABELS.items()})


def _moved_focus(prefix: str, action: str, index: int | None) -> str:
    """After a move, keep the keyboard on the moved row's same button."""
    if action == "remove" or index is None:
        return ""
    return f"{prefix}.{index - 1 if action == 'up' else index + 1}.{action}"


def _conditions(earlier: list[Any], lang: str) -> list[tuple[str, str]]:
    """What a question may depend on: each answer of an earlier choice or yes/no question
    ("<key>=<answer>", "question: answer")."""
    out: list[tuple[str, str]] = []
    for f in earlier:
        if f.type == "yes_no":
            answers = [("yes", i18n.gettext("Yes")), ("no", i18n.gettext("No"))]
        elif f.type == "choice":
            answers = [(o.value, (o.label_en if lang != "ar" else "") or o.label_ar) for o in f.options]
        else:
            continue
        out.extend((f"{f.key}={value}", f"{f.label(lang) or f.key}: {text}") for value, text in answers)
    return out


def _merge(errors: FormErrors, more: FormErrors) -> None:
    """Add `more` to `errors`, each message once."""
    for key, messages in more.items():
        for message in messages:
            if message not in errors.get(key, []):
                errors.setdefault(key, []).append(message)


def _hijri_months() -> list[tuple[int, str]]:
    from sila.platform.dates import HIJRI_MONTHS_AR, HIJRI_MONTHS_EN

    names = HIJRI_MONTHS_AR if i18n.get_language() == "ar" else HIJRI_MONTHS_EN
    return list(enumerate(names, 1))


# --- documents for staff -------------------------------------------------------------------------


def file_response(doc: dict[str, Any], *, cache: str) -> Response:
    name = doc["filename"]
    return Response(
        content=doc["content"], media_type=doc["content_type"],
        headers={"Content-Disposition": content_disposition(name),
                 "X-Content-Type-Options": "nosniff", "Cache-Control": cache},
    )


class DocumentRoutes(Controller):
    path = "/portal"
    guards = [requires_staff()]

    @get("/documents/{document_id:uuid}", name="document")
    async def document(self, request: Request, document_id: FromPath[uuid.UUID]) -> Response:
        doc = await services.get_document_in_tenant(tenant_of(request).id, document_id)
        # Minutes may record other board business: administrators only.
        if doc["purpose"] == "minutes" and not _user(request).has(Role.admin):
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
        return await services.get_version_in_tenant(tenant.id, number=number)

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

    async def _pdf(self, request: Request, number: int | None) -> Any:
        """A published version never changes: its PDF is laid out once per language (and
        letterhead) and then served from the cache. Renders (cache misses) are limited per
        client address and site; a cached version is served even past the limit."""
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
        state = request.app.state

        async def limit_renders() -> None:
            key = f"sila:pdf-render:{tenant.id}:{ratelimit.client_address(request)}"
            try:
                count = await ratelimit.hit(state.redis, key, ratelimit.FORM_WINDOW_SECONDS)
            except RedisError:
                return  # Redis down: the two render threads still bound the work
            if count > state.settings.pdf_render_limit:
                raise TooManyRequestsException()

        try:
            content = await pdf.cached_pdf(
                state.redis, f"policy:{tenant.id}:v{version.number}:{lang}", "policy/pdf.html",
                {"doc": doc_view, "version": version, "tenant": tenant, "logo": logo},
                lang=lang, before_render=limit_renders)
        except TooManyRequestsException:
            return await render(request, "errors/429.html", status_code=429, message=i18n.gettext(MSG_PDF_LIMIT))
        filename = f"{tenant.slug}-policy-v{version.number}-{lang}.pdf"
        return Response(content=content, media_type="application/pdf",
                        headers={"Content-Disposition": content_disposition(filename),
                                 "Cache-Control": "public, max-age=300"})

    @get("/", name="public_policy")
    async def current(self, request: Request) -> Any:
        return await self._show(request, None)

    @get("/pdf", name="public_policy_pdf")
    async def current_pdf(self, request: Request) -> Any:
        return await self._pdf(request, None)

    @get("/v/{number:int}", name="public_policy_version")
    async def numbered(self, request: Request, number: FromPath[int]) -> Any:
        return await self._show(request, number)

    @get("/v/{number:int}/pdf", name="public_policy_version_pdf")
    async def numbered_pdf(self, request: Request, number: FromPath[int]) -> Any:
        return await self._pdf(request, number)

    @get("/v/{number:int}/original", name="public_policy_original")
    async def original(self, request: Request, number: FromPath[int]) -> Response:
        """The charity's own document a version was imported from, where the admin chose to offer
        it; nothing else of the tenant's documents is reachable here."""
        tenant = tenant_of(request)
        version = await self._version(tenant, number)
        source = version.policy.source_document if version and version.policy.offer_original else None
        if version is None or not source:
            raise NotFoundException()
        doc = await services.get_import_document(tenant.id, source)
        return file_response(doc, cache="public, max-age=3600")

    @get("/versions", name="public_policy_versions")
    async def versions(self, request: Request) -> Any:
        tenant = tenant_of(request)
        versions = await services.list_versions(tenant.id) if tenant.status == "active" else []
        return await render(request, "policy/public_versions.html", versions=versions)

    @get("/logo", name="public_logo")
    async def logo(self, request: Request) -> Response:
        tenant = tenant_of(request)
        profile = await services.get_profile(tenant.id)
        if not (profile and profile.get("logo")):
            raise NotFoundException()  # no logo uploaded: nothing to look up
        doc = await services.get_document_in_tenant(tenant.id, profile["logo"])
        return file_response(doc, cache="public, max-age=3600")


# --- importing the charity's own document ----------------------------------------------------------


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
                                                       actor=_user(request).id, pasted=True)
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
        from sila.platform.dates import DateRangeError, format_gregorian, format_hijri, reconcile, weekday_name

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
                            months=_hijri_months(), format_hijri=format_hijri, format_gregorian=format_gregorian,
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
                                    actor=_user(request).id)
        return redirect("/portal/policy?imported=1")


HANDLERS = [PolicyRoutes, DocumentRoutes, PublicPolicyRoutes, PolicyImportRoutes]
