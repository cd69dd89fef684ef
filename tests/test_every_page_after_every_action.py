"""Every page after every action: requests driven through every workflow action their pinned
policy allows (derived from the workflow table, not listed here) — intake by staff and online,
assignment, documents with an Arabic name, incomplete and back, referral and research,
attestation, the committee through a session (agenda, vote, decision, closing, minutes),
decline, registration, service, close — for the three kinds of policy the seeds have. After
each action every page that shows the request or its beneficiary is rendered as every role, in
Arabic and in English, and so is the applicant's tracking page: a 500 or an unrendered template
variable anywhere fails (the templates also run with StrictUndefined)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from support.data import outbox_rows
from support.walk import (
    END_STAGES,
    LANGS,
    POLICIES,
    ROLES,
    Charity,
    assert_rendered,
    fetch,
    make_charity,
    options,
    policy_actions,
    value,
)
from sila.platform.roles import Role

COMMITTEE_ROLES = (Role.admin, Role.relations_officer, Role.committee_member)


class Walker:
    def __init__(self, charity: Charity, online: bool) -> None:
        self.c = charity
        self.online = online  # the policy opens the online form: the second request comes through it
        self.sessions: list[str] = []
        self.trackers: dict[Any, Any] = {}
        self.renders = 0

    async def track(self, rid: Any) -> None:
        """Sign in to the public tracking page with the code sent to the applicant."""
        reference = await value(self.c.tenant.id, "select reference from support_request where id = $1", rid)
        tracker = self.c.server.client(self.c.tenant.slug)
        tracker.get("/track")
        assert tracker.post("/track", {"reference": reference}).status_code == 200
        sms = [m for m in await outbox_rows(self.c.tenant.id, "request.tracking_code") if reference in m["body_text"]]
        code = re.search(r"\b(\d{6})\b", sms[-1]["body_text"]).group(1)
        assert tracker.post("/track/code", {"reference": reference, "code": code}).status_code == 303
        self.trackers[rid] = tracker

    async def render_all(self, rid: Any, after: str) -> None:
        tenant_id = self.c.tenant.id
        [req] = await fetch(tenant_id, "select stage, beneficiary from support_request where id = $1", rid)
        pages = [(f"/portal/requests/{rid}", ROLES), ("/portal/requests", ROLES),
                 (f"/portal/requests?stage={req['stage']}", ROLES),
                 (f"/portal/beneficiaries/{req['beneficiary']}", ROLES),
                 ("/portal/committee", COMMITTEE_ROLES), *[(s, COMMITTEE_ROLES) for s in self.sessions[-1:]]]
        for lang in LANGS:
            for role in ROLES:
                client = self.c.client(role, lang)
                for path, allowed in pages:
                    response = client.get(path)
                    assert_rendered(response, f"{path} as {role} in {lang} after {after}",
                                    (200,) if role in allowed else (403,))
                    self.renders += 1
            tracker = self.trackers[rid]
            tracker.set_cookie("sila_lang", lang)
            response = tracker.get("/track/status")
            assert_rendered(response, f"the tracking page in {lang} after {after}")
            assert response.status_code == 200
            self.renders += 1

    async def post(self, client: Any, path: str, data: dict[str, Any], rid: Any, after: str) -> None:
        response = client.post(path, data)
        assert response.status_code == 303, f"{after}: {response.status_code}\n{response.text[-1500:]}"
        await self.render_all(rid, after)

    async def in_session(self, rid: Any, code: str) -> None:
        """The committee decides in a session: open it, put the request on the agenda, vote,
        decide, close, and read the minutes."""
        member = self.c.client(Role.committee_member)
        session = self.c.open_session()
        self.sessions.append(session)
        await self.render_all(rid, "a session opened")
        await self.post(member, f"{session}/agenda", {"requests": str(rid)}, rid, "agenda")
        item = await self.c.item_of(rid)
        await self.post(member, f"{session}/items/{item}/vote", {"vote": code, "reasons": "الحالة مدروسة"}, rid,
                        "a vote")
        await self.post(member, f"{session}/items/{item}/decide",
                        {"decision": code, "reason": "خارج نطاق الدعم" if code == "reject" else ""}, rid, code)
        await self.post(self.c.client(Role.admin), f"{session}/close", {}, rid, "the session closed")
        for lang in LANGS:
            pdf = self.c.client(Role.admin, lang).get(f"{session}/minutes.pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), (lang, pdf.status_code)

    async def walk(self) -> set[str]:
        """Walk requests until every action of the policy was taken at least once."""
        c, covered = self.c, set()
        n = 0
        while True:
            if n == 1 and self.online:
                c.intake_online()
            else:
                c.intake_by_staff()
            rid = await c.newest_request()
            await self.track(rid)
            await self.render_all(rid, "intake")
            if n == 0:
                admin = c.client(Role.admin)
                await self.post(admin, f"/portal/requests/{rid}/assign", {"assignee": str(c.staff[Role.relations_officer].id)}, rid,
                                "assignment")
                officer = c.client(Role.relations_officer)
                response = officer.post(f"/portal/requests/{rid}/documents", {},
                                        files={"documents": ("تقرير-الحالة.pdf", b"%PDF-1.4\n%x\n", "application/pdf")})
                assert response.status_code == 303, response.text[-1500:]
                await self.render_all(rid, "documents added")
                for d in await fetch(c.tenant.id, "select id from request_document where request = $1", rid):
                    for role in (Role.relations_officer, Role.social_researcher, Role.committee_member, Role.admin):
                        download = c.client(role).get(f"/portal/requests/{rid}/documents/{d['id']}")
                        assert download.status_code == 200 and download.content.startswith(b"%PDF"), role
            done: list[str] = []
            while True:
                wf, stage, satisfied = await c.workflow(rid)
                if stage in END_STAGES:
                    break
                here = options(wf, stage)
                fresh = [x for x in here if x not in covered and not (x == "close" and "record_service" not in done)]
                if fresh:
                    code = fresh[0]
                elif "record_service" in here:
                    code = "close" if "record_service" in done else "record_service"
                else:
                    code = next(x for x in here if x not in ("mark_incomplete", "record_service", "reject"))
                if wf.action(code).in_session:
                    await self.in_session(rid, code)
                else:
                    response = c.do(rid, code, wf)
                    assert response.status_code == 303, f"{code} at {stage}: {response.status_code}\n" \
                                                        f"{response.text[-1500:]}"
                    await self.render_all(rid, code)
                done.append(code)
                covered.add(code)
            n += 1
            if policy_actions(wf) <= covered:
                return covered
            assert n < 8, f"not every action was reached: {policy_actions(wf) - covered}"



@pytest.mark.parametrize("policy", list(POLICIES))
async def test_every_page_renders_after_every_action_for_every_role_in_both_languages(
        server, make_tenant, make_staff, publish_policy, policy):
    charity = await make_charity(server, make_tenant, make_staff, publish_policy, policy)
    walker = Walker(charity, online="website" in (POLICIES[policy].get("channels") or ()))
    covered = await walker.walk()
    steps = (await fetch(charity.tenant.id, "select steps from support_request limit 1"))[0]["steps"]
    assert ("accept" in covered) == ("committee" in steps)
    assert {"verify", "mark_incomplete", "reject", "record_service", "close"} <= covered
    assert walker.renders > 100
