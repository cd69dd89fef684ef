"""The feedback area's data access, in the open tenant scope: Piccolo's query builder where it says the
query plainly, raw SQL where it is the better tool (`returning`, locks, built filters), reads returned as
typed records. The services call these; none opens a scope."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import asyncpg

from sila.platform.db import current_connection
from sila.tenants.feedback.tables import Feedback

COLUMNS = ("id, tenant, reference, kind, body, name, mobile, email, contact_channel, language, survey_response, "
           "status, assignee, answer, answered_by, answered_at, close_note, closed_by, closed_at, submit_token, "
           "created_at, updated_at")


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One step of an item's history, from the audit trail."""

    action: str
    actor_label: str
    after: Any
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class FeedbackItem:
    """A suggestion, complaint or survey follow-up; `assignee_name` and `history` where the read joins them."""

    id: uuid.UUID
    tenant: uuid.UUID
    reference: str
    kind: str
    body: str
    name: str
    mobile: str
    email: str
    contact_channel: str
    language: str
    survey_response: uuid.UUID | None
    status: str
    assignee: uuid.UUID | None
    answer: str
    answered_by: uuid.UUID | None
    answered_at: dt.datetime | None
    close_note: str
    closed_by: uuid.UUID | None
    closed_at: dt.datetime | None
    submit_token: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    assignee_name: str | None = None
    history: tuple[HistoryEntry, ...] = ()


@dataclasses.dataclass(frozen=True)
class Receipt:
    """What the public "received" page shows for the form's token."""

    reference: str
    kind: str
    mobile: str
    email: str


@dataclasses.dataclass(frozen=True)
class Assignable:
    id: uuid.UUID
    name: str | None
    email: str


async def reference_for_token(token: str) -> str | None:
    return await current_connection().fetchval("select reference from feedback where submit_token = $1", token)


async def insert_feedback(tenant_id: Any, reference: str, columns: dict[str, Any]) -> FeedbackItem:
    """Raises asyncpg's UniqueViolationError when the reference or the form's token is taken, inside a
    savepoint so the caller's transaction goes on."""
    names = ["tenant", "reference", *columns]
    conn = current_connection()
    async with conn.transaction():
        row = await conn.fetchrow(
            f"insert into feedback ({', '.join(names)}) values "
            f"({', '.join(f'${i}' for i in range(1, len(names) + 1))}) returning {COLUMNS}",
            tenant_id, reference, *columns.values())
    return FeedbackItem(**dict(row))


def reference_taken(exc: asyncpg.UniqueViolationError) -> bool:
    return "reference" in str(exc.constraint_name or "")


async def receipt_by_token(token: str) -> Receipt | None:
    row = await Feedback.select(Feedback.reference, Feedback.kind, Feedback.mobile, Feedback.email) \
        .where(Feedback.submit_token == token).first()
    return Receipt(**row) if row else None


async def queue_items(status: str, kind: str, open_statuses: bool, limit: int) -> list[FeedbackItem]:
    """Items with their assignee's name: `status` and `kind` when given ("" for any), or every item
    not closed when `open_statuses`; open ones first, newest first."""
    where, args = ["true"], []
    if open_statuses:
        where.append("f.status <> 'closed'")
    elif status:
        args.append(status)
        where.append(f"f.status = ${len(args)}")
    if kind:
        args.append(kind)
        where.append(f"f.kind = ${len(args)}")
    rows = await current_connection().fetch(
        f"""select {', '.join('f.' + c.strip() for c in COLUMNS.split(','))}, u.name as assignee_name
            from feedback f left join staff_user u on u.id = f.assignee
            where {' and '.join(where)} order by f.status = 'closed', f.created_at desc limit {int(limit)}""", *args)
    return [FeedbackItem(**dict(r)) for r in rows]


async def item_with_history(item_id: uuid.UUID) -> FeedbackItem | None:
    row = await Feedback.select(*Feedback.all_columns(), Feedback.assignee.name.as_alias("assignee_name")) \
        .where(Feedback.id == item_id).first()
    if row is None:
        return None
    history = await current_connection().fetch(
        """select action, actor_label, after, created_at from audit_entry
           where target_type = 'feedback' and target_id = $1 order by created_at""", str(item_id))
    return FeedbackItem(**row, history=tuple(HistoryEntry(**dict(h)) for h in history))


async def lock_item(item_id: uuid.UUID) -> FeedbackItem | None:
    row = await current_connection().fetchrow(f"select {COLUMNS} from feedback where id = $1 for update", item_id)
    return FeedbackItem(**dict(row)) if row else None


async def can_be_assigned(user_id: uuid.UUID) -> bool:
    return bool(await current_connection().fetchval(
        """select 1 from membership where "user" = $1 and role in ('admin', 'relations_officer')""", user_id))


async def set_assignee(item_id: uuid.UUID, assignee: uuid.UUID, status: str) -> None:
    await current_connection().execute(
        "update feedback set assignee = $2, status = $3, updated_at = now() where id = $1", item_id, assignee, status)


async def set_answered(item_id: uuid.UUID, text: str, by: Any) -> None:
    await current_connection().execute(
        """update feedback set answer = $2, answered_by = $3, answered_at = now(), status = 'answered',
           assignee = coalesce(assignee, $3), updated_at = now() where id = $1""", item_id, text, by)


async def set_closed(item_id: uuid.UUID, note: str, by: Any) -> None:
    await current_connection().execute(
        """update feedback set status = 'closed', close_note = $2, closed_by = $3, closed_at = now(),
           updated_at = now() where id = $1""", item_id, note, by)


async def assignable_staff() -> list[Assignable]:
    rows = await current_connection().fetch(
        """select distinct u.id, u.name, u.email from membership m join staff_user u on u.id = m."user"
           where m.role in ('admin', 'relations_officer') and u.is_active order by u.name""")
    return [Assignable(**dict(r)) for r in rows]
