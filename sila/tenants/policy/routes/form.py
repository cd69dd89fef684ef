"""The support-request form's own questions (`/portal/policy/form`): the custom-fields editor."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get, post

from sila.platform import i18n
from sila.platform.bodies import FormData
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect
from sila.tenants.policy import custom_fields, forms, services
from sila.tenants.policy.routes.pages import PolicyPages, merge_errors, moved_focus, user_of


class FormEditorRoutes(PolicyPages):
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
                merge_errors(errors, kind.errors)
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
        merge_errors(errors, forms.page_errors(draft, "custom_fields"))
        if errors:
            return await self._questions_page(request, items, errors, status_code=400)
        await services.save_section(tenant.id, "form", draft, actor=user_of(request).id)
        focus = moved_focus("custom_fields", action, index) if moved and action != "remove" else ""
        anchor = f"&focus={quote(focus)}#{quote(focus.rsplit('.', 1)[0])}" if focus else ""
        return redirect(f"/portal/policy/form?saved=1{anchor}")


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
