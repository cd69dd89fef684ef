"""Suggestions and complaints: received with a reference, assigned, answered, closed — and the
applicant told at each step. Low survey scores open a `followup` item in the same queue."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from typing import Any

import asyncpg

from sila.platform import audit
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.i18n import N_
from sila.tenants.feedback import queries
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
    return f"F-{(now or dt.datetime.now(dt.UTC)).year % 100:02d}{secrets.randbelow(10**6):06d}"



async def _tell(tenant: Any, item: queries.FeedbackItem, kind: str, **values: Any) -> None:
    """The applicant hears of each step, through the contact they gave (none given: nothing to send)."""
    if item.kind == "followup" or not (item.mobile or item.email):
        return
    lang = item.language
    ref = LRM + item.reference if lang == "ar" else item.reference
    await notify(tenant, kind, lang=lang, preferred=item.contact_channel, mobile=item.mobile,
                 email=item.email, values={"ref": ref, **values})


async def _insert(tenant_id: Any, **columns: Any) -> queries.FeedbackItem:
    for _ in range(5):  # a random reference may (rarely) be taken
        try:
            return await queries.insert_feedback(tenant_id, new_reference(), columns)
        except asyncpg.UniqueViolationError as exc:
            if not queries.reference_taken(exc):
                raise
    raise RuntimeError("no free reference")  # pragma: no cover


async def submit(tenant: Any, data: FeedbackInput, address: str = "") -> str:
    """From the public form; idempotent on the form's token. Returns the reference."""
    async with tenant_scope(tenant.id):
        found = await queries.reference_for_token(data.token)
        if found:
            return found
        try:
            item = await _insert(tenant.id, kind=data.kind, body=data.body, name=data.name, mobile=data.mobile,
                                 email=data.email, contact_channel=data.contact_channel, language=data.language,
                                 submit_token=data.token)
        except asyncpg.UniqueViolationError:  # the same form sent twice at once: the other one won
            found = await queries.reference_for_token(data.token)
            if not found:
                raise
            return found
        await audit.record(tenant.id, "feedback.received", actor_label=data.name or "—", target_type="feedback",
                           target_id=item.id, address=address, after={"reference": item.reference,
                                                                      "kind": data.kind})
        await _tell(tenant, item, "feedback.received")
        return item.reference


async def by_token(tenant_id: Any, token: str) -> queries.Receipt | None:
    if not TOKEN_RE.fullmatch(token or ""):
        return None
    async with tenant_scope(tenant_id):
        return await queries.receipt_by_token(token)


async def open_followup_in_scope(tenant_id: Any, response_id: Any, body: str, *, name: str = "", mobile: str = "",
                                 email: str = "", channel: str = "sms", language: str = "ar") -> queries.FeedbackItem:
    """A low survey score: a follow-up for the relations team, in the caller's transaction."""
    item = await _insert(parse_uuid(tenant_id), kind="followup", body=body[:4000], name=name, mobile=mobile,
                         email=email, contact_channel=channel, language=language, survey_response=response_id)
    await audit.record(tenant_id, "feedback.followup_opened", actor_label="—", target_type="feedback",
                       target_id=item.id, after={"reference": item.reference, "survey_response": response_id})
    return item


async def queue(tenant_id: Any, status: str = "", kind: str = "", limit: int = 200) -> list[queries.FeedbackItem]:
    async with tenant_scope(tenant_id):
        return await queries.queue_items(status if status in STATUSES else "", kind if kind in KINDS else "",
                                         status == "open", limit)


async def get_feedback_in_tenant(tenant_id: Any, item_id: Any) -> queries.FeedbackItem:
    """The item with its assignee's name and history; NotFound for unknown ids and other tenants' alike."""
    iid = parse_uuid(item_id)
    async with tenant_scope(tenant_id):
        item = await queries.item_with_history(iid) if iid else None
    if item is None:
        raise NotFound(item_id)
    return item


async def _lock(item_id: Any) -> queries.FeedbackItem:
    iid = parse_uuid(item_id)
    item = await queries.lock_item(iid) if iid else None
    if item is None:
        raise NotFound(item_id)
    if item.status == "closed":
        raise Problem("__all__", MSG_WRONG_STATE)
    return item


async def assign(tenant: Any, item_id: Any, assignee: Any, actor: Any) -> None:
    async with tenant_scope(tenant.id):
        item = await _lock(item_id)
        target = parse_uuid(assignee)
        if target is None or not await queries.can_be_assigned(target):
            raise Problem("assignee", MSG_ASSIGNEE)
        status = "assigned" if item.status == "received" else item.status
        await queries.set_assignee(item.id, target, status)
        await audit.record(tenant.id, "feedback.assigned", actor_user=actor.id, actor_label=actor.name,
                           target_type="feedback", target_id=item.id, address=actor.address,
                           before={"assignee": item.assignee, "status": item.status},
                           after={"assignee": target, "status": status})
        if item.status == "received":
            await _tell(tenant, item, "feedback.assigned")


async def answer(tenant: Any, item_id: Any, text: str, actor: Any) -> None:
    if not text.strip():
        raise Problem("answer", MSG_ANSWER)
    async with tenant_scope(tenant.id):
        item = await _lock(item_id)
        await queries.set_answered(item.id, text.strip(), actor.id)
        await audit.record(tenant.id, "feedback.answered", actor_user=actor.id, actor_label=actor.name,
                           target_type="feedback", target_id=item.id, address=actor.address,
                           before={"status": item.status}, after={"status": "answered", "answer": text.strip()})
        await _tell(tenant, item, "feedback.answered", answer=text.strip())


async def close(tenant: Any, item_id: Any, note: str, actor: Any) -> None:
    async with tenant_scope(tenant.id):
        item = await _lock(item_id)
        await queries.set_closed(item.id, note.strip(), actor.id)
        await audit.record(tenant.id, "feedback.closed", actor_user=actor.id, actor_label=actor.name,
                           target_type="feedback", target_id=item.id, address=actor.address,
                           before={"status": item.status}, after={"status": "closed", "note": note.strip()})
        await _tell(tenant, item, "feedback.closed")


async def assignable_staff(tenant_id: Any) -> list[queries.Assignable]:
    async with tenant_scope(tenant_id):
        return await queries.assignable_staff()
