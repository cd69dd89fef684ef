"""The applicant part of every intake form (online and staff): one form model, read by parse_form."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator

from sila.platform import i18n
from sila.platform.dates import parse_digits
from sila.platform.forms import (
    AnyDay,
    Choice,
    Digits,
    Email,
    Flag,
    Form,
    Mobile,
    Parsed,
    RiyadhDate,
    SaudiId,
    Text,
    WholeNumber,
    earlier,
    parse_form,
    problem,
    raw_text,
    riyadh_today,
)
from sila.platform.i18n import N_
from sila.platform.search import name_key

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
MSG_CHANNEL = N_("Choose how we should contact you.")
MSG_EMAIL_FOR_CHANNEL = N_("Enter an email address, or choose another way to contact you.")


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


class ApplicantDetails(Form):
    """What every form about a person asks, but the ID number: intake (ApplicantForm) and the
    correction of a file (CorrectionForm) share these definitions."""

    name: Annotated[str, Text(200, required=N_("Enter the applicant's full name."),
                              too_long=N_("Keep the name to 200 characters or fewer."))]
    mobile: Annotated[str, Mobile()]
    preferred_channel: Annotated[str, Choice(CONTACT_CHANNELS, default="sms", message=MSG_CHANNEL)]
    email: Annotated[str, Email()]  # after the channel: required when it is the channel
    preferred_language: Annotated[str, Choice(LANGUAGES, default="ar", message=N_("Choose a language."))]
    city: Annotated[str, Text(100, too_long=N_("Keep the city to 100 characters or fewer."))]
    category: Annotated[str, Choice(CATEGORIES, allow_empty=True, message=N_("Choose a category from the list."))]
    household_size: Annotated[int | None, WholeNumber(
        1, 50, message=N_("Enter the number of people in the household (1 to 50)."))]

    @field_validator("email")
    @classmethod
    def _email_for_channel(cls, email: str, info: ValidationInfo) -> str:
        if earlier(info, "preferred_channel") == "email" and not email:
            raise problem(MSG_EMAIL_FOR_CHANNEL)
        return email


class _IdNumber(Form):
    id_number: SaudiId


class ApplicantForm(ApplicantDetails, _IdNumber):
    """The applicant part of an intake form. The bases in this order put the ID number first
    (pydantic takes the fields of the last base first), as the pages ask and list errors."""


FIELDS = tuple(ApplicantForm.model_fields)


class SearchForm(Form):
    """The staff's search: an ID number (either digit set) or part of a name."""

    q: Annotated[str, Text(200)]


class CorrectionForm(ApplicantDetails):
    """Correcting a file (the person's right to correction): what the intake form asks, less the
    ID number (a different number is a different person, so a different file)."""


RIGHTS_KINDS = {"access": N_("Access: a copy of their data"), "correction": N_("Correction of their data"),
                "restriction": N_("Restriction of processing"), "erasure": N_("Erasure of their data")}
RIGHTS_CHANNELS = {"in_person": N_("In person"), "phone": N_("By phone"), "letter": N_("By letter"),
                   "email": N_("By email"), "other": N_("Another way")}
MSG_FUTURE = N_("This day has not come yet: enter the day it happened.")


def _not_in_future(day: dt.date | None) -> dt.date | None:
    if day is not None and day > riyadh_today():
        raise problem(MSG_FUTURE)
    return day


class RightsRequestForm(Form):
    kind: Annotated[str, Choice(RIGHTS_KINDS, message=N_("Choose what the person asked for."))]
    channel: Annotated[str, Choice(RIGHTS_CHANNELS, message=N_("Choose how the request reached you."))]
    received_on: Annotated[dt.date | None, RiyadhDate(required=N_("Enter the day the request was received."),
                                                      bounded=True)]
    note: Annotated[str, Text(2000, multiline=True, too_long=N_("Keep the note to 2000 characters or fewer."))]

    @field_validator("received_on")
    @classmethod
    def _past(cls, day: dt.date | None) -> dt.date | None:
        return _not_in_future(day)


class RightsAnswerForm(Form):
    status: Annotated[str, Choice({"done": "", "refused": ""}, message=N_("Choose how the request was answered."))]
    outcome: Annotated[str, Text(2000, multiline=True, too_long=N_("Keep the answer to 2000 characters or fewer."))]

    @field_validator("outcome")
    @classmethod
    def _reasons(cls, outcome: str, info: ValidationInfo) -> str:
        if earlier(info, "status") == "refused" and not outcome:
            raise problem(N_("Write the reasons for refusing: the person has a right to know them."))
        return outcome


class RestrictionForm(Form):
    action: Annotated[str, Choice({"restrict": "", "lift": ""})]
    reason: Annotated[str, Text(1000, multiline=True, too_long=N_("Keep the reason to 1000 characters or fewer."))]

    @field_validator("reason")
    @classmethod
    def _why(cls, reason: str, info: ValidationInfo) -> str:
        if earlier(info, "action") == "restrict" and not reason:
            raise problem(N_("Write why processing is restricted (the person's request, a dispute…)."))
        return reason


class WithdrawalForm(Form):
    withdrawn_on: Annotated[dt.date | None, RiyadhDate(required=N_("Enter the day consent was withdrawn."),
                                                       bounded=True)]
    withdrawal_channel: Annotated[str, Choice(RIGHTS_CHANNELS, message=N_("Choose how the person told you."))]

    @field_validator("withdrawn_on")
    @classmethod
    def _past(cls, day: dt.date | None) -> dt.date | None:
        return _not_in_future(day)


MSG_CONFIRM = N_("Type the last four digits of the person's ID number to confirm.")


class ErasureForm(Form):
    """Typed confirmation: the last four digits of the file's ID number (shown masked on the page)."""

    confirm: Annotated[str, Digits(4, min_length=4, message=MSG_CONFIRM, required=MSG_CONFIRM)]

    @field_validator("confirm")
    @classmethod
    def _matches(cls, confirm: str, info: ValidationInfo) -> str:
        if confirm != (info.context or {}).get("last4"):
            raise problem(MSG_CONFIRM)
        return confirm


# --- bulk import (sila.tenants.beneficiaries.imports) -------------------------------------------


@dataclasses.dataclass(frozen=True)
class ImportField:
    label: str  # msgid
    required: bool
    headers: tuple[str, ...]  # header names, Arabic and English, that mean this field


IMPORT_FIELDS: dict[str, ImportField] = {
    "id_number": ImportField(N_("National ID or iqama number"), True, (
        "رقم الهوية", "الهوية", "رقم الهوية الوطنية", "الهوية الوطنية", "السجل المدني", "رقم السجل المدني",
        "رقم الإقامة", "الإقامة", "رقم الهوية أو الإقامة", "الهوية/الإقامة", "id", "id number", "national id",
        "iqama", "iqama number", "national id or iqama", "id/iqama", "nid")),
    "name": ImportField(N_("Full name"), True, (
        "الاسم", "اسم المستفيد", "الاسم الكامل", "الاسم الرباعي", "اسم المستفيد الرباعي", "name", "full name",
        "beneficiary name", "beneficiary")),
    "mobile": ImportField(N_("Mobile number"), True, (
        "الجوال", "رقم الجوال", "جوال", "الهاتف", "رقم الهاتف", "الهاتف المحمول", "رقم التواصل", "mobile",
        "mobile number", "phone", "phone number", "cell", "telephone")),
    "email": ImportField(N_("Email"), False, (
        "البريد الإلكتروني", "البريد", "الإيميل", "الايميل", "email", "e-mail", "email address")),
    "city": ImportField(N_("City"), False, ("المدينة", "المدينه", "مدينة السكن", "البلد", "city", "town")),
    "category": ImportField(N_("Category"), False, (
        "الفئة", "التصنيف", "فئة المستفيد", "نوع المستفيد", "category", "beneficiary category", "type")),
    "household_size": ImportField(N_("Household size"), False, (
        "عدد أفراد الأسرة", "أفراد الأسرة", "عدد الأفراد", "حجم الأسرة", "household size", "family size",
        "household", "family members")),
    "registered_on": ImportField(N_("Registered with the charity on"), False, (
        "تاريخ التسجيل", "تاريخ القيد", "تاريخ الانضمام", "registered on", "registration date", "date registered",
        "registered")),
}
MSG_CATEGORY = N_("Write one of the categories: %(choices)s.")
MSG_MAP_REQUIRED = N_("Choose the column that holds this field: it is required.")
MSG_MAP_TWICE = N_("This column is already chosen for another field.")
MSG_LAWFUL = N_("Confirm that the charity may hold these people's data in Sila.")


@functools.cache
def _category_keys() -> dict[str, str]:
    """Each category's code and its label in either language, compared as search keys."""
    keys = {}
    for code, label in CATEGORIES.items():
        keys[name_key(code)] = code
        for lang in i18n.LANGUAGES:
            with i18n.language(lang):
                keys[name_key(i18n.gettext(label))] = code
    return keys


def _category(value: Any) -> str:
    """A category by its code or its label in either language (what a spreadsheet would say)."""
    text = " ".join(raw_text(value).split())
    if not text:
        return ""
    wanted = name_key(text)
    if code := _category_keys().get(wanted):
        return code
    # "أرملة" for "أرملة أو مطلّقة": taken when the words name exactly one category.
    words = set(wanted.split())
    codes = {c for key, c in _category_keys().items() if words <= set(key.split())}
    if len(codes) == 1:
        return codes.pop()
    raise problem(MSG_CATEGORY, choices="، ".join(i18n.gettext(x) for x in CATEGORIES.values()))


class ImportRow(Form):
    """One row of an imported file, as the mapping names its cells: the intake form's rules."""

    id_number: SaudiId
    name: Annotated[str, Text(200, required=N_("Enter the applicant's full name."),
                              too_long=N_("Keep the name to 200 characters or fewer."))]
    mobile: Annotated[str, Mobile()]
    email: Annotated[str, Email()]
    city: Annotated[str, Text(100, too_long=N_("Keep the city to 100 characters or fewer."))]
    category: Annotated[str, BeforeValidator(_category)]
    household_size: Annotated[int | None, WholeNumber(
        1, 50, message=N_("Enter the number of people in the household (1 to 50)."))]
    registered_on: Annotated[dt.date | None, AnyDay()]

    @field_validator("registered_on")
    @classmethod
    def _past(cls, day: dt.date | None) -> dt.date | None:
        return _not_in_future(day)


COLUMN = WholeNumber(0, 99, message=N_("Choose a column of the file from the list."))


class MappingForm(Form):
    """Which column of the file holds each of Sila's fields ("" = not in the file): the fields
    `map_<code>` of the import's kind (`mapping_form`), and the lawful-basis box."""

    lawful: Annotated[bool, Flag()]

    def mapping(self) -> dict[str, int]:
        return {name[4:]: value for name, value in self.model_dump().items()
                if name.startswith("map_") and value is not None}


@functools.cache
def _mapping_form(codes: tuple[str, ...]) -> type[MappingForm]:
    from pydantic import create_model

    fields: dict[str, Any] = {"map_" + code: (Annotated[int | None, COLUMN], None) for code in codes}
    return create_model("MappingFormOf_" + "_".join(codes)[:40], __base__=MappingForm, **fields)


def mapping_form(fields: dict[str, ImportField]) -> type[MappingForm]:
    return _mapping_form(tuple(fields))


def read_mapping(data: Any, columns: int, fields: dict[str, ImportField] | None = None) -> Parsed[MappingForm]:
    """The mapping, with every rule said at once (a column chosen twice, a required field left out,
    the lawful basis), not only the first kind of error found."""
    fields = IMPORT_FIELDS if fields is None else fields
    parsed = parse_form(mapping_form(fields), data)
    errors = parsed.errors
    seen: set[int] = set()
    for code, field in fields.items():
        name = "map_" + code
        if name in errors:
            continue
        raw = parse_digits(parsed.typed.get(name, "")).strip()
        column = int(raw) if raw.isascii() and raw.isdigit() else None
        if column is None:
            if field.required:
                errors.add(name, MSG_MAP_REQUIRED)
        elif column >= columns:
            errors.add(name, N_("Choose a column of the file from the list."))
        elif column in seen:
            errors.add(name, MSG_MAP_TWICE)
        else:
            seen.add(column)
    if not parsed.typed.get("lawful", "").strip():
        errors.add("lawful", MSG_LAWFUL)
    return Parsed(None if errors else parsed.value, errors, parsed.typed)
