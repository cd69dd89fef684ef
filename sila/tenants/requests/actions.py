"""The workflow's actions as data: each carries its input form, its record writer and its notice.

`workflow.ACTIONS` says who may do what at which stage; `SPECS` here says, for the same codes,
what the action reads (a form model, parsed by `parse_form`), what it may further refuse on the
request's own rows (`guard`: another researcher's referral, closing before any service), what it
writes (`write`: the step's records, and the columns of the request it changes), and what the
applicant is told (`notice`: a message kind and its context). `services.transitions.act_in_scope`
is the one entry point that runs them, and `offered` is what the request page shows: the same
table and the same guards, so the server refuses exactly what the page does not offer.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from sila.platform.actors import Actor
from sila.platform.db import parse_uuid
from sila.platform.forms import Amount, AnyDay, Flag, Form, FormErrors, Text
from sila.platform.i18n import N_
from sila.tenants.beneficiaries import contact
from sila.tenants.beneficiaries import services as beneficiaries
from sila.tenants.requests import queries, staff_notices
from sila.tenants.requests.forms import MSG_SIGNER_REQUIRED, Attached, Note, declaration_text, file_fields
from sila.tenants.requests.terms import terms_of_version
from sila.tenants.requests.workflow import MSG_WRONG_STATE, Problem, TransitionError, Workflow

CHECKLIST = {
    "identity": N_("The ID document matches the number and name given"),
    "contact": N_("The mobile number and address were confirmed"),
    "information": N_("Every required field of the request form is filled in"),
    "documents": N_("The supporting documents were checked against the form"),
}
MSG_CHECKLIST = N_("Tick every item of the checklist, or mark the request incomplete.")
MSG_MISSING_REQUIRED = N_("List what is missing, one item per line.")
MSG_REASON_REQUIRED = N_("Give the reason the applicant will be told.")
MSG_QUESTION_REQUIRED = N_("Write the question for the social researcher.")
MSG_RESEARCHER_REQUIRED = N_("Choose a social researcher.")
MSG_NOTES_REQUIRED = N_("Write the research notes.")
MSG_OTHER_RESEARCHER = N_("This request was referred to another researcher.")
MSG_SCAN_REQUIRED = N_("Attach the scan of the signed attestation.")
MSG_SERVICE_REQUIRED = N_("Describe the service delivered.")
MSG_CLOSE_NEEDS_SERVICE = N_("Record the service delivered before closing the request.")
MSG_AMOUNT_INVALID = N_("Enter the amount in riyals, e.g. 1500 or 1500.50.")


class Invalid(Problem):
    """The action's input did not parse: every field's errors (translated) and what was typed."""

    def __init__(self, errors: FormErrors, typed: dict[str, str]) -> None:
        field, messages = next(iter(errors.items()), ("__all__", [""]))
        super().__init__(field, messages[0])
        self.errors, self.typed = errors, typed


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the inputs --------------------------------------------------------------------------------


class NoInput(Form):
    """An action that is only a button."""


class ChecklistForm(Form):
    check_identity: Annotated[bool, Flag()]
    check_contact: Annotated[bool, Flag()]
    check_information: Annotated[bool, Flag()]
    check_documents: Annotated[bool, Flag()]
    note: Annotated[str, Note()]

    @property
    def checklist(self) -> dict[str, bool]:
        return {code: getattr(self, f"check_{code}") for code in CHECKLIST}


class IncompleteForm(ChecklistForm):
    missing: Annotated[str, Note(required=MSG_MISSING_REQUIRED)]

    @property
    def missing_items(self) -> list[str]:
        return [line.strip() for line in self.missing.splitlines() if line.strip()]


class ReferForm(Form):
    researcher: Annotated[str, Text(40, required=MSG_RESEARCHER_REQUIRED, too_long=MSG_RESEARCHER_REQUIRED)]
    question: Annotated[str, Note(required=MSG_QUESTION_REQUIRED)]


class NoteForm(Form):
    note: Annotated[str, Note()]


class ReportForm(Form):
    notes: Annotated[str, Note(required=MSG_NOTES_REQUIRED)]
    visit_date: Annotated[dt.date | None, AnyDay()]
    visit_report: Annotated[str, Note()]
    visit_file: Annotated[Any, Attached()]


class AttestForm(Form):
    scan: Annotated[Any, Attached(required=MSG_SCAN_REQUIRED)]
    signer_name: Annotated[str, Text(200, required=MSG_SIGNER_REQUIRED)]


class AcceptForm(Form):
    reason: Annotated[str, Note()]


class RejectForm(Form):
    reason: Annotated[str, Note(required=MSG_REASON_REQUIRED)]


class ServiceForm(Form):
    service_type: Annotated[str, Text(200, required=MSG_SERVICE_REQUIRED)]
    delivered_on: Annotated[dt.date | None, AnyDay()]
    amount: Annotated[decimal.Decimal | None, Amount(message=MSG_AMOUNT_INVALID)]
    description: Annotated[str, Note()]


def _all_ticked(form: ChecklistForm, errors: FormErrors) -> None:
    if not all(form.checklist.values()):
        errors.add("checklist", MSG_CHECKLIST)


# --- what an action writes -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """What a record writer sees: the tenant, the locked request row, who acts, the next stage."""

    tenant: Any
    req: dict[str, Any]
    actor: Actor
    stage: str

    @property
    def tid(self) -> Any:
        return self.tenant.id


@dataclasses.dataclass
class Written:
    changes: dict[str, Any] = dataclasses.field(default_factory=dict)  # columns of support_request
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)  # for the audit entry's "after"


def _accepted(step: Step) -> dict[str, Any]:
    """Registering or serving is the acceptance where no committee (or registration) decided."""
    return {"decision": "accepted", "decided_at": _now()} if step.req["decision"] is None else {}


async def _verify(step: Step, form: ChecklistForm) -> Written:
    await queries.insert_verification(step.tid, step.req["id"], outcome="verified", checklist=form.checklist,
                                      missing=[], note=form.note, by=step.actor.id, by_name=step.actor.name)
    return Written({"missing": "[]"}, {"checklist": form.checklist, "note": form.note})


async def _mark_incomplete(step: Step, form: IncompleteForm) -> Written:
    missing = form.missing_items
    await queries.insert_verification(step.tid, step.req["id"], outcome="incomplete", checklist=form.checklist,
                                      missing=missing, note=form.note, by=step.actor.id, by_name=step.actor.name)
    return Written({"missing": json.dumps(missing, ensure_ascii=False)}, {"missing": missing, "note": form.note})


async def _refer(step: Step, form: ReferForm) -> Written:
    if not await queries.is_researcher(form.researcher):
        raise Problem("researcher", MSG_RESEARCHER_REQUIRED)
    researcher = parse_uuid(form.researcher)
    assert researcher is not None
    await queries.insert_referral(step.tid, step.req["id"], researcher=researcher, question=form.question,
                                  by=step.actor.id)
    await staff_notices.tell_in_scope(step.tenant, researcher, "staff.referred", [step.req], by=step.actor.id,
                                      by_name=step.actor.name)
    return Written({"researcher": researcher}, {"researcher": str(researcher), "question": form.question})


async def _skip_referral(step: Step, form: NoteForm) -> Written:
    return Written({}, {"note": form.note})


async def _report(step: Step, form: ReportForm) -> Written:
    if not await queries.answer_referral(step.req["id"], notes=form.notes, visit_date=form.visit_date,
                                         visit_report=form.visit_report, by=step.actor.id):
        raise TransitionError(MSG_WRONG_STATE, "state")
    if form.visit_file is not None:
        await queries.insert_document(step.tid, step.req["id"], "field_visit", form.visit_file, step.actor.id)
    return Written({}, {"notes": form.notes, "visit_date": form.visit_date, "visit_report": form.visit_report})


async def _attest(step: Step, form: AttestForm) -> Written:
    version = step.req["policy_version_number"]
    terms = await terms_of_version(step.tid, version)
    doc = await queries.insert_document(step.tid, step.req["id"], "attestation", form.scan, step.actor.id)
    await queries.insert_attestation(step.tid, step.req["id"], method="paper", signer=form.signer_name,
                                     version=version, form_text=declaration_text(terms, "ar") if terms else "",
                                     address=step.actor.address, document=doc, recorded_by=step.actor.id)
    return Written({}, {"signer_name": form.signer_name, "document": str(doc)})


def _decision(decision: str) -> Callable[[Step, Any], Awaitable[Written]]:
    async def write(step: Step, form: AcceptForm | RejectForm) -> Written:
        changes: dict[str, Any] = {"decision": decision, "decision_reason": form.reason, "decided_at": _now()}
        if decision == "rejected":
            changes["closed_at"] = _now()
        return Written(changes, {"decision": decision, "reason": form.reason})

    return write


async def _register(step: Step, form: NoInput) -> Written:
    await beneficiaries.mark_registered_in_scope(step.req["beneficiary"])
    return Written(_accepted(step))


async def _record_service(step: Step, form: ServiceForm) -> Written:
    on = form.delivered_on or _now().date()
    await queries.insert_service(step.tid, step.req["id"], step.req["beneficiary"], service_type=form.service_type,
                                 delivered_on=on, amount=form.amount, description=form.description,
                                 by=step.actor.id, by_name=step.actor.name)
    return Written(_accepted(step), {"service_type": form.service_type, "delivered_on": on, "amount": form.amount})


async def _close(step: Step, form: NoInput) -> Written:
    return Written({"closed_at": _now()})


# --- what may be refused on the request's own rows, before any input is read ---------------------


async def _own_referral(req: dict[str, Any], actor: Actor) -> None:
    if req["researcher"] != actor.id:
        raise TransitionError(MSG_OTHER_RESEARCHER, "role")


async def _after_a_service(req: dict[str, Any], actor: Actor) -> None:
    if not await queries.has_service(req["id"]):
        raise TransitionError(MSG_CLOSE_NEEDS_SERVICE, "state")  # the page offers closing only after one


# --- what the applicant is told ----------------------------------------------------------------

Notice = tuple[str, dict[str, Any]]


def _missing_notice(req: dict[str, Any], form: IncompleteForm) -> Notice:
    sep = "، " if req["contact_language"] == "ar" else "; "
    return "request.incomplete", {"missing": sep.join(form.missing_items)}


def _fixed(kind: str) -> Callable[[dict[str, Any], Any], Notice]:
    return lambda req, form: (kind, {})


@dataclasses.dataclass(frozen=True)
class ActionSpec:
    form: type[Form]
    write: Callable[[Step, Any], Awaitable[Written]]
    notice: Callable[[dict[str, Any], Any], Notice] | None = None
    guard: Callable[[dict[str, Any], Actor], Awaitable[None]] | None = None
    check: Callable[[Any, FormErrors], None] | None = None

    @property
    def files(self) -> tuple[str, ...]:
        """The form's file fields: the route reads these parts as uploads."""
        return file_fields(self.form)


SPECS: dict[str, ActionSpec] = {
    "verify": ActionSpec(ChecklistForm, _verify, check=_all_ticked),
    "mark_incomplete": ActionSpec(IncompleteForm, _mark_incomplete, _missing_notice),
    "refer": ActionSpec(ReferForm, _refer, _fixed("request.referred")),
    "skip_referral": ActionSpec(NoteForm, _skip_referral),
    "report": ActionSpec(ReportForm, _report, guard=_own_referral),
    "attest": ActionSpec(AttestForm, _attest),
    "accept": ActionSpec(AcceptForm, _decision("accepted"), _fixed("request.accepted")),
    "reject": ActionSpec(RejectForm, _decision("rejected"), lambda req, form: ("request.rejected",
                                                                                {"reason": form.reason})),
    "register": ActionSpec(NoInput, _register, _fixed("request.registered")),
    "record_service": ActionSpec(ServiceForm, _record_service, lambda req, form: ("request.service_delivered",
                                                                                  {"service": form.service_type})),
    "close": ActionSpec(NoInput, _close, guard=_after_a_service),
}


async def refusal(code: str, req: dict[str, Any], actor: Actor, *,
                  restricted: bool | None = None) -> TransitionError | None:
    """Why this actor cannot do `code` on this request's rows now (beyond the stage and role
    table), or None. `restricted`: the person's processing restriction when the caller already
    read it (the page asks once for all its actions)."""
    if restricted is None:
        restricted = await contact.processing_restricted_in_scope(req["beneficiary"])
    if restricted:
        return TransitionError(contact.MSG_RESTRICTED, "state")
    guard = SPECS[code].guard
    try:
        if guard is not None:
            await guard(req, actor)
    except TransitionError as exc:
        return exc
    return None


async def offered_in_scope(req: dict[str, Any], actor: Actor) -> list[str]:
    """The actions the request page offers this actor: the workflow table, then each guard."""
    if await contact.processing_restricted_in_scope(req["beneficiary"]):
        return []
    workflow = Workflow.from_steps(req["steps"])
    return [code for code in workflow.available(req["stage"], actor.roles)
            if await refusal(code, req, actor, restricted=False) is None]
