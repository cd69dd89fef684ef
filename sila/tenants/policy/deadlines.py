"""A tenant's closures, and its due dates: the policy area's side of sila/platform/workdays.py.

Every due date Sila computes for a tenant (a request's decision date at submission, the example on
the window page and the public form, the per-step targets the reminders watch) comes from
`due_in_scope` / `due_for` here, which read the tenant's closures and call `workdays.due_at`.

A request's decision date is computed once, at submission, and kept (`support_request.due_at`):
it is the date the applicant was told. A closure added later moves the dates of requests
submitted after it, never a promise already made. Step targets are internal and are computed
when the reminders look at them, with the closures known then.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sila.platform import audit, i18n, workdays
from sila.platform.dates import localised_number, to_riyadh
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.i18n import N_

MAX_CLOSURES = 200
MAX_REASON = 200
MAX_SPAN_DAYS = 366


@dataclasses.dataclass(frozen=True)
class Closure:
    id: uuid.UUID
    starts_on: dt.date
    ends_on: dt.date
    reason: str

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


async def closures_in_scope() -> list[Closure]:
    rows = await current_connection().fetch(
        "select id, starts_on, ends_on, reason from tenant_closure order by starts_on, ends_on, created_at")
    return [Closure(r["id"], r["starts_on"], r["ends_on"], r["reason"]) for r in rows]


async def list_closures(tenant_id: Any) -> list[Closure]:
    async with tenant_scope(tenant_id):
        return await closures_in_scope()


async def closed_in_scope() -> workdays.Closed:
    return workdays.closures_checker((c.starts_on, c.ends_on) for c in await closures_in_scope())


async def add_closure(tenant_id: Any, starts_on: dt.date, ends_on: dt.date, reason: str, actor: Any) -> uuid.UUID:
    async with tenant_scope(tenant_id) as tx:
        cid = await tx.connection.fetchval(
            """insert into tenant_closure (tenant, starts_on, ends_on, reason, created_by)
               values ($1, $2, $3, $4, $5) returning id""", parse_uuid(tenant_id), starts_on, ends_on, reason, actor)
        await audit.record(tenant_id, "policy.closure.added", actor_user=actor, target_type="tenant_closure",
                           target_id=cid, after={"starts_on": starts_on, "ends_on": ends_on, "reason": reason})
    return cid


async def count_closures(tenant_id: Any) -> int:
    async with tenant_scope(tenant_id) as tx:
        return int(await tx.connection.fetchval("select count(*) from tenant_closure"))


async def remove_closure(tenant_id: Any, closure_id: Any, actor: Any) -> None:
    """NotFound for an unknown id, a malformed one and another tenant's alike."""
    cid = parse_uuid(closure_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            "delete from tenant_closure where id = $1 returning starts_on, ends_on, reason", cid) if cid else None
        if row is None:
            raise NotFound(closure_id)
        await audit.record(tenant_id, "policy.closure.removed", actor_user=actor, target_type="tenant_closure",
                           target_id=cid, before=dict(row))


async def due_in_scope(start: dt.datetime, days: int, basis: str) -> dt.datetime:
    """`days` (calendar or working, skipping this tenant's closures) after `start`; inside its scope."""
    closed = await closed_in_scope() if basis == workdays.WORKING else (lambda d: False)
    return workdays.due_at(start, days, basis, closed)


async def due_for(tenant_id: Any, start: dt.datetime, days: int, basis: str) -> dt.datetime:
    async with tenant_scope(tenant_id):
        return await due_in_scope(start, days, basis)


# --- how a window is shown --------------------------------------------------------------------

MSG_WORKING_DAYS_RULE = N_("Fridays, Saturdays and official holidays are not counted")


def basis_of(policy: Any) -> str:
    """The basis of a draft or terms object (older snapshots have none: calendar)."""
    basis = getattr(policy, "review_window_basis", workdays.CALENDAR)
    return basis if basis in workdays.BASES else workdays.CALENDAR


def days_text(days: int, basis: str, lang: str | None = None) -> str:
    """«١٤ يوم عمل — تستثنى الجمعة والسبت والعطل الرسمية»; with calendar days plainly «١٤ يومًا»."""
    lang = lang or i18n.get_language()
    with i18n.language(lang):
        num = localised_number(days, lang)
        if basis == workdays.WORKING:
            working = i18n.ngettext("%(num)s working day", "%(num)s working days", days, num=num)
            return f"{working} — {i18n.gettext(MSG_WORKING_DAYS_RULE)}"
        return i18n.ngettext("%(num)s day", "%(num)s days", days, num=num)


def holidays_shown(today: dt.date | None = None) -> list[dict[str, Any]]:
    """This year's and next year's official holidays, for the closures page."""
    today = today or to_riyadh(dt.datetime.now(dt.UTC)).date()
    return [{"year": year, "spans": [{"name": workdays.HOLIDAY_NAMES[code], "first": a, "last": b,
                                        "days": (b - a).days + 1} for code, a, b in workdays.holiday_spans(year)]}
            for year in (today.year, today.year + 1)]


__all__ = ["Closure", "closures_in_scope", "list_closures", "closed_in_scope", "add_closure", "count_closures",
           "remove_closure", "due_in_scope", "holidays_shown", "due_for", "basis_of", "days_text",
           "MAX_CLOSURES", "MAX_REASON", "MAX_SPAN_DAYS"]
