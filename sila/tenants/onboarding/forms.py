"""Sign-up and organisation-profile forms: validation (English msgids, translated when added)
and normalisation (Eastern Arabic digits accepted, phone numbers to E.164, links to https)."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from sila.platform.accounts.forms import looks_like_email, password_errors
from sila.platform.dates import parse_digits
from sila.platform.directory import slug_problem
from sila.platform.i18n import N_
from sila.platform.web import FormErrors, form_value
from sila.tenants.policy import catalogue

MAX_NAME = 200
ORGANISATION_FIELDS = ("kind", "name_ar", "name_en", "slug", "regulator", "licence_number", "region", "city")
CONTACT_FIELDS = ("website", "phone", "email")
SOCIAL_FIELDS = tuple(f"social_{code}" for code in catalogue.SOCIAL_NETWORKS)
# directory.slug_problem's messages, marked here so they are extracted and translated.
SLUG_MESSAGES = (N_("Use 3 to 63 lowercase Latin letters, digits or hyphens, starting with a letter."),
                 N_("This address is reserved. Choose another."))


def read(data: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {name: form_value(data, name) or "" for name in names}


def organisation_errors(form: dict[str, str], *, with_slug: bool = True) -> FormErrors:
    """Validates and normalises `form` in place."""
    errors = FormErrors()
    if with_slug:
        form["slug"] = form.get("slug", "").strip().lower()
        if not form["slug"]:
            errors.add("slug", "Choose the address of your charity's pages.")
        elif problem := slug_problem(form["slug"]):
            errors.add("slug", problem)
        if form.get("kind") not in catalogue.KINDS:
            errors.add("kind", "Choose whether your organisation is an association or a waqf.")
    if not form.get("name_ar"):
        errors.add("name_ar", "Enter the organisation's name in Arabic.")
    for name in ("name_ar", "name_en", "city"):
        if len(form.get(name, "")) > MAX_NAME:
            errors.add(name, "Keep this to 200 characters or fewer.")
    if form.get("regulator") not in catalogue.REGULATORS:
        errors.add("regulator", "Choose the authority that supervises your organisation.")
    form["licence_number"] = parse_digits(form.get("licence_number", "")).replace(" ", "")
    if not form["licence_number"]:
        errors.add("licence_number", "Enter the registration or licence number.")
    elif not re.fullmatch(r"[0-9]{1,20}", form["licence_number"]):
        errors.add("licence_number", "Enter the registration or licence number in digits only.")
    if form.get("region") not in catalogue.REGIONS:
        errors.add("region", "Choose the region.")
    if not form.get("city"):
        errors.add("city", "Enter the city.")
    return errors


def account_errors(form: dict[str, str], password: str, confirm: str) -> FormErrors:
    errors = password_errors(password, confirm)
    form["email"] = form.get("email", "").strip().lower()
    if not looks_like_email(form["email"]):
        errors.add("email", "Enter a valid email address.")
    if not form.get("name"):
        errors.add("name", "Enter your name.")
    elif len(form["name"]) > MAX_NAME:
        errors.add("name", "Keep this to 200 characters or fewer.")
    return errors


def normalise_phone(value: str) -> str | None:
    """E.164 for a valid Saudi (or international) number, else None."""
    try:
        number = phonenumbers.parse(parse_digits(value), "SA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "SA")
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 966 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)


def normalise_website(value: str) -> str | None:
    value = value.strip()
    if not value:
        return ""
    if not re.match(r"^https?://", value, re.I):
        value = "https://" + value
    parts = urlsplit(value)
    host = parts.hostname or ""
    if " " in value or "." not in host or len(value) > 300 or host.startswith(".") or host.endswith("."):
        return None
    return value


def contact_errors(form: dict[str, str]) -> FormErrors:
    """Letterhead contacts, all optional. Validates and normalises `form` in place."""
    errors = FormErrors()
    website = normalise_website(form.get("website", ""))
    if website is None:
        errors.add("website", "Enter a web address such as https://example.org.sa")
    else:
        form["website"] = website
    if form.get("phone"):
        phone = normalise_phone(form["phone"])
        if phone is None:
            errors.add("phone", "Enter a valid phone number, such as 011 234 5678 or 920012345.")
        else:
            form["phone"] = phone
    form["email"] = form.get("email", "").strip().lower()
    if form["email"] and not looks_like_email(form["email"]):
        errors.add("email", "Enter a valid email address.")
    for name in SOCIAL_FIELDS:
        value = form.get(name, "").strip()
        form[name] = value
        if value and (re.search(r"\s", value) or len(value) > 100):
            errors.add(name, "Enter the account name or link, without spaces (100 characters at most).")
    return errors
