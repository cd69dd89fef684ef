"""Review-window reminders, run by the beat: reminders to the people holding a request at the
points the tenant chose, escalation to the admins once it is overdue, and a daily digest per
staff member.

Each is sent once: it is written only together with its key in `reminder_sent` (unique per
tenant), in the same transaction as its outbox rows. A late or repeated scan finds the key and
writes nothing; after downtime only the latest passed point of a request is sent, not a burst.

Per-step targets (the policy's "verification within N days", "research within N days", counted
like its window from `stage_since`, sila/tenants/policy/deadlines.py): the people holding the
request are reminded once a day before the target, and the admins are told once it has passed
(the same "tell the admins" setting as the window's escalation). Keys name the stage and the
moment the request reached it, so a request that comes back to a step gets a fresh target.

Reads issue 4's `support_request` (id, reference, stage, stage_since, submitted_at, due_at,
assignee, researcher, review_window_basis, policy_version_number), the policy versions' targets
and memberships; it writes nothing there.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sila.platform import i18n, workdays
from sila.platform.dates import dual_date, to_riyadh
from sila.platform.db import current_connection, tenant_scope
from sila.platform.messages import compose
from sila.platform.roles import Role
from sila.platform.settings import get_settings
from sila.platform.tables import Tenant
from sila.tenants.notifications.queries import NotificationSettings
from sila.tenants.notifications.services import settings_in_scope
from sila.tenants.policy import deadlines
from sila.tenants.policy.rules import TARGET_STAGES
from sila.tenants.requests import clock
from sila.tenants.requests.workflow import STAGE_LABELS
from sila.workers.outbox import enqueue

OPEN_STAGES_SQL = "stage not in ('closed', 'rejected')"


async def once(tid: uuid.UUID, key: str) -> bool:
    """Claim `key` for this tenant; True only for the first claim ever."""
    return bool(await current_connection().fetchval(
        "insert into reminder_sent (tenant, key) values ($1, $2) on conflict (tenant, key) do nothing returning 1",
        tid, key))


def points(req: dict[str, Any], percents: list[int], days_before: list[int]) -> list[tuple[dt.datetime, str]]:
    """(when, key) of each reminder point of a request, earliest first."""
    start, due, key = req["submitted_at"], req["due_at"], _window_key(req)
    out = [(start + (due - start) * (p / 100), f"remind:{key}:pct{p}") for p in percents if 0 < p < 100]
    out += [(due - dt.timedelta(days=d), f"remind:{key}:d{d}") for d in days_before if d > 0]
    return sorted(p for p in out if p[0] > start)  # "2 days before" a 1-day window: no such point


def _window_key(req: dict[str, Any]) -> str:
    """The request's window in reminder keys: an appeal's fresh window is reminded afresh."""
    return f"{req['id']}:appeal" if req.get("appealed_at") else str(req["id"])


def stage_label(req: dict[str, Any]) -> str:
    label = STAGE_LABELS[req["stage"]]
    return i18n.gettext(label)


def _date(value: dt.datetime, lang: str) -> str:
    return dual_date(value, lang)


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
        ids |= {i for i, p in staff.items() if Role.committee_member in p["roles"]}
    if not ids:
        ids = {i for i, p in staff.items() if Role.relations_officer in p["roles"]} or \
              {i for i, p in staff.items() if Role.admin in p["roles"]}
    return [staff[i] for i in ids if i in staff]


async def _email(tid: uuid.UUID, person: dict[str, Any], kind: str, context: dict[str, Any]) -> None:
    subject, text, html = compose(kind, person["lang"], context)
    await enqueue(tenant_id=tid, channel="email", kind=kind, recipient=person["email"], subject=subject,
                  body_text=text, body_html=html)


def _about(req: dict[str, Any], person: dict[str, Any], link: str) -> dict[str, Any]:
    """What a reminder says about a request, in the reader's language."""
    with i18n.language(person["lang"]):
        return {"ref": req["reference"], "due": _date(req["due_at"], person["lang"]), "stage": stage_label(req),
                "link": link}


async def scan(tenant: dict[str, Any], now: dt.datetime | None = None) -> int:
    """Write every reminder, escalation and digest now due for one tenant; returns how many emails."""
    now = now or dt.datetime.now(dt.UTC)
    tid = tenant["id"]
    sent = 0
    url = get_settings().tenant_url
    async with tenant_scope(tid) as tx:
        conn = tx.connection
        settings = await settings_in_scope()
        staff = await _staff(conn)
        requests = [dict(r) for r in await conn.fetch(
            # An appeal's window runs from the appeal (requests/clock.py).
            f"""select id, reference, stage, coalesce(appealed_at, submitted_at) as submitted_at, appealed_at, due_at,
                  assignee, researcher from support_request r
                where {clock.RUNNING_SQL} and due_at is not null order by due_at""")]
        for req in requests:
            link = url(tenant["slug"], f"/portal/requests/{req['id']}")
            if now >= req["due_at"]:
                if settings.escalate_overdue and await once(tid, f"overdue:{_window_key(req)}"):
                    for person in (p for p in staff.values() if Role.admin in p["roles"]):
                        await _email(tid, person, "reminder.overdue", _about(req, person, link))
                        sent += 1
                continue
            passed = [key for when, key in points(req, settings.reminder_percents,
                                                   settings.reminder_days_before) if when <= now]
            fresh = [key for key in passed if await once(tid, key)]
            if passed and passed[-1] in fresh:  # only the latest passed point speaks
                for person in _holders(req, staff):
                    await _email(tid, person, "reminder.due", _about(req, person, link))
                    sent += 1
        sent += await _step_targets(tid, tenant, staff, settings, now)
        # The daily digest goes once the digest hour has come (later if the beat was away), and
        # lists what was waiting at that hour: a request arriving later is in tomorrow's.
        local = to_riyadh(now)
        digest_at = local.replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
        if settings.digest_enabled and local >= digest_at:
            waiting = [r for r in requests if r["submitted_at"] < digest_at]
            sent += await _digests(tid, tenant, staff, waiting, local.date(), now)
    return sent


def _target_sql() -> str:
    cols = ", ".join(
        f"case when jsonb_typeof(v.content->'{name}') = 'number' then (v.content->>'{name}')::int end as {name}"
        for name in TARGET_STAGES)
    return f"""select r.id, r.reference, r.stage, r.stage_since, r.assignee, r.researcher, r.due_at,
                      r.review_window_basis, {cols}
               from support_request r join policy_version v on v.number = r.policy_version_number
               where r.stage = any($1::text[]) and r.decision is null"""


async def _step_targets(tid: uuid.UUID, tenant: dict[str, Any], staff: dict[uuid.UUID, dict[str, Any]],
                        settings: NotificationSettings, now: dt.datetime) -> int:
    """Reminders before, and escalations after, the target of the step each request is at."""
    conn = current_connection()
    rows = await conn.fetch(_target_sql(), list(TARGET_STAGES.values()))
    if not rows:
        return 0
    closed = await deadlines.closed_in_scope()
    url = get_settings().tenant_url
    sent = 0
    for row in rows:
        req = dict(row)
        days = next((req[name] for name, stage in TARGET_STAGES.items() if stage == req["stage"]), None)
        if not days or days < 1:
            continue
        basis = req["review_window_basis"] if req["review_window_basis"] in workdays.BASES else workdays.CALENDAR
        target = workdays.due_at(req["stage_since"], min(days, 365), basis, closed)
        remind_at = target - dt.timedelta(days=1)
        if now < remind_at:
            continue
        base = f"target:{req['id']}:{req['stage']}:{req['stage_since'].isoformat()}"
        link = url(tenant["slug"], f"/portal/requests/{req['id']}")
        if now >= target:
            await once(tid, base + ":remind")  # past the target: the reminder is no longer news
            if settings.escalate_overdue and await once(tid, base + ":over"):
                for person in (p for p in staff.values() if Role.admin in p["roles"]):
                    await _email(tid, person, "reminder.step_overdue", _about_target(req, person, link, target))
                    sent += 1
        elif await once(tid, base + ":remind"):
            for person in _holders(req, staff):
                await _email(tid, person, "reminder.step_due", _about_target(req, person, link, target))
                sent += 1
    return sent


def _about_target(req: dict[str, Any], person: dict[str, Any], link: str, target: dt.datetime) -> dict[str, Any]:
    with i18n.language(person["lang"]):
        return {"ref": req["reference"], "stage": stage_label(req), "target": _date(target, person["lang"]),
                "since": _date(req["stage_since"], person["lang"]), "link": link}


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
            lines = [{"reference": r["reference"], "stage": stage_label(r), "overdue": r["due_at"] <= now,
                      "due": _date(r["due_at"], person["lang"])} for r in items]
        await _email(tid, person, "reminder.digest", {
            "items": lines, "overdue": sum(1 for r in lines if r["overdue"]),
            "link": get_settings().tenant_url(tenant["slug"], "/portal/requests")})
        sent += 1
    return sent


async def scan_all(now: dt.datetime | None = None) -> int:
    """Every tenant that may send (the tenant directory has no row-level security)."""
    tenants = await Tenant.select(Tenant.id, Tenant.slug, Tenant.name_ar, Tenant.name_en).where(
        Tenant.status.is_in(["pending", "active"]))
    total = 0
    for tenant in tenants:
        total += await scan(dict(tenant), now)
    return total
