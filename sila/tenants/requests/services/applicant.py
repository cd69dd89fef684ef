"""What an applicant does from the tracking page (reference + one-time code): send what an
incomplete request is missing, or appeal (تظلم) a decline once within the policy's period.

Both run in one tenant scope with the request row locked, and write the audit entry, the staff
notice or the applicant's message in that same transaction. The route offers each only when
`offers` says so; the service refuses the same things on its own (a replayed or forged POST).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sila.platform import audit
from sila.platform.db import current_connection, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.i18n import N_
from sila.tenants.policy import deadlines
from sila.tenants.requests import clock, queries, staff_notices
from sila.tenants.requests.forms import MSG_APPEAL_REASON
from sila.tenants.requests.messages import due_text, notify_in_scope
from sila.tenants.requests.terms import PolicyTerms, terms_of_version
from sila.tenants.requests.uploads import MAX_FILES, MSG_TOO_MANY, Upload
from sila.tenants.requests.workflow import Problem, TransitionError, Workflow

MAX_REPLY = 4000

MSG_NOT_INCOMPLETE = N_("Your request is not waiting for anything from you now.")
MSG_COMPLETION_OFFLINE = N_("This charity takes the missing information through its channels; it cannot be sent here.")
MSG_NOTHING_SENT = N_("Attach the missing documents, or write a reply, or both.")
MSG_NOT_DECLINED = N_("Only a declined request can be appealed.")
MSG_NO_APPEALS = N_("This charity's policy does not provide for appeals.")
MSG_APPEALED_ONCE = N_("This request was already appealed; a request can be appealed once.")
MSG_APPEAL_LATE = N_("The period for an appeal has ended.")


@dataclasses.dataclass(frozen=True)
class Offers:
    """What the tracking page offers this applicant now, and why not."""

    complete: bool
    complete_offline: bool  # incomplete, but the policy wants its channels used
    appeal: bool
    appeal_until: dt.datetime | None
    appeal_refusal: str | None  # msgid, when the request was declined but cannot be appealed
    appeal_record: queries.AppealRecord | None


async def _lock(reference: str) -> dict[str, Any]:
    row = await current_connection().fetchrow(
        "select * from support_request where reference = $1 for update", reference)
    if row is None:
        raise NotFound()
    return dict(row)


async def _appeal_until_in_scope(req: dict[str, Any], terms: PolicyTerms | None) -> dt.datetime | None:
    if terms is None or not terms.appeal_days or req["decided_at"] is None:
        return None
    return await deadlines.due_in_scope(req["decided_at"], terms.appeal_days, req["review_window_basis"])


async def offers_in_scope(req: dict[str, Any], terms: PolicyTerms | None, now: dt.datetime | None = None) -> Offers:
    now = now or dt.datetime.now(dt.UTC)
    appeal = await queries.appeal_of(req["id"])
    until = await _appeal_until_in_scope(req, terms)
    refusal: str | None = None
    if req["stage"] == "rejected":
        if appeal is not None:
            refusal = MSG_APPEALED_ONCE
        elif terms is None or not terms.appeal_days:
            refusal = MSG_NO_APPEALS
        elif until is None or now > until:
            refusal = MSG_APPEAL_LATE
    elif appeal is None:
        refusal = MSG_NOT_DECLINED
    online = bool(terms and terms.online_completion)
    incomplete = req["stage"] == "incomplete"
    return Offers(complete=incomplete and online, complete_offline=incomplete and not online,
                  appeal=req["stage"] == "rejected" and refusal is None, appeal_until=until,
                  appeal_refusal=refusal if req["stage"] == "rejected" else None, appeal_record=appeal)


async def offers(tenant_id: Any, reference: str) -> Offers | None:
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow("select * from support_request where reference = $1", reference)
        if row is None:
            return None
        terms = await terms_of_version(tenant_id, row["policy_version_number"])
        return await offers_in_scope(dict(row), terms)


async def complete(tenant: Any, reference: str, reply: str, files: list[Upload], address: str) -> None:
    """The applicant sends what was missing: the files are kept with the request, the reply with
    the pause; the clock runs again, the request is back at verification, and whoever holds it is
    told. TransitionError when the request is not waiting for the applicant (409) or the policy
    takes completions only through its channels (403); Problem when nothing was sent."""
    async with tenant_scope(tenant.id):
        req = await _lock(reference)
        terms = await terms_of_version(tenant.id, req["policy_version_number"])
        if req["stage"] != "incomplete":
            raise TransitionError(MSG_NOT_INCOMPLETE, "state")
        if terms is None or not terms.online_completion:
            raise TransitionError(MSG_COMPLETION_OFFLINE, "role")
        if not reply.strip() and not files:
            raise Problem("reply", MSG_NOTHING_SENT)
        if len(files) > MAX_FILES:
            raise Problem("documents", MSG_TOO_MANY)
        ids = [await queries.insert_document(tenant.id, req["id"], "supporting", f, None) for f in files]
        await clock.stage_changed_in_scope(tenant, req, "verify", actor_label=req["contact_name"], address=address,
                                           ended_by="applicant", reply=reply.strip())
        await queries.update_request(req["id"], {"stage": "verify"})
        await audit.record(tenant.id, "request.completed_by_applicant", actor_label=req["contact_name"],
                           target_type="support_request", target_id=req["id"], address=address,
                           before={"stage": "incomplete"},
                           after={"stage": "verify", "documents": [f.filename for f in files],
                                  "ids": [str(i) for i in ids], "reply": reply.strip()})
        fresh = await current_connection().fetchrow("select * from support_request where id = $1", req["id"])
        for person in [req["assignee"]] if req["assignee"] else await staff_notices.officers_in_scope():
            await staff_notices.tell_in_scope(tenant, person, "staff.completed", [req])
        await notify_in_scope(tenant, req, "request.completed",
                              due=due_text(fresh["due_at"], req["contact_language"]) or "—")


async def appeal(tenant: Any, reference: str, reason: str, address: str,
                 now: dt.datetime | None = None) -> None:
    """The applicant appeals a decline: once, within the policy's period. The request goes back to
    where it is decided (the committee's stage, where the agenda picks it up) with a fresh window;
    the decision appealed is kept on the appeal row and in the history."""
    async with tenant_scope(tenant.id):
        req = await _lock(reference)
        terms = await terms_of_version(tenant.id, req["policy_version_number"])
        found = await offers_in_scope(req, terms, now)
        if not found.appeal:
            raise TransitionError(found.appeal_refusal or MSG_NOT_DECLINED, "state")
        if not reason.strip():
            raise Problem("reason", MSG_APPEAL_REASON)
        await queries.insert_appeal(tenant.id, req, reason.strip(), address)
        stage = Workflow.from_steps(req["steps"]).decision_stage
        filed = now or dt.datetime.now(dt.UTC)
        await queries.update_request(req["id"], {"stage": stage, "decision": None, "decision_reason": "",
                                                 "decided_at": None, "closed_at": None, "appealed_at": filed})
        due = await clock.restart_in_scope(req, filed)
        await audit.record(tenant.id, "request.appealed", actor_label=req["contact_name"],
                           target_type="support_request", target_id=req["id"], address=address,
                           before={"stage": req["stage"], "decision": req["decision"],
                                   "reason": req["decision_reason"]},
                           after={"stage": stage, "decision": None, "appeal": reason.strip(), "due_at": due})
        await notify_in_scope(tenant, req, "request.appeal_received",
                              due=due_text(due, req["contact_language"]) or "—")


__all__ = ["Offers", "offers", "offers_in_scope", "complete", "appeal", "MAX_REPLY"]
