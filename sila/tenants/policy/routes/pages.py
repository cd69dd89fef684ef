"""What every policy page of the tenant admin shares (`/portal/policy/…`): the page frame with the
onboarding progress, the redirect after a save, and the small helpers the editors use."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response

from sila.platform import i18n
from sila.platform.dates import HIJRI_MONTHS_AR, HIJRI_MONTHS_EN
from sila.platform.auth import requires_staff
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect, render
from sila.tenants.onboarding import services as onboarding
from sila.tenants.policy import catalogue, services
from sila.tenants.policy.rules import diff_versions

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


def user_of(request: Request) -> Any:
    return request.scope["_sila_user"]


def publish_problems(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for key, msgids in errors.items():
        head = key.split(".")[0]
        url = FIX_PAGES.get(head) or ("/portal/policy/approval" if head.startswith("approval") else
                                      "/portal/policy/texts")
        out.extend({"text": i18n.gettext(m), "url": url} for m in msgids)
    return out


def changes_between(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    lang = i18n.get_language()
    return [change.text(i18n.gettext, i18n.ngettext) for change in diff_versions(a, b, lang)]


class PolicyPages(Controller):
    """The base of the admin's policy controllers (no routes of its own)."""

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


def moved_focus(prefix: str, action: str, index: int | None) -> str:
    """After a move, keep the keyboard on the moved row's same button."""
    if action == "remove" or index is None:
        return ""
    return f"{prefix}.{index - 1 if action == 'up' else index + 1}.{action}"


def merge_errors(errors: FormErrors, more: FormErrors) -> None:
    """Add `more` to `errors`, each message once."""
    for key, messages in more.items():
        for message in messages:
            if message not in errors.get(key, []):
                errors.setdefault(key, []).append(message)


def hijri_months() -> list[tuple[int, str]]:
    names = HIJRI_MONTHS_AR if i18n.get_language() == "ar" else HIJRI_MONTHS_EN
    return list(enumerate(names, 1))
