"""The research committee (لجنة البحث): sessions with an agenda of requests, attendance, each
member's vote with reasons (or a declared conflict of interest), and the decision per request by
the committee's rule (`rule.py`): the system computes the outcome, the presiding member (chair, or
deputy when the chair is absent) confirms it or defers the item, and an accepted or declined
request moves on through the requests area's one workflow entry point (`requests.act_in_scope`, as
a decision taken in a session). Members sign the minutes of a closed session.

A session keeps the rule of the policy version in force when it was opened. A policy without a
rule set up gets the fallback the policy page describes: every committee member on the staff at
that moment is a member, no chair (any member present confirms), majority quorum, simple majority.

This area calls the requests area's services only, never its routes."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Set as AbstractSet
from typing import Any

from sila.platform import audit
from sila.platform.dates import RIYADH, dual_datetime, to_riyadh
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.i18n import N_
from sila.platform.roles import Role
from sila.tenants.committee import queries
from sila.tenants.committee.forms import DECISIONS, MSG_DECISION_REQUIRED, MSG_VOTE_REQUIRED, MSG_WHEN_REQUIRED, VOTES
from sila.tenants.committee.rule import CommitteeRule, Outcome, outcome
from sila.tenants.policy import services as policy
from sila.tenants.requests import services as requests
from sila.tenants.requests.services import MSG_WRONG_ROLE, Actor, Problem, TransitionError
from sila.tenants.requests.tables import CommitteeSession

ORGANISERS = {Role.committee_member, Role.admin}  # open sessions, set agendas, close sessions
AGENDA_EDITORS = {Role.committee_member, Role.admin, Role.relations_officer}

MSG_SESSION_CLOSED = N_("This session is closed; its minutes can no longer change.")
MSG_NOT_AT_COMMITTEE = N_("Only requests waiting for the committee can go on the agenda.")
MSG_ALREADY_ON_AGENDA = N_("This request is already on an agenda.")
MSG_DEFERRED_HERE = N_("This session deferred this request to a later session: put it on the next session's agenda.")
MSG_ITEM_DECIDED = N_("The committee has already decided on this request.")
MSG_UNDECIDED_ITEMS = N_("Decide on every request on the agenda before closing the session.")
MSG_NOTHING_CHOSEN = N_("Choose at least one request.")
MSG_NOT_A_MEMBER = N_("Only the members of this session's committee can do this.")
MSG_NOT_PRESIDING = N_("Only the member presiding (the chair, or the deputy when the chair is absent) confirms "
                       "the decision, and only while present.")
MSG_NOT_THE_OUTCOME = N_("The votes do not give this decision; confirm the outcome the rule gives, or defer.")
MSG_CONFLICT_DECLARED = N_("You declared a conflict of interest on this request: you do not vote on it.")
MSG_NOT_PRESENT_MEMBER = N_("Choose the members present from the list.")
MSG_NOT_CLOSED = N_("The minutes can be signed once the session is closed.")
MSG_ALREADY_SIGNED = N_("You have already signed these minutes.")
MSG_NOT_ATTENDED = N_("Only the members who attended the session sign its minutes.")
MSG_NOT_STARTED = N_("The session begins at %(when)s: attendance, votes and decisions are recorded from then.")
MSG_TIME_OVER = N_("This session's time ended at %(when)s: close it, and the requests it did not decide go on "
                   "the next session's agenda.")
MSG_DATE_PASSED = N_("This date has passed: a session is opened for today or a later day.")
MSG_TOO_FAR_AHEAD = N_("Choose a date no more than 30 days ahead: a session is opened while its agenda is prepared.")

# A session's time (see `session_hours`): opened at most OPEN_AHEAD before it starts; its business
# done from its start until the end of its day in Riyadh, or OVERRUN after its start if that is later.
OPEN_AHEAD = dt.timedelta(days=30)
OVERRUN = dt.timedelta(hours=6)


def session_hours(held_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When a session's attendance, votes and decisions may be recorded: from its scheduled start
    until the end of that day in Riyadh (at least six hours, for an evening session that runs past
    midnight). Before, it is being prepared (its agenda can be set); after, it can only be closed."""
    day_end = dt.datetime.combine(to_riyadh(held_at).date() + dt.timedelta(days=1), dt.time(), RIYADH)
    return held_at, max(day_end, held_at + OVERRUN)


def session_timing(held_at: dt.datetime, now: dt.datetime | None = None) -> str:
    """"before" its start, "during" its hours, or "after" them (`session_hours`)."""
    now = now or dt.datetime.now(dt.UTC)
    start, end = session_hours(held_at)
    return "before" if now < start else "after" if now >= end else "during"


def _in_time(held_at: dt.datetime, now: dt.datetime | None) -> None:
    """Refuse what a session records outside its hours, with when they are."""
    start, end = session_hours(held_at)
    timing = session_timing(held_at, now)
    if timing == "before":
        raise TransitionError(MSG_NOT_STARTED, "state", when=dual_datetime(start))
    if timing == "after":
        raise TransitionError(MSG_TIME_OVER, "state", when=dual_datetime(end))


def _require(actor: Actor, roles: AbstractSet[str]) -> None:
    if not actor.roles & roles:
        raise TransitionError(MSG_WRONG_ROLE, "role")


def _closed(session_status: str) -> None:
    if session_status != "open":
        raise TransitionError(MSG_SESSION_CLOSED, "state")


def rule_of(session: dict[str, Any]) -> CommitteeRule:
    raw = session["rule"]
    return CommitteeRule.from_dict(json.loads(raw) if isinstance(raw, str) else raw)


def _member_of(rule: CommitteeRule, actor: Actor) -> None:
    if Role.committee_member not in actor.roles or str(actor.id) not in rule.members:
        raise TransitionError(MSG_NOT_A_MEMBER, "role")


async def _rule_in_force(tenant_id: Any) -> tuple[CommitteeRule, int | None]:
    """The committee rule of the policy version in force (in the open scope), or the fallback."""
    version = await policy.current_policy_version(tenant_id)
    rule = CommitteeRule.from_dict(version.policy.committee if version else {})
    if not rule.configured:
        staff = await current_connection().fetch(
            """select u.id, coalesce(nullif(u.name, ''), u.email) as name from membership m
               join staff_user u on u.id = m."user" where m.role = 'committee_member' and u.is_active
               order by u.name""")
        rule = CommitteeRule(members=tuple(str(r["id"]) for r in staff), member_names=tuple(r["name"] for r in staff),
                             default=True)
    return rule, version.number if version else None


# What an agenda item of request `r` is: the hearing of its appeal while one is open, else the request.
ITEM_KIND_SQL = """case when exists (select 1 from request_appeal a where a.request = r.id and a.decision is null)
    then 'appeal' else 'request' end"""


async def _present(session_id: Any) -> set[str]:
    rows = await current_connection().fetch(
        "select member from committee_attendance where session = $1 and present", session_id)
    return {str(r["member"]) for r in rows}


async def _votes(item_id: Any) -> tuple[dict[str, str], set[str]]:
    """The item's votes {member: vote} and the members who declared a conflict on it."""
    rows = await current_connection().fetch("select member, vote from committee_vote where item = $1", item_id)
    votes = {str(r["member"]): r["vote"] for r in rows if r["member"] and r["vote"] != "conflict"}
    return votes, {str(r["member"]) for r in rows if r["member"] and r["vote"] == "conflict"}


async def tally_in_scope(rule: CommitteeRule, session_id: Any, item_id: Any) -> tuple[Outcome, set[str], set[str]]:
    """The rule's outcome for the item now, with the members present and the conflicted ones."""
    present = await _present(session_id)
    votes, conflicts = await _votes(item_id)
    return outcome(rule, present, conflicts, votes), present, conflicts


async def _mark_present(tenant_id: Any, session_id: Any, actor: Actor) -> None:
    """A member who votes or declares a conflict is at the session."""
    await current_connection().execute(
        """insert into committee_attendance (tenant, session, member, member_name, present, recorded_by)
           values ($1, $2, $3, $4, true, $3)
           on conflict (tenant, session, member) do update set present = true, recorded_by = excluded.recorded_by,
             recorded_at = now() where not committee_attendance.present""",
        tenant_id, session_id, actor.id, actor.name)


async def sessions(tenant_id: Any) -> list[queries.SessionSummary]:
    async with tenant_scope(tenant_id):
        return await queries.session_summaries()


async def create_session(tenant: Any, held_at: dt.datetime | None, location: str, actor: Actor,
                         now: dt.datetime | None = None) -> Any:
    """A new session under the committee rule in force; requests deferred by an earlier session
    (and still waiting for the committee) are put on its agenda first. It is opened for a time
    whose hours have not ended yet, at most `OPEN_AHEAD` before it starts."""
    _require(actor, ORGANISERS)
    if held_at is None:
        raise Problem("held_at", MSG_WHEN_REQUIRED)
    now = now or dt.datetime.now(dt.UTC)
    if session_timing(held_at, now) == "after":
        raise Problem("held_at", MSG_DATE_PASSED)
    if held_at - now > OPEN_AHEAD:
        raise Problem("held_at", MSG_TOO_FAR_AHEAD)
    async with tenant_scope(tenant.id) as tx:
        c = tx.connection
        # Numbers follow each other per tenant; the lock makes two at once wait, not collide.
        await c.execute("select pg_advisory_xact_lock(hashtext('committee_session:' || $1))", str(tenant.id))
        number = await c.fetchval("select coalesce(max(number), 0) + 1 from committee_session")
        rule, version = await _rule_in_force(tenant.id)
        sid = await c.fetchval(
            """insert into committee_session (tenant, number, held_at, location, created_by, rule,
                 policy_version_number) values ($1, $2, $3, $4, $5, $6::jsonb, $7) returning id""",
            tenant.id, number, held_at, location, actor.id, json.dumps(rule.to_dict(), ensure_ascii=False), version)
        deferred = await c.fetch(
            f"""select r.id, {ITEM_KIND_SQL} as kind from support_request r where r.stage = 'committee'
                 and exists (select 1 from committee_item i where i.request = r.id and i.decision = 'deferred')
                 and not exists (select 1 from committee_item i where i.request = r.id and i.decision is null)
               order by r.due_at nulls last""")
        for position, d in enumerate(deferred, start=1):
            await c.execute("insert into committee_item (tenant, session, request, position, kind) "
                            "values ($1, $2, $3, $4, $5)", tenant.id, sid, d["id"], position, d["kind"])
        await audit.record(tenant.id, "committee.session_opened", actor_user=actor.id, actor_label=actor.name,
                           target_type="committee_session", target_id=sid, address=actor.address,
                           after={"number": number, "held_at": held_at, "location": location,
                                  "policy_version": version, "carried_over": len(deferred)})
    return sid


async def get_session_in_scope(session_id: Any, *, lock: bool = False) -> dict[str, Any]:
    """The committee session in the open tenant scope (locked for update if `lock`); NotFound for
    unknown ids and other tenants' alike."""
    sid = parse_uuid(session_id)
    query = CommitteeSession.select().where(CommitteeSession.id == sid)
    row = await (query.lock_rows() if lock else query).first() if sid else None
    if row is None:
        raise NotFound(session_id)
    return row


async def get_session_in_tenant(tenant_id: Any, session_id: Any) -> dict[str, Any]:
    """The session, for a route that must answer 404 for another tenant's id before anything else."""
    async with tenant_scope(tenant_id):
        return await get_session_in_scope(session_id)


async def waiting_requests(tenant_id: Any, session_id: Any = None) -> list[queries.WaitingRequest]:
    """Requests at the committee stage on no pending agenda, with why they wait (due date, appeal
    and the decision appealed, the session that deferred them). For a session's page, without
    those it deferred itself (they go on a later session)."""
    async with tenant_scope(tenant_id):
        waiting = await queries.waiting_requests(ITEM_KIND_SQL, parse_uuid(session_id) if session_id else None)
        appeals = await requests.appeals_of([w.id for w in waiting if w.kind == "appeal"])
    return [dataclasses.replace(w, appeal=appeals.get(w.id)) if w.kind == "appeal" else w for w in waiting]


async def add_to_agenda(tenant: Any, session_id: Any, request_ids: list[Any], actor: Actor,
                        now: dt.datetime | None = None) -> None:
    """Requests waiting for the committee go on an open session's agenda, before or during its
    hours (not after them: the next session takes them)."""
    _require(actor, AGENDA_EDITORS)
    ids = [i for i in (parse_uuid(r) for r in request_ids) if i]
    async with tenant_scope(tenant.id) as tx:
        c = tx.connection
        session = await get_session_in_scope(session_id, lock=True)
        _closed(session["status"])
        if session_timing(session["held_at"], now) == "after":
            _in_time(session["held_at"], now)
        if not ids:
            raise Problem("requests", MSG_NOTHING_CHOSEN)
        position = await c.fetchval("select coalesce(max(position), 0) from committee_item where session = $1",
                                    session["id"])
        for rid in ids:
            req = await c.fetchrow(f"select r.id, r.reference, r.stage, {ITEM_KIND_SQL} as kind from support_request r "
                                   "where r.id = $1 for update", rid)
            if req is None:
                raise NotFound()
            if req["stage"] != "committee":
                raise Problem("requests", MSG_NOT_AT_COMMITTEE)
            if await c.fetchval("select 1 from committee_item where request = $1 and decision is null", rid):
                raise Problem("requests", MSG_ALREADY_ON_AGENDA)
            if await c.fetchval("select 1 from committee_item where session = $1 and request = $2 and kind = $3",
                                session["id"], rid, req["kind"]):
                raise Problem("requests", MSG_DEFERRED_HERE)
            position += 1
            await c.execute("insert into committee_item (tenant, session, request, position, kind) "
                            "values ($1, $2, $3, $4, $5)", tenant.id, session["id"], rid, position, req["kind"])
            await audit.record(tenant.id, "committee.agenda_added", actor_user=actor.id, actor_label=actor.name,
                               target_type="support_request", target_id=rid, address=actor.address,
                               after={"session": session["number"], "position": position, "kind": req["kind"]})


async def _item(item_id: Any) -> dict[str, Any]:
    iid = parse_uuid(item_id)
    row = await current_connection().fetchrow(
        """select i.*, s.status as session_status, s.number as session_number, s.rule, s.held_at
           from committee_item i
           join committee_session s on s.id = i.session where i.id = $1 for update of i""", iid) if iid else None
    if row is None:
        raise NotFound()
    return dict(row)


async def get_item_in_tenant(tenant_id: Any, session_id: Any, item_id: Any) -> dict[str, Any]:
    """The agenda item `item_id` of session `session_id`; NotFound for unknown ids, another
    session's item and other tenants' alike."""
    async with tenant_scope(tenant_id):
        item = await _item(item_id)
    if str(item["session"]) != str(parse_uuid(session_id)):
        raise NotFound()
    return item


async def _open_item(tenant_id: Any, session_id: Any, item_id: Any, actor: Actor,
                     now: dt.datetime | None) -> tuple[dict[str, Any], CommitteeRule]:
    """The item, locked, of an open session within its hours whose committee `actor` is a member
    of; another tenant's or another session's id is NotFound first, whatever else is wrong."""
    item = await _item(item_id)
    if str(item["session"]) != str(parse_uuid(session_id)):
        raise NotFound()
    rule = rule_of(item)
    _member_of(rule, actor)
    _closed(item["session_status"])
    if item["decision"]:
        raise TransitionError(MSG_ITEM_DECIDED, "state")
    _in_time(item["held_at"], now)
    return item, rule


async def cast_vote(tenant: Any, session_id: Any, item_id: Any, vote: str, reasons: str, actor: Actor,
                    now: dt.datetime | None = None) -> None:
    _require(actor, {Role.committee_member})  # only members vote; an admin organises but has no vote
    async with tenant_scope(tenant.id) as tx:
        item, _ = await _open_item(tenant.id, session_id, item_id, actor, now)
        if vote not in VOTES:
            raise Problem("vote", MSG_VOTE_REQUIRED)
        before = await tx.connection.fetchrow(
            "select vote, reasons from committee_vote where item = $1 and member = $2", item["id"], actor.id)
        if before and before["vote"] == "conflict":
            raise TransitionError(MSG_CONFLICT_DECLARED, "state")
        await _mark_present(tenant.id, item["session"], actor)
        await tx.connection.execute(
            """insert into committee_vote (tenant, item, member, member_name, vote, reasons)
               values ($1, $2, $3, $4, $5, $6)
               on conflict (tenant, item, member) do update set vote = excluded.vote, reasons = excluded.reasons,
                 cast_at = now()""", tenant.id, item["id"], actor.id, actor.name, vote, reasons.strip())
        await audit.record(tenant.id, "committee.vote", actor_user=actor.id, actor_label=actor.name,
                           target_type="support_request", target_id=item["request"], address=actor.address,
                           before=dict(before) if before else None,
                           after={"session": item["session_number"], "vote": vote, "reasons": reasons.strip()})


async def declare_conflict(tenant: Any, session_id: Any, item_id: Any, reasons: str, actor: Actor,
                           now: dt.datetime | None = None) -> None:
    """The member has a conflict of interest on this request: any vote of theirs is withdrawn and
    they are counted neither for quorum nor in the vote on it."""
    _require(actor, {Role.committee_member})
    async with tenant_scope(tenant.id) as tx:
        item, _ = await _open_item(tenant.id, session_id, item_id, actor, now)
        before = await tx.connection.fetchrow(
            "select vote, reasons from committee_vote where item = $1 and member = $2", item["id"], actor.id)
        await _mark_present(tenant.id, item["session"], actor)
        await tx.connection.execute(
            """insert into committee_vote (tenant, item, member, member_name, vote, reasons)
               values ($1, $2, $3, $4, 'conflict', $5)
               on conflict (tenant, item, member) do update set vote = 'conflict', reasons = excluded.reasons,
                 cast_at = now()""", tenant.id, item["id"], actor.id, actor.name, reasons.strip())
        await audit.record(tenant.id, "committee.conflict_declared", actor_user=actor.id, actor_label=actor.name,
                           target_type="support_request", target_id=item["request"], address=actor.address,
                           before=dict(before) if before else None,
                           after={"session": item["session_number"], "reasons": reasons.strip()})


async def record_attendance(tenant: Any, session_id: Any, present: list[str], actor: Actor,
                            now: dt.datetime | None = None) -> None:
    """Who of the session's members is present (the others absent). The organisers record it: an
    admin, or a member of this session's committee."""
    _require(actor, ORGANISERS)
    async with tenant_scope(tenant.id) as tx:
        session = await get_session_in_scope(session_id, lock=True)
        rule = rule_of(session)
        if Role.admin not in actor.roles:
            _member_of(rule, actor)
        _closed(session["status"])
        _in_time(session["held_at"], now)
        if any(p not in rule.members for p in present):
            raise Problem("present", MSG_NOT_PRESENT_MEMBER)
        before = sorted(await _present(session["id"]))
        for member, name in zip(rule.members, rule.member_names or rule.members, strict=False):
            await tx.connection.execute(
                """insert into committee_attendance (tenant, session, member, member_name, present, recorded_by)
                   select $1, $2, u.id, $4, $5, $6 from staff_user u where u.id = $3::uuid
                   on conflict (tenant, session, member) do update set present = excluded.present,
                     recorded_by = excluded.recorded_by, recorded_at = now()""",
                tenant.id, session["id"], member, name, member in present, actor.id)
        await audit.record(tenant.id, "committee.attendance", actor_user=actor.id, actor_label=actor.name,
                           target_type="committee_session", target_id=session["id"], address=actor.address,
                           before={"present": before}, after={"present": sorted(present)})


async def decide(tenant: Any, session_id: Any, item_id: Any, decision: str, reason: str, actor: Actor,
                 now: dt.datetime | None = None) -> str:
    """The presiding member confirms the committee's decision on one item: the outcome the rule
    gives the votes (accepted: the request moves on; declined: it ends, with the reason the
    applicant is told), or deferral to a later session (the request stays at the committee, its
    window still counting). The tally it was confirmed on is kept with the item."""
    _require(actor, {Role.committee_member})
    async with tenant_scope(tenant.id) as tx:
        item, rule = await _open_item(tenant.id, session_id, item_id, actor, now)
        if decision not in DECISIONS:
            raise Problem("decision", MSG_DECISION_REQUIRED)
        result, present, conflicts = await tally_in_scope(rule, item["session"], item["id"])
        if not rule.may_confirm(str(actor.id), present, conflicts):
            raise TransitionError(MSG_NOT_PRESIDING, "role")
        tally = json.dumps({**result.to_dict(), "present": sorted(present), "conflicts": sorted(conflicts)},
                           ensure_ascii=False)
        if decision == "defer":
            await tx.connection.execute(
                """update committee_item set decision = 'deferred', reason = $2, decided_by = $3, decided_at = now(),
                     tally = $4::jsonb where id = $1""", item["id"], reason.strip(), actor.id, tally)
            await audit.record(tenant.id, "committee.deferred", actor_user=actor.id, actor_label=actor.name,
                               target_type="support_request", target_id=item["request"], address=actor.address,
                               after={"session": item["session_number"], "reason": reason.strip()})
            return "committee"
        if decision != result.decision:
            raise TransitionError(MSG_NOT_THE_OUTCOME, "state")
        stage = await requests.act_in_scope(tenant, item["request"], decision, actor, {"reason": reason}, in_session=True)
        await tx.connection.execute(
            """update committee_item set decision = $2, reason = $3, decided_by = $4, decided_at = now(),
                 tally = $5::jsonb where id = $1""", item["id"], "accepted" if decision == "accept" else "rejected",
            reason.strip(), actor.id, tally)
    return stage


async def close_session(tenant: Any, session_id: Any, actor: Actor, now: dt.datetime | None = None) -> None:
    """Close the session: its minutes are final. Within its hours every item must be decided first;
    once they are over, the items it did not decide are carried over (deferred without a decision
    by anyone: the next session opened takes them first)."""
    _require(actor, ORGANISERS)
    async with tenant_scope(tenant.id) as tx:
        session = await get_session_in_scope(session_id, lock=True)
        if Role.admin not in actor.roles:
            _member_of(rule_of(session), actor)
        _closed(session["status"])
        undecided = await tx.connection.fetch(
            "select id, request from committee_item where session = $1 and decision is null", session["id"])
        if undecided and session_timing(session["held_at"], now) != "after":
            raise Problem("session", MSG_UNDECIDED_ITEMS)
        for item in undecided:
            await tx.connection.execute(
                "update committee_item set decision = 'deferred', decided_at = now() where id = $1", item["id"])
            await audit.record(tenant.id, "committee.carried_over", actor_user=actor.id, actor_label=actor.name,
                               target_type="support_request", target_id=item["request"], address=actor.address,
                               after={"session": session["number"]})
        await tx.connection.execute(
            "update committee_session set status = 'closed', closed_at = now(), closed_by = $2 where id = $1",
            session["id"], actor.id)
        await audit.record(tenant.id, "committee.session_closed", actor_user=actor.id, actor_label=actor.name,
                           target_type="committee_session", target_id=session["id"], address=actor.address,
                           before={"status": "open"}, after={"status": "closed"})


@dataclasses.dataclass(frozen=True)
class AgendaItem(queries.ItemRow):
    """An agenda item as the session page and the minutes show it: its row, its votes, the case
    summary, the appeal it hears (an appeal's item only), and the rule's outcome (live while
    undecided; `confirmed` is the tally it was decided on)."""

    votes: list[queries.VoteRow] = dataclasses.field(default_factory=list)
    summary: queries.CaseSummary | None = None
    appeal: requests.AppealRecord | None = None
    outcome: Outcome | None = None
    conflicts: frozenset[str] = frozenset()  # members who declared a conflict of interest on it
    presiding: str | None = None

    @property
    def confirmed(self) -> dict[str, Any] | None:
        return self.tally


@dataclasses.dataclass(frozen=True)
class AttendanceLine:
    id: str  # the member's staff id, as the rule has it
    name: str
    present: bool
    recorded: bool  # attendance was recorded for them (present or absent)


@dataclasses.dataclass(frozen=True)
class SessionDetail:
    """Everything the session page and the minutes show."""

    session: queries.SessionRow
    rule: CommitteeRule
    items: list[AgendaItem]
    present: frozenset[str]
    attendance: list[AttendanceLine]  # every member of its rule
    signatures: list[queries.SignatureRow]
    timing: str  # session_timing: before | during | after
    starts: dt.datetime
    ends: dt.datetime

    def item(self, item_id: Any) -> AgendaItem | None:
        return next((i for i in self.items if str(i.id) == str(item_id)), None)

    def context(self) -> dict[str, Any]:
        """Its fields as a template's names (not deep-copied, unlike dataclasses.asdict)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


async def session_detail(tenant_id: Any, session_id: Any) -> SessionDetail:
    """The session and its rule, attendance, each item with its case summary, votes and the
    rule's outcome, and the minutes' signatures (committee/queries.py reads them); NotFound for
    unknown ids and other tenants' alike."""
    sid = parse_uuid(session_id)
    async with tenant_scope(tenant_id):
        read = await queries.session_read(sid) if sid else None
        if read is None:
            raise NotFound(session_id)
        requests_on = [i.request for i in read.items]
        appeals = await requests.appeals_of(requests_on)  # an appeal's item shows what it appeals
        summaries = await queries.case_summaries(requests_on)
    rule = CommitteeRule.from_dict(read.session.rule)
    by_item: dict[Any, list[queries.VoteRow]] = {}
    for v in read.votes:
        by_item.setdefault(v.item, []).append(v)
    present = frozenset(str(a.member) for a in read.attendance if a.present)
    recorded = {str(a.member) for a in read.attendance}
    items = []
    for i in read.items:
        item_votes = by_item.get(i.id, [])
        conflicts = frozenset(str(v.member) for v in item_votes if v.vote == "conflict" and v.member)
        ballot = {str(v.member): v.vote for v in item_votes if v.vote != "conflict" and v.member}
        items.append(AgendaItem(**{f.name: getattr(i, f.name) for f in dataclasses.fields(queries.ItemRow)},
                                votes=item_votes, summary=summaries.get(i.request),
                                appeal=appeals.get(i.request) if i.kind == "appeal" else None,
                                outcome=outcome(rule, present, conflicts, ballot), conflicts=conflicts,
                                presiding=rule.presiding(present, conflicts)))
    starts, ends = session_hours(read.session.held_at)
    return SessionDetail(
        session=read.session, rule=rule, items=items, present=present,
        attendance=[AttendanceLine(m, rule.name_of(m) or m, m in present, m in recorded) for m in rule.members],
        signatures=read.signatures, timing=session_timing(read.session.held_at), starts=starts, ends=ends)


def minutes_digest(detail: SessionDetail) -> str:
    """SHA-256 of what the minutes record (attendance, each item's votes and decision): what a
    member's signature confirms. The same closed session always gives the same digest."""
    session = detail.session
    record = {
        "session": [str(session.id), session.number, str(session.held_at), session.location, str(session.closed_at)],
        "present": sorted(detail.present),
        "items": [[str(i.request), i.kind, i.decision, i.reason, str(i.decided_at),
                   sorted([str(v.member), v.vote, v.reasons] for v in i.votes)] for i in detail.items],
    }
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


async def sign_minutes(tenant: Any, session_id: Any, actor: Actor) -> None:
    """A member who attended confirms the closed session's minutes: their recorded e-signature
    (who, when, from where, and the digest of the minutes they confirmed)."""
    _require(actor, {Role.committee_member})
    detail = await session_detail(tenant.id, session_id)  # NotFound first for another tenant's id
    _member_of(detail.rule, actor)
    if detail.session.status != "closed":
        raise TransitionError(MSG_NOT_CLOSED, "state")
    if str(actor.id) not in detail.present:
        raise TransitionError(MSG_NOT_ATTENDED, "role")
    digest = minutes_digest(detail)
    async with tenant_scope(tenant.id) as tx:
        done = await tx.connection.fetchval(
            """insert into committee_signature (tenant, session, member, member_name, minutes_sha256, address)
               values ($1, $2, $3, $4, $5, $6) on conflict (tenant, session, member) do nothing returning id""",
            tenant.id, detail.session.id, actor.id, actor.name, digest, actor.address[:64])
        if done is None:
            raise TransitionError(MSG_ALREADY_SIGNED, "state")
        await audit.record(tenant.id, "committee.minutes_signed", actor_user=actor.id, actor_label=actor.name,
                           target_type="committee_session", target_id=detail.session.id, address=actor.address,
                           after={"minutes_sha256": digest})
