"""Rules of a policy draft, pure Python: what makes a draft valid, what publishing needs,
how a due date follows from the review window, and what changed between two versions.

Errors come back as {field: [msgid, ...]}; msgids are English strings wrapped in `N_`
(extract with keyword N_) that the web layer translates. Field names are dotted paths
into the draft ("channels.2.label_ar", "approval.chair_name").

Rules, kept to what the platform relies on:
- channels: at least one enabled; a standard code appears once; a tenant's own channel
  has an Arabic name; names (effective labels, Arabic and English) are unique after
  normalising spelling variants; names ≤ 120 characters, notes ≤ 500.
- tools: standard code once; own tools named; names unique; same length limits.
- steps: only catalogue steps (the request workflow implements exactly those), each once,
  in list order; among the enabled steps `receive` is first and `deliver` is last, since
  a request enters at the one and is closed by the other. The middle order is the
  tenant's.
- review window: required when the committee step is enabled and refused when it is
  not (the window is the committee's promise; with no committee there is nothing to
  count down to); a whole number of days, 1..365; counted in calendar or working days
  (`review_window_basis`, see sila/platform/workdays.py).
- step targets (optional): verification in N days, research in N days (1..365, the same
  basis as the window); a target for a step the procedure does not have is refused.
- appeals: `appeal_days` 0..90 (0: no appeal), counted in the window's basis from the decision;
  `online_completion` lets an incomplete request be completed from the tracking page.
- layout is one of catalogue.LAYOUTS. Texts are free: an empty section is omitted.
- publishing: a board approval with a meeting number and/or session number, a date in
  at least one calendar (within the Umm al-Qura range), at least one known decision.
  The chair's name is NOT required: two of the three seed approvals do not record it,
  and they must be publishable exactly as recorded. A chair's title without a name is
  refused, since it would display as a dangling title.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields

from sila.platform.dates import (
    MSG_GREGORIAN_OUT_OF_RANGE,
    MSG_HIJRI_INVALID,
    DateRangeError,
    Reconciled,
    reconcile,
)
from sila.platform import workdays
from sila.platform.i18n import Nn_
from sila.tenants.committee import rule as committee_rule
from sila.tenants.policy import catalogue, custom_fields


def N_(s: str) -> str:
    """Mark a msgid for extraction; translation happens where it is shown."""
    return s


MAX_NAME = 120
MAX_NOTE = 500
MAX_TEXT = 10_000
WINDOW_MIN, WINDOW_MAX = 1, 365

Errors = dict[str, list[str]]

# Per-step target field -> the procedure step it needs; the request stage it times is
# TARGET_STAGES[field].
TARGETS = {"verify_target_days": "verify", "research_target_days": "refer"}
TARGET_STAGES = {"verify_target_days": "verify", "research_target_days": "research"}


# ---------------------------------------------------------------- structures

@dataclass
class ChannelConfig:
    code: str | None = None  # catalogue code; None for the tenant's own channel
    enabled: bool = True
    label_ar: str = ""  # the tenant's wording; "" means the catalogue label
    label_en: str = ""
    note: str = ""  # e.g. a phone number, office hours, a social account

    def label(self, lang: str = "ar") -> str:
        return _label(self, catalogue.CHANNELS, lang)


@dataclass
class ToolConfig:
    code: str | None = None
    enabled: bool = True
    label_ar: str = ""
    label_en: str = ""
    document_id: str | None = None  # an uploaded PDF (policy.services.store_document)

    def label(self, lang: str = "ar") -> str:
        return _label(self, catalogue.TOOLS, lang)


@dataclass
class StepConfig:
    code: str
    enabled: bool = True
    text_ar: str = ""  # the tenant's wording; "" means the catalogue default
    text_en: str = ""

    def label(self, lang: str = "ar") -> str:
        step = catalogue.STEPS.get(self.code)
        return step.label(lang) if step else self.code

    def text(self, lang: str = "ar") -> str:
        ar = lang.lower().startswith("ar")
        own = self.text_ar if ar else self.text_en
        step = catalogue.STEPS.get(self.code)
        return own or (step and (step.text_ar if ar else step.text_en)) or ""


@dataclass
class PolicyDraft:
    channels: list[ChannelConfig] = field(default_factory=list)
    tools: list[ToolConfig] = field(default_factory=list)
    steps: list[StepConfig] = field(default_factory=list)
    review_window_days: int | None = None
    # How the tenant words the window for applicants, e.g. «مدة لا تقل عن أسبوعين»;
    # "" means a plain "N days". Due dates always come from the number.
    review_window_text_ar: str = ""
    review_window_text_en: str = ""
    # "calendar" or "working" (sila.platform.workdays): how the window and the targets count.
    review_window_basis: str = "calendar"
    # Optional internal targets: days a request may wait at verification / with the researcher.
    verify_target_days: int | None = None
    research_target_days: int | None = None
    # Appeals (تظلم): days after a decline within which the applicant may appeal once, counted like
    # the window; 0 means the policy offers no appeal. Whether an incomplete request can be
    # completed from the tracking page (otherwise the applicant is pointed to the channels).
    appeal_days: int = 15
    online_completion: bool = True
    introduction_ar: str = ""
    introduction_en: str = ""
    general_goal_ar: str = ""
    general_goal_en: str = ""
    detailed_goals_ar: list[str] = field(default_factory=list)
    detailed_goals_en: list[str] = field(default_factory=list)
    layout: str = "sections"
    table_of_contents: bool = False
    # The charity's own document this draft was imported from (a policy.services document of
    # purpose "import"), and whether the published version offers it for download.
    source_document: str | None = None
    offer_original: bool = False
    # The charity's own questions on its support-request form (custom_fields.CustomField as
    # dicts): versioned with the policy, so a request pins the form it was submitted on.
    custom_fields: list[dict] = field(default_factory=list)
    # The research committee: members, chair and deputy, quorum and majority
    # (sila.tenants.committee.rule.CommitteeRule as a dict; empty: not set up).
    committee: dict = field(default_factory=dict)

    def enabled_steps(self) -> list[str]:
        return [s.code for s in self.steps if s.enabled]

    @property
    def has_committee(self) -> bool:
        return "committee" in self.enabled_steps()


@dataclass
class BoardApprovalInput:
    meeting_number: int | None = None  # «اجتماع مجلس الإدارة رقم (161)»
    session_ordinal: int | None = None  # «في جلسته السابعة» → 7
    date_gregorian: dt.date | None = None
    date_hijri: tuple[int, int, int] | None = None
    chair_title: str = ""
    chair_name: str = ""
    decisions: list[str] = field(default_factory=list)  # catalogue.DECISIONS codes

    def dates(self) -> Reconciled:
        """Both calendars, filled in or kept as entered with a warning (see reconcile)."""
        return reconcile(self.date_gregorian, self.date_hijri)


def default_draft() -> PolicyDraft:
    """What a new tenant starts from: our texts, every standard step and tool, the
    standard channels listed but off (the tenant says which it really uses), a two-week
    window for the committee step."""
    t = catalogue.DEFAULT_TEXTS
    return PolicyDraft(
        channels=[ChannelConfig(code, enabled=False) for code in catalogue.CHANNELS],
        tools=[ToolConfig(code) for code in catalogue.TOOLS],
        steps=[StepConfig(code) for code in catalogue.STEPS],
        review_window_days=14,
        introduction_ar=t["introduction"]["ar"], introduction_en=t["introduction"]["en"],
        general_goal_ar=t["general_goal"]["ar"], general_goal_en=t["general_goal"]["en"],
        detailed_goals_ar=list(t["detailed_goals"]["ar"]),
        detailed_goals_en=list(t["detailed_goals"]["en"]),
    )


def draft_to_dict(draft: PolicyDraft) -> dict:
    """JSON-ready snapshot; what a version stores and what diff_versions compares."""
    return asdict(draft)


def draft_from_dict(data: dict) -> PolicyDraft:
    """Inverse of draft_to_dict; unknown keys are ignored and missing ones take their
    defaults, so snapshots written by older code still load."""
    def build(cls, d):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    d = dict(data)
    d["channels"] = [build(ChannelConfig, c) for c in d.get("channels", [])]
    d["tools"] = [build(ToolConfig, c) for c in d.get("tools", [])]
    d["steps"] = [build(StepConfig, c) for c in d.get("steps", [])]
    return build(PolicyDraft, d)


# ---------------------------------------------------------------- validation

MSG_NO_CHANNEL = N_("Enable at least one channel.")
MSG_UNKNOWN_CHANNEL = N_("Choose a channel from the list.")
MSG_DUPLICATE_STD_CHANNEL = N_("Each standard channel can appear only once.")
MSG_CHANNEL_NAME_REQUIRED = N_("Enter the channel's name.")
MSG_CHANNEL_NAME_TAKEN = N_("Another channel already has this name.")
MSG_UNKNOWN_TOOL = N_("Choose a tool from the list.")
MSG_DUPLICATE_STD_TOOL = N_("Each standard tool can appear only once.")
MSG_TOOL_NAME_REQUIRED = N_("Enter the tool's name.")
MSG_TOOL_NAME_TAKEN = N_("Another tool already has this name.")
MSG_NAME_TOO_LONG = N_("Keep the name to 120 characters or fewer.")
MSG_NOTE_TOO_LONG = N_("Keep the note to 500 characters or fewer.")
MSG_TEXT_TOO_LONG = N_("This text is too long.")
MSG_UNKNOWN_STEP = N_("Choose a step from the list.")
MSG_DUPLICATE_STEP = N_("Each step can appear only once.")
MSG_FIRST_STEP = N_("The procedure must start by receiving the beneficiary.")
MSG_LAST_STEP = N_("The procedure must end by delivering the service.")
MSG_WINDOW_REQUIRED = N_(
    "Enter the review window in days: the research committee answers within it.")
MSG_WINDOW_WITHOUT_COMMITTEE = N_(
    "Clear the review window, or enable the research committee step it applies to.")
MSG_WINDOW_NOT_INT = N_("Enter the review window as a whole number of days.")
MSG_WINDOW_RANGE = N_("Enter a review window between 1 and 365 days.")
MSG_UNKNOWN_BASIS = N_("Choose calendar days or working days.")
MSG_TARGET_RANGE = N_("Enter a target between 1 and 365 days, or leave it empty.")
MSG_APPEAL_RANGE = N_("Enter a number of days between 0 and 90 (0: no appeals).")
APPEAL_MAX = 90
MSG_TARGET_WITHOUT_STEP = N_("Clear this target, or enable the step it applies to on the Procedure page.")
MSG_UNKNOWN_LAYOUT = N_("Choose a layout.")
MSG_APPROVAL_REQUIRED = N_("Record the board's approval before publishing.")
MSG_MEETING_REQUIRED = N_("Enter the meeting number, the session number, or both.")
MSG_MEETING_INVALID = N_("Enter the meeting number as a whole number of 1 or more.")
MSG_SESSION_INVALID = N_("Enter the session number as a whole number of 1 or more.")
MSG_DATE_REQUIRED = N_("Enter the meeting date in the Hijri or the Gregorian calendar.")
MSG_CHAIR_NAME_REQUIRED = N_("Enter the chair's name, or clear the title.")
MSG_DECISION_REQUIRED = N_("Choose at least one board decision.")
MSG_UNKNOWN_DECISION = N_("Choose the decisions from the list.")

_TASHKEEL = re.compile("[\u064b-\u0652\u0670\u0640]")  # diacritics and tatweel
_SPELLING = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def normalise_name(s: str) -> str:
    """Key for "same name": ignores case, spacing, diacritics and the spelling variants
    people use interchangeably («الإلكتروني» / «الالكتروني»)."""
    s = _TASHKEEL.sub("", unicodedata.normalize("NFKC", s)).translate(_SPELLING)
    return " ".join(s.casefold().split()).strip(" .،-")


def _label(item, table, lang: str) -> str:
    ar = lang.lower().startswith("ar")
    std = table.get(item.code) if item.code else None
    own = (item.label_ar if ar else item.label_en).strip()
    if own:
        return own
    if std:
        return std.label(lang)
    return item.label_ar.strip()  # a tenant's own item without English falls back to Arabic


def _add(errors: Errors, key: str, msg: str) -> None:
    if msg not in errors.setdefault(key, []):
        errors[key].append(msg)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_items(errors: Errors, prefix: str, items, table, msgs) -> None:
    unknown, duplicate, required, taken = msgs
    seen_codes: set[str] = set()
    seen_names: dict[str, set[str]] = {"ar": set(), "en": set()}
    for i, item in enumerate(items):
        if item.code is not None:
            if item.code not in table:
                _add(errors, f"{prefix}.{i}.code", unknown)
                continue
            if item.code in seen_codes:
                _add(errors, prefix, duplicate)
            seen_codes.add(item.code)
        elif not item.label_ar.strip():
            _add(errors, f"{prefix}.{i}.label_ar", required)
            continue
        for lang in ("ar", "en"):
            raw = getattr(item, f"label_{lang}")
            if len(raw) > MAX_NAME:
                _add(errors, f"{prefix}.{i}.label_{lang}", MSG_NAME_TOO_LONG)
            # English fallback to Arabic for own items would make every such pair clash
            # twice; English uniqueness is checked only where an English name exists.
            if lang == "en" and item.code is None and not raw.strip():
                continue
            key = normalise_name(item.label(lang))
            if key in seen_names[lang]:
                _add(errors, f"{prefix}.{i}.label_{lang}", taken)
            seen_names[lang].add(key)
        if len(getattr(item, "note", "")) > MAX_NOTE:
            _add(errors, f"{prefix}.{i}.note", MSG_NOTE_TOO_LONG)


def validate_draft(draft: PolicyDraft) -> Errors:
    errors: Errors = {}

    if not any(c.enabled for c in draft.channels):
        _add(errors, "channels", MSG_NO_CHANNEL)
    _check_items(errors, "channels", draft.channels, catalogue.CHANNELS,
                 (MSG_UNKNOWN_CHANNEL, MSG_DUPLICATE_STD_CHANNEL,
                  MSG_CHANNEL_NAME_REQUIRED, MSG_CHANNEL_NAME_TAKEN))
    _check_items(errors, "tools", draft.tools, catalogue.TOOLS,
                 (MSG_UNKNOWN_TOOL, MSG_DUPLICATE_STD_TOOL,
                  MSG_TOOL_NAME_REQUIRED, MSG_TOOL_NAME_TAKEN))

    seen: set[str] = set()
    for i, step in enumerate(draft.steps):
        if step.code not in catalogue.STEPS:
            _add(errors, f"steps.{i}.code", MSG_UNKNOWN_STEP)
        elif step.code in seen:
            _add(errors, "steps", MSG_DUPLICATE_STEP)
        seen.add(step.code)
        for lang in ("ar", "en"):
            if len(getattr(step, f"text_{lang}")) > MAX_TEXT:
                _add(errors, f"steps.{i}.text_{lang}", MSG_TEXT_TOO_LONG)
    enabled = draft.enabled_steps()
    if not enabled or enabled[0] != "receive":
        _add(errors, "steps", MSG_FIRST_STEP)
    if not enabled or enabled[-1] != "deliver":
        _add(errors, "steps", MSG_LAST_STEP)

    for key, msgids in custom_fields.validate_definitions(custom_fields.from_dicts(draft.custom_fields)).items():
        for msgid in msgids:
            _add(errors, key, msgid)

    if draft.committee:
        cr = committee_rule.CommitteeRule.from_dict(draft.committee)
        # Which staff may be members is the page's check (it knows the staff); here, the shape.
        for key, msgids in committee_rule.validate(cr, cr.members).items():
            for msgid in msgids:
                _add(errors, f"committee.{key}", msgid)

    w = draft.review_window_days
    if draft.has_committee:
        if w is None:
            _add(errors, "review_window_days", MSG_WINDOW_REQUIRED)
        elif not _is_int(w):
            _add(errors, "review_window_days", MSG_WINDOW_NOT_INT)
        elif not WINDOW_MIN <= w <= WINDOW_MAX:
            _add(errors, "review_window_days", MSG_WINDOW_RANGE)
    elif w is not None:
        _add(errors, "review_window_days", MSG_WINDOW_WITHOUT_COMMITTEE)

    if draft.review_window_basis not in workdays.BASES:
        _add(errors, "review_window_basis", MSG_UNKNOWN_BASIS)
    for name, needs in TARGETS.items():
        t = getattr(draft, name)
        if t is None:
            continue
        if not (_is_int(t) and WINDOW_MIN <= t <= WINDOW_MAX):
            _add(errors, name, MSG_TARGET_RANGE)
        elif needs not in enabled:
            _add(errors, name, MSG_TARGET_WITHOUT_STEP)

    if not (_is_int(draft.appeal_days) and 0 <= draft.appeal_days <= APPEAL_MAX):
        _add(errors, "appeal_days", MSG_APPEAL_RANGE)

    if draft.layout not in catalogue.LAYOUTS:
        _add(errors, "layout", MSG_UNKNOWN_LAYOUT)
    for name in ("introduction_ar", "introduction_en", "general_goal_ar", "general_goal_en",
                 "review_window_text_ar", "review_window_text_en"):
        if len(getattr(draft, name)) > MAX_TEXT:
            _add(errors, name, MSG_TEXT_TOO_LONG)
    return errors


def validate_approval(approval: BoardApprovalInput) -> Errors:
    errors: Errors = {}
    m, s = approval.meeting_number, approval.session_ordinal
    if m is None and s is None:
        _add(errors, "meeting_number", MSG_MEETING_REQUIRED)
    if m is not None and not (_is_int(m) and m >= 1):
        _add(errors, "meeting_number", MSG_MEETING_INVALID)
    if s is not None and not (_is_int(s) and s >= 1):
        _add(errors, "session_ordinal", MSG_SESSION_INVALID)

    if approval.date_gregorian is None and approval.date_hijri is None:
        _add(errors, "date", MSG_DATE_REQUIRED)
    else:
        try:
            approval.dates()
        except DateRangeError as e:
            key = "date_gregorian" if e.msgid == MSG_GREGORIAN_OUT_OF_RANGE else "date_hijri"
            _add(errors, key, e.msgid)
        except (TypeError, ValueError):  # e.g. a Hijri "tuple" of the wrong length
            _add(errors, "date_hijri", MSG_HIJRI_INVALID)

    if approval.chair_title.strip() and not approval.chair_name.strip():
        _add(errors, "chair_name", MSG_CHAIR_NAME_REQUIRED)
    if len(approval.chair_title) > MAX_NAME or len(approval.chair_name) > MAX_NAME:
        _add(errors, "chair_name", MSG_NAME_TOO_LONG)

    if not approval.decisions:
        _add(errors, "decisions", MSG_DECISION_REQUIRED)
    elif any(d not in catalogue.DECISIONS for d in approval.decisions):
        _add(errors, "decisions", MSG_UNKNOWN_DECISION)
    return errors


def validate_publish(draft: PolicyDraft, approval: BoardApprovalInput | None, *,
                     without_approval: bool = False) -> Errors:
    """Everything that must hold before a draft becomes an immutable version. No approval is
    allowed only when the admin acknowledged it (`without_approval`): a charity whose document
    records none may publish, and its pages say so."""
    errors = validate_draft(draft)
    if approval is None:
        if not without_approval:
            _add(errors, "approval", MSG_APPROVAL_REQUIRED)
    else:
        for key, msgs in validate_approval(approval).items():
            errors[f"approval.{key}"] = msgs
    return errors


# ---------------------------------------------------------------- due dates

def due_date(submitted_at: dt.datetime, review_window_days: int, basis: str = workdays.CALENDAR,
             closed: workdays.Closed | None = None) -> dt.datetime:
    """When the decision on a request is due, in UTC: `review_window_days` counted after the
    submission's day in Riyadh (calendar or working days, skipping the tenant's closures when
    `closed` is given), due at the end of that Riyadh day. The counting rules are
    sila.platform.workdays'."""
    if not (_is_int(review_window_days) and review_window_days >= 1):
        raise ValueError("review_window_days must be a whole number of 1 or more")
    return workdays.due_at(submitted_at, review_window_days, basis, closed or (lambda d: False))


# ---------------------------------------------------------------- version diff

@dataclass(frozen=True)
class Change:
    """One line of a version diff: `msgid` % `params`; with `plural`, a Babel plural pair counted
    by `params["num"]` (translated with `ngettext`)."""

    msgid: str
    params: dict = field(default_factory=dict)
    plural: str | None = None

    def text(self, gettext=lambda s: s, ngettext=None) -> str:
        if self.plural is None:
            return gettext(self.msgid) % self.params
        n = self.params["num"]
        if ngettext is None:
            return (self.msgid if n == 1 else self.plural) % self.params
        return ngettext(self.msgid, self.plural, n, **self.params)

    def __str__(self) -> str:
        return self.text()


_ITEM_MSGS = {
    "channels": (N_("Channel added: %(name)s"), N_("Channel removed: %(name)s"),
                 N_("Channel renamed: %(old)s → %(new)s"),
                 N_("Channel order changed.")),
    "tools": (N_("Tool added: %(name)s"), N_("Tool removed: %(name)s"),
              N_("Tool renamed: %(old)s → %(new)s"), N_("Tool order changed.")),
    "steps": (N_("Step added: %(name)s"), N_("Step removed: %(name)s"),
              N_("Step wording changed: %(name)s"), N_("Step order changed.")),
}
MSG_CHANNEL_NOTE = N_("Channel note changed: %(name)s")
MSG_TOOL_DOCUMENT = N_("Tool document replaced: %(name)s")
# Plural pairs (Change.plural), counted by the new number of days.
MSG_WINDOW_CHANGED = Nn_("Review window changed from %(old)s to %(num)s day.",
                         "Review window changed from %(old)s to %(num)s days.")
MSG_WINDOW_SET = Nn_("Review window set to %(num)s day.", "Review window set to %(num)s days.")
MSG_WINDOW_REMOVED = N_("Review window removed.")
MSG_WINDOW_WORDING = N_("Review window wording changed.")
MSG_BASIS_WORKING = N_("The review window now counts working days.")
MSG_BASIS_CALENDAR = N_("The review window now counts calendar days.")
MSG_TARGETS = N_("Step targets changed.")
MSG_COMMITTEE = N_("The research committee's members or decision rule changed.")
MSG_APPEALS = Nn_("Appeal period changed from %(old)s to %(num)s day.",
                  "Appeal period changed from %(old)s to %(num)s days.")
MSG_APPEALS_ON = Nn_("Applicants can now appeal a decline within %(num)s day.",
                     "Applicants can now appeal a decline within %(num)s days.")
MSG_APPEALS_OFF = N_("Applicants can no longer appeal a decline.")
MSG_COMPLETION_ON = N_("Applicants can now complete a request from the tracking page.")
MSG_COMPLETION_OFF = N_("Applicants now complete a request through the charity's channels.")
MSG_INTRO = N_("Introduction changed.")
MSG_GOAL = N_("General goal changed.")
MSG_GOALS = N_("Detailed goals changed.")
MSG_LAYOUT = N_("Layout changed to: %(name)s")
MSG_TOC_ON = N_("Table of contents added.")
MSG_TOC_OFF = N_("Table of contents removed.")
MSG_FORM_QUESTIONS = N_("The questions of the support-request form changed.")


def _key(item) -> str:
    # A tenant's own item has no code; its (normalised) name is its identity, so
    # renaming one reads as removed + added, which is what a reader sees anyway.
    return item.code or "own:" + normalise_name(item.label_ar)


def _diff_items(kind: str, old: list, new: list, lang: str) -> list[Change]:
    added, removed, changed, reordered = _ITEM_MSGS[kind]
    a = {_key(i): i for i in old if i.enabled}
    b = {_key(i): i for i in new if i.enabled}
    out = [Change(removed, {"name": a[k].label(lang)}) for k in a if k not in b]
    out += [Change(added, {"name": b[k].label(lang)}) for k in b if k not in a]
    for k in (k for k in b if k in a):
        x, y = a[k], b[k]
        if kind == "steps":
            if (x.text_ar, x.text_en) != (y.text_ar, y.text_en):
                out.append(Change(changed, {"name": y.label(lang)}))
            continue
        # Show the rename in `lang`, or in the other language when only that one changed.
        for ln in (lang, "en" if lang.lower().startswith("ar") else "ar"):
            if x.label(ln) != y.label(ln):
                out.append(Change(changed, {"old": x.label(ln), "new": y.label(ln)}))
                break
        if kind == "channels" and x.note != y.note:
            out.append(Change(MSG_CHANNEL_NOTE, {"name": y.label(lang)}))
        if kind == "tools" and x.document_id != y.document_id:
            out.append(Change(MSG_TOOL_DOCUMENT, {"name": y.label(lang)}))
    common_a = [k for k in a if k in b]
    common_b = [k for k in b if k in a]
    if common_a != common_b:
        out.append(Change(reordered))
    return out


def diff_versions(a: dict, b: dict, lang: str = "en") -> list[Change]:
    """What changed from snapshot `a` to snapshot `b` (draft_to_dict output), in reading
    order. Disabled items count as absent: the public policy does not show them. Names
    in the changes are in `lang`; `str(change)` is English, `change.text(gettext)` is
    translated."""
    x, y = draft_from_dict(a), draft_from_dict(b)
    out = _diff_items("channels", x.channels, y.channels, lang)
    out += _diff_items("tools", x.tools, y.tools, lang)
    out += _diff_items("steps", x.steps, y.steps, lang)

    wa = x.review_window_days if x.has_committee else None
    wb = y.review_window_days if y.has_committee else None
    if wa != wb:
        if wa is None:
            out.append(Change(MSG_WINDOW_SET[0], {"num": wb}, MSG_WINDOW_SET[1]))
        elif wb is None:
            out.append(Change(MSG_WINDOW_REMOVED))
        else:
            out.append(Change(MSG_WINDOW_CHANGED[0], {"old": wa, "num": wb}, MSG_WINDOW_CHANGED[1]))
    if (x.review_window_text_ar, x.review_window_text_en) != (
            y.review_window_text_ar, y.review_window_text_en):
        out.append(Change(MSG_WINDOW_WORDING))
    if x.review_window_basis != y.review_window_basis:
        out.append(Change(MSG_BASIS_WORKING if y.review_window_basis == workdays.WORKING else MSG_BASIS_CALENDAR))
    if any(getattr(x, n) != getattr(y, n) for n in TARGETS):
        out.append(Change(MSG_TARGETS))
    if x.committee != y.committee:
        out.append(Change(MSG_COMMITTEE))
    if x.appeal_days != y.appeal_days:
        if not y.appeal_days:
            out.append(Change(MSG_APPEALS_OFF))
        elif not x.appeal_days:
            out.append(Change(MSG_APPEALS_ON[0], {"num": y.appeal_days}, MSG_APPEALS_ON[1]))
        else:
            out.append(Change(MSG_APPEALS[0], {"old": x.appeal_days, "num": y.appeal_days}, MSG_APPEALS[1]))
    if x.online_completion != y.online_completion:
        out.append(Change(MSG_COMPLETION_ON if y.online_completion else MSG_COMPLETION_OFF))

    for names, msg in ((("introduction_ar", "introduction_en"), MSG_INTRO),
                       (("general_goal_ar", "general_goal_en"), MSG_GOAL),
                       (("detailed_goals_ar", "detailed_goals_en"), MSG_GOALS)):
        if any(getattr(x, n) != getattr(y, n) for n in names):
            out.append(Change(msg))
    if x.layout != y.layout:
        layout = catalogue.LAYOUTS.get(y.layout)
        out.append(Change(MSG_LAYOUT, {"name": layout.label(lang) if layout else y.layout}))
    if x.table_of_contents != y.table_of_contents:
        out.append(Change(MSG_TOC_ON if y.table_of_contents else MSG_TOC_OFF))
    if x.custom_fields != y.custom_fields:
        out.append(Change(MSG_FORM_QUESTIONS))
    return out


__all__ = [
    "N_", "ChannelConfig", "ToolConfig", "StepConfig", "PolicyDraft", "BoardApprovalInput",
    "Change", "default_draft", "draft_to_dict", "draft_from_dict",
    "normalise_name", "validate_draft", "validate_approval", "validate_publish",
    "due_date", "diff_versions",
]
