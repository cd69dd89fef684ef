"""Reading the survey forms: answers (public), the survey editor, settings and campaigns."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from sila.platform.dates import parse_digits
from sila.platform.i18n import N_
from sila.platform.templating import digits
from sila.platform.web import FormErrors, form_value
from sila.tenants.surveys.services import DEFAULT_SETTINGS, QTYPES, SurveyInput

MAX_TEXT = 2000
MAX_QUESTIONS = 20
RANGES = {"rating": (1, 5), "nps": (0, 10)}
MSG_WRITE = N_("Question %(n)s: write an answer.")
MSG_CHOOSE = N_("Question %(n)s: choose an answer.")
MSG_SHOWN = N_("Question %(n)s: choose one of the answers shown.")
MSG_LONG = N_("Question %(n)s: keep it to %(max)s characters or fewer.")


def _checked(data: Any, name: str) -> bool:
    return form_value(data, name) in ("on", "yes", "1", "true")


def read_answers(questions: list[dict[str, Any]], data: Any) -> tuple[dict[str, dict[str, Any]], dict[str, str], FormErrors]:
    """Errors name the question's number, so the summary at the top says which one to fix."""
    answers: dict[str, dict[str, Any]] = {}
    typed: dict[str, str] = {}
    errors = FormErrors()
    for number, q in enumerate(questions, start=1):
        key, kind, n = q["key"], q["type"], digits(number)
        raw = parse_digits(form_value(data, key) or "").strip()
        typed[key] = raw
        if not raw:
            if q.get("required"):
                msgid = MSG_WRITE if kind == "text" else MSG_CHOOSE
                errors.add(key, msgid, n=n)
            continue
        if kind == "text":
            if len(raw) > MAX_TEXT:
                errors.add(key, MSG_LONG, n=n, max=digits(MAX_TEXT))
            answers[key] = {"type": kind, "score": None, "text": raw}
            continue
        low, high = RANGES.get(kind, (0, len(q.get("options", [])) - 1))
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors.add(key, MSG_SHOWN, n=n)
            continue
        answers[key] = {"type": kind, "score": int(raw), "text": ""}
    typed["anonymous"] = "on" if _checked(data, "anonymous") else ""
    return answers, typed, errors


def survey_as_form(survey: dict[str, Any]) -> dict[str, Any]:
    return {"title_ar": survey["title_ar"], "title_en": survey["title_en"], "intro_ar": survey["intro_ar"],
            "intro_en": survey["intro_en"], "anonymous_allowed": "on" if survey["anonymous_allowed"] else "",
            "is_active": "on" if survey["is_active"] else "",
            "questions": [{"key": q["key"], "type": q["type"], "ar": q["text"].get("ar", ""), "en": q["text"].get("en", ""),
                           "options": "\n".join(f"{o.get('ar', '')} | {o.get('en', '')}".rstrip(" |")
                                                for o in q.get("options", [])),
                           "required": "on" if q.get("required") else ""} for q in survey["questions"]]}


def read_survey(data: Any) -> tuple[SurveyInput, dict[str, Any], FormErrors]:
    errors = FormErrors()
    typed: dict[str, Any] = {k: form_value(data, k) for k in ("title_ar", "title_en", "intro_ar", "intro_en")}
    typed["anonymous_allowed"] = "on" if _checked(data, "anonymous_allowed") else ""
    typed["is_active"] = "on" if _checked(data, "is_active") else ""
    if not typed["title_ar"]:
        errors.add("title_ar", "Give the survey an Arabic title.")
    count = parse_digits(form_value(data, "count") or "0")
    count = min(int(count), MAX_QUESTIONS + 1) if count.isdigit() else 0
    typed["questions"], questions = [], []
    seen: set[str] = set()
    for i in range(count):
        p = f"q{i}_"
        q = {"key": form_value(data, p + "key"), "type": form_value(data, p + "type"), "ar": form_value(data, p + "ar"),
             "en": form_value(data, p + "en"), "options": form_value(data, p + "options"),
             "required": "on" if _checked(data, p + "required") else "", "remove": _checked(data, p + "remove")}
        if q["remove"] or (not q["key"] and not q["ar"] and not q["en"]):
            continue  # removed, or the empty slot for a new question left empty
        typed["questions"].append(q)
        if not re.fullmatch(r"[a-z0-9_]{1,40}", q["key"] or "") or q["key"] in seen:
            q["key"] = "q" + secrets.token_hex(4)
        seen.add(q["key"])
        if q["type"] not in QTYPES:
            errors.add(p + "type", "Choose the kind of question.")
        if not q["ar"] or len(q["ar"]) > 300:
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
    return SurveyInput(title_ar=typed["title_ar"], title_en=typed["title_en"], intro_ar=typed["intro_ar"],
                       intro_en=typed["intro_en"], anonymous_allowed=bool(typed["anonymous_allowed"]),
                       is_active=bool(typed["is_active"]), questions=questions), typed, errors


SETTING_RANGES = {"delay_days": (0, 60), "reminder_days": (1, 30), "min_staff_answers": (3, 100),
                  "low_rating": (1, 4), "low_nps": (0, 9)}


def read_settings(data: Any) -> tuple[dict[str, Any], dict[str, str], FormErrors]:
    errors = FormErrors()
    typed = {k: form_value(data, k) for k in SETTING_RANGES}
    typed["auto_send"] = "on" if _checked(data, "auto_send") else ""
    values: dict[str, Any] = {"auto_send": bool(typed["auto_send"])}
    for name, (low, high) in SETTING_RANGES.items():
        raw = parse_digits(typed[name] or "")
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors.add(name, "Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
            values[name] = DEFAULT_SETTINGS[name]
        else:
            values[name] = int(raw)
    return values, typed, errors


def settings_as_form(settings: dict[str, Any]) -> dict[str, str]:
    return {**{k: str(settings[k]) for k in SETTING_RANGES}, "auto_send": "on" if settings["auto_send"] else ""}


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(parse_digits(raw or ""))
    except ValueError:
        return None


def read_campaign(data: Any) -> tuple[dict[str, Any], dict[str, str], FormErrors]:
    errors = FormErrors()
    typed = {k: form_value(data, k) for k in ("name", "survey", "service_type", "period_from", "period_to")}
    if not typed["name"] or len(typed["name"]) > 200:
        errors.add("name", "Name the campaign (up to 200 characters).")
    start, end = _date(typed["period_from"]), _date(typed["period_to"])
    if start is None:
        errors.add("period_from", "Enter the first day of the period.")
    if end is None:
        errors.add("period_to", "Enter the last day of the period.")
    elif start and end < start:
        errors.add("period_to", "The period must end on or after its first day.")
    return {"name": typed["name"], "survey": typed["survey"], "service_type": typed["service_type"],
            "period_from": start, "period_to": end}, typed, errors
