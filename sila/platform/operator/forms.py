"""The operator console's forms and the tenant admin's support-access form: one model each,
read by `sila.platform.forms.parse_form`."""
from __future__ import annotations

from typing import Annotated

from sila.platform.forms import MSG_EMAIL, Choice, Digits, Email, Form, Password, Text, WholeNumber
from sila.platform.i18n import N_
from sila.platform.operator.support import GRANT_HOURS, SCOPES

MSG_REASON = N_("Give the reason; the tenant's admin will see it.")
MSG_WRONG_CODE = N_("That code is not right, or was already used. Enter the current code.")


class OperatorLoginForm(Form):
    email: Annotated[str, Email(required=MSG_EMAIL)]
    password: Annotated[str, Password(required=N_("Enter your password."))]


class CodeForm(Form):
    """A code from the authenticator app (Eastern or Western digits)."""

    code: Annotated[str, Digits(10, required=MSG_WRONG_CODE, message=MSG_WRONG_CODE)]


class ReasonForm(Form):
    """Approving or reactivating a tenant: a reason may be given."""

    reason: Annotated[str, Text(1000, multiline=True)]


class SuspendForm(Form):
    reason: Annotated[str, Text(1000, multiline=True, required=MSG_REASON)]


class ArchiveForm(Form):
    reason: Annotated[str, Text(1000, multiline=True, required=MSG_REASON)]
    retention_days: Annotated[int, WholeNumber(0, 3650, required=True,
                                               message=N_("Enter a number of days between 0 and 3650."))]


class QuestionForm(Form):
    reason: Annotated[str, Text(1000, multiline=True, required=N_("Write the question the sign-up's administrator will answer."))]


LIFECYCLE_FORMS: dict[str, type[ReasonForm] | type[SuspendForm] | type[ArchiveForm] | type[QuestionForm]] = {
    "approve": ReasonForm, "reactivate": ReasonForm, "suspend": SuspendForm, "archive": ArchiveForm,
    "reject": SuspendForm, "ask_info": QuestionForm}


class QuotaForm(Form):
    message_quota: Annotated[int, WholeNumber(0, 10_000_000, required=True,
                                              message=N_("Enter a whole number of messages, 0 or more."))]


class DeleteForm(Form):
    confirm: Annotated[str, Text(300)]


class GrantForm(Form):
    """The tenant admin lets support look in: for how long, at what, and why."""

    hours: Annotated[str, Choice(tuple(str(h) for h in GRANT_HOURS), message=N_("Choose how long support may look in."))]
    scope: Annotated[str, Choice(SCOPES, default="configuration", message=N_("Choose what support may see."))]
    note: Annotated[str, Text(500, multiline=True)]
