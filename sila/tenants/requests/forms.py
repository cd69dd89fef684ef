"""Request forms: the need, the e-signature and consent, staff intake extras, dates."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from sila.platform import i18n
from sila.platform.dates import RIYADH, parse_digits
from sila.platform.i18n import N_
from sila.platform.web import FormErrors, form_value
from sila.tenants.policy.rules import normalise_name
from sila.tenants.requests.terms import PolicyTerms

MAX_NEED = 4000
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

DECLARATION = N_(
    "I declare that the information and documents I have given in this request are true and complete, "
    "and that I am directly responsible for their accuracy.")
CONSENT = N_(
    "I agree that %(org)s uses the personal data in this request (identity, contact details, household and "
    "documents) to study and answer it and to contact me about it, as the Personal Data Protection Law allows. "
    "It is not shared with anyone else without my consent or a legal basis.")


def read_need(data: Any, errors: FormErrors) -> tuple[str, str]:
    need = form_value(data, "need")
    if not need:
        errors.add("need", MSG_NEED_REQUIRED)
    elif len(need) > MAX_NEED:
        errors.add("need", MSG_NEED_TOO_LONG)
    return need, need


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


def read_esign(data: Any, applicant_name: str, errors: FormErrors) -> str:
    signer = " ".join(form_value(data, "signature").split())
    if form_value(data, "attest") != "yes":
        errors.add("attest", MSG_ATTEST_REQUIRED)
    if not signer:
        errors.add("signature", MSG_SIGNATURE_REQUIRED)
    elif applicant_name and normalise_name(signer) != normalise_name(applicant_name):
        errors.add("signature", MSG_SIGNATURE_MISMATCH)
    if form_value(data, "consent") != "yes":
        errors.add("consent", MSG_CONSENT_REQUIRED)
    return signer


def parse_local_datetime(raw: str) -> dt.datetime | None:
    """A `datetime-local` value (or "YYYY-MM-DD HH:MM"), read as Riyadh time, returned in UTC."""
    text = parse_digits(raw or "").strip().replace(" ", "T")
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=RIYADH)
    return value.astimezone(dt.timezone.utc)


def read_interview(data: Any, errors: FormErrors) -> tuple[str, dt.datetime | None]:
    url = form_value(data, "interview_url")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or len(url) > 500:
        errors.add("interview_url", MSG_INTERVIEW_URL)
    when = parse_local_datetime(form_value(data, "interview_at"))
    if when is None:
        errors.add("interview_at", MSG_INTERVIEW_AT)
    return url, when
