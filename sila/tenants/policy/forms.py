"""The policy configuration forms: one form model per page (a row model for the list pages),
read by `sila.platform.forms.parse_form` / `parse_rows`, and turned into rules structures.

Field names are the rules' dotted error paths ("channels.2.label_ar"), so an error from
`rules.validate_draft` lands beside the field it is about. Each list page posts every row
with the button pressed (`action`: save, next, add, up:3, down:3, remove:3 …): moving a row
keeps what was typed in the others. The fields' own bounds are wide; the rules' limits (and
their messages) are the ones a person meets.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from sila.platform import forms as form_layer
from sila.platform import i18n, workdays
from sila.platform.dates import MSG_HIJRI_INVALID, DateRangeError, localised_number, parse_digits
from sila.platform.forms import (
    Flag,
    Form,
    FormErrors,
    Many,
    RiyadhDate,
    Text,
    WholeNumber,
    parse_form,
    parse_rows,
    ticked,
)
from sila.platform.i18n import N_
from sila.tenants.policy import catalogue, deadlines, importer
from sila.tenants.policy import custom_fields as cf
from sila.tenants.policy.rules import (
    MSG_MEETING_INVALID,
    MSG_SESSION_INVALID,
    MSG_WINDOW_NOT_INT,
    TARGETS,
    BoardApprovalInput,
    ChannelConfig,
    PolicyDraft,
    StepConfig,
    ToolConfig,
    draft_from_dict,
    draft_to_dict,
    normalise_name,
    validate_approval,
    validate_draft,
)

MAX_ROWS = 60
MAX_GOALS, MAX_GOAL = 30, 1000
MSG_GREGORIAN_INVALID = N_("Enter a valid Gregorian date, such as 2023-12-05.")
MSG_TOO_MANY_GOALS = N_("List at most 30 goals, each under 1,000 characters.")


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


LABEL, NOTE, LONG = 1000, 2000, 50_000  # wide: the rules' own limits say how long is too long
Action = Annotated[str, Text(40)]


class ActionForm(Form):
    action: Action


def parse_action(data: Any) -> tuple[str, int | None]:
    """The button pressed: "save", "next", "add", or a row action with its index ("up:3")."""
    parsed = parse_form(ActionForm, data)
    action = (parsed.value.action if parsed.value else "") or "save"
    name, _, index = action.partition(":")
    return name, int(index) if index.isascii() and index.isdigit() and len(index) < 6 else None


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


class ChannelRow(Form):
    code: Annotated[str, Text(60)]
    enabled: Annotated[bool, Flag()]
    label_ar: Annotated[str, Text(LABEL, fold=False)]
    label_en: Annotated[str, Text(LABEL, fold=False)]
    note: Annotated[str, Text(NOTE, fold=False)]


class ToolRow(Form):
    code: Annotated[str, Text(60)]
    enabled: Annotated[bool, Flag()]
    label_ar: Annotated[str, Text(LABEL, fold=False)]
    label_en: Annotated[str, Text(LABEL, fold=False)]
    document_id: Annotated[str, Text(60)]


class StepRow(Form):
    code: Annotated[str, Text(60)]
    enabled: Annotated[bool, Flag()]
    text_ar: Annotated[str, Text(LONG, multiline=True)]
    text_en: Annotated[str, Text(LONG, multiline=True)]


def _rows(model: type[Any], data: Any, prefix: str) -> tuple[list[dict[str, Any]], FormErrors]:
    """Each row as a dict of its fields: as parsed, or (a row with an error) as typed."""
    rows = parse_rows(model, data, prefix, max_rows=MAX_ROWS)
    out = []
    for value, typed in zip(rows.values, rows.typed, strict=True):
        if value is not None:
            out.append(value.model_dump())
        else:
            out.append({**typed, "enabled": bool(typed.get("enabled", "").strip())})
    return out, rows.errors


def parse_channels(data: Any) -> tuple[list[ChannelConfig], FormErrors]:
    rows, errors = _rows(ChannelRow, data, "channels")
    return [ChannelConfig(code=r["code"] or None, enabled=r["enabled"], label_ar=r["label_ar"],
                          label_en=r["label_en"], note=r["note"]) for r in rows], errors


def parse_tools(data: Any) -> tuple[list[ToolConfig], FormErrors]:
    rows, errors = _rows(ToolRow, data, "tools")
    return [ToolConfig(code=r["code"] or None, enabled=r["enabled"], label_ar=r["label_ar"],
                       label_en=r["label_en"], document_id=r["document_id"] or None) for r in rows], errors


def parse_steps(data: Any) -> tuple[list[StepConfig], FormErrors]:
    rows, errors = _rows(StepRow, data, "steps")
    return [StepConfig(code=r["code"], enabled=r["enabled"], text_ar=r["text_ar"], text_en=r["text_en"])
            for r in rows], errors


# --- the support-request form's own questions (custom_fields) -----------------------------------

class QuestionRow(Form):
    key: Annotated[str, Text(40)]
    type: Annotated[str, Text(40)]  # the rules say which types exist (custom_fields.TYPES)
    label_ar: Annotated[str, Text(LABEL, fold=False)]
    label_en: Annotated[str, Text(LABEL, fold=False)]
    help_ar: Annotated[str, Text(NOTE, fold=False)]
    help_en: Annotated[str, Text(NOTE, fold=False)]
    required: Annotated[bool, Flag()]
    # One option a line, «Arabic | English» (English optional): quicker to type on a phone than
    # a row of boxes per option, and the order of the lines is the order of the options.
    options: Annotated[str, Text(LONG, multiline=True)]
    show_when_field: Annotated[str, Text(80)]  # "<earlier key>=<its answer>", or "" for always


def options_text(field: cf.CustomField) -> str:
    return "\n".join(o.label_ar + (f" | {o.label_en}" if o.label_en else "") for o in field.options)


def _options(text: str, before: list[cf.Option]) -> list[cf.Option]:
    """Options from the lines typed; an option keeps its code when its Arabic name is unchanged, so
    a condition on it (and answers given to earlier versions) still mean the same option."""
    known = {normalise_name(o.label_ar): o.value for o in before}
    used = {o.value for o in before}
    out = []
    for line in text.splitlines():
        ar, _, en = line.partition("|")
        ar, en = " ".join(ar.split()), " ".join(en.split())
        if not ar and not en:
            continue
        value = known.pop(normalise_name(ar), None) if ar else None
        if value is None:
            n = 1
            while f"o{n}" in used:
                n += 1
            value = f"o{n}"
        used.add(value)
        out.append(cf.Option(value, ar, en))
    return out


def parse_questions(data: Any, saved: list[cf.CustomField]) -> tuple[list[cf.CustomField], FormErrors]:
    """The questions as posted, in the page's order; each keeps its key (hidden on the page: answers
    and conditions refer to it), a malformed or repeated key gets a new one, and a saved question
    keeps its type (the page does not offer to change it)."""
    rows = parse_rows(QuestionRow, data, "custom_fields", max_rows=cf.MAX_FIELDS + 1)
    before = {f.key: f for f in saved}
    out: list[cf.CustomField] = []
    for value, typed in zip(rows.values, rows.typed, strict=True):
        r: dict[str, Any] = value.model_dump() if value is not None else \
            {**typed, "required": bool(typed.get("required", "").strip())}
        key = r["key"] if re.fullmatch(r"[a-z][a-z0-9_]{0,19}", r["key"]) and r["key"] not in {f.key for f in out} \
            else new_key(saved + out)
        field, _, answer = r["show_when_field"].partition("=")
        kind = before[key].type if key in before else r["type"]  # a saved question keeps its type
        out.append(cf.CustomField(
            key=key, type=kind, label_ar=r["label_ar"], label_en=r["label_en"], help_ar=r["help_ar"],
            help_en=r["help_en"], required=r["required"],
            options=_options(r["options"], before[key].options if key in before else []) if kind in cf.CHOICE_TYPES else [],
            show_when_field=field, show_when_value=answer))
    return out, rows.errors


class NewQuestionForm(Form):
    new_type: Annotated[str, form_layer.Choice(cf.TYPES, message=cf.MSG_TYPE)]


def apply_move_any(items: list[Any], action: str, index: int) -> bool:
    """Up / down for rows that may all be removed (the questions are all the tenant's own)."""
    target = index - 1 if action == "up" else index + 1
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


def new_key(fields: list[cf.CustomField]) -> str:
    n = 1
    while f"q{n}" in {f.key for f in fields}:
        n += 1
    return f"q{n}"


class WindowForm(Form):
    # Any whole number in either digit set here; the rules say which (1 to 365) and why.
    review_window_days: Annotated[int | None, WholeNumber(0, 10**12 - 1, message=MSG_WINDOW_NOT_INT)]
    review_window_text_ar: Annotated[str, Text(LABEL, fold=False)]
    review_window_text_en: Annotated[str, Text(LABEL, fold=False)]
    action: Action


def parse_window(data: Any, draft: PolicyDraft) -> tuple[FormErrors, dict[str, str]]:
    """Fill the window fields of `draft` from the form: (errors beside the fields, what was typed)."""
    parsed = parse_form(WindowForm, data)
    if parsed.value is not None:
        draft.review_window_days = parsed.value.review_window_days
        draft.review_window_text_ar = parsed.value.review_window_text_ar
        draft.review_window_text_en = parsed.value.review_window_text_en
    else:
        draft.review_window_days = None
        draft.review_window_text_ar = parsed.typed["review_window_text_ar"].strip()
        draft.review_window_text_en = parsed.typed["review_window_text_en"].strip()
    return parsed.errors, parsed.typed


def _lines(text: str) -> list[str]:
    return [line.strip(" \t-•·*") for line in (text or "").splitlines() if line.strip(" \t-•·*")]


class TextsForm(Form):
    introduction_ar: Annotated[str, Text(LONG, multiline=True)]
    introduction_en: Annotated[str, Text(LONG, multiline=True)]
    general_goal_ar: Annotated[str, Text(LONG, multiline=True)]
    general_goal_en: Annotated[str, Text(LONG, multiline=True)]
    detailed_goals_ar: Annotated[str, Text(LONG, multiline=True)]
    detailed_goals_en: Annotated[str, Text(LONG, multiline=True)]
    layout: Annotated[str, Text(40)]
    table_of_contents: Annotated[bool, Flag()]
    action: Action


def parse_texts(data: Any, draft: PolicyDraft) -> FormErrors:
    """Fill the texts of `draft` from the form (what was typed, when a field has an error)."""
    parsed = parse_form(TextsForm, data)
    errors = parsed.errors
    texts: dict[str, Any] = parsed.value.model_dump() if parsed.value else {
        **{k: v.strip() for k, v in parsed.typed.items()}, "table_of_contents": bool(parsed.typed["table_of_contents"])}
    for name in ("introduction_ar", "introduction_en", "general_goal_ar", "general_goal_en"):
        setattr(draft, name, texts[name])
    for lang in ("ar", "en"):
        goals = _lines(texts[f"detailed_goals_{lang}"])
        if len(goals) > MAX_GOALS or any(len(g) > MAX_GOAL for g in goals):
            errors.add(f"detailed_goals_{lang}", MSG_TOO_MANY_GOALS)
        setattr(draft, f"detailed_goals_{lang}", goals)
    draft.layout = texts["layout"]
    draft.table_of_contents = texts["table_of_contents"]
    return errors


def page_errors(draft: PolicyDraft, prefix: str | tuple[str, ...]) -> FormErrors:
    return translate(validate_draft(draft), prefix)


# --- board approval ---------------------------------------------------------------------------

NUMBER = 10**12 - 1  # any whole number parses; the rules say which are meetings and sessions


class ApprovalForm(Form):
    """The board's approval. The Hijri date is typed in three boxes (day, month, year) and read
    as one (`date_hijri` in the errors); the rules check it against the Umm al-Qura tables."""

    meeting_number: Annotated[int | None, WholeNumber(0, NUMBER, message=MSG_MEETING_INVALID)]
    session_ordinal: Annotated[int | None, WholeNumber(0, NUMBER, message=MSG_SESSION_INVALID)]
    date_gregorian: Annotated[dt.date | None, RiyadhDate(message=MSG_GREGORIAN_INVALID)]
    hijri_year: Annotated[int | None, WholeNumber(0, 9999, message=MSG_HIJRI_INVALID)]
    hijri_month: Annotated[int | None, WholeNumber(0, 99, message=MSG_HIJRI_INVALID)]
    hijri_day: Annotated[int | None, WholeNumber(0, 99, message=MSG_HIJRI_INVALID)]
    chair_title: Annotated[str, Text(LABEL, fold=False)]
    chair_name: Annotated[str, Text(LABEL, fold=False)]
    decisions: Annotated[list[str], Many()]
    computed: Annotated[str, Text(20)]
    computed_value: Annotated[str, Text(40)]
    minutes_document: Annotated[str, Text(60)]
    remove_minutes: Annotated[bool, Flag()]
    action: Action


HIJRI_PARTS = ("hijri_year", "hijri_month", "hijri_day")


def parse_approval(data: Any) -> tuple[BoardApprovalInput, FormErrors, dict[str, Any]]:
    """The approval as entered, the errors, and what was typed (to show back). A date we filled
    in by conversion earlier comes back in a hidden `computed` field; if the admin left it
    unchanged it is converted afresh from the other calendar, so editing one date never leaves
    a stale other one behind."""
    parsed = parse_form(ApprovalForm, data)
    typed: dict[str, Any] = {**parsed.typed, "decisions": ticked(data, "decisions")}
    errors = FormErrors()
    for key, messages in parsed.errors.items():
        for message in messages:
            key = "date_hijri" if key in HIJRI_PARTS else key
            if message not in errors.get(key, []):
                errors.setdefault(key, []).append(message)
    filled = [bool(typed[p].strip()) for p in HIJRI_PARTS]
    if any(filled) and not all(filled) and not errors.get("date_hijri"):
        errors.add("date_hijri", MSG_HIJRI_INVALID)  # the day, the month and the year, or none
    form = parsed.value
    if form is None or errors:
        return BoardApprovalInput(chair_title=typed["chair_title"].strip(), chair_name=typed["chair_name"].strip(),
                                  decisions=typed["decisions"]), errors, typed
    approval = BoardApprovalInput(meeting_number=form.meeting_number, session_ordinal=form.session_ordinal,
                                  chair_title=form.chair_title, chair_name=form.chair_name, decisions=form.decisions)
    hijri = (form.hijri_year, form.hijri_month, form.hijri_day) \
        if form.hijri_year is not None and form.hijri_month is not None and form.hijri_day is not None else None
    greg = form.date_gregorian
    if form.computed == "gregorian" and hijri and typed["date_gregorian"].strip() == form.computed_value:
        greg = None
    if form.computed == "hijri" and greg and \
            "-".join(typed[p].strip() for p in HIJRI_PARTS) == form.computed_value:
        hijri = None
    approval.date_gregorian, approval.date_hijri = greg, hijri
    return approval, errors, typed


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
    approval, errors, _ = parse_approval(data)
    if errors or (approval.date_gregorian is None and approval.date_hijri is None):
        return {"errors": errors}
    try:
        dates = approval.dates()
    except DateRangeError as exc:
        return {"errors": {"date": [i18n.gettext(exc.msgid)]}}
    return {"errors": {}, "dates": dates}


# --- the window's basis and the step targets; the closures page (parse_form models) -----------

MSG_TARGET_NUMBER = N_("Enter a target between 1 and 365 days, or leave it empty.")
MSG_APPEAL_NUMBER = N_("Enter a number of days between 0 and 90 (0: no appeals).")
MSG_COMPLETION_CHOICE = N_("Choose whether applicants complete a request online.")
MSG_BASIS_CHOICE = N_("Choose calendar days or working days.")
MSG_CLOSURE_REASON = N_("Say why you are closed, for example «إجازة نهاية العام».")
MSG_CLOSURE_DATE = N_("Enter the date as year-month-day, for example 2026-12-31.")
MSG_CLOSURE_ORDER = N_("The last day cannot be before the first day.")
MSG_CLOSURE_SPAN = N_("A closure can last at most 366 days; add longer ones in parts.")
MSG_CLOSURE_RANGE = N_("Enter a date between 1924 and 2077.")


class WindowRulesForm(form_layer.Form):
    """The window page's counting fields (the days and the wording are `parse_window`'s)."""

    review_window_basis: Annotated[str, form_layer.Choice(workdays.BASES, default=workdays.CALENDAR,
                                                          message=MSG_BASIS_CHOICE)]
    verify_target_days: Annotated[int | None, form_layer.WholeNumber(1, 365, message=MSG_TARGET_NUMBER)] = None
    research_target_days: Annotated[int | None, form_layer.WholeNumber(1, 365, message=MSG_TARGET_NUMBER)] = None
    # Left out of the form (an older page, a script): the draft's value stays.
    appeal_days: Annotated[int | None, form_layer.WholeNumber(0, 90, message=MSG_APPEAL_NUMBER)] = None
    online_completion: Annotated[str, form_layer.Choice(("yes", "no"), allow_empty=True,
                                                        message=MSG_COMPLETION_CHOICE)] = ""


def parse_window_rules(data: Any, draft: PolicyDraft) -> form_layer.Parsed[WindowRulesForm]:
    parsed = form_layer.parse_form(WindowRulesForm, data)
    if parsed.value is not None:
        draft.review_window_basis = parsed.value.review_window_basis
        draft.verify_target_days = parsed.value.verify_target_days
        draft.research_target_days = parsed.value.research_target_days
        if parsed.value.appeal_days is not None:
            draft.appeal_days = parsed.value.appeal_days
        if parsed.value.online_completion:
            draft.online_completion = parsed.value.online_completion == "yes"
    return parsed


def suggested_wording(days: int, basis: str) -> tuple[str, str]:
    """Wording that states a maximum («مدة أقصاها ١٤ يوم عمل»), in Arabic and English."""
    out = []
    for lang in ("ar", "en"):
        with i18n.language(lang):
            num = localised_number(days, lang)
            if basis == workdays.WORKING:
                out.append(i18n.ngettext("at most %(num)s working day", "at most %(num)s working days", days, num=num))
            else:
                out.append(i18n.ngettext("at most %(num)s day", "at most %(num)s days", days, num=num))
    return out[0], out[1]


# Wording that reads as a minimum although the policy means a maximum («لا تقل عن» …).
_MINIMUM_WORDS = ("لا تقل", "لا يقل", "no less than", "not less than", "at least")


def reads_as_minimum(text: str) -> bool:
    low = " ".join((text or "").casefold().split())
    return any(w in low for w in _MINIMUM_WORDS)


def _day(value: Any) -> dt.date:
    text = parse_digits(form_layer.raw_text(value)).strip()
    if form_layer.control_characters(text):
        raise form_layer.problem(form_layer.MSG_CONTROL)
    try:
        day = dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise form_layer.problem(MSG_CLOSURE_DATE) from None
    if not dt.date(1924, 1, 1) <= day <= dt.date(2077, 11, 16):
        raise form_layer.problem(MSG_CLOSURE_RANGE)
    return day


class ClosureForm(form_layer.Form):
    starts_on: Annotated[dt.date, BeforeValidator(_day)]
    ends_on: Annotated[dt.date | None, BeforeValidator(
        lambda v: None if not form_layer.raw_text(v).strip() else _day(v))] = None
    reason: Annotated[str, form_layer.Text(deadlines.MAX_REASON, required=MSG_CLOSURE_REASON)]


def _closure_check(value: ClosureForm, errors: FormErrors) -> None:
    end = value.ends_on or value.starts_on
    if end < value.starts_on:
        errors.add("ends_on", MSG_CLOSURE_ORDER)
    elif (end - value.starts_on).days + 1 > deadlines.MAX_SPAN_DAYS:
        errors.add("ends_on", MSG_CLOSURE_SPAN)


def parse_closure(data: Any) -> form_layer.Parsed[ClosureForm]:
    return form_layer.parse_form(ClosureForm, data, check=_closure_check)


# --- importing the charity's own document (importer.py proposes, the admin reviews) -----------

MSG_PASTE_OR_UPLOAD = N_("Upload the policy as a PDF or Word file, or paste its text.")
MSG_PASTE_TOO_LONG = N_("The pasted text is too long (200,000 characters at most).")
IMPORT_SECTIONS = ("texts", "channels", "tools", "steps", "window", "approval")


class PasteForm(Form):
    text: Annotated[str, Text(200_000, multiline=True, too_long=MSG_PASTE_TOO_LONG)]


def parse_paste(data: Any) -> form_layer.Parsed[PasteForm]:
    return parse_form(PasteForm, data)


class ImportReviewForm(Form):
    """The fields of the review page beside the rows (channels, tools, steps) and the approval
    (read by `parse_approval`). Each section is applied only when its box is ticked."""

    use_texts: Annotated[bool, Flag()]
    use_channels: Annotated[bool, Flag()]
    use_tools: Annotated[bool, Flag()]
    use_steps: Annotated[bool, Flag()]
    use_window: Annotated[bool, Flag()]
    use_approval: Annotated[bool, Flag()]
    offer_original: Annotated[bool, Flag()]
    introduction_ar: Annotated[str, Text(LONG, multiline=True)]
    general_goal_ar: Annotated[str, Text(LONG, multiline=True)]
    detailed_goals_ar: Annotated[str, Text(LONG, multiline=True)]
    layout: Annotated[str, Text(40)]  # checked by the rules (MSG_UNKNOWN_LAYOUT)
    table_of_contents: Annotated[bool, Flag()]
    review_window_days: Annotated[int | None, WholeNumber(0, 10**12 - 1, message=MSG_WINDOW_NOT_INT)]
    review_window_text_ar: Annotated[str, Text(LABEL, fold=False)]
    review_window_basis: Annotated[str, form_layer.Choice(workdays.BASES, default=workdays.CALENDAR,
                                                          message=MSG_BASIS_CHOICE)]
    action: Action


class ImportRow(Form):
    code: Annotated[str, Text(60)]
    enabled: Annotated[bool, Flag()]
    label_ar: Annotated[str, Text(LABEL, fold=False)]


class ImportStepRow(Form):
    code: Annotated[str, Text(60)]
    enabled: Annotated[bool, Flag()]
    text_ar: Annotated[str, Text(LONG, multiline=True)]


@dataclasses.dataclass
class ImportReview:
    """What the review page posted: the draft with the ticked sections filled in, which
    sections those are, the approval (when ticked and valid), the errors, and what was typed."""

    draft: PolicyDraft
    sections: tuple[str, ...]
    approval: BoardApprovalInput | None
    errors: FormErrors
    typed: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]


def _own_label(code: str | None, label: str, table: dict[str, Any]) -> str:
    """The document's wording; "" where it is the catalogue's own label."""
    item = table.get(code) if code else None
    return "" if item and normalise_name(item.ar) == normalise_name(label) else label.strip()


def _merge_translated(errors: FormErrors, more: FormErrors) -> None:
    for key, messages in more.items():
        for message in messages:
            if message not in errors.get(key, []):
                errors.setdefault(key, []).append(message)


def parse_import_review(data: Any, current: PolicyDraft, source_document: str) -> ImportReview:
    parsed = parse_form(ImportReviewForm, data)
    errors = parsed.errors
    typed: dict[str, Any] = dict(parsed.typed)
    form = parsed.value
    flags = {name: bool(typed.get(name, "").strip()) for name in
             ("use_texts", "use_channels", "use_tools", "use_steps", "use_window", "use_approval",
              "offer_original", "table_of_contents")}
    typed.update(flags)
    draft = replace_draft(current)
    sections: list[str] = ["source"]
    draft.source_document, draft.offer_original = source_document, flags["offer_original"]
    rows: dict[str, list[dict[str, Any]]] = {}
    for prefix, model in (("channels", ImportRow), ("tools", ImportRow), ("steps", ImportStepRow)):
        rows[prefix], row_errors = _rows(model, data, prefix)
        if flags[f"use_{prefix}"]:
            _merge_translated(errors, row_errors)
    if flags["use_texts"]:
        sections.append("texts")
        values = form.model_dump() if form else typed
        draft.introduction_ar = values["introduction_ar"].strip()
        draft.general_goal_ar = values["general_goal_ar"].strip()
        goals = _lines(values["detailed_goals_ar"])
        if len(goals) > MAX_GOALS or any(len(g) > MAX_GOAL for g in goals):
            errors.add("detailed_goals_ar", MSG_TOO_MANY_GOALS)
        draft.detailed_goals_ar = goals
        draft.layout = values["layout"].strip() or "sections"
        draft.table_of_contents = flags["table_of_contents"]
    if flags["use_channels"]:
        sections.append("channels")
        chosen = [ChannelConfig(code=r["code"] or None, enabled=bool(r["enabled"]),
                                label_ar=_own_label(r["code"] or None, r["label_ar"], catalogue.CHANNELS))
                  for r in rows["channels"] if (r["code"] or r["label_ar"].strip())]
        listed = {c.code for c in chosen if c.code}
        draft.channels = chosen + [ChannelConfig(code, enabled=False) for code in catalogue.CHANNELS
                                   if code not in listed]
    if flags["use_tools"]:
        sections.append("tools")
        kept = {t.code: t.document_id for t in current.tools if t.code}
        picked = [ToolConfig(code=r["code"] or None, enabled=bool(r["enabled"]),
                             label_ar=_own_label(r["code"] or None, r["label_ar"], catalogue.TOOLS),
                             document_id=kept.get(r["code"]) if r["code"] else None)
                  for r in rows["tools"] if (r["code"] or r["label_ar"].strip())]
        listed = {t.code for t in picked if t.code}
        draft.tools = picked + [ToolConfig(code, enabled=False) for code in catalogue.TOOLS if code not in listed]
    if flags["use_steps"]:
        sections.append("steps")
        english = {s.code: s.text_en for s in current.steps}
        draft.steps = [StepConfig(code=r["code"], enabled=bool(r["enabled"]), text_ar=r["text_ar"].strip(),
                                  text_en=english.get(r["code"], "")) for r in rows["steps"]]
    if flags["use_window"] or flags["use_steps"]:
        sections.append("window")
        if flags["use_window"]:
            if form is not None:
                draft.review_window_days = form.review_window_days
                draft.review_window_text_ar = form.review_window_text_ar
                draft.review_window_basis = form.review_window_basis
            else:
                draft.review_window_days = None
        if not draft.has_committee:  # the window is the committee's promise: without it, none
            draft.review_window_days = None
            draft.review_window_text_ar = draft.review_window_text_en = ""
        for name, step in TARGETS.items():
            if step not in draft.enabled_steps():
                setattr(draft, name, None)
    checked = tuple(s for s in ("texts", "channels", "tools", "steps", "window") if s in sections)
    prefixes = tuple(p for s in checked for p in services_fields(s))
    for key, messages in translate(validate_draft(draft), prefixes).items():
        if key in ("channels", "tools", "steps"):
            continue  # remarks about a whole list: the draft may be finished later
        for message in messages:
            if message not in errors.get(key, []):
                errors.setdefault(key, []).append(message)
    approval = None
    if flags["use_approval"]:
        approval, approval_errors, approval_typed = parse_approval(data)
        typed.update({k: v for k, v in approval_typed.items() if k not in typed or k == "decisions"})
        if not approval_errors:
            for key, msgids in validate_approval(approval).items():
                for msgid in msgids:
                    approval_errors.add(key, msgid)
        _merge_translated(errors, approval_errors)
        if approval_errors:
            approval = None
    return ImportReview(draft, tuple(sections), approval, errors, typed, rows)


def replace_draft(draft: PolicyDraft) -> PolicyDraft:
    return draft_from_dict(draft_to_dict(draft))


def services_fields(section: str) -> tuple[str, ...]:
    """The error prefixes of one configuration page's fields."""
    return {"texts": ("introduction_ar", "general_goal_ar", "detailed_goals_ar", "layout"),
            "channels": ("channels",), "tools": ("tools",), "steps": ("steps",),
            "window": ("review_window_days", "review_window_text_ar", "review_window_basis")}[section]


def review_values(proposal: Any, current: PolicyDraft) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The review form filled in from the importer's proposal (what the document does not
    give keeps the draft's current value, and its section starts unticked)."""
    found = importer.MISSING
    p = proposal
    values: dict[str, Any] = {
        "use_texts": any(f.status != found for f in (p.introduction, p.general_goal, p.detailed_goals)),
        "introduction_ar": p.introduction.value or current.introduction_ar,
        "general_goal_ar": p.general_goal.value or current.general_goal_ar,
        "detailed_goals_ar": "\n".join(p.detailed_goals.value or current.detailed_goals_ar),
        "layout": p.layout.value if p.layout.status != found else current.layout,
        "table_of_contents": bool(p.table_of_contents.value),
        "use_channels": bool(p.channels), "use_tools": bool(p.tools),
        "use_steps": any(s.status != found for s in p.steps),
        "use_window": p.window.value is not None,
        "review_window_days": str(p.window.value.days) if p.window.value else "",
        "review_window_text_ar": p.window.value.wording if p.window.value else "",
        "review_window_basis": "working" if p.window.value and p.window.value.working else "calendar",
        "offer_original": False,
    }
    a = p.approval
    values["use_approval"] = any(f.status != found for f in (a.meeting_number, a.session_ordinal, a.date_hijri,
                                                             a.date_gregorian))
    hijri = a.date_hijri.value or ("", "", "")
    values.update({
        "meeting_number": "" if a.meeting_number.value is None else str(a.meeting_number.value),
        "session_ordinal": "" if a.session_ordinal.value is None else str(a.session_ordinal.value),
        "hijri_year": str(hijri[0]), "hijri_month": str(hijri[1]), "hijri_day": str(hijri[2]),
        "date_gregorian": a.date_gregorian.value.isoformat() if a.date_gregorian.value else "",
        "chair_title": a.chair_title.value, "chair_name": a.chair_name.value,
        "decisions": list(a.decisions.value) or ["approve"], "computed": "", "computed_value": "",
    })
    rows = {
        "channels": [{"code": m.code or "", "enabled": True, "label_ar": m.wording} for m in p.channels],
        "tools": [{"code": m.code or "", "enabled": True, "label_ar": m.wording} for m in p.tools],
        "steps": [{"code": s.code, "enabled": s.status != found, "text_ar": s.wording} for s in p.steps],
    }
    if not p.channels:
        rows["channels"] = [{"code": c.code or "", "enabled": c.enabled, "label_ar": c.label("ar")}
                            for c in current.channels if c.enabled]
    if not p.tools:
        rows["tools"] = [{"code": t.code or "", "enabled": t.enabled, "label_ar": t.label("ar")}
                         for t in current.tools if t.enabled]
    return values, rows


class PublishForm(Form):
    # Ticked: the admin acknowledges that no board approval is recorded for this version.
    without_approval: Annotated[bool, Flag()]


def parse_publish(data: Any) -> bool:
    parsed = parse_form(PublishForm, data)
    return bool(parsed.value and parsed.value.without_approval)
