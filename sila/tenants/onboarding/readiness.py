"""Go-live readiness: what will not work for applicants and staff once the policy is live,
read from what is configured (not from which pages were saved). The setup checklist ticks a
step only when it has something in it, and lists these problems before the publish step; the
publish page shows the same list (it loads /portal/setup/readiness, so the policy area does
not import this one)."""
from __future__ import annotations

import dataclasses
from typing import Any

from sila.platform.db import tenant_scope
from sila.platform.i18n import N_
from sila.platform.roles import Role
from sila.tenants.notifications import services as notifications
from sila.tenants.onboarding import queries
from sila.tenants.policy import services as policy


@dataclasses.dataclass(frozen=True)
class Problem:
    code: str
    msgid: str  # what will not work, in the admin's terms
    url: str    # where to fix it


@dataclasses.dataclass(frozen=True)
class Facts:
    channels: int          # enabled intake channels in the draft
    steps: frozenset[str]  # enabled procedure steps in the draft
    roles: frozenset[str]  # roles held by at least one member
    invited: frozenset[str]  # roles named by a live invitation
    sms: bool              # an enabled SMS gateway


PROBLEMS = {
    "channels": Problem("channels", N_("No intake channel is enabled: the policy will not tell applicants where to reach you."),
                        "/portal/policy/channels"),
    "sms": Problem("sms", N_("No SMS gateway is set up: applicants will not receive their tracking code or any notice by SMS."),
                   "/portal/notifications/providers"),
    "officer": Problem("officer", N_("Nobody has the relations officer role: submitted requests will wait with no one to verify them."),
                       "/portal/setup/staff"),
    "researcher": Problem("researcher", N_("The procedure refers applicants to a social researcher, but nobody has that role."),
                          "/portal/setup/staff"),
    "committee": Problem("committee", N_("The procedure sends requests to the research committee, but it has no members."),
                         "/portal/setup/staff"),
}


async def facts(tenant_id: Any) -> Facts:
    state = await policy.load_draft(tenant_id)
    gateways = await notifications.providers_of(tenant_id)
    async with tenant_scope(tenant_id):
        roles = await queries.held_roles()
        invited = await queries.invited_roles()
    return Facts(
        channels=sum(1 for c in state.draft.channels if c.enabled),
        steps=frozenset(state.draft.enabled_steps()),
        roles=roles,
        invited=invited,
        sms=bool((sms := gateways.get("sms")) and sms.enabled),
    )


def problems(f: Facts) -> list[Problem]:
    """A role counts when someone holds it or a live invitation names it (the invitee has
    been asked; the admin cannot do more)."""
    staffed = f.roles | f.invited
    found = []
    if not f.channels:
        found.append(PROBLEMS["channels"])
    if not f.sms:
        found.append(PROBLEMS["sms"])
    if Role.relations_officer not in staffed:
        found.append(PROBLEMS["officer"])
    if "refer" in f.steps and Role.social_researcher not in staffed:
        found.append(PROBLEMS["researcher"])
    if "committee" in f.steps and Role.committee_member not in staffed:
        found.append(PROBLEMS["committee"])
    return found


CASE_ROLES = frozenset({Role.relations_officer, Role.social_researcher, Role.committee_member})


def staffed(f: Facts) -> bool:
    """The staff step has something in it: someone (the admin too) holds or is invited to a
    role that works cases. An admin alone, or only board members, is not a staff."""
    return bool((f.roles | f.invited) & CASE_ROLES)
