"""The applicant part of every intake form (online and staff): read, normalise, validate."""
from __future__ import annotations

import dataclasses
from typing import Any

from sila.platform.accounts.forms import looks_like_email
from sila.platform.dates import parse_digits
from sila.platform.i18n import N_
from sila.platform.web import FormErrors, form_value
from sila.tenants.beneficiaries.identity import id_problem, normalise_id, normalise_mobile

CATEGORIES = {
    "family": N_("Family in need"),
    "orphans": N_("Family caring for orphans"),
    "widow": N_("Widow or divorced woman"),
    "elderly": N_("Elderly person"),
    "disability": N_("Person with a disability"),
    "patient": N_("Patient"),
    "student": N_("Student"),
    "other": N_("Other"),
}
CONTACT_CHANNELS = {"sms": N_("Text message (SMS)"), "whatsapp": N_("WhatsApp"), "email": N_("Email")}
LANGUAGES = {"ar": "العربية", "en": "English"}
FIELDS = ("id_number", "name", "mobile", "email", "preferred_channel", "preferred_language", "city",
          "category", "household_size")


@dataclasses.dataclass
class ApplicantInput:
    id_number: str
    name: str
    mobile: str  # E.164
    email: str
    preferred_channel: str
    preferred_language: str
    city: str
    category: str
    household_size: int | None


def read_applicant(data: Any, errors: FormErrors) -> tuple[ApplicantInput, dict[str, str]]:
    """(normalised input, what the user typed to show back). Errors are added to `errors`."""
    typed = {name: form_value(data, name) for name in FIELDS}
    if problem := id_problem(typed["id_number"]):
        errors.add("id_number", problem)
    name = " ".join(typed["name"].split())
    if not name:
        errors.add("name", "Enter the applicant's full name.")
    elif len(name) > 200:
        errors.add("name", "Keep the name to 200 characters or fewer.")
    mobile, problem = normalise_mobile(typed["mobile"])
    if problem:
        errors.add("mobile", problem)
    email = typed["email"].lower()
    if email and not looks_like_email(email):
        errors.add("email", "Enter a valid email address.")
    channel = typed["preferred_channel"] or "sms"
    if channel not in CONTACT_CHANNELS:
        errors.add("preferred_channel", "Choose how we should contact you.")
    elif channel == "email" and not email:
        errors.add("email", "Enter an email address, or choose another way to contact you.")
    language = typed["preferred_language"] or "ar"
    if language not in LANGUAGES:
        errors.add("preferred_language", "Choose a language.")
    if typed["category"] and typed["category"] not in CATEGORIES:
        errors.add("category", "Choose a category from the list.")
    household: int | None = None
    if typed["household_size"]:
        raw = parse_digits(typed["household_size"])
        if not raw.isdigit() or not 1 <= int(raw) <= 50:
            errors.add("household_size", "Enter the number of people in the household (1 to 50).")
        else:
            household = int(raw)
    if len(typed["city"]) > 100:
        errors.add("city", "Keep the city to 100 characters or fewer.")
    return ApplicantInput(
        id_number=normalise_id(typed["id_number"]), name=name, mobile=mobile or "", email=email,
        preferred_channel=channel, preferred_language=language, city=typed["city"], category=typed["category"],
        household_size=household,
    ), typed
