"""The review window and the step targets (`/portal/policy/window`), and the days the office is
closed, which working days skip (`/portal/policy/closures`)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath

from sila.platform.bodies import FormData
from sila.platform.i18n import N_
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect
from sila.tenants.policy import deadlines, forms, services
from sila.tenants.policy.routes.pages import PolicyPages, user_of

MSG_TOO_MANY_CLOSURES = N_("You can keep at most %(n)s closures; remove past ones first.")


class WindowRoutes(PolicyPages):
    # --- review window ------------------------------------------------------------------------

    async def _window_page(self, request: Request, draft: Any, errors: FormErrors, status_code: int = 200,
                           raw: str | None = None, typed: dict[str, str] | None = None,
                           suggested: bool = False) -> Any:
        tenant = tenant_of(request)
        example = None
        days_ok = isinstance(draft.review_window_days, int) and 1 <= draft.review_window_days <= 365
        basis = deadlines.basis_of(draft)
        if draft.has_committee and days_ok:
            example = await deadlines.due_for(tenant.id, dt.datetime.now(dt.UTC), draft.review_window_days,
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
        await services.save_section(tenant.id, "window", draft, actor=user_of(request).id)
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
                                    user_of(request).id)
        return redirect("/portal/policy/closures?saved=1")

    @post("/closures/{closure_id:str}/remove", name="policy_closures_remove")
    async def closures_remove(self, request: Request, closure_id: FromPath[str]) -> Any:
        await deadlines.remove_closure(tenant_of(request).id, closure_id, user_of(request).id)
        return redirect("/portal/policy/closures?removed=1")
