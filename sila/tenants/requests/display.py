"""How requests read on pages: both calendars, time left, labels. Passed to templates."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from sila.platform import i18n
from sila.platform.dates import dual_date, dual_datetime, to_riyadh
from sila.tenants.beneficiaries.forms import CATEGORIES, CONTACT_CHANNELS
from sila.tenants.policy import deadlines
from sila.tenants.requests import clock
from sila.tenants.requests.actions import CHECKLIST
from sila.tenants.requests.workflow import APPLICANT_STAGE_LABELS, STAGE_LABELS

DOC_KINDS = {"supporting": i18n.N_("Supporting document"), "letter_scan": i18n.N_("Letter (scan)"),
             "attestation": i18n.N_("Signed attestation"), "field_visit": i18n.N_("Field-visit report"),
             "custom_field": i18n.N_("Answer to a form question")}


def time_left(due_at: dt.datetime | None, now: dt.datetime | None = None) -> tuple[str, str]:
    """(text, css class) for a decision due date: days left, due today, or overdue."""
    if due_at is None:
        return i18n.gettext("No review window"), "due-none"
    now = now or dt.datetime.now(dt.UTC)
    days = (to_riyadh(due_at).date() - to_riyadh(now).date()).days
    if due_at < now:
        n = max(1, math.ceil((now - due_at).total_seconds() / 86400))
        return i18n.ngettext("Overdue by %(num)s day", "Overdue by %(num)s days", n), "due-overdue"
    if days == 0:
        return i18n.gettext("Due today"), "due-soon"
    return i18n.ngettext("%(num)s day left", "%(num)s days left", days), "due-soon" if days <= 3 else "due-ok"


def template_helpers() -> dict[str, Any]:
    return {"dual_date": dual_date, "dual_datetime": dual_datetime, "time_left": time_left,
            "stage_labels": STAGE_LABELS, "applicant_stage_labels": APPLICANT_STAGE_LABELS,
            "checklist_items": CHECKLIST, "categories": CATEGORIES, "contact_channels": CONTACT_CHANNELS,
            "doc_kinds": DOC_KINDS,
            "window_days_text": deadlines.days_text, "due_explanation": clock.explain}

ACTION_LABELS = {
    "request.submitted": i18n.N_("Request received"),
    "request.verify": i18n.N_("Verified"),
    "request.mark_incomplete": i18n.N_("Marked incomplete"),
    "request.refer": i18n.N_("Referred to a social researcher"),
    "request.skip_referral": i18n.N_("No referral needed"),
    "request.report": i18n.N_("Research notes recorded"),
    "request.attest": i18n.N_("Signed attestation recorded"),
    "request.accept": i18n.N_("Accepted"),
    "request.reject": i18n.N_("Declined"),
    "request.register": i18n.N_("Registration completed"),
    "request.record_service": i18n.N_("Service recorded"),
    "request.close": i18n.N_("Closed"),
    "request.assigned": i18n.N_("Assigned"),
    "request.documents_added": i18n.N_("Documents added"),
    "committee.agenda_added": i18n.N_("Put on a committee agenda"),
    "committee.vote": i18n.N_("Committee member voted"),
    "committee.deferred": i18n.N_("Deferred by the committee to a later session"),
    "committee.carried_over": i18n.N_("Not decided in the session's time: carried over to the next session"),
    "request.clock_paused": i18n.N_("Review window paused: waiting for the applicant"),
    "request.clock_resumed": i18n.N_("Review window resumed"),
    "request.completed_by_applicant": i18n.N_("The applicant sent what was missing (tracking page)"),
    "request.appealed": i18n.N_("The applicant appealed the decision"),
    "request.imported": i18n.N_("Imported from the charity's earlier records"),
}


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One line of a request's history, whatever kind of audit entry it came from: the page
    reads only these fields, never the entry's free-form before / after."""

    at: dt.datetime
    label: str  # a msgid of ACTION_LABELS, or the raw action code of a kind this page does not know
    translate: bool  # whether `label` is a msgid
    actor: str  # "" for the applicant
    stage_from: str | None = None  # set, with stage_to, only when the entry moved the request
    stage_to: str | None = None
    assigned: bool = False  # an assignment: `assignee` is whom to (or "" for nobody)
    assignee: str = ""
    source: str = ""  # an imported request: the file it came from, and its row


def _stage(value: Any) -> str | None:
    return value if isinstance(value, str) and value in STAGE_LABELS else None


def history_entry(row: Mapping[str, Any]) -> HistoryEntry:
    action = str(row.get("action") or "")
    raw_before, raw_after = row.get("before"), row.get("after")
    before: dict[str, Any] = raw_before if isinstance(raw_before, dict) else {}
    after: dict[str, Any] = raw_after if isinstance(raw_after, dict) else {}
    stage_from, stage_to = _stage(before.get("stage")), _stage(after.get("stage"))
    moved = stage_from is not None and stage_to is not None and stage_from != stage_to
    return HistoryEntry(
        at=row["created_at"], label=ACTION_LABELS.get(action, action), translate=action in ACTION_LABELS,
        actor=str(row.get("actor_name") or row.get("actor_label") or ""),
        stage_from=stage_from if moved else None, stage_to=stage_to if moved else None,
        assigned=action == "request.assigned", assignee=str(row.get("assignee_name") or ""),
        source=f"{after.get('file', '')}" if action == "request.imported" else "")


def history(rows: Iterable[Mapping[str, Any]]) -> list[HistoryEntry]:
    return [history_entry(r) for r in rows]
