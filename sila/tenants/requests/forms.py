"""The request area's forms, each one model read by `sila.platform.forms.parse_form`: the online
request (applicant, need, e-signature and consent), the staff intake, tracking, assignment, and
the texts shown with the e-signature. The workflow actions' own inputs are in `actions.py`."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator

from sila.platform import i18n
from sila.platform.forms import Flag, Form, HttpsLink, LocalDateTime, Many, Text, earlier, problem, raw_text
from sila.platform.i18n import N_
from sila.tenants.beneficiaries.forms import ApplicantForm, ApplicantInput
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
