"""The committee's reads in the open tenant scope, as typed records."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from sila.platform.db import current_connection


@dataclasses.dataclass(frozen=True)
class SessionSummary:
    """One line of the sessions list: the session and how many of its requests are decided."""

    id: uuid.UUID
    number: int
    held_at: dt.datetime
    location: str
    status: str
    item_count: int
    decided: int


async def session_summaries() -> list[SessionSummary]:
    rows = await current_connection().fetch(
        """select s.id, s.number, s.held_at, s.location, s.status, count(i.id) as item_count,
             count(i.decision) as decided from committee_session s
           left join committee_item i on i.session = s.id group by s.id order by s.held_at desc""")
    return [SessionSummary(**dict(r)) for r in rows]


@dataclasses.dataclass(frozen=True)
class PastRequest:
    id: uuid.UUID
    reference: str
    submitted_at: dt.datetime
    stage: str
    decision: str | None
    need: str


@dataclasses.dataclass(frozen=True)
class PastService:
    delivered_on: dt.date
    service_type: str
    amount: Any


@dataclasses.dataclass(frozen=True)
class CaseSummary:
    """What a committee member reads before voting on a request (templates/committee/_case_summary.html)."""

    request: uuid.UUID
    reference: str
    need: str
    due_at: dt.datetime | None
    review_window_basis: str
    beneficiary_name: str
    category: str
    household_size: int | None
    city: str
    verifications: list[dict[str, Any]]  # outcome, checklist {code: bool}, missing [..], note, by, at
    referrals: list[dict[str, Any]]  # question, notes, visit_date, visit_report, researcher_name, answered_at
    documents: list[dict[str, Any]]  # id, kind, filename
    previous: list[PastRequest]  # the same person's other requests, newest first
    services: list[PastService]  # services the same person received, newest first
    policy_version_number: int = 0  # the version whose form the request answered
    custom_answers: dict[str, Any] = dataclasses.field(default_factory=dict)  # by question key


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def case_summaries(request_ids: list[uuid.UUID]) -> dict[uuid.UUID, CaseSummary]:
    """The case summary of each request, in a few reads for the whole agenda."""
    if not request_ids:
        return {}
    c = current_connection()
    rows = await c.fetch(
        """select r.id, r.reference, r.need, r.due_at, r.review_window_basis, r.beneficiary, b.name, b.category,
             b.household_size, b.city, r.policy_version_number, r.custom_answers
           from support_request r join beneficiary b on b.id = r.beneficiary
           where r.id = any($1::uuid[])""", request_ids)
    people = [r["beneficiary"] for r in rows]
    verifications = await c.fetch(
        """select request, outcome, checklist, missing, note, verified_by_name, verified_at from request_verification
           where request = any($1::uuid[]) order by verified_at""", request_ids)
    referrals = await c.fetch(
        """select f.request, f.question, f.notes, f.visit_date, f.visit_report, f.answered_at, s.name as researcher_name
           from request_referral f left join staff_user s on s.id = f.researcher
           where f.request = any($1::uuid[]) order by f.referred_at""", request_ids)
    documents = await c.fetch(
        """select id, request, kind, filename from request_document where request = any($1::uuid[])
           order by created_at""", request_ids)
    previous = await c.fetch(
        """select id, beneficiary, reference, submitted_at, stage, decision, need from support_request
           where beneficiary = any($1::uuid[]) order by submitted_at desc""", people)
    services = await c.fetch(
        """select beneficiary, delivered_on, service_type, amount from service_delivery
           where beneficiary = any($1::uuid[]) order by delivered_on desc""", people)
    out: dict[uuid.UUID, CaseSummary] = {}
    for r in rows:
        rid, person = r["id"], r["beneficiary"]
        out[rid] = CaseSummary(
            request=rid, reference=r["reference"], need=r["need"], due_at=r["due_at"],
            review_window_basis=r["review_window_basis"], beneficiary_name=r["name"], category=r["category"] or "",
            household_size=r["household_size"], city=r["city"] or "",
            verifications=[{**dict(v), "checklist": _json(v["checklist"]) or {}, "missing": _json(v["missing"]) or []}
                           for v in verifications if v["request"] == rid],
            referrals=[dict(f) for f in referrals if f["request"] == rid],
            documents=[dict(d) for d in documents if d["request"] == rid],
            previous=[PastRequest(p["id"], p["reference"], p["submitted_at"], p["stage"], p["decision"], p["need"])
                      for p in previous if p["beneficiary"] == person and p["id"] != rid],
            services=[PastService(s["delivered_on"], s["service_type"], s["amount"])
                      for s in services if s["beneficiary"] == person],
            policy_version_number=r["policy_version_number"], custom_answers=_json(r["custom_answers"]) or {})
    return out


@dataclasses.dataclass(frozen=True)
class WaitingRequest:
    """A request at the committee's stage on no pending agenda, with why it is waiting: its due
    date (and what `clock.explain` reads to explain it), whether it is an appeal (with the decision
    appealed, `appeal`, filled by the service), and the session that last deferred it."""

    id: uuid.UUID
    reference: str
    beneficiary_name: str
    kind: str  # "request", or "appeal" while an appeal of it is open
    due_at: dt.datetime | None
    submitted_at: dt.datetime
    review_window_days: int | None
    review_window_basis: str
    paused_days: int
    appealed_at: dt.datetime | None
    stage: str
    stage_since: dt.datetime | None
    deferred_session: int | None  # number of the session that last deferred it
    deferred_reason: str
    carried_over: bool  # deferred because that session's time ran out, not by the committee
    appeal: Any = None  # requests.queries.AppealRecord when kind == "appeal"

    def get(self, name: str, default: Any = None) -> Any:  # what the due_explained macro reads
        return getattr(self, name, default)


async def waiting_requests(item_kind_sql: str, session_id: uuid.UUID | None = None) -> list[WaitingRequest]:
    """Requests at the committee stage on no pending agenda, the least time left first. With
    `session_id`, those that session already had on its agenda as the same kind (it deferred
    them: they wait for a later one) are left out. `item_kind_sql` says what an item of `r` is."""
    rows = await current_connection().fetch(
        f"""select r.id, r.reference, b.name as beneficiary_name, {item_kind_sql} as kind, r.due_at, r.submitted_at,
             r.review_window_days, coalesce(r.review_window_basis, 'calendar') as review_window_basis,
             coalesce(r.paused_days, 0) as paused_days, r.appealed_at, r.stage, r.stage_since,
             d.number as deferred_session, coalesce(d.reason, '') as deferred_reason,
             coalesce(d.carried_over, false) as carried_over
           from support_request r join beneficiary b on b.id = r.beneficiary
           left join lateral (select s.number, i.reason, i.decided_by is null as carried_over
                              from committee_item i join committee_session s on s.id = i.session
                              where i.request = r.id and i.decision = 'deferred'
                                and (r.appealed_at is null or i.decided_at >= r.appealed_at)
                              order by i.decided_at desc limit 1) d on true
           where r.stage = 'committee'
             and not exists (select 1 from committee_item i where i.request = r.id and i.decision is null)
           order by r.due_at nulls last, r.submitted_at""")
    out = [WaitingRequest(**dict(r)) for r in rows]
    if session_id is not None:
        here = await current_connection().fetch(
            "select request, kind from committee_item where session = $1", session_id)
        taken = {(h["request"], h["kind"]) for h in here}
        out = [w for w in out if (w.id, w.kind) not in taken]
    return out


# --- one session as its page and its minutes read it -------------------------------------------

@dataclasses.dataclass(frozen=True)
class SessionRow:
    id: uuid.UUID
    number: int
    held_at: dt.datetime
    location: str
    status: str  # open | closed
    created_by: uuid.UUID | None
    created_by_name: str
    closed_by: uuid.UUID | None
    closed_by_name: str
    closed_at: dt.datetime | None
    rule: dict[str, Any]  # the committee rule it was opened under (rule.CommitteeRule.from_dict)
    policy_version_number: int | None


@dataclasses.dataclass(frozen=True)
class VoteRow:
    item: uuid.UUID
    member: uuid.UUID | None
    member_name: str
    vote: str  # accept | reject | abstain | conflict
    reasons: str
    cast_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class AttendanceRow:
    member: uuid.UUID
    member_name: str
    present: bool


@dataclasses.dataclass(frozen=True)
class SignatureRow:
    member: uuid.UUID | None
    member_name: str
    signed_at: dt.datetime
    minutes_sha256: str


@dataclasses.dataclass(frozen=True)
class ItemRow:
    """An agenda item with its request's line: what the page shows beside the case summary, and
    what the due date's explanation reads (`get`, as `clock.explain` takes a row)."""

    id: uuid.UUID
    session: uuid.UUID
    request: uuid.UUID
    position: int
    kind: str  # request | appeal
    decision: str | None  # accepted | rejected | deferred
    reason: str
    decided_by: uuid.UUID | None  # None on a deferred item: carried over when its session closed
    decided_by_name: str
    decided_at: dt.datetime | None
    tally: dict[str, Any] | None  # the outcome the decision was confirmed on
    reference: str
    need: str
    stage: str
    due_at: dt.datetime | None
    beneficiary_name: str
    submitted_at: dt.datetime
    review_window_days: int | None
    review_window_basis: str
    paused_days: int
    appealed_at: dt.datetime | None
    stage_since: dt.datetime | None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


@dataclasses.dataclass(frozen=True)
class SessionRead:
    session: SessionRow
    items: list[ItemRow]
    votes: list[VoteRow]  # of all its items, by member name
    attendance: list[AttendanceRow]
    signatures: list[SignatureRow]  # in the order they were signed


async def session_read(session_id: uuid.UUID) -> SessionRead | None:
    """The session `session_id` with its agenda, votes, attendance and signatures (in the open
    tenant scope: None for another tenant's id as for an unknown one)."""
    c = current_connection()
    s = await c.fetchrow(
        """select s.id, s.number, s.held_at, s.location, s.status, s.created_by,
             coalesce(cu.name, '') as created_by_name, s.closed_by, coalesce(xu.name, '') as closed_by_name,
             s.closed_at, s.rule, s.policy_version_number
           from committee_session s left join staff_user cu on cu.id = s.created_by
           left join staff_user xu on xu.id = s.closed_by where s.id = $1""", session_id)
    if s is None:
        return None
    items = await c.fetch(
        """select i.id, i.session, i.request, i.position, i.kind, i.decision, i.reason, i.decided_by,
             coalesce(u.name, '') as decided_by_name, i.decided_at, i.tally, r.reference, r.need, r.stage, r.due_at,
             b.name as beneficiary_name, r.submitted_at, r.review_window_days,
             coalesce(r.review_window_basis, 'calendar') as review_window_basis,
             coalesce(r.paused_days, 0) as paused_days, r.appealed_at, r.stage_since
           from committee_item i join support_request r on r.id = i.request
           join beneficiary b on b.id = r.beneficiary left join staff_user u on u.id = i.decided_by
           where i.session = $1 order by i.position""", session_id)
    votes = await c.fetch(
        """select v.item, v.member, v.member_name, v.vote, v.reasons, v.cast_at from committee_vote v
           join committee_item i on i.id = v.item where i.session = $1 order by v.member_name""", session_id)
    attendance = await c.fetch(
        "select member, member_name, present from committee_attendance where session = $1", session_id)
    signatures = await c.fetch(
        """select member, member_name, signed_at, minutes_sha256 from committee_signature where session = $1
           order by signed_at""", session_id)
    return SessionRead(
        session=SessionRow(**{**dict(s), "rule": _json(s["rule"]) or {}}),
        items=[ItemRow(**{**dict(i), "tally": _json(i["tally"])}) for i in items],
        votes=[VoteRow(**dict(v)) for v in votes], attendance=[AttendanceRow(**dict(a)) for a in attendance],
        signatures=[SignatureRow(**dict(g)) for g in signatures])
