"""The applicant's notifications, written to the outbox in the transition's transaction.

Short texts in the applicant's language through the contact channel they chose for the
request (email falls back to SMS when no address was given). Issue 5 replaces these with
tenant-editable templates and provider fallback; the outbox rows and kinds stay.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sila.platform import i18n
from sila.platform.dates import format_gregorian, format_hijri, to_riyadh
from sila.platform.i18n import N_
from sila.workers.outbox import enqueue

TEXTS = {
    "request.received": N_("%(org)s: we received your request %(ref)s. A decision is due by %(due)s."),
    "request.received_no_window": N_("%(org)s: we received your request %(ref)s. We will keep you informed."),
    "request.incomplete": N_("%(org)s: your request %(ref)s is missing: %(missing)s. Please provide it so we can continue."),
    "request.referred": N_("%(org)s: your request %(ref)s was referred to a social researcher, who may contact you."),
    "request.accepted": N_("%(org)s: your request %(ref)s was accepted."),
    "request.rejected": N_("%(org)s: your request %(ref)s was declined. Reason: %(reason)s"),
    "request.registered": N_("%(org)s: your registration is complete (request %(ref)s)."),
    "request.service_delivered": N_("%(org)s: a service was recorded for your request %(ref)s: %(service)s."),
    "request.tracking_code": N_("%(org)s: your code to follow request %(ref)s is %(code)s. It is valid for 10 minutes; do not share it."),
}
SUBJECT = N_("About your request %(ref)s")


def due_text(due_at: dt.datetime | None, lang: str) -> str:
    if due_at is None:
        return ""
    day = to_riyadh(due_at).date()
    return f"{format_hijri(day, lang)} ({format_gregorian(day, lang)})"


async def notify_in_scope(tenant: Any, req: dict[str, Any], kind: str, *, channel: str | None = None,
                          **variables: Any) -> None:
    """One outbox row for the applicant of `req`. Call inside the transition's tenant scope."""
    lang = req["contact_language"]
    channel = channel or req["contact_channel"]
    if channel == "email" and not req["contact_email"]:
        channel = "sms"
    with i18n.language(lang):
        # A left-to-right mark keeps "26-12345678" in order inside Arabic text (without it the
        # bidi algorithm shows "12345678-26"); LRM rather than isolates, which older phones lack.
        ref = "\u200e" + req["reference"] if lang == "ar" else req["reference"]
        values = {"org": tenant.name(lang), "ref": ref, **variables}
        body = i18n.gettext(TEXTS[kind], **values)
        subject = i18n.gettext(SUBJECT, ref=ref) if channel == "email" else ""
    await enqueue(tenant_id=tenant.id, channel=channel, kind=kind, subject=subject, body_text=body,
                  recipient=req["contact_email"] if channel == "email" else req["contact_mobile"])
