"""Suggestions and complaints: received with a reference, assigned, answered, closed — and the
applicant told at each step. Low survey scores open a `followup` item in the same queue."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import uuid
from typing import Any

import asyncpg

from sila.platform import audit
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.i18n import N_
from sila.tenants.feedback.tables import Feedback
from sila.tenants.notifications.services import LRM, notify

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")  # the public form's own token
KINDS = {"suggestion": N_("Suggestion"), "complaint": N_("Complaint"), "followup": N_("Survey follow-up")}
STATUSES = {"received": N_("New"), "assigned": N_("With a member of staff"), "answered": N_("Answered"),
            "closed": N_("Closed")}
HISTORY_LABELS = {"feedback.received": N_("Received from the applicant"),
                  "feedback.followup_opened": N_("Opened by a low survey score"),
                  "feedback.assigned": N_("Given to a member of staff"), "feedback.answered": N_("Answer sent"),
                  "feedback.closed": N_("Closed")}
MSG_WRONG_STATE = N_("This item is already closed.")
MSG_ASSIGNEE = N_("Choose a member of staff.")
MSG_ANSWER = N_("Write the answer.")



class Problem(Exception):
    def __init__(self, field: str, msgid: str) -> None:
        super().__init__(msgid)
        self.field, self.msgid = field, msgid


@dataclasses.dataclass
class FeedbackInput:
    kind: str
    body: str
    name: str
    mobile: str  # E.164 or ""
    email: str
    contact_channel: str
    language: str
    token: str


def new_reference(now: dt.datetime | None = None) -> str:
    return f"F-{(now or dt.datetime.now(dt.timezone.utc)).year % 100:02d}{secrets.randbelow(10**6):06d}"



async def _tell(tenant: Any, item: dict[str, Any], kind: str, **values: Any) -> None:
    """The applicant hears of each step, through the contact they gave (none given: nothing to send)."""
    if item["kind"] == "followup" or not (item["mobile"] or item["email"]):
        return
    lang = item["language"]
    ref = LRM + item["reference"] if lang == "ar" else item["reference"]
    await notify(tenant, kind, lang=lang, preferred=item["contact_channel"], mobile=item["mobile"],
                 email=item["email"], values={"ref": ref, **values})


async def _insert(conn: Any, tenant_id: uuid.UUID, **columns: Any) -> dict[str, Any]:
    names = ["tenant", "reference", *columns]
    for _ in range(5):  # a random reference may (rarely) be taken
        try:
            async with conn.transaction():
                row = await conn.fetchrow(
                    f"insert into feedback ({', '.join(names)}) values "
                    f"({', '.join(f'${i}' for i in range(1, len(names) + 1))}) returning *",
                    tenant_id, new_reference(), *columns.values())
            return dict(row)
        except asyncpg.UniqueViolationError as exc:
            if "reference" not in str(exc.constraint_name or ""):
                raise
    raise RuntimeError("no free reference")  # pragma: no cover


async def submit(tenant: Any, data: FeedbackInput, address: str = "") -> str:
    """From the public form; idempotent on the form's token. Returns the reference."""
    async with tenant_scope(tenant.id) as tx:
        conn = tx.connection
        found = await conn.fetchval("select reference from feedback where submit_token = $1", data.token)
        if found:
            return found
        try:
            item = await _insert(conn, tenant.id, kind=data.kind, body=data.body, name=data.name, mobile=data.mobile,
                                 email=data.email, contact_channel=data.contact_channel, language=data.language,
                                 submit_token=data.token)
        except asyncpg.UniqueViolationError:  # the same form sent twice at once: the other one won
            found = await conn.fetchval("select reference from feedback where submit_token = $1", data.token)
            if not found:
                raise
            return found
        await audit.record(tenant.id, "feedback.received", actor_label=data.name or "—", target_type="feedback",
                           target_id=item["id"], address=address, after={"reference": item["reference"],
                                                                         "kind": data.kind})
        await _tell(tenant, item, "feedback.received")
        return item["reference"]


async def by_token(tenant_id: Any, token: str) -> dict[str, Any] | None:
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            "select reference, kind, mobile, email from feedback where submit_token = $1", token)
    return dict(row) if row else None


async def open_followup_in_scope(tenant_id: Any, response_id: Any, body: str, *, name: str = "", mobile: str = "",
                                 email: str = "", channel: str = "sms", language: str = "ar") -> dict[str, Any]:
    """A low survey score: a follow-up for the relations team, in the caller's transaction."""
    conn = current_connection()
    item = await _insert(conn, parse_uuid(tenant_id), kind="followup", body=body[:4000], name=name, mobile=mobile,
                         email=email, contact_channel=channel, language=language, survey_response=response_id)
    await audit.record(tenant_id, "feedback.followup_opened", actor_label="—", target_type="feedback",
                       target_id=item["id"], after={"reference": item["reference"], "survey_response": response_id})
    return item


async def queue(tenant_id: Any, status: str = "", kind: str = "", limit: int = 200) -> list[dict[str, Any]]:
    where, args = ["true"], []
    if status == "open":
        where.append("f.status <> 'closed'")
    elif status in STATUSES:
        args.append(status)
        where.append(f"f.status = ${len(args)}")
    if kind in KINDS:
        args.append(kind)
        where.append(f"f.kind = ${len(args)}")
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"""select f.*, u.name as assignee_name from feedback f left join staff_user u on u.id = f.assignee
                where {' and '.join(where)} order by f.status = 'closed', f.created_at desc limit {int(limit)}""", *args)
    return [dict(r) for r in rows]


async def get_feedback_in_tenant(tenant_id: Any, item_id: Any) -> dict[str, Any]:
    """The item with its assignee's name and history; NotFound for unknown ids and other tenants' alike."""
    iid = parse_uuid(item_id)
    async with tenant_scope(tenant_id) as tx:
        row = await Feedback.select(*Feedback.all_columns(), Feedback.assignee.name.as_alias("assignee_name")) \
            .where(Feedback.id == iid).first() if iid else None
        if row is None:
            raise NotFound(item_id)
        history = await tx.connection.fetch(
            """select action, actor_label, after, created_at from audit_entry
               where target_type = 'feedback' and target_id = $1 order by created_at""", str(iid))
    return {**row, "history": [dict(h) for h in history]}


async def _lock(item_id: Any) -> dict[str, Any]:
    iid = parse_uuid(item_id)
    row = await current_connection().fetchrow("select * from feedback where id = $1 for update", iid) if iid else None
    if row is None:
        raise NotFound(item_id)
    if row["status"] == "closed":
        raise Problem("__all__", MSG_WRONG_STATE)
    return dict(row)


async def assign(tenant: Any, item_id: Any, assignee: Any, actor: Any) -> None:
    async with tenant_scope(tenant.id) as tx:
        item = await _lock(item_id)
        target = parse_uuid(assignee)
        if target is None or not await tx.connection.fetchval(
                """select 1 from membership where "user" = $1 and role in ('admin', 'relations_officer')""", target):
            raise Problem("assignee", MSG_ASSIGNEE)
        status = "assigned" if item["status"] == "received" else item["status"]
        await tx.connection.execute(
            "update feedback set assignee = $2, status = $3, updated_at = now() where id = $1", item["id"], target, status)
        await audit.record(tenant.id, "feedback.assigned", actor_user=actor.id, actor_label=actor.name,
                           target_type="feedback", target_id=item["id"], address=actor.address,
                           before={"assignee": item["assignee"], "status": item["status"]},
                           after={"assignee": target, "status": status})
        if item["status"] == "received":
            await _tell(tenant, item, "feedback.assigned")


async def answer(tenant: Any, item_id: Any, text: str, actor: Any) -> None:
    if not text.strip():
        raise Problem("answer", MSG_ANSWER)
    async with tenant_scope(tenant.id) as tx:
        item = await _lock(item_id)
        await tx.connection.execute(
            """update feedback set answer = $2, answered_by = $3, answered_at = now(), status = 'answered',
               assignee = coalesce(assignee, $3), updated_at = now() where id = $1""", item["id"], text.strip(), actor.id)
        await audit.record(tenant.id, "feedback.answered", actor_user=actor.id, actor_label=actor.name,
                           target_type="feedback", target_id=item["id"], address=actor.address,
                           before={"status": item["status"]}, after={"status": "answered", "answer": text.strip()})
        await _tell(tenant, item, "feedback.answered", answer=text.strip())


async def close(tenant: Any, item_id: Any, note: str, actor: Any) -> None:
    async with tenant_scope(tenant.id) as tx:
        item = await _lock(item_id)
        await tx.connection.execute(
            """update feedback set status = 'closed', close_note = $2, closed_by = $3, closed_at = now(),
               updated_at = now() where id = $1""", item["id"], note.strip(), actor.id)
        await audit.record(tenant.id, "feedback.closed", actor_user=actor.id, actor_label=actor.name,
                           target_type="feedback", target_id=item["id"], address=actor.address,
                           before={"status": item["status"]}, after={"status": "closed", "note": note.strip()})
        await _tell(tenant, item, "feedback.closed")


async def assignable_staff(tenant_id: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            """select distinct u.id, u.name, u.email from membership m join staff_user u on u.id = m."user"
               where m.role in ('admin', 'relations_officer') and u.is_active order by u.name""")
    return [dict(r) for r in rows]
