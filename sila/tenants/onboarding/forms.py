"""Sign-up and organisation-profile forms: one form model each, read by `parse_form` (Eastern
Arabic digits accepted, phone numbers to E.164, links to https)."""
from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

import phonenumbers
from pydantic import BeforeValidator, ValidationInfo

from sila.platform.dates import parse_digits
from sila.platform.directory import slug_problem
from sila.platform.forms import MSG_CONTROL, MSG_EMAIL, Choice, Email, Form, Password, Text, control_characters, \
    earlier, problem, raw_text
from sila.platform.i18n import N_
from sila.platform.accounts.forms import NewPassword, confirms_password
from sila.tenants.policy import catalogue

MAX_NAME = 200
ORGANISATION_FIELDS = ("kind", "name_ar", "name_en", "slug", "regulator", "regulator_other", "licence_number",
                       "region", "city")
CONTACT_FIELDS = ("website", "phone", "email")
MAX_SOCIAL_LINKS = 12
# directory.slug_problem's messages, marked here so they are extracted and translated.
SLUG_MESSAGES = (N_("Use 3 to 63 lowercase Latin letters, digits or hyphens, starting with a letter."),
                 N_("This address is reserved. Choose another."))
MSG_LONG = N_("Keep this to 200 characters or fewer.")


def _slug(value: Any) -> str:
    text = raw_text(value).strip().lower()
    if not text:
        raise problem(N_("Choose the address of your charity's pages."))
    if msgid := slug_problem(text):
        raise problem(msgid)
    return text


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


def _text_of(value: Any) -> str:
    text = raw_text(value)
    if control_characters(text, multiline=True):
        raise problem(MSG_CONTROL)
    return text.strip()


def _website(value: Any) -> str:
    website = normalise_website(_text_of(value))
    if website is None:
        raise problem(N_("Enter a web address such as https://example.org.sa"))
    return website


def _phone(value: Any) -> str:
    text = _text_of(value)
    if not text:
        return ""
    phone = normalise_phone(text)
    if phone is None:
        raise problem(N_("Enter a valid phone number, such as 011 234 5678 or 920012345."))
    return phone


MSG_SOCIAL_LINK = N_("Enter each account as a link, one per line, such as https://x.com/your_charity.")
MSG_SOCIAL_COUNT = N_("List at most 12 accounts.")


def _social_links(value: Any) -> list[dict[str, str]]:
    """One link per line; each link's network is recognised from its address (an unknown
    network is kept as a plain link)."""
    lines = [line.strip() for line in _text_of(value).splitlines() if line.strip()]
    if len(lines) > MAX_SOCIAL_LINKS:
        raise problem(MSG_SOCIAL_COUNT)
    links = []
    for line in lines:
        url = normalise_website(line)
        if url is None or not url.lower().startswith("https://") and not url.lower().startswith("http://"):
            raise problem(MSG_SOCIAL_LINK)
        links.append({"network": catalogue.network_of(url) or "", "url": url})
    return links


MSG_LICENCE = N_("Enter the registration number as printed on your certificate, in digits (hyphens and "
                 "slashes as printed; 40 characters at most).")
MSG_REGULATOR_OTHER = N_("Name the authority that supervises your organisation.")


def _licence(value: Any) -> str:
    """The registration number exactly as printed («١٢٣٤», «1234», «١٢/٣٤٥»): kept as typed."""
    text = " ".join(_text_of(value).split())
    if not text:
        raise problem(N_("Enter the registration or licence number."))
    if len(text) > 40 or not re.fullmatch(r"[0-9٠-٩][0-9٠-٩ \-/]*", text):
        raise problem(MSG_LICENCE)
    return text


def _regulator_other(value: Any, info: ValidationInfo) -> str:
    text = " ".join(_text_of(value).split())
    if earlier(info, "regulator") != "other":
        return ""  # only "another authority" is named in free text
    if not text:
        raise problem(MSG_REGULATOR_OTHER)
    if len(text) > MAX_NAME:
        raise problem(MSG_LONG)
    return text


Kind = Annotated[str, Choice(catalogue.KINDS, message=N_("Choose whether your organisation is an association or a waqf."))]
NameAr = Annotated[str, Text(MAX_NAME, required=N_("Enter the organisation's name in Arabic."), too_long=MSG_LONG)]
NameEn = Annotated[str, Text(MAX_NAME, too_long=MSG_LONG)]
Slug = Annotated[str, BeforeValidator(_slug)]
Regulator = Annotated[str, Choice(catalogue.REGULATORS,
                                  message=N_("Choose the authority that supervises your organisation."))]
Licence = Annotated[str, BeforeValidator(_licence)]
RegulatorOther = Annotated[str, BeforeValidator(_regulator_other)]
Region = Annotated[str, Choice(catalogue.REGIONS, message=N_("Choose the region."))]
City = Annotated[str, Text(MAX_NAME, required=N_("Enter the city."), too_long=MSG_LONG)]
Website = Annotated[str, BeforeValidator(_website)]
Phone = Annotated[str, BeforeValidator(_phone)]
SocialLinks = Annotated[list[dict[str, str]], BeforeValidator(_social_links)]


class OrganisationForm(Form):
    """Step 1 of the sign-up: the organisation and the address of its pages."""

    kind: Kind
    name_ar: NameAr
    name_en: NameEn
    slug: Slug
    regulator: Regulator
    regulator_other: RegulatorOther
    licence_number: Licence
    region: Region
    city: City


class AccountForm(Form):
    """Step 2 of the sign-up: the first administrator."""

    name: Annotated[str, Text(MAX_NAME, required=N_("Enter your name."), too_long=MSG_LONG)]
    email: Annotated[str, Email(required=MSG_EMAIL)]
    password: NewPassword
    confirm: Annotated[str, Password()]
    _confirm = confirms_password()


class WelcomeForm(Form):
    """Confirming the sign-up: the password of an existing account ("" for a new one)."""

    password: Annotated[str, Password()]


class _ProfileBase(Form):
    name_ar: NameAr
    name_en: NameEn
    regulator: Regulator
    regulator_other: RegulatorOther
    licence_number: Licence
    region: Region
    city: City
    website: Website
    phone: Phone
    email: Annotated[str, Email()]
    social_links: SocialLinks
    remove_logo: Annotated[str, Text(10)]
    logo_document: Annotated[str, Text(100)]
    action: Annotated[str, Text(20)]


# The organisation profile: the fields of step 1 but the address, the letterhead's contacts and
# the social accounts (one link per line, the network recognised from each address).
ProfileForm = _ProfileBase


def profile_values(form: Form) -> dict[str, str]:
    """What `services.save_profile` stores, from a parsed profile."""
    return {k: v for k, v in form.model_dump().items() if k not in ("remove_logo", "logo_document", "action")}


class InfoReplyForm(Form):
    """The admin's answer to the platform's question about a pending sign-up."""

    reply: Annotated[str, Text(2000, multiline=True, required=N_("Write your answer to the platform's question."))]
