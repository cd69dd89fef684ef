"""The public suggestion / complaint form: read, normalise, check."""
from __future__ import annotations

from typing import Any

from sila.platform import i18n
from sila.platform.accounts.forms import looks_like_email
from sila.platform.web import FormErrors, form_value
from sila.tenants.beneficiaries.identity import normalise_mobile
from sila.tenants.feedback.services import TOKEN_RE, FeedbackInput

FIELDS = ("kind", "body", "name", "mobile", "email", "contact_channel", "token")
MAX_BODY = 4000


def read_feedback(data: Any) -> tuple[FeedbackInput, dict[str, str], FormErrors]:
    typed = {name: form_value(data, name) for name in FIELDS}
    errors = FormErrors()
    if typed["kind"] not in ("suggestion", "complaint"):
        errors.add("kind", "Choose whether this is a suggestion or a complaint.")
    body = typed["body"].strip()
    if not body:
        errors.add("body", "Write your suggestion or complaint.")
    elif len(body) > MAX_BODY:
        errors.add("body", "Keep it to %(n)s characters or fewer.", n=MAX_BODY)
    if len(typed["name"]) > 200:
        errors.add("name", "Keep the name to 200 characters or fewer.")
    mobile = ""
    if typed["mobile"]:
        mobile, problem = normalise_mobile(typed["mobile"])
        if problem:
            errors.add("mobile", problem)
    email = typed["email"].lower()
    if email and not looks_like_email(email):
        errors.add("email", "Enter a valid email address.")
    channel = typed["contact_channel"] or ("email" if email and not typed["mobile"] else "sms")
    if channel not in ("sms", "whatsapp", "email"):
        errors.add("contact_channel", "Choose how we should contact you.")
    elif channel == "email" and typed["mobile"] and not email:
        errors.add("email", "Enter an email address, or choose another way to contact you.")
    elif channel in ("sms", "whatsapp") and email and not typed["mobile"]:
        errors.add("mobile", "Enter a mobile number, or choose email.")
    if not TOKEN_RE.fullmatch(typed["token"] or ""):
        errors.add("__all__", "The form expired. Please send it again.")
    return FeedbackInput(kind=typed["kind"], body=body, name=" ".join(typed["name"].split()), mobile=mobile or "",
                         email=email, contact_channel=channel, language=i18n.get_language(),
                         token=typed["token"]), typed, errors
