"""The server refuses what the page does not offer. A request is walked through its policy's
workflow; at every stage, for every role, the request page is read and the forms it offers are
compared with every action of the workflow table (sila/tenants/requests/workflow.py ACTIONS)
plus assignment and documents; each one not offered is sent anyway, with a valid form, and
must be refused with nothing changed. The same for the committee's pages, open and again once
closed: every form the committee's routes take (every POST route under /portal/committee, read
from the app, so a new one is probed without being listed here) that the sessions list or the
session page does not offer. For the three kinds of policy the seeds have."""
from __future__ import annotations

import functools
import re
from typing import Any

import pytest

from support.data import session_time
from support.walk import (
    END_STAGES,
    PDF,
    POLICIES,
    ROLES,
    Charity,
    fetch,
    form_for,
    make_charity,
    options,
    policy_actions,
    value,
)
from sila.platform.roles import Role
from sila.tenants.requests.workflow import ACTIONS

REFUSED = (403, 409)
FORM_ACTION = re.compile(r'(?:action|formaction)="([^"]+)"')
REQUEST_FORMS = (*ACTIONS, "assign", "documents")
COMMITTEE = "/portal/committee"


@functools.cache
def committee_forms() -> tuple[str, ...]:
    """The committee's forms: every POST route under /portal/committee, as the app routes them."""
    from sila.platform.app import create_app
    from sila.platform.settings import get_settings

    return tuple(sorted(r.path for r in create_app(get_settings()).routes
                  if "POST" in getattr(r, "methods", ()) and (r.path == COMMITTEE or r.path.startswith(COMMITTEE + "/"))))


def committee_form_data(member: Any, rid: Any) -> dict[str, Any]:
    """One valid value for every field the committee's forms read (they ignore the others): a form
    not offered is refused for being not offered, not for what was typed. Deciding defers, the one
    decision the presiding member may always take."""
    return {"held_at": session_time(), "location": "x", "requests": str(rid), "vote": "accept", "reasons": "x",
            "decision": "defer", "reason": "قرار", "present": [str(member)]}


def offered(html: str, base: str) -> set[str]:
    """The request forms a page offers: `…/act/<code>`, `…/assign`, `…/documents`."""
    out = set()
    for target in FORM_ACTION.findall(html):
        if target.startswith(base + "/act/"):
            out.add(target[len(base) + 5:])
        elif target in (base + "/assign", base + "/documents"):
            out.add(target[len(base) + 1:])
    return out


async def snapshot(tenant_id: Any, rid: Any) -> tuple[Any, ...]:
    """Everything an action could change about a request and its committee items, in one read."""
    [row] = await fetch(tenant_id, """
        select r.stage, r.decision, r.decision_reason, r.assignee, r.researcher, r.satisfied, r.missing, r.closed_at,
          r.updated_at,
          (select count(*) from audit_entry e where e.target_id = r.id::text) as audits,
          (select count(*) from request_document d where d.request = r.id) as documents,
          (select count(*) from request_verification v where v.request = r.id) as verifications,
          (select count(*) from request_referral f where f.request = r.id and f.answered_at is null) as open_referrals,
          (select count(*) from request_attestation a where a.request = r.id) as attestations,
          (select count(*) from service_delivery s where s.request = r.id) as services,
          (select count(*) from committee_item i where i.request = r.id) as items,
          (select count(*) from committee_item i where i.request = r.id and i.decision is not null) as decided,
          (select count(*) from committee_vote v join committee_item i on i.id = v.item where i.request = r.id) as votes,
          (select count(*) from committee_attendance) as attendance,
          (select count(*) from committee_signature) as signatures,
          (select count(*) from outbox) as outbox,
          (select count(*) from committee_session) as sessions,
          (select count(*) from committee_session where status = 'open') as open_sessions
        from support_request r where r.id = $1""", rid)
    return tuple(row.items())


class Prober:
    def __init__(self, charity: Charity) -> None:
        self.c = charity
        self.probes = 0
        self.committee_probed: set[str] = set()

    async def request_page(self, rid: Any, stage: str) -> None:
        base = f"/portal/requests/{rid}"
        for role in ROLES:
            client = self.c.client(role)
            page = client.get(base)
            assert page.status_code == 200, (role, stage)
            shown = offered(page.text, base)
            assert shown <= set(REQUEST_FORMS), shown
            before = await snapshot(self.c.tenant.id, rid)
            for code in REQUEST_FORMS:
                if code in shown:
                    continue
                if code == "assign":
                    current = await value(self.c.tenant.id, "select assignee from support_request where id = $1", rid)
                    other = self.c.staff[Role.admin if current == self.c.staff[Role.relations_officer].id else Role.relations_officer].id
                    response = client.post(f"{base}/assign", {"assignee": str(other)})
                elif code == "documents":
                    response = client.post(f"{base}/documents", {},
                                           files={"documents": ("extra.pdf", PDF, "application/pdf")})
                else:
                    data, files = form_for(code, self.c.staff["social_researcher"].id)
                    response = client.post(f"{base}/act/{code}", data, files=files or None)
                where = f"{code} as {role} at {stage} (not offered)"
                assert response.status_code in REFUSED, f"{where}: {response.status_code}\n{response.text[-1200:]}"
                self.probes += 1
            assert await snapshot(self.c.tenant.id, rid) == before, f"a refused action as {role} at {stage} changed data"
            if role == Role.relations_officer and "record_service" not in shown:
                await self.api_service(rid, stage)

    async def api_service(self, rid: Any, stage: str) -> None:
        """The API records a service by the same rule as the page (sila.tenants.api.v1): where the
        relations officer's page offers no "record service", the API refuses it too."""
        if not hasattr(self, "api_key"):
            from sila.platform.actors import Actor
            from sila.tenants.api import services as api_services

            admin = self.c.staff[Role.admin]
            _, self.api_key = await api_services.create_key(
                self.c.tenant.id, name="walk", scopes=["services:write"], expires_on=None,
                actor=Actor(admin.id, "admin", frozenset({Role.admin})))
        before = await snapshot(self.c.tenant.id, rid)
        http = self.c.server.client(self.c.tenant.slug).http
        response = http.post(f"/api/v1/requests/{rid}/services", json={"service_type": "سلة غذائية"},
                             headers={"Authorization": f"Bearer {self.api_key}"})
        assert response.status_code == 409, f"API record_service at {stage}: {response.status_code} {response.text}"
        assert await snapshot(self.c.tenant.id, rid) == before, f"a refused API service at {stage} changed data"
        self.probes += 1

    async def session_page(self, rid: Any, session: str, item: Any, when: str) -> None:
        """Every committee form the sessions list and the session page do not offer a role, sent anyway."""
        sid = session.rsplit("/", 1)[1]
        targets = {}
        for template in committee_forms():
            path = template.replace("{session_id:str}", sid).replace("{item_id:str}", str(item))
            assert "{" not in path, f"the prober has no value for a parameter of {template}"
            targets[template] = path
        data = committee_form_data(self.c.staff[Role.committee_member].id, rid)
        for role in ROLES:
            client = self.c.client(role)
            listing, page = client.get(COMMITTEE), client.get(session)
            shown = set(FORM_ACTION.findall(listing.text)) if listing.status_code == 200 else set()
            if page.status_code == 200:
                shown |= set(FORM_ACTION.findall(page.text))
            else:
                assert page.status_code == 403, (role, page.status_code)
            before = await snapshot(self.c.tenant.id, rid)
            for template, path in targets.items():
                if path in shown:
                    continue
                response = client.post(path, data)
                where = f"{template} as {role} in a session {when} (not offered)"
                # The agenda form is absent because the request is on it already: refused as input (400).
                refused = (400, *REFUSED) if path.endswith("/agenda") and role != "social_researcher" else REFUSED
                assert response.status_code in refused, f"{where}: {response.status_code}\n{response.text[-1200:]}"
                self.probes += 1
                self.committee_probed.add(template)
            assert await snapshot(self.c.tenant.id, rid) == before, f"a refused session form as {role} changed data"


@pytest.mark.parametrize("policy", list(POLICIES))
async def test_every_action_a_role_is_not_offered_is_refused_and_changes_nothing(
        server, make_tenant, make_staff, publish_policy, policy):
    c = await make_charity(server, make_tenant, make_staff, publish_policy, policy)
    prober = Prober(c)
    covered: set[str] = set()
    stages_seen: set[str] = set()
    for _walk in range(8):
        c.intake_by_staff()
        rid = await c.newest_request()
        done: list[str] = []
        while True:
            wf, stage, _ = await c.workflow(rid)
            stages_seen.add(stage)
            await prober.request_page(rid, stage + ("+service" if "record_service" in done else ""))
            if stage in END_STAGES:
                break
            here = options(wf, stage)
            fresh = [x for x in here if x not in covered and not (x == "close" and "record_service" not in done)]
            code = fresh[0] if fresh else ("close" if "record_service" in done else "record_service") \
                if "record_service" in here else next(x for x in here if x not in ("mark_incomplete", "reject"))
            if wf.action(code).in_session:
                session = c.open_session()
                member = c.client(Role.committee_member)
                assert member.post(f"{session}/agenda", {"requests": str(rid)}).status_code == 303
                item = await c.item_of(rid)
                await prober.session_page(rid, session, item, "under way")
                # The decision is the rule's outcome of the votes: the one member votes, then confirms.
                assert member.post(f"{session}/items/{item}/vote", {"vote": code, "reasons": "x"}).status_code == 303
                response = member.post(f"{session}/items/{item}/decide",
                                       {"decision": code, "reason": "خارج نطاق الدعم" if code == "reject" else ""})
                assert response.status_code == 303
                assert c.client(Role.admin).post(f"{session}/close").status_code == 303
                await prober.session_page(rid, session, item, "closed")
            else:
                response = c.do(rid, code, wf)
                assert response.status_code == 303, (code, stage, response.text[-1200:])
            done.append(code)
            covered.add(code)
        if policy_actions(wf) <= covered and "rejected" in stages_seen:
            break
    assert set(wf.stages()) <= stages_seen, set(wf.stages()) - stages_seen
    assert prober.probes > 50
    # With a committee step, every committee form was refused to someone it is not offered to (the
    # sign form before the session is closed, the others once it is).
    if wf.has_committee:
        assert prober.committee_probed == set(committee_forms()), set(committee_forms()) - prober.committee_probed
