"""The request area's forms, each one model read by `sila.platform.forms.parse_form`: the online
request (applicant, need, e-signature and consent), the staff intake, tracking, assignment, and
the texts shown with the e-signature. The workflow actions' own inputs are in `actions.py`."""
from __future__ import annotations

import datetime as dt
import decimal
import functools
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator

from sila.platform import i18n
from sila.platform.forms import Amount, AnyDay, Flag, Form, FormErrors, HttpsLink, LocalDateTime, Many, Mobile, \
    SaudiId, Text, earlier, problem, raw_text, riyadh_today
from sila.platform.i18n import N_
from sila.tenants.beneficiaries.forms import IMPORT_FIELDS, MSG_FUTURE, ApplicantForm, ApplicantInput, ImportField
from sila.tenants.policy.rules import normalise_name
from sila.tenants.requests.terms import PolicyTerms
from sila.tenants.requests.uploads import Upload

MAX_NEED = 4000
MAX_NOTE = 4000
MSG_NEED_REQUIRED = N_("Describe the support you are asking for.")
MSG_NEED_TOO_LONG = N_("Keep the description to 4000 characters or fewer.")
MSG_ATTEST_REQUIRED = N_("Tick the declaration to confirm that the information is true.")
MSG_SIGNATURE_REQUIRED = N_("Type your full name as your signature.")
MSG_SIGNATURE_MISMATCH = N_("Type the same full name as in the applicant's details.")
MSG_CONSENT_REQUIRED = N_("We can only study the request if you agree to this use of your data.")
MSG_STAFF_CONSENT_REQUIRED = N_("Confirm that the applicant agreed to this use of their data.")
MSG_CHANNEL_REQUIRED = N_("Choose the channel the request came through.")
MSG_INTERVIEW_URL = N_("Enter the meeting link of the virtual interview (https://…).")
MSG_INTERVIEW_AT = N_("Enter the date and time of the virtual interview.")
MSG_LETTER_REQUIRED = N_("Attach the scan of the letter.")
MSG_FILES_AGAIN = N_("Files are not kept when the form has errors: attach them again before saving.")
MSG_SIGNER_REQUIRED = N_("Enter the name of the person who signed.")

DECLARATION = N_(
    "I declare that the information and documents I have given in this request are true and complete, "
    "and that I am directly responsible for their accuracy.")
CONSENT = N_(
    "I agree that %(org)s uses the personal data in this request (identity, contact details, household and "
    "documents) to study and answer it and to contact me about it, as the Personal Data Protection Law allows. "
    "It is not shared with anyone else without my consent or a legal basis.")


def Need() -> BeforeValidator:
    return Text(MAX_NEED, required=MSG_NEED_REQUIRED, multiline=True, too_long=MSG_NEED_TOO_LONG)


def Note(*, required: str | None = None) -> BeforeValidator:
    """A staff note, reason or report: several lines, bounded."""
    return Text(MAX_NOTE, required=required, multiline=True)


def Attached(*, required: str | None = None) -> BeforeValidator:
    """One uploaded document, already read and sniffed by `uploads.read_files` (the route puts the
    `Upload` in the form's data); None when none was attached and it is not required."""

    def check(value: Any) -> Upload | None:
        if isinstance(value, list):
            value = value[-1] if value else None
        if isinstance(value, Upload):
            return value
        if required:
            raise problem(required)
        return None

    check.attached = True  # type: ignore[attr-defined]
    return BeforeValidator(check)


def file_fields(model: type[Form]) -> tuple[str, ...]:
    """The fields of `model` that are `Attached` documents (the route reads those parts as files)."""
    return tuple(name for name, field in model.model_fields.items()
                 if any(isinstance(m, BeforeValidator) and getattr(m.func, "attached", False) for m in field.metadata))


def applicant_of(form: ApplicantForm) -> ApplicantInput:
    return ApplicantInput(**{name: getattr(form, name) for name in ApplicantForm.model_fields})


class ApplyForm(ApplicantForm):
    """The public online request: the applicant, the need, the e-signature and consent."""

    need: Annotated[str, Need()]
    signature: Annotated[str, Text(200, required=MSG_SIGNATURE_REQUIRED)]
    attest: Annotated[bool, Flag()]
    consent: Annotated[bool, Flag()]
    policy_version: Annotated[str, Text(20)]
    submit_token: Annotated[str, Text(100)]
    keep: Annotated[list[str], Many(max_items=50)]  # which files kept from an earlier attempt stay

    @field_validator("signature")
    @classmethod
    def _same_name(cls, signature: str, info: ValidationInfo) -> str:
        name = earlier(info, "name") or " ".join(str((info.context or {}).get("typed", {}).get("name", "")).split())
        if name and normalise_name(signature) != normalise_name(name):
            raise problem(MSG_SIGNATURE_MISMATCH)
        return signature

    @field_validator("attest")
    @classmethod
    def _attested(cls, attest: bool) -> bool:
        if not attest:
            raise problem(MSG_ATTEST_REQUIRED)
        return attest

    @field_validator("consent")
    @classmethod
    def _consented(cls, consent: bool) -> bool:
        if not consent:
            raise problem(MSG_CONSENT_REQUIRED)
        return consent


def _channel(value: Any, info: ValidationInfo) -> Any:
    """A channel of the policy in force (`context["terms"]`), never the website's own."""
    key = raw_text(value).strip()
    terms: PolicyTerms | None = (info.context or {}).get("terms")
    channel = terms.channel(key) if terms and key else None
    if channel is None or channel.code == "website":
        raise problem(MSG_CHANNEL_REQUIRED)
    return channel


class IntakeForm(ApplicantForm):
    """A request recorded by staff on the applicant's behalf (documents are read beside it)."""

    channel: Annotated[Any, BeforeValidator(_channel)]  # a `terms.Term`
    interview_url: Annotated[str, HttpsLink(message=MSG_INTERVIEW_URL)]
    interview_at: Annotated[Any, LocalDateTime(message=MSG_INTERVIEW_AT)]
    need: Annotated[str, Need()]
    attestation_scan: Annotated[Any, Attached()]
    signer_name: Annotated[str, Text(200)]
    letter_scan: Annotated[Any, Attached()]
    consent: Annotated[bool, Flag()]

    @field_validator("interview_url")
    @classmethod
    def _link_for_interview(cls, url: str, info: ValidationInfo) -> str:
        channel = earlier(info, "channel")
        if channel is not None and channel.code == "virtual_interview" and not url:
            raise problem(MSG_INTERVIEW_URL)
        return url if channel is not None and channel.code == "virtual_interview" else ""

    @field_validator("interview_at")
    @classmethod
    def _time_for_interview(cls, when: Any, info: ValidationInfo) -> Any:
        channel = earlier(info, "channel")
        if channel is not None and channel.code == "virtual_interview" and when is None:
            raise problem(MSG_INTERVIEW_AT)
        return when if channel is not None and channel.code == "virtual_interview" else None

    @field_validator("signer_name")
    @classmethod
    def _signer_with_scan(cls, signer: str, info: ValidationInfo) -> str:
        if earlier(info, "attestation_scan") is not None and not signer:
            raise problem(MSG_SIGNER_REQUIRED)
        return signer

    @field_validator("letter_scan")
    @classmethod
    def _letter_for_letters(cls, scan: Any, info: ValidationInfo) -> Any:
        channel = earlier(info, "channel")
        if channel is not None and channel.code == "letters" and scan is None \
                and not (info.context or {}).get("letter_refused"):
            raise problem(MSG_LETTER_REQUIRED)
        return scan

    @field_validator("consent")
    @classmethod
    def _consented(cls, consent: bool) -> bool:
        if not consent:
            raise problem(MSG_STAFF_CONSENT_REQUIRED)
        return consent


class TrackForm(Form):
    """The reference number typed on the tracking page (and the code, on its second step)."""

    reference: Annotated[str, Text(40)]
    code: Annotated[str, Text(20)]


class CompleteForm(Form):
    """What the applicant writes back when sending what an incomplete request is missing (files
    come in the `documents` part, read by `uploads.read_files`)."""

    reply: Annotated[str, Note()]
    submit_token: Annotated[str, Text(100)]  # the form's own: the files it keeps across attempts (routes/stash.py)
    keep: Annotated[list[str], Many(max_items=50)]  # which files kept from an earlier attempt stay


MSG_APPEAL_REASON = N_("Write why you ask the committee to look at your request again.")


class AppealForm(Form):
    reason: Annotated[str, Note(required=MSG_APPEAL_REASON)]


class AssignForm(Form):
    assignee: Annotated[str, Text(40)]


MSG_PICK_REQUESTS = N_("Tick the requests to assign.")
MSG_PICK_ASSIGNEE = N_("Choose who gets the ticked requests.")
NOBODY = "none"  # the bar's explicit "unassign": an untouched select assigns nothing


class BulkAssignForm(Form):
    """The queue's assignment bar: the ticked requests (a page holds at most 200) and to whom."""

    requests: Annotated[list[str], Many(max_items=200, required=MSG_PICK_REQUESTS)]
    assignee: Annotated[str, Text(40, required=MSG_PICK_ASSIGNEE)]

    @property
    def member(self) -> str:
        return "" if self.assignee == NOBODY else self.assignee


def declaration_text(terms: PolicyTerms, lang: str) -> str:
    """Exactly what the form shows above the signature; stored with the e-signature."""
    with i18n.language(lang):
        lines = [i18n.gettext("Policy version %(number)s", number=terms.number)]
        if terms.attest_text(lang):
            lines.append(terms.attest_text(lang))
        lines.append(i18n.gettext(DECLARATION))
    return "\n".join(lines)


def consent_text(org: str, lang: str) -> str:
    with i18n.language(lang):
        return i18n.gettext(CONSENT, org=org)


# --- past requests from a spreadsheet (sila.tenants.requests.past_import) --------------------------

OUTCOMES = {"accepted": N_("Accepted"), "declined": N_("Declined"), "served": N_("Served")}
# What a charity's spreadsheet writes for each outcome (compared as search keys: hamza, taa
# marbuta, diacritics and case aside).
OUTCOME_WORDS = {
    "accepted": ("مقبول", "مقبولة", "قبول", "قبل", "موافق", "موافقة", "تمت الموافقة", "معتمد", "accepted", "accept",
                 "approved", "approve"),
    "declined": ("مرفوض", "مرفوضة", "رفض", "مرفوض مع الاعتذار", "اعتذار", "معتذر", "غير مقبول", "لم يقبل",
                 "declined", "decline", "rejected", "reject", "refused", "denied"),
    "served": ("تم الصرف", "صرف", "مصروف", "تم التنفيذ", "منفذ", "نفذ", "تم تقديم الخدمة", "تمت الخدمة", "مخدوم",
               "تم التسليم", "سلم", "served", "delivered", "done", "completed", "paid"),
}
MSG_OUTCOME = N_("Write the outcome as accepted, declined or served.")
MSG_SUBMITTED_REQUIRED = N_("Enter the day the request was submitted, Hijri or Gregorian.")
MSG_KIND_REQUIRED = N_("Enter the kind of support asked for.")
MSG_REASON_REQUIRED = N_("A declined request needs the reason it was declined.")
MSG_SERVED_ON_REQUIRED = N_("A served request needs the day the service was given.")
MSG_BEFORE_SUBMITTED = N_("This day is before the day the request was submitted.")
MSG_AMOUNT_WITHOUT_SERVICE = N_("An amount is recorded with a service: write the outcome as served and give its day.")


@functools.cache
def _outcome_keys() -> dict[str, str]:
    from sila.platform.search import name_key

    keys = {}
    for code, words in OUTCOME_WORDS.items():
        for word in (code, *words):
            keys[name_key(word)] = code
        for lang in i18n.LANGUAGES:
            with i18n.language(lang):
                keys[name_key(i18n.gettext(OUTCOMES[code]))] = code
    return keys


def _outcome(value: Any) -> str:
    from sila.platform.search import name_key

    text = " ".join(raw_text(value).split())
    code = _outcome_keys().get(name_key(text)) if text else None
    if code is None:
        raise problem(MSG_OUTCOME)
    return code


def _past(day: dt.date | None) -> dt.date | None:
    if day is not None and day > riyadh_today():
        raise problem(MSG_FUTURE)
    return day


class PastRequestRow(Form):
    """One row of a file of past requests, as the mapping names its cells."""

    id_number: SaudiId
    name: Annotated[str, Text(200, too_long=N_("Keep the name to 200 characters or fewer."))]
    mobile: Annotated[str, Mobile(required=False)]
    submitted_on: Annotated[dt.date | None, AnyDay(required=MSG_SUBMITTED_REQUIRED)]
    support_kind: Annotated[str, Text(200, required=MSG_KIND_REQUIRED,
                                      too_long=N_("Keep the kind of support to 200 characters or fewer."))]
    need: Annotated[str, Text(MAX_NEED, multiline=True, too_long=MSG_NEED_TOO_LONG)]
    outcome: Annotated[str, BeforeValidator(_outcome)]
    reason: Annotated[str, Text(1000, multiline=True, too_long=N_("Keep the reason to 1000 characters or fewer."))]
    decided_on: Annotated[dt.date | None, AnyDay()]
    service: Annotated[str, Text(200, too_long=N_("Keep the service to 200 characters or fewer."))]
    served_on: Annotated[dt.date | None, AnyDay()]
    amount: Annotated[decimal.Decimal | None, Amount()]

    not_in_future = field_validator("submitted_on", "decided_on", "served_on")(_past)


def check_past_request(row: PastRequestRow, errors: FormErrors) -> None:
    """The rules between a row's cells: what each outcome needs, and days in order."""
    if row.outcome == "declined" and not row.reason:
        errors.add("reason", MSG_REASON_REQUIRED)
    if row.outcome == "served" and row.served_on is None:
        errors.add("served_on", MSG_SERVED_ON_REQUIRED)
    if row.amount is not None and row.outcome != "served":
        errors.add("amount", MSG_AMOUNT_WITHOUT_SERVICE)
    for name in ("decided_on", "served_on"):
        day = getattr(row, name)
        if day is not None and row.submitted_on is not None and day < row.submitted_on:
            errors.add(name, MSG_BEFORE_SUBMITTED)


PAST_REQUEST_FIELDS: dict[str, ImportField] = {
    "id_number": ImportField(N_("Applicant's national ID or iqama number"), True, IMPORT_FIELDS["id_number"].headers + (
        "هوية المستفيد", "رقم هوية المستفيد", "هوية مقدم الطلب", "applicant id")),
    "name": ImportField(N_("Applicant's full name (to open a file)"), False, IMPORT_FIELDS["name"].headers + (
        "اسم مقدم الطلب", "applicant", "applicant name")),
    "mobile": ImportField(N_("Applicant's mobile (to open a file)"), False, IMPORT_FIELDS["mobile"].headers),
    "submitted_on": ImportField(N_("Submitted on"), True, (
        "تاريخ الطلب", "تاريخ تقديم الطلب", "تاريخ التقديم", "تاريخ الورود", "تاريخ الاستلام", "التاريخ",
        "submitted on", "date submitted", "submission date", "request date", "date")),
    "support_kind": ImportField(N_("Kind of support"), True, (
        "نوع الدعم", "نوع المساعدة", "نوع الطلب", "نوع الخدمة المطلوبة", "الاحتياج", "نوع الاحتياج",
        "kind of support", "support type", "type of support", "request type", "need type")),
    "need": ImportField(N_("The need, in words"), False, (
        "تفاصيل الطلب", "وصف الاحتياج", "وصف الطلب", "التفاصيل", "الوصف", "details", "description", "need",
        "need details")),
    "outcome": ImportField(N_("Outcome (accepted, declined or served)"), True, (
        "النتيجة", "نتيجة الطلب", "القرار", "حالة الطلب", "الحالة", "outcome", "result", "decision", "status")),
    "reason": ImportField(N_("Reason for the decision"), False, (
        "سبب الرفض", "السبب", "سبب القرار", "المبرر", "reason", "decline reason", "reason declined")),
    "decided_on": ImportField(N_("Decided on"), False, (
        "تاريخ القرار", "تاريخ البت", "تاريخ الموافقة", "decided on", "decision date", "date decided")),
    "service": ImportField(N_("Service given"), False, (
        "الخدمة المقدمة", "الخدمة", "نوع الخدمة", "المساعدة المقدمة", "service", "service given", "service type")),
    "served_on": ImportField(N_("Served on"), False, (
        "تاريخ الصرف", "تاريخ التنفيذ", "تاريخ تقديم الخدمة", "تاريخ التسليم", "served on", "service date",
        "date served", "delivered on")),
    "amount": ImportField(N_("Amount (riyals)"), False, (
        "المبلغ", "قيمة المساعدة", "المبلغ المصروف", "القيمة", "amount", "amount paid", "value", "sar")),
}
