"""Validation of the account forms; messages are English msgids, translated when added."""
from __future__ import annotations

import re

from sila.platform.auth import MIN_PASSWORD_LENGTH
from sila.platform.web import FormErrors

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL_RE.match(value or "")) and len(value) <= 254


def login_errors(email: str, password: str) -> FormErrors:
    errors = FormErrors()
    if not looks_like_email(email):
        errors.add("email", "Enter a valid email address.")
    if not password:
        errors.add("password", "Enter your password.")
    return errors


def password_errors(password: str, confirm: str) -> FormErrors:
    errors = FormErrors()
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.add("password", "Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    elif password.isdigit() or password.lower() == password and password.isalpha():
        errors.add("password", "Mix letters with digits or symbols.")
    if password != confirm:
        errors.add("confirm", "The two passwords do not match.")
    return errors
