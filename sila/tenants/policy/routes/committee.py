"""The research committee's rule in the policy (`/portal/policy/committee`): members, chair and
deputy, quorum and majority (sila.tenants.committee.rule)."""
from __future__ import annotations

from typing import Any

from litestar import Request, get, post

from sila.platform.bodies import FormData
from sila.platform.forms import parse_form, ticked
from sila.platform.roles import Role
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect
from sila.tenants.committee import forms as committee_forms
from sila.tenants.committee import rule as committee_rule
from sila.tenants.policy import services
from sila.tenants.policy.routes.pages import PolicyPages, user_of
from sila.tenants.requests import services as requests


class CommitteeRuleRoutes(PolicyPages):
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
                                    actor=user_of(request).id)
        return redirect("/portal/policy/committee?saved=1")
