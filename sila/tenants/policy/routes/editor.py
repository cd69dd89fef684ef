"""The admin's policy editor (`/portal/policy/…`): overview and preview, channels, tools, procedure
steps, texts, the board approval, publishing, history and versions. The support-request form's
questions (form.py), the review window and closures (window.py) and the committee rule
(committee.py) have their own modules."""
from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath

from sila.platform import i18n
from sila.platform.bodies import UPLOAD_BODY_LIMIT, FormData, MultipartData
from sila.platform.dates import format_gregorian, format_hijri, weekday_name
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect, render
from sila.tenants.committee import rule as committee_rule
from sila.tenants.policy import custom_fields, forms, services, view
from sila.tenants.policy.routes.pages import (
    PolicyPages,
    changes_between,
    hijri_months,
    merge_errors,
    moved_focus,
    publish_problems,
    user_of,
)
from sila.tenants.policy.rules import TARGETS, ChannelConfig, ToolConfig, validate_approval
from sila.tenants.policy.uploads import store_upload


class PolicyRoutes(PolicyPages):
    # --- overview -----------------------------------------------------------------------------

    @get("/", name="policy_overview")
    async def overview(self, request: Request) -> Any:
        tenant = tenant_of(request)
        state = await services.load_draft(tenant.id)
        current = await services.current_policy_version(tenant.id)
        return await self._page(request, "policy/overview.html", "overview", state=state, current=current,
                                problems=publish_problems(state.publish_errors()),
                                pending_changes=changes_between(current.content, services.draft_to_dict(state.draft))
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
        merge_errors(errors, row_errors)
        if forms.blocking(errors, {"channels"}):
            return await self._page(request, "policy/channels.html", "channels", status_code=400, items=items,
                                    errors=errors)
        moved = forms.apply_move(items, action, index)
        await services.save_section(tenant.id, "channels", services.replace(state.draft, channels=items),
                                    actor=user_of(request).id)
        return await self._saved(request, "channels", action, moved_focus("channels", action, index) if moved else "")

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
                                    actor=user_of(request).id)
        return await self._saved(request, "tools", action, moved_focus("tools", action, index) if moved else "")

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
        merge_errors(errors, row_errors)
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
        await services.save_section(tenant.id, "steps", draft, actor=user_of(request).id, also=extra)
        return await self._saved(request, "steps", action, moved_focus("steps", action, index) if moved else "")

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
        await services.save_section(tenant.id, "texts", draft, actor=user_of(request).id)
        return await self._saved(request, "texts", action)

    # --- board approval -----------------------------------------------------------------------

    async def _approval_page(self, request: Request, form: dict[str, Any], errors: FormErrors,
                             status_code: int = 200, scan: Any = None) -> Any:
        state = await services.load_draft(tenant_of(request).id)
        record = state.approval_record
        scan_id = scan or (state.minutes_document if record else None)
        scan_doc = await services.get_document(tenant_of(request).id, scan_id, with_content=False) if scan_id else None
        return await self._page(request, "policy/approval.html", "approval", status_code=status_code, form=form,
                                errors=errors, record=record, scan=scan_doc, months=hijri_months(),
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
        await services.save_approval(tenant.id, approval, minutes_document=scan, actor=user_of(request).id)
        return await self._saved(request, "approval", forms.parse_action(data)[0])

    @get("/approval/convert", name="policy_approval_convert")
    async def approval_convert(self, request: Request) -> Any:
        """htmx: the other calendar (or the mismatch) as the admin types a date."""
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
        problems = publish_problems(found)
        return await self._page(request, "policy/publish.html", "publish", status_code=status_code, state=state,
                                current=current, problems=problems, acknowledge=acknowledge,
                                changes=changes_between(current.content, services.draft_to_dict(state.draft))
                                if current else [])

    @get("/publish", name="policy_publish")
    async def publish_form(self, request: Request) -> Any:
        return await self._publish_page(request)

    @post("/publish", name="policy_publish_submit")
    async def publish(self, request: Request, data: FormData) -> Any:
        user = user_of(request)
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
        changes = changes_between(by_number[a].content, by_number[b].content) if a and b and a != b else None
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
