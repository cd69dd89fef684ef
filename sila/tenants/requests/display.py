"""How requests read on pages: both calendars, time left, labels. Passed to templates."""
from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any

from sila.platform import i18n
from sila.platform.dates import format_gregorian, format_hijri, to_riyadh
from sila.platform.templating import digits
from sila.tenants.beneficiaries.forms import CATEGORIES, CONTACT_CHANNELS
from sila.tenants.requests.committee import VOTES
from sila.tenants.requests.services import CHECKLIST
from sila.tenants.requests.workflow import APPLICANT_STAGE_LABELS, STAGE_LABELS

DOC_KINDS = {"supporting": i18n.N_("Supporting document"), "letter_scan": i18n.N_("Letter (scan)"),
             "attestation": i18n.N_("Signed attestation"), "field_visit": i18n.N_("Field-visit report")}


def dual_date(value: dt.date | dt.datetime | None) -> str:
    """Umm al-Qura Hijri date with the Gregorian one beside it (Riyadh calendar day)."""
    if value is None:
        return ""
    day = to_riyadh(value).date() if isinstance(value, dt.datetime) else value
    return _dual_day(day, i18n.get_language())


@functools.lru_cache(maxsize=2048)
def _dual_day(day: dt.date, lang: str) -> str:
    # A queue page shows 50 due dates, mostly on a few days: Babel and the Hijri conversion once each.
    return f"{format_hijri(day, lang)} — {format_gregorian(day, lang)}"


def dual_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return f"{dual_date(value)}، {digits(to_riyadh(value).strftime('%H:%M'))}" if i18n.get_language() == "ar" \
        else f"{dual_date(value)}, {to_riyadh(value).strftime('%H:%M')}"


def time_left(due_at: dt.datetime | None, now: dt.datetime | None = None) -> tuple[str, str]:
    """(text, css class) for a decision due date: days left, due today, or overdue."""
    if due_at is None:
        return i18n.gettext("No review window"), "due-none"
    now = now or dt.datetime.now(dt.timezone.utc)
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
            "doc_kinds": DOC_KINDS, "vote_labels": VOTES, "action_labels": ACTION_LABELS}

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
}
