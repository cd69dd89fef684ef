"""The shapes of the JSON API (msgspec Structs: Litestar validates bodies and writes the OpenAPI
document from them), and the rows they are made from."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from sila.tenants.beneficiaries import services as beneficiaries


class Channel(msgspec.Struct):
    key: str
    label_ar: str
    label_en: str
    public_form: bool


class Tool(msgspec.Struct):
    key: str
    label_ar: str
    label_en: str


class QuestionOption(msgspec.Struct):
    value: str
    label_ar: str
    label_en: str


class Question(msgspec.Struct):
    """One of the charity's own questions on its request form (`answers` of `POST /requests`)."""

    key: str
    type: str  # short_text long_text number amount choice choices yes_no date_hijri date_gregorian file
    label_ar: str
    label_en: str
    help_ar: str
    help_en: str
    required: bool  # when shown
    options: list[QuestionOption]
    show_when_field: str  # asked only when this earlier question's answer is show_when_value ("" = always)
    show_when_value: str


class Policy(msgspec.Struct):
    """The policy in force: what a request is promised, and the texts an applicant must accept
    (an intake system shows them, in the applicant's language, before `POST /requests`)."""

    version: int
    steps: list[str]
    review_window_days: int | None
    review_window_basis: str
    window_text_ar: str
    window_text_en: str
    channels: list[Channel]
    tools: list[Tool]
    online_requests_open: bool
    declaration_ar: str
    declaration_en: str
    consent_ar: str
    consent_en: str
    questions: list[Question] = []


class Beneficiary(msgspec.Struct):
    id: uuid.UUID
    name: str
    id_masked: str
    id_kind: str
    mobile: str
    email: str
    preferred_channel: str
    preferred_language: str
    city: str
    category: str
    household_size: int | None
    registered_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    id_number: str | None = None  # only with ?reveal=true and the beneficiaries:reveal scope (audited)


class BeneficiaryPage(msgspec.Struct):
    items: list[Beneficiary]
    next_cursor: str | None


class RequestSummary(msgspec.Struct):
    id: uuid.UUID
    reference: str
    stage: str
    channel: str
    beneficiary_id: uuid.UUID
    policy_version: int
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    decision: str | None
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None


class RequestPage(msgspec.Struct):
    items: list[RequestSummary]
    next_cursor: str | None


class StageChange(msgspec.Struct):
    at: dt.datetime
    action: str
    actor: str
    stage_from: str | None
    stage_to: str | None


class Service(msgspec.Struct):
    id: uuid.UUID
    request_id: uuid.UUID
    beneficiary_id: uuid.UUID
    service_type: str
    delivered_on: dt.date
    amount: str | None
    description: str
    recorded_at: dt.datetime


class Answer(msgspec.Struct):
    """An answer to one of the charity's own questions, as asked by the request's policy version."""

    key: str
    type: str
    question_ar: str
    question_en: str
    value: Any  # as stored: text, a whole number, an amount as text, an ISO day, option codes, or a file's name
    text: str  # the answer as a person reads it (option names, Yes/No), in the request's language


class RequestDetail(msgspec.Struct):
    id: uuid.UUID
    reference: str
    stage: str
    channel: str
    beneficiary_id: uuid.UUID
    policy_version: int
    steps: list[str]
    need: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    decision: str | None
    decision_reason: str
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None
    history: list[StageChange]
    services: list[Service]
    answers: list[Answer] = []


class Decision(msgspec.Struct):
    id: uuid.UUID
    request_id: uuid.UUID
    session_id: uuid.UUID
    session_number: int
    held_at: dt.datetime
    decision: str
    reason: str
    decided_at: dt.datetime


class DecisionPage(msgspec.Struct):
    items: list[Decision]
    next_cursor: str | None


class ServicePage(msgspec.Struct):
    items: list[Service]
    next_cursor: str | None


class SurveyAnswer(msgspec.Struct):
    question: str
    type: str
    score: int | None
    text: str


class SurveyResponse(msgspec.Struct):
    id: uuid.UUID
    survey_id: uuid.UUID
    version: int
    anonymous: bool
    beneficiary_id: uuid.UUID | None
    service_type: str
    submitted_on: dt.date
    answers: list[SurveyAnswer]


class SurveyPage(msgspec.Struct):
    items: list[SurveyResponse]
    next_cursor: str | None


class Complaint(msgspec.Struct):
    id: uuid.UUID
    reference: str
    kind: str
    body: str
    status: str
    answer: str
    created_at: dt.datetime
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None


class ComplaintPage(msgspec.Struct):
    items: list[Complaint]
    next_cursor: str | None


class Applicant(msgspec.Struct):
    id_number: str
    name: str
    mobile: str
    preferred_channel: str = "sms"
    email: str = ""
    preferred_language: str = "ar"
    city: str = ""
    category: str = ""
    household_size: int | None = None


class FileAnswer(msgspec.Struct):
    """A file question's answer: the file's name and its bytes in standard base64 (RFC 4648).
    The same checks as the online form: PDF, JPEG or PNG by its content, at most 5 MB."""

    filename: str
    content_base64: str


class NewRequest(msgspec.Struct):
    """What the online form asks, with the same rules: the applicant's details, the need, and the
    applicant's own e-signature (their full name as given), declaration and consent, under the
    policy version they were shown (`GET /policy`)."""

    applicant: Applicant
    need: str
    signature: str
    attest: bool
    consent: bool
    policy_version: int
    # Answers to the charity's own questions (`GET /policy` lists them), by question key: text,
    # numbers, "yes"/"no" (or true/false), option codes (a list for several choices), days in
    # either calendar; a file question takes a FileAnswer.
    answers: dict[str, str | int | bool | list[str] | FileAnswer | None] = {}


class Created(msgspec.Struct):
    id: uuid.UUID
    reference: str
    stage: str
    due_at: dt.datetime | None
    duplicate: bool


class NewService(msgspec.Struct):
    service_type: str
    delivered_on: dt.date | None = None
    amount: str | None = None
    description: str = ""


# --- helpers -----------------------------------------------------------------------------------------


def beneficiary_of(row: dict[str, Any], id_number: str | None = None) -> Beneficiary:
    view = beneficiaries.public_view(row)
    return Beneficiary(id=view.id, name=view.name, id_masked=view.id_masked, id_kind=view.id_kind,
                       mobile=view.mobile, email=view.email, preferred_channel=view.preferred_channel,
                       preferred_language=view.preferred_language, city=view.city, category=view.category,
                       household_size=view.household_size, registered_at=view.registered_at,
                       created_at=view.created_at, updated_at=view.updated_at, id_number=id_number)


def summary_of(row: dict[str, Any]) -> RequestSummary:
    return RequestSummary(id=row["id"], reference=row["reference"], stage=row["stage"], channel=row["channel"],
                          beneficiary_id=row["beneficiary"], policy_version=row["policy_version_number"],
                          submitted_at=row["submitted_at"], due_at=row["due_at"], decision=row["decision"],
                          decided_at=row["decided_at"], closed_at=row["closed_at"])


def service_of(row: dict[str, Any]) -> Service:
    amount = row.get("amount")
    return Service(id=row["id"], request_id=row["request"], beneficiary_id=row["beneficiary"],
                   service_type=row["service_type"], delivered_on=row["delivered_on"],
                   amount=None if amount is None else str(amount), description=row["description"] or "",
                   recorded_at=row["recorded_at"])
