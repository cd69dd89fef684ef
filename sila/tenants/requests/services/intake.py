"""Intake: a request submitted online by the applicant, or recorded by staff on their behalf.

Every write runs in one `tenant_scope` transaction that also writes the audit entry and the
applicant's outbox row, so the request, its trail and its message exist together or not at all.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

import asyncpg

from sila.platform import audit
from sila.platform.actors import Actor
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.i18n import N_
from sila.platform.roles import Role
from sila.tenants.beneficiaries import services as beneficiaries
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.policy import deadlines
from sila.tenants.policy.custom_fields import to_json
from sila.tenants.requests import queries
from sila.tenants.requests.messages import due_text, notify_in_scope
from sila.tenants.requests.services.common import Problem, _now, new_reference
from sila.tenants.requests.terms import PolicyTerms, Term
from sila.tenants.requests.uploads import Upload

MSG_CHANNEL = N_("Choose one of the channels your policy enables.")


def _with_files(answers: dict[str, Any], files: dict[str, Upload]) -> tuple[dict[str, Any], list[tuple[uuid.UUID, Upload]]]:
    """The answers as stored (custom_fields.to_json), a file question's answer naming the request
    document it becomes (its id chosen here, the document written once the request exists)."""
    stored = to_json(answers)
    documents = []
    for key, upload in files.items():
        document_id = uuid.uuid4()
        stored[key] = {"document": str(document_id), "filename": upload.filename}
        documents.append((document_id, upload))
    return stored, documents

async def _create_in_scope(tenant: Any, terms: PolicyTerms, *, applicant: ApplicantInput, channel: Term, need: str,
                           satisfied: set[str], update_contact: bool, actor: Actor | None,
                           submit_token: str | None = None, interview_url: str = "",
                           interview_at: dt.datetime | None = None, consent_form: str, consent_text: str,
                           custom_answers: dict[str, Any] | None = None,
                           ) -> dict[str, Any]:
    conn = current_connection()
    actor_id = actor.id if actor else None
    actor_label = actor.name if actor else applicant.name
    beneficiary_id, _ = await beneficiaries.find_or_create_in_scope(
        tenant.id, applicant, update_contact=update_contact, actor_id=actor_id, actor_label=actor_label)
    await beneficiaries.record_consent_in_scope(
        tenant.id, beneficiary_id, form=consent_form, text=consent_text, policy_version_number=terms.number,
        channel=channel.key, recorded_by=actor_id, address=actor.address if actor else "")
    now = _now()
    workflow = terms.workflow
    stage = workflow.first_stage(satisfied)
    due = (await deadlines.due_in_scope(now, terms.review_window_days, terms.review_window_basis)
           if terms.review_window_days else None)
    for _ in range(5):  # a random reference may (rarely) be taken: draw again
        try:
            async with conn.transaction():  # a savepoint, so a clash does not abort the scope
                row = await conn.fetchrow(
                    """insert into support_request (tenant, reference, beneficiary, channel, channel_label,
                         policy_version_number, steps, review_window_days, stage, satisfied, need, contact_name,
                         contact_mobile, contact_email, contact_channel, contact_language, submitted_at, due_at,
                         interview_url, interview_at, submit_token, created_by, review_window_basis, base_due_at,
                         custom_answers)
                       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                         $19, $20, $21, $22, $23, $18, $24::jsonb) returning *""",
                    parse_uuid(tenant.id), new_reference(now), beneficiary_id, channel.key, channel.label_ar,
                    terms.number, list(workflow.steps), terms.review_window_days, stage, sorted(satisfied), need,
                    applicant.name, applicant.mobile, applicant.email, applicant.preferred_channel,
                    applicant.preferred_language, now, due, interview_url, interview_at, submit_token, actor_id,
                    terms.review_window_basis, json.dumps(custom_answers or {}, ensure_ascii=False))
            break
        except asyncpg.UniqueViolationError as exc:
            if "reference" not in str(exc.constraint_name or ""):
                raise
    else:  # pragma: no cover - ten million references a year per tenant
        raise RuntimeError("no free reference")
    req = dict(row)
    await audit.record(tenant.id, "request.submitted", actor_user=actor_id, actor_label=actor_label,
                       target_type="support_request", target_id=req["id"], address=actor.address if actor else "",
                       after={"reference": req["reference"], "stage": stage, "channel": channel.key,
                              "policy_version": terms.number, "due_at": due})
    if due:
        await notify_in_scope(tenant, req, "request.received", due=due_text(due, req["contact_language"]))
    else:
        await notify_in_scope(tenant, req, "request.received_no_window")
    return req


@dataclasses.dataclass
class OnlineSubmission:
    applicant: ApplicantInput
    need: str
    signer_name: str
    form_text: str  # exactly what the form showed above the signature
    consent_text: str
    files: list[Upload]
    token: str
    address: str
    user_agent: str
    custom_answers: dict[str, Any] = dataclasses.field(default_factory=dict)  # custom_fields.parse_answers values
    custom_files: dict[str, Upload] = dataclasses.field(default_factory=dict)  # file question key -> its file


@dataclasses.dataclass(frozen=True)
class Submitted:
    reference: str
    due_at: dt.datetime | None
    duplicate: bool


async def _by_token(token: str) -> Submitted | None:
    row = await current_connection().fetchrow(
        "select reference, due_at from support_request where submit_token = $1", token)
    return Submitted(row["reference"], row["due_at"], True) if row else None


async def submit_online(tenant: Any, terms: PolicyTerms, sub: OnlineSubmission) -> Submitted:
    """Idempotent on `sub.token`: the same form sent twice is one request."""
    channel = terms.public_channel
    assert channel is not None, "the public form is closed"
    async with tenant_scope(tenant.id) as tx:
        if found := await _by_token(sub.token):
            return found
        answers, documents = _with_files(sub.custom_answers, sub.custom_files)
        try:
            async with tx.connection.transaction():
                req = await _create_in_scope(
                    tenant, terms, applicant=sub.applicant, channel=channel, need=sub.need,
                    satisfied={"attest"} if "attest" in terms.steps else set(), update_contact=False, actor=None,
                    submit_token=sub.token, consent_form="online_request_form", consent_text=sub.consent_text,
                    custom_answers=answers)
                for document_id, upload in documents:
                    await queries.insert_document(tenant.id, req["id"], "custom_field", upload, None, document_id)
                await queries.insert_attestation(tenant.id, req["id"], method="esign", signer=sub.signer_name,
                                          version=terms.number, form_text=sub.form_text, address=sub.address,
                                          user_agent=sub.user_agent)
                for upload in sub.files:
                    await queries.insert_document(tenant.id, req["id"], "supporting", upload, None)
        except asyncpg.UniqueViolationError as exc:
            # The same form submitted twice at once: the other one won; answer as it did.
            if "submit_token" not in str(exc.constraint_name or "") or not (found := await _by_token(sub.token)):
                raise
            return found
    return Submitted(req["reference"], req["due_at"], False)


@dataclasses.dataclass
class StaffIntake:
    applicant: ApplicantInput
    channel: Term
    need: str
    interview_url: str = ""
    interview_at: dt.datetime | None = None
    files: list[Upload] = dataclasses.field(default_factory=list)
    letter_scan: Upload | None = None
    attestation_scan: Upload | None = None
    signer_name: str = ""
    consent_text: str = ""
    custom_answers: dict[str, Any] = dataclasses.field(default_factory=dict)
    custom_files: dict[str, Upload] = dataclasses.field(default_factory=dict)


async def record_by_staff(tenant: Any, terms: PolicyTerms, intake: StaffIntake, actor: Actor) -> uuid.UUID:
    if terms.channel(intake.channel.key) is None:
        raise Problem("channel", MSG_CHANNEL)
    attested = intake.attestation_scan is not None and "attest" in terms.steps
    answers, documents = _with_files(intake.custom_answers, intake.custom_files)
    async with tenant_scope(tenant.id):
        req = await _create_in_scope(
            tenant, terms, applicant=intake.applicant, channel=intake.channel, need=intake.need,
            satisfied={"attest"} if attested else set(), update_contact=True, actor=actor,
            interview_url=intake.interview_url, interview_at=intake.interview_at, consent_form="staff_intake",
            consent_text=intake.consent_text, custom_answers=answers)
        for document_id, upload in documents:
            await queries.insert_document(tenant.id, req["id"], "custom_field", upload, actor.id, document_id)
        for upload in intake.files:
            await queries.insert_document(tenant.id, req["id"], "supporting", upload, actor.id)
        if intake.letter_scan:
            await queries.insert_document(tenant.id, req["id"], "letter_scan", intake.letter_scan, actor.id)
        if attested:
            assert intake.attestation_scan
            doc = await queries.insert_document(tenant.id, req["id"], "attestation", intake.attestation_scan, actor.id)
            await queries.insert_attestation(tenant.id, req["id"], method="paper", signer=intake.signer_name,
                                      version=terms.number, form_text=terms.attest_text("ar"),
                                      address=actor.address, document=doc, recorded_by=actor.id)
        if Role.relations_officer in actor.roles:
            await queries.set_assignee(req["id"], actor.id)
    return req["id"]
