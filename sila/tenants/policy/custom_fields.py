"""The charity's own questions on its support-request form («طلب دعم مستفيد»): their definitions
(kept in the policy draft, so they are versioned with the policy and a request pins the form it
was submitted on), the rules a definition must follow, and the answers read through the form
layer (`parse_form` on a model built from the definitions).

Pure: no database, no routes. The editor page and the intake hook (on `/apply` and staff
intake, sila/tenants/requests) call `validate_definitions` and `parse_answers`.

A field has a type (TYPES), Arabic and English label and help, required or not, its place in
the list, options for the choice types, and an optional condition: shown (and so validated and
required) only when an earlier choice or yes/no field has a given value. Answers come in as
`cf_<key>` form fields; a hidden field's answer is dropped, never stored.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, create_model

from sila.platform import forms as form_layer
from sila.platform import i18n
from sila.platform.dates import arabic_digits, dual_date, parse_digits
from sila.platform.i18n import N_

TYPES = ("short_text", "long_text", "number", "amount", "choice", "choices", "yes_no", "date_gregorian",
         "date_hijri", "file")
CHOICE_TYPES = ("choice", "choices")
CONDITION_TYPES = ("choice", "yes_no")
DATE_TYPES = ("date_gregorian", "date_hijri")  # what a condition may look at
YES_NO = ("yes", "no")
MAX_FIELDS, MAX_OPTIONS, MAX_LABEL, MAX_HELP = 30, 30, 200, 500
SHORT, LONG = 300, 4000
MAX_NUMBER = 10**9
MAX_AMOUNT = Decimal("100000000")  # SAR

MSG_TOO_MANY = N_("The form can have at most 30 questions of your own.")
MSG_TYPE = N_("Choose the kind of question from the list.")
MSG_LABEL = N_("Enter the question in Arabic.")
MSG_LABEL_LONG = N_("Keep the question to 200 characters and its help to 500.")
MSG_OPTIONS = N_("Give this question 2 to 30 options, each with an Arabic name, none twice.")
MSG_CONDITION = N_("A question can only depend on an earlier choice or yes/no question, and on one of its answers.")
MSG_DUPLICATE_KEY = N_("Each question needs its own key.")
MSG_AMOUNT = N_("Enter an amount in riyals, such as 1500 or 1500.50.")
MSG_NUMBER = N_("Enter a whole number.")

# What the editor offers, in its order (labels for the admin).
TYPE_LABELS = {
    "short_text": N_("Short text"), "long_text": N_("Long text"), "number": N_("Whole number"),
    "amount": N_("Amount in riyals"), "choice": N_("One choice from a list"),
    "choices": N_("Several choices from a list"), "yes_no": N_("Yes or no"),
    "date_hijri": N_("Date (Hijri first)"), "date_gregorian": N_("Date (Gregorian first)"), "file": N_("File"),
}


@dataclasses.dataclass
class Option:
    value: str  # stable code of the option ("o1"), what an answer stores
    label_ar: str
    label_en: str = ""


@dataclasses.dataclass
class CustomField:
    key: str  # stable within the form ("f3"): answers and conditions refer to it
    type: str
    label_ar: str
    label_en: str = ""
    help_ar: str = ""
    help_en: str = ""
    required: bool = False
    options: list[Option] = dataclasses.field(default_factory=list)
    show_when_field: str = ""  # the key of an earlier choice / yes-no field, or ""
    show_when_value: str = ""  # the option value (or "yes"/"no") that shows this field

    @property
    def name(self) -> str:
        return f"cf_{self.key}"

    def label(self, lang: str) -> str:
        return (self.label_en if not lang.startswith("ar") else "") or self.label_ar


def from_dicts(items: list[dict[str, Any]]) -> list[CustomField]:
    """Definitions as stored in the draft / a version (unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(CustomField)}
    out = []
    for item in items or []:
        data = {k: v for k, v in item.items() if k in names}
        data["options"] = [Option(**{k: v for k, v in o.items() if k in ("value", "label_ar", "label_en")})
                           for o in item.get("options", [])]
        out.append(CustomField(**data))
    return out


def to_dicts(fields: list[CustomField]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(f) for f in fields]


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def validate_definitions(fields: list[CustomField]) -> dict[str, list[str]]:
    """{"custom_fields.3.options": [msgid]}: what is wrong with the definitions, by field row."""
    errors: dict[str, list[str]] = {}

    def add(key: str, msgid: str) -> None:
        errors.setdefault(key, [])
        if msgid not in errors[key]:
            errors[key].append(msgid)

    if len(fields) > MAX_FIELDS:
        add("custom_fields", MSG_TOO_MANY)
    seen: dict[str, CustomField] = {}
    for i, f in enumerate(fields):
        at = f"custom_fields.{i}"
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", f.key or "") or f.key in seen:
            add(f"{at}.key", MSG_DUPLICATE_KEY)
        if f.type not in TYPES:
            add(f"{at}.type", MSG_TYPE)
        if not f.label_ar.strip():
            add(f"{at}.label_ar", MSG_LABEL)
        if max(len(f.label_ar), len(f.label_en)) > MAX_LABEL or max(len(f.help_ar), len(f.help_en)) > MAX_HELP:
            add(f"{at}.label_ar", MSG_LABEL_LONG)
        if f.type in CHOICE_TYPES:
            values = [o.value for o in f.options]
            names = [_key(o.label_ar) for o in f.options]
            if not 2 <= len(f.options) <= MAX_OPTIONS or len(set(values)) != len(values) or \
                    len(set(names)) != len(names) or not all(names) or \
                    any(len(o.label_ar) > MAX_LABEL or len(o.label_en) > MAX_LABEL for o in f.options):
                add(f"{at}.options", MSG_OPTIONS)
        elif f.options:
            add(f"{at}.options", MSG_OPTIONS)
        if f.show_when_field:
            target = seen.get(f.show_when_field)  # earlier fields only: no cycles, reading order
            allowed = [] if target is None or target.type not in CONDITION_TYPES else \
                (list(YES_NO) if target.type == "yes_no" else [o.value for o in target.options])
            if f.show_when_value not in allowed:
                add(f"{at}.show_when_field", MSG_CONDITION)
        elif f.show_when_value:
            add(f"{at}.show_when_field", MSG_CONDITION)
        if f.key not in seen:
            seen[f.key] = f
    return errors


# --- answers ---------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal | None:
    """Riyals with at most two decimals, in either digit set («١٬٥٠٠٫٥٠», «1,500.50»)."""
    text = parse_digits(form_layer.raw_text(value)).strip().replace("٬", "").replace(",", "").replace("٫", ".")
    text = text.removesuffix("ر.س").removesuffix("SAR").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,9}(?:\.\d{1,2})?", text):
        raise form_layer.problem(MSG_AMOUNT)
    amount = Decimal(text)
    if amount > MAX_AMOUNT:
        raise form_layer.problem(MSG_AMOUNT)
    return amount


def _annotation(f: CustomField) -> Any:
    options = {o.value: o for o in f.options}
    if f.type == "short_text":
        return Annotated[str, form_layer.Text(SHORT)]
    if f.type == "long_text":
        return Annotated[str, form_layer.Text(LONG, multiline=True)]
    if f.type == "number":
        return Annotated[int | None, form_layer.WholeNumber(0, MAX_NUMBER, message=MSG_NUMBER)]
    if f.type == "amount":
        return Annotated[Decimal | None, BeforeValidator(_amount)]
    if f.type == "choice":
        return Annotated[str, form_layer.Choice(options, allow_empty=True)]
    if f.type == "choices":
        return Annotated[list[str], form_layer.Many(options, max_items=MAX_OPTIONS)]
    if f.type == "yes_no":
        return Annotated[str, form_layer.Choice(YES_NO, allow_empty=True)]
    if f.type in DATE_TYPES:  # either calendar is accepted; the type says which one the hint shows
        return Annotated[dt.date | None, form_layer.AnyDay()]
    raise ValueError(f.type)


def answer_model(fields: list[CustomField]) -> type[form_layer.Form]:
    """A form-layer model with one optional field per question that is typed in a form (files
    come through the upload layer). Required and conditions are `parse_answers`' to apply: a
    hidden question must not fail."""
    spec = {f.name: (_annotation(f), None) for f in fields if f.type in TYPES and f.type != "file"}
    return create_model("CustomAnswers", __base__=form_layer.Form, **spec)  # type: ignore[call-overload]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def visible(fields: list[CustomField], answers: dict[str, Any]) -> list[CustomField]:
    """The questions shown for these answers (a condition on a hidden question hides it too)."""
    shown: dict[str, CustomField] = {}
    for f in fields:
        if f.show_when_field:
            target = shown.get(f.show_when_field)
            answer = answers.get(f"cf_{f.show_when_field}")
            chosen = answer if isinstance(answer, list) else [answer]
            if target is None or f.show_when_value not in chosen:
                continue
        shown[f.key] = f
    return list(shown.values())


@dataclasses.dataclass
class Answers:
    values: dict[str, Any] | None  # key -> answer of each visible answered question; None with errors
    errors: form_layer.FormErrors
    typed: dict[str, str]


def parse_answers(fields: list[CustomField], data: Any, *, uploaded: set[str] = frozenset()) -> Answers:  # type: ignore[assignment]
    """Read the answers to the charity's questions from a posted form (`uploaded`: the names of
    file questions that came with a file). Errors beside each field, in the page's language;
    what was typed comes back to be shown again."""
    model = answer_model(fields)
    parsed = form_layer.parse_form(model, data)
    errors = parsed.errors
    raw = parsed.value.model_dump() if parsed.value is not None else {}
    # Conditions read the answers as typed when something else failed, so the right errors show.
    basis = raw or {k: (form_layer.ticked(data, k) if any(f.name == k and f.type == "choices" for f in fields)
                        else v.strip()) for k, v in parsed.typed.items()}
    shown = visible(fields, basis)
    hidden = {f.name for f in fields} - {f.name for f in shown}
    for name in hidden:
        errors.pop(name, None)  # a hidden question's answer is neither checked nor kept
    for f in shown:
        answered = f.name in uploaded if f.type == "file" else not _empty(raw.get(f.name, basis.get(f.name)))
        if f.required and not answered and f.name not in errors:
            errors.add(f.name, form_layer.MSG_REQUIRED)
    if errors:
        return Answers(None, errors, parsed.typed)
    if parsed.value is None:  # only hidden questions failed: read the shown ones on their own
        again = form_layer.parse_form(answer_model(shown), data)
        raw = again.value.model_dump() if again.value is not None else {}
    values = {f.key: raw.get(f.name) for f in shown if f.type != "file" and not _empty(raw.get(f.name))}
    return Answers(values, errors, parsed.typed)


# --- stored answers and how they read --------------------------------------------------------


def to_json(values: dict[str, Any]) -> dict[str, Any]:
    """Parsed answers as the request stores them (JSON): amounts as text (no float rounding),
    days as ISO dates, files as {"document", "filename"} (added by the intake service)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _option_label(f: CustomField, value: str, lang: str) -> str:
    for o in f.options:
        if o.value == value:
            return (o.label_en if not lang.startswith("ar") else "") or o.label_ar
    return value


def answer_text(f: CustomField, value: Any, lang: str, *, export: bool = False) -> str:
    """One stored answer as a person reads it, in `lang` (an export keeps Western digits and
    ISO dates, so spreadsheets sort and sum them)."""
    if value is None or value == "" or value == []:
        return ""
    with i18n.language(lang):
        if f.type == "choice":
            return _option_label(f, str(value), lang)
        if f.type == "choices":
            labels = [_option_label(f, str(v), lang) for v in (value if isinstance(value, list) else [value])]
            return (" | " if export else ("، " if lang.startswith("ar") else ", ")).join(labels)
        if f.type == "yes_no":
            return i18n.gettext("Yes") if value == "yes" else i18n.gettext("No")
        if f.type in DATE_TYPES:
            try:
                day = dt.date.fromisoformat(str(value))
            except ValueError:
                return str(value)
            return day.isoformat() if export else dual_date(day, lang)
        if f.type == "file":
            return str(value.get("filename", "")) if isinstance(value, dict) else ""
        if f.type in ("number", "amount"):
            text = str(value)
            if export:
                return text
            text = arabic_digits(text) if lang.startswith("ar") else text
            return i18n.gettext("%(amount)s riyals", amount=text) if f.type == "amount" else text
        return str(value)


@dataclasses.dataclass(frozen=True)
class AnswerRow:
    label: str
    text: str
    multiline: bool = False
    document: str | None = None  # a file answer's request document id


def answer_rows(fields: list[CustomField], answers: dict[str, Any] | None, lang: str) -> list[AnswerRow]:
    """The answered questions of a request, in the order of the form it was submitted on."""
    answers = answers or {}
    rows = []
    for f in fields:
        value = answers.get(f.key)
        text = answer_text(f, value, lang)
        if not text:
            continue
        document = str(value.get("document")) if f.type == "file" and isinstance(value, dict) else None
        rows.append(AnswerRow(f.label(lang), text, f.type == "long_text", document))
    return rows


def hint(f: CustomField, lang: str) -> str:
    return (f.help_en if not lang.startswith("ar") else "") or f.help_ar


def export_columns(versions: dict[int, list[CustomField]], lang: str) -> list[tuple[str, str]]:
    """One column per question key across the published versions, (key, header): the newest
    version's wording and order first, then questions only earlier versions asked."""
    columns: dict[str, str] = {}
    for number in sorted(versions, reverse=True):
        for f in versions[number]:
            columns.setdefault(f.key, f.label(lang))
    return list(columns.items())


def export_cells(columns: list[tuple[str, str]], fields: list[CustomField], answers: dict[str, Any] | None,
                 lang: str) -> list[str]:
    """A request's answers under `columns`, read with the questions of the version it pins."""
    by_key = {f.key: f for f in fields}
    answers = answers or {}
    return [answer_text(by_key[key], answers.get(key), lang, export=True) if key in by_key else ""
            for key, _ in columns]
