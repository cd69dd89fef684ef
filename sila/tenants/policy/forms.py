"""The policy configuration forms: posted fields -> rules structures, and back.

Field names are the rules' dotted error paths ("channels.2.label_ar"), so an error from
`rules.validate_draft` lands beside the field it is about. Each list page posts every row
with the button pressed (`action`: save, next, add, up:3, down:3, remove:3 …): moving a row
keeps what was typed in the others.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sila.platform import i18n
from sila.platform.dates import MSG_HIJRI_INVALID, DateRangeError, parse_digits
from sila.platform.i18n import N_
from sila.platform.web import FormErrors, form_value
from sila.tenants.policy.rules import (
    MSG_MEETING_INVALID,
    MSG_SESSION_INVALID,
    MSG_WINDOW_NOT_INT,
    BoardApprovalInput,
    ChannelConfig,
    PolicyDraft,
    StepConfig,
    ToolConfig,
    validate_draft,
)

MAX_ROWS = 60
MAX_GOALS, MAX_GOAL = 30, 1000
MSG_GREGORIAN_INVALID = N_("Enter a valid Gregorian date, such as 2023-12-05.")
MSG_TOO_MANY_GOALS = N_("List at most 30 goals, each under 1,000 characters.")


def values(data: Any, name: str) -> list[str]:
    """All values of a repeated field (checkbox groups)."""
    raw = data.get(name, []) if data else []
    return [str(v) for v in (raw if isinstance(raw, list) else [raw]) if v not in (None, "")]


def translate(errors: dict[str, list[str]], prefix: str | tuple[str, ...]) -> FormErrors:
    """Rules errors (msgids) under `prefix`, translated for the page."""
    out = FormErrors()
    prefixes = (prefix,) if isinstance(prefix, str) else prefix
    for key, msgids in errors.items():
        if key.split(".")[0] in prefixes:
            for msgid in msgids:
                out.add(key, msgid)
    return out


def blocking(errors: FormErrors, remarks: set[str]) -> bool:
    """Errors about a field block saving; remarks about the whole list («enable at least one
    channel») do not: a draft may be incomplete, and publishing checks completeness."""
    return any(key not in remarks for key in errors)


def parse_action(data: Any) -> tuple[str, int | None]:
    action = form_value(data, "action") or "save"
    name, _, index = action.partition(":")
    return name, int(index) if index.isdigit() else None


def apply_move(items: list[Any], action: str, index: int | None) -> bool:
    """Move or remove a row in place; True if something happened."""
    if index is None or not 0 <= index < len(items):
        return False
    if action == "up" and index > 0:
        items[index - 1], items[index] = items[index], items[index - 1]
    elif action == "down" and index < len(items) - 1:
        items[index + 1], items[index] = items[index], items[index + 1]
    elif action == "remove" and getattr(items[index], "code", "x") is None:  # only the tenant's own
        del items[index]
    else:
        return False
    return True


def _count(data: Any, prefix: str) -> int:
    raw = form_value(data, f"{prefix}.count")
    return min(int(raw), MAX_ROWS) if str(raw).isdigit() else 0


def parse_channels(data: Any) -> list[ChannelConfig]:
    out = []
    for i in range(_count(data, "channels")):
        p = f"channels.{i}."
        out.append(ChannelConfig(
            code=form_value(data, p + "code") or None,
            enabled=bool(form_value(data, p + "enabled")),
            label_ar=form_value(data, p + "label_ar"), label_en=form_value(data, p + "label_en"),
            note=form_value(data, p + "note")))
    return out


def parse_tools(data: Any) -> list[ToolConfig]:
    out = []
    for i in range(_count(data, "tools")):
        p = f"tools.{i}."
        out.append(ToolConfig(
            code=form_value(data, p + "code") or None,
            enabled=bool(form_value(data, p + "enabled")),
            label_ar=form_value(data, p + "label_ar"), label_en=form_value(data, p + "label_en"),
            document_id=form_value(data, p + "document_id") or None))
    return out


def parse_steps(data: Any) -> list[StepConfig]:
    out = []
    for i in range(_count(data, "steps")):
        p = f"steps.{i}."
        out.append(StepConfig(
            code=form_value(data, p + "code"), enabled=bool(form_value(data, p + "enabled")),
            text_ar=form_value(data, p + "text_ar"), text_en=form_value(data, p + "text_en")))
    return out


def _whole_number(raw: str) -> int | None | str:
    """None if empty, an int if digits (Eastern Arabic too), else the raw text."""
    text = parse_digits(raw or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() else raw


def parse_window(data: Any, draft: PolicyDraft) -> FormErrors:
    """Fill the window fields of `draft` from the form; errors beside the fields."""
    errors = FormErrors()
    days = _whole_number(form_value(data, "review_window_days"))
    if isinstance(days, str):
        errors.add("review_window_days", MSG_WINDOW_NOT_INT)
        days = None
    draft.review_window_days = days
    draft.review_window_text_ar = form_value(data, "review_window_text_ar")
    draft.review_window_text_en = form_value(data, "review_window_text_en")
    return errors


def _lines(text: str) -> list[str]:
    return [line.strip(" \t-•·*") for line in (text or "").splitlines() if line.strip(" \t-•·*")]


def parse_texts(data: Any, draft: PolicyDraft) -> FormErrors:
    errors = FormErrors()
    for name in ("introduction_ar", "introduction_en", "general_goal_ar", "general_goal_en"):
        setattr(draft, name, form_value(data, name))
    for lang in ("ar", "en"):
        goals = _lines(form_value(data, f"detailed_goals_{lang}"))
        if len(goals) > MAX_GOALS or any(len(g) > MAX_GOAL for g in goals):
            errors.add(f"detailed_goals_{lang}", MSG_TOO_MANY_GOALS)
        setattr(draft, f"detailed_goals_{lang}", goals)
    draft.layout = form_value(data, "layout")
    draft.table_of_contents = bool(form_value(data, "table_of_contents"))
    return errors


def page_errors(draft: PolicyDraft, prefix: str | tuple[str, ...]) -> FormErrors:
    return translate(validate_draft(draft), prefix)


# --- board approval ---------------------------------------------------------------------------

_GREG_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y")


def parse_gregorian(raw: str) -> dt.date | None | str:
    text = parse_digits(raw or "").strip().replace(" ", "")
    if not text:
        return None
    for fmt in _GREG_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return raw


def parse_hijri(data: Any) -> tuple[int, int, int] | None | str:
    parts = [parse_digits(form_value(data, f"hijri_{p}") or "").strip() for p in ("year", "month", "day")]
    if not any(parts):
        return None
    if not all(p.isdigit() for p in parts):
        return "invalid"
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


def parse_approval(data: Any) -> tuple[BoardApprovalInput, FormErrors]:
    """The approval as entered. A date we filled in by conversion earlier comes back in a
    hidden `computed` field; if the admin left it unchanged it is converted afresh from the
    other calendar, so editing one date never leaves a stale other one behind."""
    errors = FormErrors()
    approval = BoardApprovalInput(
        chair_title=form_value(data, "chair_title"), chair_name=form_value(data, "chair_name"),
        decisions=values(data, "decisions"))
    for name, msgid in (("meeting_number", MSG_MEETING_INVALID), ("session_ordinal", MSG_SESSION_INVALID)):
        number = _whole_number(form_value(data, name))
        if isinstance(number, str):
            errors.add(name, msgid)
        else:
            setattr(approval, name, number)
    greg = parse_gregorian(form_value(data, "date_gregorian"))
    hijri = parse_hijri(data)
    computed, computed_value = form_value(data, "computed"), form_value(data, "computed_value")
    if computed == "gregorian" and hijri and not isinstance(hijri, str) and \
            form_value(data, "date_gregorian") == computed_value:
        greg = None
    if computed == "hijri" and greg and not isinstance(greg, str) and \
            "-".join(form_value(data, f"hijri_{p}") for p in ("year", "month", "day")) == computed_value:
        hijri = None
    if isinstance(greg, str):
        errors.add("date_gregorian", MSG_GREGORIAN_INVALID)
    else:
        approval.date_gregorian = greg
    if isinstance(hijri, str):
        errors.add("date_hijri", MSG_HIJRI_INVALID)
    else:
        approval.date_hijri = hijri
    return approval, errors


def approval_form(stored: dict[str, Any] | None) -> dict[str, Any]:
    """A stored approval as form values (the filled-in side marked as computed)."""
    if not stored:
        return {"decisions": ["approve"]}
    y, m, d = stored["date_hijri"]
    form = {
        "meeting_number": str(stored.get("meeting_number") or ""),
        "session_ordinal": str(stored.get("session_ordinal") or ""),
        "date_gregorian": stored["date_gregorian"], "hijri_year": str(y), "hijri_month": str(m), "hijri_day": str(d),
        "chair_title": stored.get("chair_title", ""), "chair_name": stored.get("chair_name", ""),
        "decisions": stored.get("decisions", []), "computed": stored.get("filled") or "",
    }
    form["computed_value"] = (form["date_gregorian"] if form["computed"] == "gregorian"
                              else f"{y}-{m}-{d}" if form["computed"] == "hijri" else "")
    return form


def conversion_preview(data: Any) -> dict[str, Any]:
    """What the htmx preview beside the dates shows: the other calendar, or a mismatch."""
    approval, errors = parse_approval(data)
    if errors or (approval.date_gregorian is None and approval.date_hijri is None):
        return {"errors": errors}
    try:
        dates = approval.dates()
    except DateRangeError as exc:
        return {"errors": {"date": [i18n.gettext(exc.msgid)]}}
    return {"errors": {}, "dates": dates}
