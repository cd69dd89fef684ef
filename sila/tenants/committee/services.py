"""The research committee (لجنة البحث): sessions with an agenda of requests, each member's vote with
reasons, and the decision per request, which moves the request on through the requests area's one
workflow entry point (`requests.act_in_scope`, as a decision taken in a session).

This area calls the requests area's services only, never its routes."""
from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from typing import Any

from sila.platform import audit
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.i18n import N_
from sila.platform.roles import Role
from sila.tenants.committee import queries
from sila.tenants.committee.forms import MSG_DECISION_REQUIRED, MSG_VOTE_REQUIRED, MSG_WHEN_REQUIRED, VOTES
from sila.tenants.requests import services as requests
from sila.tenants.requests.services import MSG_WRONG_ROLE, Actor, Problem, TransitionError
from sila.tenants.requests.tables import CommitteeSession

ORGANISERS = {Role.committee_member, Role.admin}  # open sessions, set agendas, close sessions
AGENDA_EDITORS = {Role.committee_member, Role.admin, Role.relations_officer}

MSG_SESSION_CLOSED = N_("This session is closed; its minutes can no longer change.")
MSG_NOT_AT_COMMITTEE = N_("Only requests waiting for the committee can go on the agenda.")
MSG_ALREADY_ON_AGENDA = N_("This request is already on an agenda.")
MSG_ITEM_DECIDED = N_("The committee has already decided on this request.")
MSG_UNDECIDED_ITEMS = N_("Decide on every request on the agenda before closing the session.")
MSG_NOTHING_CHOSEN = N_("Choose at least one request.")


def _require(actor: Actor, roles: AbstractSet[str]) -> None:
    if not actor.roles & roles:
        raise TransitionError(MSG_WRONG_ROLE, "role")


async def sessions(tenant_id: Any) -> list[queries.SessionSummary]:
    async with tenant_scope(tenant_id):
        return await queries.session_summaries()


async def create_session(tenant: Any, held_at: dt.datetime | None, location: str, actor: Actor) -> Any:
    _require(actor, ORGANISERS)
    if held_at is None:
        raise Problem("held_at", MSG_WHEN_REQUIRED)
    async with tenant_scope(tenant.id) as tx:
        c = tx.connection
        # Numbers follow each other per tenant; the lock makes two at once wait, not collide.
        await c.execute("select pg_advisory_xact_lock(hashtext('committee_session:' || $1))", str(tenant.id))
        number = await c.fetchval("select coalesce(max(number), 0) + 1 from committee_session")
        sid = await c.fetchval(
            """insert into committee_session (tenant, number, held_at, location, created_by)
               values ($1, $2, $3, $4, $5) returning id""", tenant.id, number, held_at, location, actor.id)
        await audit.record(tenant.id, "committee.session_opened", actor_user=actor.id, actor_label=actor.name,
                           target_type="committee_session", target_id=sid, address=actor.address,
                           after={"number": number, "held_at": held_at, "location": location})
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


async def waiting_requests(tenant_id: Any) -> list[dict[str, Any]]:
    """Requests at the committee stage that are on no pending agenda."""
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            """select r.id, r.reference, r.due_at, b.name as beneficiary_name from support_request r
               join beneficiary b on b.id = r.beneficiary
               where r.stage = 'committee' and not exists
                 (select 1 from committee_item i where i.request = r.id and i.decision is null)
               order by r.due_at nulls last""")
    return [dict(r) for r in rows]


async def add_to_agenda(tenant: Any, session_id: Any, request_ids: list[Any], actor: Actor) -> None:
    _require(actor, AGENDA_EDITORS)
    ids = [i for i in (parse_uuid(r) for r in request_ids) if i]
    async with tenant_scope(tenant.id) as tx:
        c = tx.connection
        session = await get_session_in_scope(session_id, lock=True)
        if session["status"] != "open":
            raise Problem("requests", MSG_SESSION_CLOSED)
        if not ids:
            raise Problem("requests", MSG_NOTHING_CHOSEN)
        position = await c.fetchval("select coalesce(max(position), 0) from committee_item where session = $1",
                                    session["id"])
        for rid in ids:
            req = await c.fetchrow("select id, reference, stage from support_request where id = $1 for update", rid)
            if req is None:
                raise NotFound()
            if req["stage"] != "committee":
                raise Problem("requests", MSG_NOT_AT_COMMITTEE)
            if await c.fetchval("select 1 from committee_item where request = $1 and decision is null", rid):
                raise Problem("requests", MSG_ALREADY_ON_AGENDA)
            position += 1
            await c.execute("insert into committee_item (tenant, session, request, position) values ($1, $2, $3, $4)",
                            tenant.id, session["id"], rid, position)
            await audit.record(tenant.id, "committee.agenda_added", actor_user=actor.id, actor_label=actor.name,
                               target_type="support_request", target_id=rid, address=actor.address,
                               after={"session": session["number"], "position": position})


async def _item(item_id: Any) -> dict[str, Any]:
    iid = parse_uuid(item_id)
    row = await current_connection().fetchrow(
        """select i.*, s.status as session_status, s.number as session_number from committee_item i
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


async def cast_vote(tenant: Any, session_id: Any, item_id: Any, vote: str, reasons: str, actor: Actor) -> None:
    _require(actor, {Role.committee_member})  # only members vote; an admin organises but has no vote
    async with tenant_scope(tenant.id) as tx:
        item = await _item(item_id)  # first: another tenant's id is "not found", whatever the input
        if str(item["session"]) != str(parse_uuid(session_id)):
            raise NotFound()
        if vote not in VOTES:
            raise Problem("vote", MSG_VOTE_REQUIRED)
        if item["session_status"] != "open":
            raise Problem("vote", MSG_SESSION_CLOSED)
        if item["decision"]:
            raise Problem("vote", MSG_ITEM_DECIDED)
        before = await tx.connection.fetchrow(
            "select vote, reasons from committee_vote where item = $1 and member = $2", item["id"], actor.id)
        await tx.connection.execute(
            """insert into committee_vote (tenant, item, member, member_name, vote, reasons)
               values ($1, $2, $3, $4, $5, $6)
               on conflict (tenant, item, member) do update set vote = excluded.vote, reasons = excluded.reasons,
                 cast_at = now()""", tenant.id, item["id"], actor.id, actor.name, vote, reasons.strip())
        await audit.record(tenant.id, "committee.vote", actor_user=actor.id, actor_label=actor.name,
                           target_type="support_request", target_id=item["request"], address=actor.address,
                           before=dict(before) if before else None,
                           after={"session": item["session_number"], "vote": vote, "reasons": reasons.strip()})


async def decide(tenant: Any, session_id: Any, item_id: Any, decision: str, reason: str, actor: Actor) -> str:
    """The committee's decision on one request: moves the request on (accepted) or ends it
    (declined, with the reason the applicant is told), in the same transaction."""
    _require(actor, {Role.committee_member})
    async with tenant_scope(tenant.id) as tx:
        item = await _item(item_id)
        if str(item["session"]) != str(parse_uuid(session_id)):
            raise NotFound()
        if decision not in ("accept", "reject"):
            raise Problem("decision", MSG_DECISION_REQUIRED)
        if item["session_status"] != "open":
            raise Problem("decision", MSG_SESSION_CLOSED)
        if item["decision"]:
            raise Problem("decision", MSG_ITEM_DECIDED)
        stage = await requests.act_in_scope(tenant, item["request"], decision, actor, {"reason": reason}, in_session=True)
        await tx.connection.execute(
            """update committee_item set decision = $2, reason = $3, decided_by = $4, decided_at = now()
               where id = $1""", item["id"], "accepted" if decision == "accept" else "rejected", reason.strip(),
            actor.id)
    return stage


async def close_session(tenant: Any, session_id: Any, actor: Actor) -> None:
    _require(actor, ORGANISERS)
    async with tenant_scope(tenant.id) as tx:
        session = await get_session_in_scope(session_id, lock=True)
        if session["status"] != "open":
            raise Problem("session", MSG_SESSION_CLOSED)
        if await tx.connection.fetchval(
                "select count(*) from committee_item where session = $1 and decision is null", session["id"]):
            raise Problem("session", MSG_UNDECIDED_ITEMS)
        await tx.connection.execute(
            "update committee_session set status = 'closed', closed_at = now(), closed_by = $2 where id = $1",
            session["id"], actor.id)
        await audit.record(tenant.id, "committee.session_closed", actor_user=actor.id, actor_label=actor.name,
                           target_type="committee_session", target_id=session["id"], address=actor.address,
                           before={"status": "open"}, after={"status": "closed"})


async def session_detail(tenant_id: Any, session_id: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        session = await get_session_in_scope(session_id)
        items = await c.fetch(
            """select i.*, r.reference, r.need, r.stage, r.due_at, b.name as beneficiary_name,
                 r.submitted_at, r.review_window_days, r.review_window_basis, r.paused_days, r.appealed_at,
                 r.stage_since, u.name as decided_by_name
               from committee_item i join support_request r on r.id = i.request
               join beneficiary b on b.id = r.beneficiary left join staff_user u on u.id = i.decided_by
               where i.session = $1 order by i.position""", session["id"])
        votes = await c.fetch(
            """select v.* from committee_vote v join committee_item i on i.id = v.item
               where i.session = $1 order by v.member_name""", session["id"])
        members = await c.fetch(
            """select u.id, u.name, u.email from membership m join staff_user u on u.id = m."user"
               where m.role = 'committee_member' order by u.name""")
        appeals = await requests.appeals_of([i["request"] for i in items])  # an appeal shows what it appeals
        names = await c.fetch(
            "select id, name from staff_user where id = any($1::uuid[])",
            [x for x in (session["created_by"], session["closed_by"]) if x])
    by_item: dict[Any, list[dict[str, Any]]] = {}
    for v in votes:
        by_item.setdefault(v["item"], []).append(dict(v))
    people = {r["id"]: r["name"] for r in names}
    return {"session": {**session, "created_by_name": people.get(session["created_by"], ""),
                        "closed_by_name": people.get(session["closed_by"], "")},
            "items": [{**dict(i), "votes": by_item.get(i["id"], []), "appeal": appeals.get(i["request"])} for i in items],
            "members": [dict(m) for m in members]}
