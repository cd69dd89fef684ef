"""The staff's queues: filters, search, counts, and the staff a request can be given to."""
from __future__ import annotations

import dataclasses
from typing import Any

from sila.platform.db import parse_uuid, tenant_scope
from sila.tenants.requests import clock, queries
from sila.tenants.requests.services.common import normalise_reference
from sila.platform.identity import normalise_mobile
from sila.platform.search import like_pattern, query_words


@dataclasses.dataclass
class QueueFilter:
    stages: list[str] = dataclasses.field(default_factory=list)
    channel: str = ""
    due: str = ""  # "", "overdue", "week", "none"
    assignee: str = ""  # "", "me", "none", or a staff id
    researcher: str = ""  # "me" for a researcher's own referrals
    idle: int = 0  # unchanged for more than this many days (0: any)
    agenda: str = ""  # "next": undecided on the next committee session's agenda
    q: str = ""  # a reference, a mobile number, or words of a name (sila.platform.search)


async def queue(tenant_id: Any, f: QueueFilter, me: Any, limit: int = 200) -> list[queries.QueueRow]:
    """Open requests, the least time left first (no due date last, then oldest first); a search
    (`f.q`) finds closed and declined requests too."""
    where, args = _queue_where(f, me)
    async with tenant_scope(tenant_id):
        return await queries.queue_rows(where, args, limit)


async def queue_count(tenant_id: Any, f: QueueFilter, me: Any) -> int:
    """How many requests `queue` would list for this filter (without its page limit)."""
    where, args = _queue_where(f, me)
    async with tenant_scope(tenant_id):
        return await queries.queue_total(where, args)


def _queue_where(f: QueueFilter, me: Any) -> tuple[str, list[Any]]:
    where, args = ([] if f.q.strip() else ["r.stage not in ('closed', 'rejected')"]), []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.stages:
        where.append(f"r.stage = any({arg(f.stages)}::text[])")
    if f.channel:
        where.append(f"r.channel = {arg(f.channel)}")
    # A paused clock (incomplete: waiting for the applicant) cannot run late (requests/clock.py).
    if f.due == "overdue":
        where.append(clock.OVERDUE_SQL)
    elif f.due == "week":
        where.append(f"r.due_at < now() + interval '7 days' and {clock.RUNNING_SQL}")
    elif f.due == "none":
        where.append("r.due_at is null")
    if f.assignee == "me":
        where.append(f"r.assignee = {arg(me)}")
    elif f.assignee == "none":
        where.append("r.assignee is null")
    elif a := parse_uuid(f.assignee):
        where.append(f"r.assignee = {arg(a)}")
    if f.researcher == "me":
        where.append(f"r.researcher = {arg(me)}")
    if f.idle > 0:
        where.append(f"r.updated_at < now() - make_interval(days => {arg(f.idle)})")
    if f.agenda == "next":
        where.append(f"r.id in ({NEXT_AGENDA})")
    if f.q.strip():
        where.append(search_clause(f.q, arg))
    return " and ".join(where) or "true", args


# Requests waiting undecided on the earliest open committee session.
NEXT_AGENDA = """select i.request from committee_item i where i.decision is null and i.session = (
    select s.id from committee_session s where s.status = 'open' order by s.held_at, s.number limit 1)"""


def search_clause(raw: str, arg: Any) -> str:
    """A reference (25-00001234, Eastern digits too), a mobile number (05…, +9665…), or the words
    of a name, each matched on the beneficiary's normalised name key."""
    text = raw.strip()[:100]
    either = []  # ten digits can be both a reference (26-12345678) and a mobile (0551234567)
    reference = normalise_reference(text)
    if len(reference) == 11 and reference[2] == "-" and (reference[:2] + reference[3:]).isdigit():
        either.append(f"r.reference = {arg(reference)}")
    mobile, _ = normalise_mobile(text) if any(ch.isdigit() for ch in text) else (None, None)
    if mobile:
        either.append(f"b.mobile = {arg(mobile)} or r.contact_mobile = {arg(mobile)}")
    if either:
        return "(" + " or ".join(either) + ")"
    words = query_words(text)
    if not words:
        return "false"
    return f"b.name_key like all({arg([like_pattern(w) for w in words])}::text[])"


async def overdue_count(tenant_id: Any) -> int:
    async with tenant_scope(tenant_id) as tx:
        return await tx.connection.fetchval(
            f"select count(*) from support_request r where {clock.OVERDUE_SQL}")


async def staff_with_role(tenant_id: Any, role: str) -> list[queries.StaffMember]:
    async with tenant_scope(tenant_id):
        return await queries.staff_with_role(role)
