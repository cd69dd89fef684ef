"""How the reports read: names of buckets and codes (English msgids), the dashboard's charts, the
audit browser's action names."""
from __future__ import annotations

from typing import Any

from markupsafe import Markup

from sila.platform import audit, charts, i18n
from sila.platform.db import tenant_scope
from sila.platform.i18n import N_
from sila.tenants.beneficiaries.forms import CATEGORIES, CONTACT_CHANNELS
from sila.tenants.committee.forms import VOTES
from sila.tenants.feedback.services import KINDS as FEEDBACK_KINDS
from sila.tenants.reports import queries
from sila.tenants.reports.period import Month, _first_day, _next
from sila.tenants.requests.display import ACTION_LABELS
from sila.tenants.requests.workflow import STAGE_LABELS

DECISION_BUCKETS = {
    "half": N_("Within half the window"),
    "window": N_("Within the window"),
    "week_late": N_("Up to a week late"),
    "late": N_("More than a week late"),
    "none": N_("No review window"),
    "imported": N_("Imported from earlier records (no window)"),
}
IMPORTED_CHANNEL = N_("Imported from earlier records")
OVERDUE_AGES = {"1_7": N_("1–7 days overdue"), "8_30": N_("8–30 days overdue"), "31_90": N_("31–90 days overdue"),
                "91_": N_("More than 90 days overdue")}
WAIT_AGES = {"0_7": N_("Up to 7 days"), "8_30": N_("8–30 days"), "31_": N_("More than 30 days")}
CHANNELS = CONTACT_CHANNELS
NO_CATEGORY = N_("No category")

AUDIT_FAMILIES = {
    "beneficiary.": N_("Beneficiary files"),
    "request.": N_("Requests"),
    "export.": N_("Exports"),
    "committee.": N_("Committee"),
    "feedback.": N_("Suggestions and complaints"),
    "staff.": N_("Staff"),
    "support.": N_("Platform support"),
    "archive.": N_("Archive exports"),
}
ACTIONS = {
    "beneficiary.viewed": N_("Opened a beneficiary's file"),
    "beneficiary.id_revealed": N_("Revealed a full ID number"),
    "beneficiary.created": N_("Opened a beneficiary file"),
    "beneficiary.updated": N_("Changed a beneficiary's details"),
    "beneficiary.import_uploaded": N_("Uploaded a file of beneficiaries to import"),
    "beneficiary.import_started": N_("Started importing beneficiaries"),
    "beneficiary.import_finished": N_("Finished importing beneficiaries"),
    "beneficiary.import_report_downloaded": N_("Downloaded an import's rejected rows"),
    "request.document_viewed": N_("Opened a request's document"),
    "export.requests": N_("Exported the request list"),
    "export.beneficiaries": N_("Exported the beneficiary list"),
    "export.feedback": N_("Exported suggestions and complaints"),
    "export.survey_answers": N_("Exported survey answers"),
    "export.audit": N_("Exported the audit"),
    "support.page_view": N_("Platform support viewed a page"),
    "beneficiary.erased": N_("Erased a person's data"),
    "archive.withdrawn": N_("An archive export holding an erased person was withdrawn and deleted"),
    "auth.login": N_("Signed in"),
}


def action_label(code: str) -> str:
    if code in ACTIONS:
        return i18n.gettext(ACTIONS[code])

    if code in ACTION_LABELS:
        return i18n.gettext(ACTION_LABELS[code])
    return code


def group_label(kind: str, key: str, stored: str = "") -> str:
    g = i18n.gettext
    if kind == "channel":
        return g(IMPORTED_CHANNEL) if key == "imported" else stored or key
    if kind == "category":
        return g(CATEGORIES[key]) if key in CATEGORIES else (key or g(NO_CATEGORY))
    if kind == "stage":
        return g(STAGE_LABELS[key]) if key in STAGE_LABELS else key
    if kind == "decision":
        return g(DECISION_BUCKETS[key]) if key in DECISION_BUCKETS else key
    if kind == "overdue_age":
        return g(OVERDUE_AGES[key]) if key in OVERDUE_AGES else key
    if kind in ("incomplete_age", "open_age"):
        return g(WAIT_AGES[key]) if key in WAIT_AGES else key
    if kind == "committee":
        return g(VOTES[key]) if key in VOTES else key
    if kind == "feedback":
        return g(FEEDBACK_KINDS[key]) if key in FEEDBACK_KINDS else key
    if kind == "message_channel":
        return g(CHANNELS[key]) if key in CHANNELS else key
    return stored or key


def _bars(kind: str, groups: list[queries.Group], title: str, lang: str) -> Markup:
    items: list[charts.Point] = [(group_label(kind, g.key, g.label), float(g.count), g.count) for g in groups]
    top = max([g.count for g in groups] + [1])
    return charts.bars(items, top=top, title=title, lang=lang, fmt=lambda v: f"{v:,.0f}")


def _month_label(calendar: str, ym: tuple[int, int], first: bool, lang: str) -> str:
    m = Month(calendar, ym[0], ym[1], _first_day(calendar, *ym), _first_day(calendar, *_next(*ym)))
    year = str(ym[0]) if first or ym[1] == 1 else ""
    return f"{m.label(lang)}|{year}"


def dashboard_charts(d: queries.Dashboard, lang: str) -> dict[str, Markup]:
    """The dashboard's SVG charts (the same drawings a PDF would use), right to left in Arabic."""
    g = i18n.gettext
    cal = d.period.calendar
    received: list[charts.Point] = [(_month_label(cal, m.label_month, i == 0, lang), float(m.count), m.count)
                for i, m in enumerate(d.received_by_month)]
    trend = [(_month_label(cal, m.month, i == 0, lang), m.average, m.responses)
             for i, m in enumerate(d.satisfaction.trend)]
    return {
        "received": charts.columns(received, top=max([m.count for m in d.received_by_month] + [1]),
                                   title=g("Requests received by month"), lang=lang, fmt=lambda v: f"{v:,.0f}"),
        "channel": _bars("channel", d.by_channel, g("Requests received by channel"), lang),
        "category": _bars("category", d.by_category, g("Requests received by category"), lang),
        "stage": _bars("stage", d.by_stage, g("Where the period's requests are now"), lang),
        "decision": _bars("decision", d.decisions.buckets, g("Decisions against the review window"), lang),
        "overdue": _bars("overdue_age", d.overdue.buckets, g("Overdue requests by age"), lang),
        "trend": charts.columns(trend, top=5, title=g("Average satisfaction by month (1 to 5)"), lang=lang),
    }


def facet_title(kind: str, facet: str, value: str, rows: list[Any]) -> str:
    g = i18n.gettext
    names = {"received": N_("Requests received in the period"), "channel": N_("Requests received through: %(v)s"),
             "category": N_("Requests received in the category: %(v)s"),
             "stage": N_("Requests received in the period, now at: %(v)s"),
             "decided": N_("Requests decided in the period"), "decision": N_("Decisions: %(v)s"),
             "overdue": N_("Requests overdue now"), "overdue_age": N_("Overdue now: %(v)s"),
             "incomplete": N_("Requests waiting for missing information"),
             "incomplete_age": N_("Waiting for missing information: %(v)s")} if kind == "request" else {
        "received": N_("Received in the period: %(v)s"), "answered": N_("Answered in the period: %(v)s"),
        "open": N_("Open now: %(v)s"), "open_age": N_("Open now, by age: %(v)s")}
    label_kind = {"channel": "channel", "category": "category", "stage": "stage", "decision": "decision",
                  "overdue_age": "overdue_age", "incomplete_age": "incomplete_age", "open_age": "open_age",
                  "received": "feedback", "answered": "feedback", "open": "feedback"}.get(facet, facet)
    stored = next((getattr(r, "channel_label", "") for r in rows), "") if facet == "channel" else ""
    return g(names[facet], v=group_label(label_kind, value, stored))


async def record_audit_export(tenant_id: Any, user: Any, fmt: str, rows: int, f: queries.AuditFilter,
                              address: str) -> None:
    async with tenant_scope(tenant_id):
        await audit.record(tenant_id, "export.audit", **audit.actor_fields(user), target_type="export", target_id="audit", address=address,
                           after={"format": fmt, "rows": rows, "actor": f.actor, "action": f.action,
                                  "since": f.since, "until": f.until})
