"""Driving support requests through their workflow over HTTP, derived from the workflow table
(sila/tenants/requests/workflow.py), for the systematic tests: which actions a policy allows,
walks that together take every one of them, the form each action sends, and the pages that
show a request or its beneficiary."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from support.clients import PASSWORD
from support.data import SERVICE_STEPS, valid_id, session_time
from sila.platform.db import tenant_scope
from sila.platform.roles import Role
from sila.tenants.requests.workflow import ACTIONS, END_STAGES, Workflow

ROLES = (Role.admin, Role.relations_officer, Role.social_researcher, Role.committee_member)
LANGS = ("ar", "en")
NAME = "سارة عبدالله القحطاني"
PDF = b"%PDF-1.4\n% test document\n"
ARABIC_FILE = "هوية-الطالب.pdf"
CHANNELS = ["interview", "virtual_interview", "phone", "social_media", "letters", "assistance_request", "website",
            "branch_representatives"]
# The seed policies differ: every step with a window and the online form (Mafatih), no committee
# and no window (Haramain), and the least a policy may have (decided at delivery).
POLICIES = {
    "mafatih": {"seed": "mafatih", "channels": CHANNELS},
    "haramain": {"seed": "haramain"},
    "minimal": {"seed": "mafatih", "steps": SERVICE_STEPS, "window": None, "channels": ["phone", "website"]},
}
CHECKS = {"check_identity": "yes", "check_contact": "yes", "check_information": "yes", "check_documents": "yes"}
LOOPS = ("mark_incomplete", "record_service")  # actions that leave the request where it is
UNRENDERED = re.compile(r"\{\{|\{%|\bUndefined\b|%\(\w+\)[sd]|(?<![A-Za-z])None(?=[<·،,)\]])")


def policy_actions(wf: Workflow) -> set[str]:
    """Every action this workflow can take somewhere (on the request page or in a session)."""
    stages = set(wf.stages())
    return {c for c in ACTIONS if wf.in_policy(c) and wf.action(c).sources & stages}


def options(wf: Workflow, stage: str) -> list[str]:
    return [c for c in ACTIONS if wf.in_policy(c) and stage in wf.action(c).sources]


def plan(wf: Workflow, satisfied: set[str] | None = None) -> list[list[str]]:
    """Walks from intake to an end that together take every action the policy allows: each walk
    takes the first action not yet taken where there is one, else moves on."""
    wanted, covered, walks = policy_actions(wf), set(), []
    while not wanted <= covered:
        stage, walk = wf.first_stage(satisfied or set()), []
        while stage not in END_STAGES:
            here = options(wf, stage)
            fresh = [c for c in here if c not in covered and not (c == "close" and "record_service" not in walk)]
            if fresh:
                code = fresh[0]
            elif "record_service" in here:
                code = "close" if "record_service" in walk else "record_service"
            else:
                code = next(c for c in here if c not in (*LOOPS, "reject"))
            walk.append(code)
            covered.add(code)
            action = wf.action(code)
            stage = wf.next_stage(action.completes, satisfied or set()) if action.completes else action.target
        walks.append(walk)
        assert len(walks) < 10, "the plan does not converge"
    return walks


def form_for(code: str, researcher_id: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """A valid form for each action, as the request page would send it."""
    return {
        "verify": (dict(CHECKS), {}),
        "mark_incomplete": ({"missing": "صورة صك الإعالة\nتعريف بالراتب"}, {}),
        "refer": ({"researcher": str(researcher_id), "question": "هل الأسرة تسكن بالإيجار؟"}, {}),
        "skip_referral": ({"note": "لا حاجة للبحث"}, {}),
        "report": ({"notes": "الأسرة مستحقة", "visit_date": "2026-11-20", "visit_report": "زيارة"}, {}),
        "attest": ({"signer_name": NAME}, {"scan": ("signed.pdf", PDF, "application/pdf")}),
        "accept": ({"reason": ""}, {}),
        "reject": ({"reason": "خارج نطاق خدمات الجمعية"}, {}),
        "register": ({}, {}),
        "record_service": ({"service_type": "سلة غذائية", "amount": "٣٥٠", "delivered_on": "2026-11-26"}, {}),
        "close": ({}, {}),
    }[code]


async def fetch(tenant_id: Any, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch(sql, *args)]


async def value(tenant_id: Any, sql: str, *args: Any) -> Any:
    async with tenant_scope(tenant_id) as tx:
        return await tx.connection.fetchval(sql, *args)


@dataclass
class Charity:
    """One tenant with a published policy and one member of staff per role, each signed in in
    both languages (a client per role and language)."""

    server: Any
    tenant: Any
    staff: dict[str, Any]
    clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, role: str, lang: str = "ar") -> Any:
        if (role, lang) not in self.clients:
            c = self.server.client(self.tenant.slug)
            c.login(self.staff[role].email, PASSWORD)
            c.set_cookie("sila_lang", lang)
            self.clients[(role, lang)] = c
        return self.clients[(role, lang)]

    async def workflow(self, rid: Any) -> tuple[Workflow, str, list[str]]:
        [req] = await fetch(self.tenant.id, "select steps, stage, satisfied from support_request where id = $1", rid)
        return Workflow.from_steps(req["steps"]), req["stage"], list(req["satisfied"])

    # --- intake ---

    def intake_by_staff(self, channel: str = "phone") -> None:
        officer = self.client(Role.relations_officer)
        officer.get("/portal/requests/new")
        response = officer.post("/portal/requests/new", {
            "channel": channel, "name": NAME, "id_number": valid_id(), "mobile": "0551234567",
            "preferred_channel": "sms", "preferred_language": "ar", "need": "سلة غذائية شهرية", "consent": "yes"},
            files={"documents": (ARABIC_FILE, PDF, "application/pdf")})
        assert response.status_code == 303, response.text[-2000:]

    def intake_online(self) -> None:
        visitor = self.server.client(self.tenant.slug)
        page = visitor.get("/apply")
        assert page.status_code == 200, page.text[-1500:]
        data = {"submit_token": re.search(r'name="submit_token" value="([^"]+)"', page.text).group(1),
                "policy_version": re.search(r'name="policy_version" value="([^"]+)"', page.text).group(1),
                "name": NAME, "id_number": valid_id(), "mobile": "0551234567", "preferred_channel": "sms",
                "preferred_language": "ar", "city": "الرياض", "category": "family", "household_size": "٥",
                "need": "دعم إيجار السكن", "attest": "yes", "signature": NAME, "consent": "yes"}
        response = visitor.post("/apply", data, files={"documents": (ARABIC_FILE, PDF, "application/pdf")})
        assert response.status_code == 303, response.text[-2000:]

    async def newest_request(self) -> Any:
        return await value(self.tenant.id, "select id from support_request order by created_at desc limit 1")

    # --- actions ---

    def do(self, rid: Any, code: str, wf: Workflow) -> httpx.Response:
        """One action on the request page, by a member of staff whose role may take it."""
        role = sorted(wf.action(code).roles)[0]
        data, files = form_for(code, self.staff[Role.social_researcher].id)
        return self.client(role).post(f"/portal/requests/{rid}/act/{code}", data, files=files or None)

    def open_session(self) -> str:
        member = self.client(Role.committee_member)
        member.get("/portal/committee")
        response = member.post("/portal/committee", {"held_at": session_time(), "location": "مقر الجمعية"})
        assert response.status_code == 303, response.text[-1500:]
        return response.headers["location"]

    async def item_of(self, rid: Any) -> Any:
        return await value(self.tenant.id, "select id from committee_item where request = $1 and decision is null",
                           rid)


async def make_charity(server: Any, make_tenant: Any, make_staff: Any, publish_policy: Any, policy: str) -> Charity:
    tenant = await make_tenant(name_ar="جمعية الاختبار")
    await publish_policy(tenant, **POLICIES[policy])
    staff = {role: await make_staff(tenant, role, name=name) for role, name in [
        (Role.relations_officer, "نورة الموظفة"), (Role.social_researcher, "خالد الباحث"), (Role.committee_member, "د. سلمان العضو"), (Role.admin, "مدير الجمعية")]}
    return Charity(server, tenant, staff)


def assert_rendered(response: httpx.Response, where: str, allowed: tuple[int, ...] = (200,)) -> None:
    assert response.status_code != 500, f"500 on {where}:\n{response.text[-1500:]}"
    assert response.status_code in allowed, f"{response.status_code} on {where}:\n{response.text[-1500:]}"
    if "html" in response.headers.get("content-type", ""):
        found = UNRENDERED.search(response.text)
        assert not found, f"unrendered {found.group(0)!r} on {where}: …{response.text[max(0, found.start() - 200):found.end() + 200]}…"
