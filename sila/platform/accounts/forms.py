"""The account forms (sign-in, invitation, forgotten and new password, staff invitation and
roles): one form model each, read by `sila.platform.forms.parse_form`."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator

from sila.platform.auth import MIN_PASSWORD_LENGTH
from sila.platform.forms import MSG_EMAIL, Email, Form, Many, Password, Text, as_typed, problem, raw_text, \
    read_password
from sila.platform.i18n import N_
from sila.platform.roles import ROLE_LABELS

MSG_PASSWORD = N_("Enter your password.")
MSG_ROLES = N_("Choose at least one role.")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, else the portal."""
    return value if value and value.startswith("/") and not value.startswith("//") else "/portal"


def _next(value: Any) -> str:
    try:
        text = raw_text(value).strip()
    except ValueError:  # a file: not a place to go
        text = ""
    return safe_next(text if len(text) <= 2000 and text.isprintable() else "")


NextPath = Annotated[str, BeforeValidator(_next)]


class LoginForm(Form):
    email: Annotated[str, Email(required=MSG_EMAIL)]
    password: Annotated[str, Password(required=MSG_PASSWORD)]
    next: NextPath


class ForgotForm(Form):
    email: Annotated[str, Email(required=MSG_EMAIL)]


def _new_password(value: Any) -> str:
    password = read_password(value)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise problem(N_("Use at least %(n)s characters."), n=MIN_PASSWORD_LENGTH)
    if password.isdigit() or password.lower() == password and password.isalpha():
        raise problem(N_("Mix letters with digits or symbols."))
    return password


NewPassword = Annotated[str, BeforeValidator(_new_password)]


def _same_as_password(cls: Any, confirm: str, info: ValidationInfo) -> str:
    if confirm != as_typed(info, "password").strip():
        raise problem(N_("The two passwords do not match."))
    return confirm


def confirms_password() -> Any:
    """The validator of a `confirm` field: the same as what was typed in `password`."""
    return field_validator("confirm")(classmethod(_same_as_password))


class NewPasswordForm(Form):
    """A new password typed twice (password reset)."""

    password: NewPassword
    confirm: Annotated[str, Password()]
    _confirm = confirms_password()


class AcceptInviteForm(Form):
    """Accepting an invitation with a new account: a name and a password."""

    name: Annotated[str, Text(200, required=N_("Enter your name."))]
    password: NewPassword
    confirm: Annotated[str, Password()]
    _confirm = confirms_password()


class SignInToAcceptForm(Form):
    """Accepting an invitation to an address that has an account: its password."""

    name: Annotated[str, Text(200)]
    password: Annotated[str, Password(required=MSG_PASSWORD)]


class InviteStaffForm(Form):
    email: Annotated[str, Email(required=MSG_EMAIL)]
    roles: Annotated[list[str], Many(ROLE_LABELS, required=MSG_ROLES)]


class RolesForm(Form):
    roles: Annotated[list[str], Many(ROLE_LABELS, required=N_(
        "Choose at least one role. To end their access, deactivate or remove them instead."))]


NOBODY = "none"  # the confirmation's "back to the queue": a choice made, not a field left empty


MSG_HAND_TO = N_("Choose who takes their open requests, or send them back to the queue.")


class HandOverForm(Form):
    """Who takes a leaving member's open requests: another relations officer, or nobody."""

    hand_to: Annotated[str, Text(40, required=MSG_HAND_TO)]
