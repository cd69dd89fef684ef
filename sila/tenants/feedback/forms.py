"""The suggestion / complaint forms: the public form and the staff's actions on an item, one form
model each, read by parse_form."""
from __future__ import annotations

from typing import Annotated, Any

from sila.platform import i18n
from sila.platform.forms import Choice, Email, Form, FormErrors, Mobile, Text, parse_form
from sila.platform.i18n import N_
from sila.tenants.beneficiaries.forms import MSG_CHANNEL, MSG_EMAIL_FOR_CHANNEL
from sila.tenants.feedback.services import TOKEN_RE, FeedbackInput

MAX_BODY = 4000
MSG_EXPIRED = N_("The form expired. Please send it again.")


class FeedbackForm(Form):
    kind: Annotated[str, Choice(("suggestion", "complaint"),
                                message=N_("Choose whether this is a suggestion or a complaint."))]
    body: Annotated[str, Text(MAX_BODY, multiline=True, required=N_("Write your suggestion or complaint."))]
    name: Annotated[str, Text(200, too_long=N_("Keep the name to 200 characters or fewer."))]
    mobile: Annotated[str, Mobile(required=False)]
    email: Annotated[str, Email()]
    contact_channel: Annotated[str, Choice(("sms", "whatsapp", "email"), allow_empty=True, message=MSG_CHANNEL)]
    token: Annotated[str, Text(100)]


def channel_of(form: FeedbackForm) -> str:
    """The channel chosen, or the one the contacts given imply."""
    return form.contact_channel or ("email" if form.email and not form.mobile else "sms")


def _check(form: FeedbackForm, errors: FormErrors) -> None:
    channel = channel_of(form)
    if channel == "email" and form.mobile and not form.email:
        errors.add("email", MSG_EMAIL_FOR_CHANNEL)
    elif channel in ("sms", "whatsapp") and form.email and not form.mobile:
        errors.add("mobile", N_("Enter a mobile number, or choose email."))
    if not TOKEN_RE.fullmatch(form.token):
        errors.add("__all__", MSG_EXPIRED)


def read_feedback(data: Any) -> tuple[FeedbackInput | None, dict[str, str], FormErrors]:
    parsed = parse_form(FeedbackForm, data, check=_check)
    if not parsed.ok:
        if not TOKEN_RE.fullmatch(parsed.typed.get("token", "")) and "__all__" not in parsed.errors:
            parsed.errors.add("__all__", MSG_EXPIRED)
        return None, parsed.typed, parsed.errors
    form = parsed.value
    assert form is not None
    return FeedbackInput(kind=form.kind, body=form.body, name=form.name, mobile=form.mobile, email=form.email,
                         contact_channel=channel_of(form), language=i18n.get_language(),
                         token=form.token), parsed.typed, parsed.errors


class AssignForm(Form):
    assignee: Annotated[str, Text(60)]


class AnswerForm(Form):
    answer: Annotated[str, Text(MAX_BODY, multiline=True)]


class CloseForm(Form):
    note: Annotated[str, Text(MAX_BODY, multiline=True)]
