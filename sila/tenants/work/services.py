"""What waits for a member of staff: one count per kind of work their roles do, each the size of
a filtered queue they can open. The counts come from the queue's own filter
(`requests.services.queue_count`), so a number on the home page is always the number of rows
its link shows."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from sila.platform.i18n import N_
from sila.platform.roles import Role
from sila.tenants.requests.services import QueueFilter, queue_count

# A request still waiting for the applicant's missing information after this many days is
# worth a call: the home page counts those apart.
INCOMPLETE_DAYS = 7


@dataclasses.dataclass(frozen=True)
class Work:
    key: str
    singular: str  # ngettext pair: "%(num)s request to verify"
    plural: str
    filter: QueueFilter
    urgent: bool = False  # shown in the error colour when not zero

    @property
    def href(self) -> str:
        f, params = self.filter, []
        params += [("stage", s) for s in f.stages]
        for name in ("due", "assignee", "researcher", "agenda"):
            if getattr(f, name):
                params.append((name, getattr(f, name)))
        if f.idle:
            params.append(("idle", str(f.idle)))
        return "/portal/requests?" + urlencode(params)


def _for_roles(roles: Iterable[str], stages: set[str]) -> list[Work]:
    roles = set(roles)
    out: list[Work] = []

    def add(work: Work, *needs: str) -> None:
        if all(s in stages for s in needs) and work.key not in {w.key for w in out}:
            out.append(work)

    if Role.relations_officer in roles:
        add(Work("verify", N_("%(num)s request to verify"), N_("%(num)s requests to verify"),
                 QueueFilter(stages=["verify"])), "verify")
        add(Work("incomplete", N_("%(num)s incomplete request waiting more than %(days)s days"),
                 N_("%(num)s incomplete requests waiting more than %(days)s days"),
                 QueueFilter(stages=["incomplete"], idle=INCOMPLETE_DAYS), urgent=True), "incomplete")
        add(Work("refer", N_("%(num)s request waiting for a referral decision"),
                 N_("%(num)s requests waiting for a referral decision"), QueueFilter(stages=["refer"])), "refer")
        add(Work("attest", N_("%(num)s request waiting for a signed attestation"),
                 N_("%(num)s requests waiting for a signed attestation"), QueueFilter(stages=["attest"])), "attest")
        add(Work("register", N_("%(num)s request to register"), N_("%(num)s requests to register"),
                 QueueFilter(stages=["register"])), "register")
        add(Work("deliver", N_("%(num)s service to deliver"), N_("%(num)s services to deliver"),
                 QueueFilter(stages=["deliver"])), "deliver")
        add(Work("mine", N_("%(num)s request assigned to me"), N_("%(num)s requests assigned to me"),
                 QueueFilter(assignee="me")))
    if Role.social_researcher in roles:
        add(Work("research", N_("%(num)s request referred to me"), N_("%(num)s requests referred to me"),
                 QueueFilter(stages=["research"], researcher="me")), "research")
    if Role.committee_member in roles or Role.admin in roles:
        add(Work("agenda", N_("%(num)s request on the next committee agenda"),
                 N_("%(num)s requests on the next committee agenda"), QueueFilter(agenda="next")), "committee")
    if Role.admin in roles:
        add(Work("unassigned", N_("%(num)s request nobody is assigned to"),
                 N_("%(num)s requests nobody is assigned to"), QueueFilter(assignee="none")))
    if roles & {Role.admin, Role.relations_officer}:
        add(Work("overdue", N_("%(num)s request past its decision date"),
                 N_("%(num)s requests past their decision date"), QueueFilter(due="overdue"), urgent=True))
    return out


async def waiting_for(tenant_id: Any, user_id: Any, roles: Iterable[str], stages: Iterable[str]) -> list[dict[str, Any]]:
    """[{work, count}] for this member of staff, in the order their day goes."""
    return [{"work": w, "count": await queue_count(tenant_id, w.filter, user_id)}
            for w in _for_roles(roles, set(stages))]
