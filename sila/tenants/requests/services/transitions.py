"""Workflow transitions on a request, its assignment and added documents.

`act_in_scope` is the one entry point for every workflow action (`actions.SPECS`): it checks the
stage and role against the request's own workflow, then the action's guard, reads the input with
the action's form, runs its record writer, and writes the audit entry (before and after) and the
applicant's outbox row in the same transaction, so a transition, its trail and its message exist
together or not at all.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sila.platform import audit
from sila.platform.actors import Actor
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.forms import parse_form
from sila.platform.i18n import N_
from sila.platform.roles import Role
from sila.tenants.requests import clock, queries, staff_notices
from sila.tenants.requests.actions import CHECKLIST, SPECS, Invalid, Step, refusal
from sila.tenants.requests.messages import notify_in_scope
from sila.tenants.requests.services.common import Problem
from sila.tenants.requests.uploads import Upload
from sila.tenants.requests.workflow import MSG_WRONG_ROLE, MSG_WRONG_STATE, TransitionError, Workflow

__all__ = ["CHECKLIST", "MSG_ASSIGNEE", "act", "act_in_scope", "add_documents", "assign"]

MSG_ASSIGNEE = N_("Choose a member of staff.")


async def act(tenant: Any, request_id: Any, action: str, actor: Actor, data: Mapping[str, Any] | None = None) -> str:
    """Do `action` on the request (see `act_in_scope`) in its own tenant scope. Returns the new
    stage. Raises NotFound, TransitionError (wrong stage / role), Invalid (the input, every field)
    or Problem (input only the request's rows can judge)."""
    async with tenant_scope(tenant.id):
        return await act_in_scope(tenant, request_id, action, actor, data or {})


async def act_in_scope(tenant: Any, request_id: Any, action: str, actor: Actor, data: Mapping[str, Any], *,
                       in_session: bool = False) -> str:
    """`data` is the form as sent (text fields, and `Upload`s in the action's file fields).
    `in_session` is for the committee's decision only: taken in a committee session."""
    req = await queries.lock_request(request_id)
    workflow = Workflow.from_steps(req["steps"])
    stage = workflow.transition(req["stage"], action, actor.roles, req["satisfied"], in_session=in_session)
    spec = SPECS[action]
    if (why := await refusal(action, req, actor)) is not None:  # what the page offers, the server allows
        raise why
    parsed = parse_form(spec.form, data, check=spec.check)
    if parsed.value is None:
        raise Invalid(parsed.errors, parsed.typed)
    written = await spec.write(Step(tenant, req, actor, stage), parsed.value)
    changes = {"stage": stage, **written.changes}
    await queries.update_request(req["id"], changes)
    await clock.stage_changed_in_scope(tenant, req, stage, actor=actor.id, actor_label=actor.name,
                                       address=actor.address, missing=written.detail.get("missing"),
                                       note=str(written.detail.get("note") or ""))
    appealed = "decision" in written.changes and await queries.decide_appeal(
        req, changes["decision"], str(changes.get("decision_reason") or ""))
    before = {"stage": req["stage"], "decision": req["decision"]}
    after = {"stage": stage, "decision": changes.get("decision", req["decision"]), **written.detail}
    await audit.record(tenant.id, f"request.{action}", actor_user=actor.id, actor_label=actor.name,
                       target_type="support_request", target_id=req["id"], before=before, after=after,
                       address=actor.address)
    if spec.notice is not None:
        kind, context = spec.notice(req, parsed.value)
        if appealed:  # the outcome of the appeal, in the words of an appeal
            kind, context = queries.APPEAL_OUTCOME[changes["decision"]], {"reason": changes.get("decision_reason") or "—"}
        await notify_in_scope(tenant, req, kind, **context)
    elif appealed:
        await notify_in_scope(tenant, req, queries.APPEAL_OUTCOME[changes["decision"]],
                              reason=changes.get("decision_reason") or "—")
    return stage


async def assign(tenant: Any, request_id: Any, assignee: Any, actor: Actor) -> None:
    await assign_many(tenant, [request_id], assignee, actor)


async def assign_many(tenant: Any, request_ids: list[Any], assignee: Any, actor: Actor) -> int:
    """Give every request to `assignee` (or to nobody), all or none: an id that is unknown or
    another tenant's is NotFound, a closed request refuses the lot (the queue lists open ones
    only). Each is audited; the assignee gets one email naming them all. Returns how many changed."""
    if not actor.roles & {Role.relations_officer, Role.admin}:
        raise TransitionError(MSG_WRONG_ROLE, "role")
    target = parse_uuid(assignee) if assignee else None
    changed = []
    async with tenant_scope(tenant.id):
        if assignee and (target is None or not await queries.is_member(target)):
            raise Problem("assignee", MSG_ASSIGNEE)
        for request_id in dict.fromkeys(request_ids):  # each once, in the order given
            req = await queries.lock_request(request_id)
            if req["stage"] in ("closed", "rejected"):  # the page offers assignment only while the request is open
                raise TransitionError(MSG_WRONG_STATE, "state")
            if req["assignee"] == target:
                continue
            await queries.set_assignee(req["id"], target)
            await audit.record(tenant.id, "request.assigned", actor_user=actor.id, actor_label=actor.name,
                               target_type="support_request", target_id=req["id"], address=actor.address,
                               before={"assignee": req["assignee"]}, after={"assignee": target})
            changed.append(req)
        if target:
            await staff_notices.tell_in_scope(tenant, target, "staff.assigned", changed, by=actor.id, by_name=actor.name)
    return len(changed)


async def add_documents(tenant: Any, request_id: Any, files: list[Upload], actor: Actor) -> None:
    if not actor.roles & {Role.relations_officer, Role.social_researcher}:
        raise TransitionError(MSG_WRONG_ROLE, "role")
    async with tenant_scope(tenant.id):
        req = await queries.lock_request(request_id)
        if req["stage"] in ("closed", "rejected"):
            raise TransitionError(MSG_WRONG_STATE, "state")
        ids = [await queries.insert_document(tenant.id, req["id"], "supporting", f, actor.id) for f in files]
        await audit.record(tenant.id, "request.documents_added", actor_user=actor.id, actor_label=actor.name,
                           target_type="support_request", target_id=req["id"], address=actor.address,
                           after={"documents": [f.filename for f in files], "ids": [str(i) for i in ids]})
