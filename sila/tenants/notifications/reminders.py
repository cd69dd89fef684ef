"""Review-window reminders, run by the beat: reminders to the people holding a request at the
points the tenant chose, escalation to the admins once it is overdue, and a daily digest per
staff member.

Each is sent once: it is written only together with its key in `reminder_sent` (unique per
tenant), in the same transaction as its outbox rows. A late or repeated scan finds the key and
writes nothing; after downtime only the latest passed point of a request is sent, not a burst.

Reads issue 4's `support_request` (id, reference, stage, submitted_at, due_at, assignee,
researcher) and memberships; it writes nothing there.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sila.platform import i18n
from sila.platform.dates import format_gregorian, format_hijri, to_riyadh
from sila.platform.db import current_connection, tenant_scope
from sila.platform.settings import get_settings
from sila.tenants.notifications.services import settings_in_scope
from sila.workers.outbox import enqueue

OPEN_STAGES_SQL = "stage not in ('closed', 'rejected')"


async def once(tid: uuid.UUID, key: str) -> bool:
    """Claim `key` for this tenant; True only for the first claim ever."""
    return bool(await current_connection().fetchval(
        "insert into reminder_sent (tenant, key) values ($1, $2) on conflict (tenant, key) do nothing returning 1",
        tid, key))


def points(req: dict[str, Any], percents: list[int], days_before: list[int]) -> list[tuple[dt.datetime, str]]:
    """(when, key) of each reminder point of a request, earliest first."""
    start, due = req["submitted_at"], req["due_at"]
    out = [(start + (due - start) * (p / 100), f"remind:{req['id']}:pct{p}") for p in percents if 0 < p < 100]
    out += [(due - dt.timedelta(days=d), f"remind:{req['id']}:d{d}") for d in days_before if d > 0]
    return sorted(p for p in out if p[0] > start)  # "2 days before" a 1-day window: no such point


def stage_label(req: dict[str, Any]) -> str:
    from sila.tenants.requests.workflow import STAGE_LABELS

    label = STAGE_LABELS[req["stage"]]
    return i18n.gettext(label)


def _date(value: dt.datetime, lang: str) -> str:
    day = to_riyadh(value).date()
    return f"{format_hijri(day, lang)} ({format_gregorian(day, lang)})"


async def _staff(conn: Any) -> dict[uuid.UUID, dict[str, Any]]:
    people: dict[uuid.UUID, dict[str, Any]] = {}
    for r in await conn.fetch(
            """select u.id, u.email, u.name, u.preferred_language as lang, m.role
               from membership m join staff_user u on u.id = m."user" where u.is_active"""):
        person = people.setdefault(r["id"], {**dict(r), "roles": set()})
        person["roles"].add(r["role"])
    return people


def _holders(req: dict[str, Any], staff: dict[uuid.UUID, dict[str, Any]]) -> list[dict[str, Any]]:
    """Who holds a request now: its assignee, the researcher while it is with them, the committee
    while it waits for a decision; nobody assigned yet: the relations officers."""
    ids = {req["assignee"]} if req["assignee"] else set()
    if req["stage"] == "research" and req["researcher"]:
        ids.add(req["researcher"])
    if req["stage"] == "committee":
        ids |= {i for i, p in staff.items() if "committee_member" in p["roles"]}
    if not ids:
        ids = {i for i, p in staff.items() if "relations_officer" in p["roles"]} or \
              {i for i, p in staff.items() if "admin" in p["roles"]}
    return [staff[i] for i in ids if i in staff]


async def _email(tid: uuid.UUID, person: dict[str, Any], kind: str, subject: str, body: str) -> None:
    await enqueue(tenant_id=tid, channel="email", kind=kind, recipient=person["email"], subject=subject, body_text=body)


async def scan(tenant: dict[str, Any], now: dt.datetime | None = None) -> int:
    """Write every reminder, escalation and digest now due for one tenant; returns how many emails."""
    now = now or dt.datetime.now(dt.timezone.utc)
    tid = tenant["id"]
    sent = 0
    url = get_settings().tenant_url
    async with tenant_scope(tid) as tx:
        conn = tx.connection
        settings = await settings_in_scope()
        staff = await _staff(conn)
        requests = [dict(r) for r in await conn.fetch(
            f"""select id, reference, stage, submitted_at, due_at, assignee, researcher from support_request
                where {OPEN_STAGES_SQL} and due_at is not null order by due_at""")]
        for req in requests:
            link = url(tenant["slug"], f"/portal/requests/{req['id']}")
            if now >= req["due_at"]:
                if settings["escalate_overdue"] and await once(tid, f"overdue:{req['id']}"):
                    for person in (p for p in staff.values() if "admin" in p["roles"]):
                        with i18n.language(person["lang"]):
                            subject = i18n.gettext("Overdue: request %(ref)s", ref=req["reference"])
                            body = i18n.gettext(
                                "Request %(ref)s passed its decision date (%(due)s) and is still at: %(stage)s.\n"
                                "The policy promised the applicant a decision by then.\n\n%(link)s",
                                ref=req["reference"], due=_date(req["due_at"], person["lang"]),
                                stage=stage_label(req), link=link)
                        await _email(tid, person, "reminder.overdue", subject, body)
                        sent += 1
                continue
            passed = [key for when, key in points(req, settings["reminder_percents"],
                                                   settings["reminder_days_before"]) if when <= now]
            fresh = [key for key in passed if await once(tid, key)]
            if passed and passed[-1] in fresh:  # only the latest passed point speaks
                for person in _holders(req, staff):
                    with i18n.language(person["lang"]):
                        subject = i18n.gettext("Reminder: request %(ref)s is due on %(due)s", ref=req["reference"],
                                               due=_date(req["due_at"], person["lang"]))
                        body = i18n.gettext(
                            "Request %(ref)s is at: %(stage)s.\nA decision is due by %(due)s.\n\n%(link)s",
                            ref=req["reference"], stage=stage_label(req),
                            due=_date(req["due_at"], person["lang"]), link=link)
                    await _email(tid, person, "reminder.due", subject, body)
                    sent += 1
        # The daily digest goes once the digest hour has come (later if the beat was away), and
        # lists what was waiting at that hour: a request arriving later is in tomorrow's.
        local = to_riyadh(now)
        digest_at = local.replace(hour=settings["digest_hour"], minute=0, second=0, microsecond=0)
        if settings["digest_enabled"] and local >= digest_at:
            waiting = [r for r in requests if r["submitted_at"] < digest_at]
            sent += await _digests(tid, tenant, staff, waiting, local.date(), now)
    return sent


async def _digests(tid: uuid.UUID, tenant: dict[str, Any], staff: dict[uuid.UUID, dict[str, Any]],
                   requests: list[dict[str, Any]], day: dt.date, now: dt.datetime) -> int:
    mine: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for req in requests:
        for person in _holders(req, staff):
            mine.setdefault(person["id"], []).append(req)
    sent = 0
    for uid, items in mine.items():
        if not await once(tid, f"digest:{uid}:{day.isoformat()}"):
            continue
        person = staff[uid]
        with i18n.language(person["lang"]):
            lines = []
            for req in items:
                state = (i18n.gettext("overdue") if req["due_at"] <= now
                         else i18n.gettext("due %(due)s", due=_date(req["due_at"], person["lang"])))
                lines.append(f"- {req['reference']} · {stage_label(req)} · {state}")
            overdue = sum(1 for r in items if r["due_at"] <= now)
            subject = i18n.ngettext("Your day: %(num)s request waiting", "Your day: %(num)s requests waiting",
                                    len(items))
            body = "\n".join([
                i18n.ngettext("%(num)s request is waiting for you.", "%(num)s requests are waiting for you.",
                              len(items)),
                i18n.ngettext("%(num)s of them is overdue.", "%(num)s of them are overdue.", overdue)
                if overdue else "",
                "", *lines, "", get_settings().tenant_url(tenant["slug"], "/portal/requests")])
        await _email(tid, person, "reminder.digest", subject, body)
        sent += 1
    return sent


async def scan_all(now: dt.datetime | None = None) -> int:
    """Every tenant that may send (the tenant directory has no row-level security)."""
    from sila.platform.tables import Tenant

    tenants = await Tenant.select(Tenant.id, Tenant.slug, Tenant.name_ar, Tenant.name_en).where(
        Tenant.status.is_in(["pending", "active"]))
    total = 0
    for tenant in tenants:
        total += await scan(dict(tenant), now)
    return total
