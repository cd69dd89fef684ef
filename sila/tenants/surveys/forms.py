"""The survey forms: answers (public; one model made for the survey's questions), the survey
editor (its questions read as rows), settings and campaigns; read by `parse_form`."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, create_model, field_validator

from sila.platform.dates import parse_digits
from sila.platform.forms import (AnyDay, Flag, Form, FormErrors, Text, WholeNumber, control_characters, earlier,
                                 parse_form, parse_rows, problem, raw_text, read_day)
from sila.platform.i18n import N_
from sila.platform.templating import digits
from sila.tenants.surveys.services import DEFAULT_SETTINGS, QTYPES, Survey, SurveyInput, SurveySettings

MAX_TEXT = 2000
MAX_QUESTIONS = 20
RANGES = {"rating": (1, 5), "nps": (0, 10)}
MSG_WRITE = N_("Question %(n)s: write an answer.")
MSG_CHOOSE = N_("Question %(n)s: choose an answer.")
MSG_SHOWN = N_("Question %(n)s: choose one of the answers shown.")
MSG_LONG = N_("Question %(n)s: keep it to %(max)s characters or fewer.")


def _answer(number: int, q: dict[str, Any]) -> BeforeValidator:
    """One question's answer: a text, or a score among those shown (either digit set); None when
    left empty (an error when the question must be answered)."""
    kind, n = q["type"], digits(number)

    def check(value: Any) -> dict[str, Any] | None:
        text = raw_text(value)
        if control_characters(text, multiline=True):
            raise problem(MSG_SHOWN if kind != "text" else N_("This field contains characters that are not allowed."))
        raw = parse_digits(text).strip()
        if not raw:
            if q.get("required"):
                raise problem(MSG_WRITE if kind == "text" else MSG_CHOOSE, n=n)
            return None
        if kind == "text":
            if len(raw) > MAX_TEXT:
                raise problem(MSG_LONG, n=n, max=digits(MAX_TEXT))
            return {"type": kind, "score": None, "text": raw}
        low, high = RANGES.get(kind, (0, len(q.get("options", [])) - 1))
        if not (raw.isascii() and raw.isdigit() and len(raw) < 4) or not low <= int(raw) <= high:
            raise problem(MSG_SHOWN, n=n)
        return {"type": kind, "score": int(raw), "text": ""}

    return BeforeValidator(check)


def answers_form(questions: list[dict[str, Any]]) -> type[Form]:
    """The answer form of one survey version: a field per question (`a1`, `a2`, … in the order
    asked: a question's own key could be any word), and "answer anonymously"."""
    fields: dict[str, Any] = {f"a{number}": (Annotated[dict | None, _answer(number, q)], None)
                              for number, q in enumerate(questions, start=1)}
    return create_model("AnswersForm", __base__=Form, anonymous=(Annotated[bool, Flag()], False), **fields)


def read_answers(questions: list[dict[str, Any]], data: Any) -> tuple[dict[str, dict[str, Any]], dict[str, str], FormErrors]:
    """Errors name the question's number, so the summary at the top says which one to fix."""
    keys = {f"a{number}": q["key"] for number, q in enumerate(questions, start=1)}
    posted = {field: data.get(key) for field, key in keys.items()} if data else {}
    posted["anonymous"] = data.get("anonymous") if data else None
    parsed = parse_form(answers_form(questions), posted)
    typed = {keys.get(k, k): parse_digits(v).strip() for k, v in parsed.typed.items()}
    typed["anonymous"] = "on" if typed["anonymous"] else ""
    errors = FormErrors()
    for field, messages in parsed.errors.items():
        errors.setdefault(keys.get(field, field), []).extend(m for m in messages if m not in errors.get(field, []))
    if parsed.value is None:
        return {}, typed, errors
    answers = {keys[k]: v for k, v in parsed.value.model_dump().items() if k in keys and v is not None}
    return answers, typed, errors


def survey_as_form(survey: Survey) -> dict[str, Any]:
    return {"title_ar": survey.title_ar, "title_en": survey.title_en, "intro_ar": survey.intro_ar,
            "intro_en": survey.intro_en, "anonymous_allowed": "on" if survey.anonymous_allowed else "",
            "is_active": "on" if survey.is_active else "",
            "questions": [{"key": q["key"], "type": q["type"], "ar": q["text"].get("ar", ""), "en": q["text"].get("en", ""),
                           "options": "\n".join(f"{o.get('ar', '')} | {o.get('en', '')}".rstrip(" |")
                                                for o in q.get("options", [])),
                           "required": "on" if q.get("required") else ""} for q in survey.questions]}


class SurveyForm(Form):
    title_ar: Annotated[str, Text(500, required=N_("Give the survey an Arabic title."))]
    title_en: Annotated[str, Text(500)]
    intro_ar: Annotated[str, Text(5000, multiline=True)]
    intro_en: Annotated[str, Text(5000, multiline=True)]
    anonymous_allowed: Annotated[bool, Flag()]
    is_active: Annotated[bool, Flag()]


class QuestionRow(Form):
    """One question of the editor (`q3_ar`, …); an empty row is the slot for a new question."""

    key: Annotated[str, Text(60)]
    type: Annotated[str, Text(20)]
    ar: Annotated[str, Text(2000)]
    en: Annotated[str, Text(2000)]
    options: Annotated[str, Text(5000, multiline=True)]
    required: Annotated[bool, Flag()]
    remove: Annotated[bool, Flag()]


def read_survey(data: Any) -> tuple[SurveyInput, dict[str, Any], FormErrors]:
    parsed = parse_form(SurveyForm, data)
    errors = parsed.errors
    typed: dict[str, Any] = {k: v.strip() for k, v in parsed.typed.items()}
    for flag in ("anonymous_allowed", "is_active"):
        typed[flag] = "on" if typed[flag] else ""
    rows = parse_rows(QuestionRow, data, "q", max_rows=MAX_QUESTIONS + 1, count="count", row=lambda i: f"q{i}_")
    for key, messages in rows.errors.items():
        errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    typed["questions"], questions = [], []
    seen: set[str] = set()
    for i, (value, shown) in enumerate(zip(rows.values, rows.typed, strict=True)):
        p = f"q{i}_"
        q = {**(value.model_dump() if value else {k: v.strip() for k, v in shown.items()})}
        q["required"] = "on" if q["required"] else ""
        if q["remove"] or (not q["key"] and not q["ar"] and not q["en"]):
            continue  # removed, or the empty slot for a new question left empty
        q["remove"] = bool(q["remove"])
        typed["questions"].append(q)
        if not re.fullmatch(r"[a-z0-9_]{1,40}", q["key"] or "") or q["key"] in seen or q["key"] == "anonymous":
            q["key"] = "q" + secrets.token_hex(4)
        seen.add(q["key"])
        if q["type"] not in QTYPES:
            errors.add(p + "type", "Choose the kind of question.")
        if (not q["ar"] or len(q["ar"]) > 300) and p + "ar" not in errors:
            errors.add(p + "ar", "Write the question in Arabic (up to 300 characters).")
        options = []
        if q["type"] == "choice":
            for line in q["options"].splitlines():
                if line.strip():
                    ar, _, en = line.partition("|")
                    options.append({"ar": ar.strip(), "en": en.strip() or ar.strip()})
            if not 2 <= len(options) <= 10:
                errors.add(p + "options", "Give between 2 and 10 choices, one per line.")
        questions.append({"key": q["key"], "type": q["type"], "required": bool(q["required"]),
                          "text": {"ar": q["ar"], "en": q["en"] or q["ar"]},
                          **({"options": options} if q["type"] == "choice" else {})})
    if not questions:
        errors.add("__all__", "A survey needs at least one question.")
    if len(questions) > MAX_QUESTIONS:
        errors.add("__all__", "A survey can have at most %(n)s questions.", n=MAX_QUESTIONS)
    form = parsed.value
    return SurveyInput(title_ar=form.title_ar if form else typed["title_ar"],
                       title_en=form.title_en if form else typed["title_en"],
                       intro_ar=form.intro_ar if form else typed["intro_ar"],
                       intro_en=form.intro_en if form else typed["intro_en"],
                       anonymous_allowed=bool(typed["anonymous_allowed"]), is_active=bool(typed["is_active"]),
                       questions=questions), typed, errors


SETTING_RANGES = {"delay_days": (0, 60), "reminder_days": (1, 30), "min_staff_answers": (3, 100),
                  "low_rating": (1, 4), "low_nps": (0, 9)}


def _setting(low: int, high: int) -> Any:
    return Annotated[int, WholeNumber(low, high, required=True)]


SettingsForm: type[Form] = create_model(  # type: ignore[call-overload]
    "SettingsForm", __base__=Form, auto_send=(Annotated[bool, Flag()], False),
    **{name: (_setting(low, high), 0) for name, (low, high) in SETTING_RANGES.items()})


def read_settings(data: Any) -> tuple[dict[str, Any], dict[str, str], FormErrors]:
    parsed = parse_form(SettingsForm, data)
    typed = {**parsed.typed, "auto_send": "on" if parsed.typed["auto_send"].strip() else ""}
    values = parsed.value.model_dump() if parsed.value else {**DEFAULT_SETTINGS}
    return values, typed, parsed.errors


def settings_as_form(settings: SurveySettings) -> dict[str, str]:
    return {**{k: str(getattr(settings, k)) for k in SETTING_RANGES}, "auto_send": "on" if settings.auto_send else ""}


def day_or_none(raw: str) -> dt.date | None:
    """A day typed in a filter (either calendar, either digit set), or None when it is empty or no day."""
    try:
        return read_day(raw[:40])
    except ValueError:
        return None


MSG_NAME = N_("Name the campaign (up to 200 characters).")
MSG_FIRST = N_("Enter the first day of the period.")
MSG_LAST = N_("Enter the last day of the period.")


class CampaignForm(Form):
    name: Annotated[str, Text(200, required=MSG_NAME, too_long=MSG_NAME)]
    survey: Annotated[str, Text(60)]
    service_type: Annotated[str, Text(100)]
    period_from: Annotated[dt.date, AnyDay(required=MSG_FIRST, message=MSG_FIRST)]
    period_to: Annotated[dt.date, AnyDay(required=MSG_LAST, message=MSG_LAST)]

    @field_validator("period_to")
    @classmethod
    def _after_the_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = earlier(info, "period_from")
        if start and end < start:
            raise problem(N_("The period must end on or after its first day."))
        return end


def read_campaign(data: Any) -> tuple[dict[str, Any], dict[str, str], FormErrors]:
    parsed = parse_form(CampaignForm, data)
    values = parsed.value.model_dump() if parsed.value else {}
    return values, parsed.typed, parsed.errors
