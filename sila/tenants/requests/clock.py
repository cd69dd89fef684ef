"""A request's review-window clock: the one place its due date is computed.

The window starts at submission (or, for an appeal, when the appeal was filed) and its base due
date is `deadlines.due_in_scope(start, days, basis)`, kept in `support_request.base_due_at`.
While the request waits for the applicant (the `incomplete` sub-state, one `request_pause` row
per stretch) the clock stops: the due date in force is the base due date moved later by the
paused days, counted in the window's own basis — calendar days, or working days that skip
weekends, official holidays and the tenant's closures.

How a pause counts, like the window itself: the day it began does not count, the day it ended
does (a pause begun and ended on the same day is 0 days, one from Sunday to Monday is 1). So a
pause is the Riyadh days d with start < d <= end that the basis counts, and adjoining pauses add
up exactly as one pause over the same span.

`support_request.due_at` is written only here (`refresh_in_scope`), when a pause ends or an
appeal restarts the window, so every SQL reader (the queue's filters, the reminders) reads the
shifted date. While a pause is open the stored date has not moved yet: those readers leave
`incomplete` requests out (a stopped clock cannot run late), and pages show `clock_in_scope`,
which counts the open pause up to today.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sila.platform import audit, i18n, workdays
from sila.platform.dates import dual_date, localised_number, to_riyadh
from sila.platform.db import current_connection
from sila.platform.i18n import N_
from sila.tenants.policy import deadlines

MAX_PAUSE_DAYS = 3650  # bounds every count; a request is not left waiting ten years

MSG_FROM_SUBMISSION = N_("%(days)s from submission on %(date)s")
MSG_FROM_APPEAL = N_("%(days)s from the appeal on %(date)s")
MSG_PAUSED_NOW = N_("Paused now: waiting for the applicant since %(date)s")
MSG_HOLIDAYS = N_("Holidays skipped: %(names)s")
MSG_CLOSURES = N_("The charity's own closures are skipped too")


# The one SQL test for "past its due date" (alias `r` for support_request): an undecided open request
# whose clock runs (not paused) and whose due date in force has passed.
OVERDUE_SQL = "r.due_at < now() and r.decision is null and r.stage not in ('incomplete', 'closed', 'rejected')"
RUNNING_SQL = "r.stage not in ('incomplete', 'closed', 'rejected')"


@dataclasses.dataclass(frozen=True)
class Pause:
    started_at: dt.datetime
    ended_at: dt.datetime | None
    missing: tuple[str, ...] = ()
    note: str = ""
    reply: str = ""
    ended_by: str | None = None
    days: int = 0  # counted in the request's basis (filled by `clock_in_scope`)


def _day(at: dt.datetime) -> dt.date:
    return to_riyadh(at).date()


def counted_days(first: dt.date, last: dt.date, basis: str, closed: workdays.Closed = lambda d: False) -> int:
    """Days d with first < d <= last that `basis` counts (0 when last <= first)."""
    span = min((last - first).days, MAX_PAUSE_DAYS)
    if span <= 0:
        return 0
    if basis != workdays.WORKING:
        return span
    return sum(1 for i in range(1, span + 1) if workdays.is_working_day(first + dt.timedelta(days=i), closed))


def paused_days(pauses: Iterable[tuple[dt.datetime, dt.datetime | None]], basis: str, now: dt.datetime,
                closed: workdays.Closed = lambda d: False) -> int:
    """All paused days of these (start, end or None while open) stretches."""
    return min(sum(counted_days(_day(a), _day(b or now), basis, closed) for a, b in pauses), MAX_PAUSE_DAYS)


def shifted(base: dt.datetime, days: int, basis: str, closed: workdays.Closed = lambda d: False) -> dt.datetime:
    """The base due date moved later by `days` counted days (the same end-of-day rule as the window)."""
    if days <= 0:
        return base
    return workdays.due_at(base, min(days, workdays.MAX_DAYS), basis, closed)


@dataclasses.dataclass(frozen=True)
class Clock:
    """A request's window as pages explain it."""

    days: int | None
    basis: str
    started_at: dt.datetime
    appeal: bool
    base_due_at: dt.datetime | None
    due_at: dt.datetime | None
    paused_days: int
    paused_since: dt.datetime | None
    pauses: tuple[Pause, ...] = ()

    @property
    def paused(self) -> bool:
        return self.paused_since is not None


def _start(req: Mapping[str, Any]) -> dt.datetime:
    return req.get("appealed_at") or req["submitted_at"]


def compute(req: Mapping[str, Any], pauses: Iterable[Pause], now: dt.datetime,
            closed: workdays.Closed = lambda d: False) -> Clock:
    """The clock of `req` (its support_request row) given its pauses; after an appeal only the pauses
    begun since count (an appeal starts a fresh window)."""
    basis = req.get("review_window_basis") or workdays.CALENDAR
    start = _start(req)
    appealed = req.get("appealed_at")
    counted = [p for p in pauses if appealed is None or p.started_at >= appealed]
    with_days = tuple(dataclasses.replace(p, days=paused_days([(p.started_at, p.ended_at)], basis, now, closed))
                      for p in counted)
    total = min(sum(p.days for p in with_days), MAX_PAUSE_DAYS)
    base = req.get("base_due_at") or req.get("due_at")
    open_pause = next((p.started_at for p in with_days if p.ended_at is None), None)
    return Clock(days=req.get("review_window_days"), basis=basis, started_at=start,
                 appeal=appealed is not None, base_due_at=base,
                 due_at=shifted(base, total, basis, closed) if base else None, paused_days=total,
                 paused_since=open_pause, pauses=with_days)


async def pauses_in_scope(request_id: Any) -> list[Pause]:
    rows = await current_connection().fetch(
        "select * from request_pause where request = $1 order by started_at", request_id)
    return [Pause(r["started_at"], r["ended_at"], tuple(_json(r["missing"])), r["note"], r["reply"], r["ended_by"])
            for r in rows]


async def clock_in_scope(req: Mapping[str, Any], now: dt.datetime | None = None) -> Clock:
    now = now or dt.datetime.now(dt.UTC)
    closed = await deadlines.closed_in_scope() if req.get("review_window_basis") == workdays.WORKING \
        else (lambda d: False)
    return compute(req, await pauses_in_scope(req["id"]), now, closed)


async def refresh_in_scope(request_id: Any, now: dt.datetime | None = None) -> Clock:
    """Write the due date in force (and the paused days) from the request's pauses."""
    req = await current_connection().fetchrow("select * from support_request where id = $1", request_id)
    clock = await clock_in_scope(dict(req), now)
    await current_connection().execute(
        "update support_request set due_at = $2, paused_days = $3 where id = $1", request_id, clock.due_at,
        clock.paused_days)
    return clock


async def restart_in_scope(req: Mapping[str, Any], start: dt.datetime) -> dt.datetime | None:
    """A fresh window from `start` (an appeal): its base due date, written as the one in force."""
    days, basis = req.get("review_window_days"), req.get("review_window_basis") or workdays.CALENDAR
    due = await deadlines.due_in_scope(start, days, basis) if days else None
    await current_connection().execute(
        "update support_request set base_due_at = $2, due_at = $2, paused_days = 0 where id = $1", req["id"], due)
    return due


async def stage_changed_in_scope(tenant: Any, req: Mapping[str, Any], new_stage: str, *, actor: Any = None,
                                 actor_label: str = "", address: str = "", missing: list[str] | None = None,
                                 note: str = "", ended_by: str = "staff", reply: str = "") -> None:
    """Stop the clock when a request enters `incomplete`, start it again when it leaves; called by
    every path that moves a request (workflow actions, the applicant's completion)."""
    conn = current_connection()
    old = req["stage"]
    if new_stage == "incomplete":
        updated = await conn.fetchval(
            """update request_pause set missing = $2::jsonb, note = $3 where request = $1 and ended_at is null
               returning id""", req["id"], json.dumps(missing or [], ensure_ascii=False), note)
        if updated is None:  # marked incomplete again while waiting: the same pause, what is missing updated
            pid = await conn.fetchval(
                """insert into request_pause (tenant, request, missing, note, started_by)
                   values ($1, $2, $3::jsonb, $4, $5) returning id""", tenant.id, req["id"],
                json.dumps(missing or [], ensure_ascii=False), note, actor)
            await audit.record(tenant.id, "request.clock_paused", actor_user=actor, actor_label=actor_label,
                               target_type="support_request", target_id=req["id"], address=address,
                               after={"pause": str(pid)})
        return
    if old != "incomplete":
        return
    row = await conn.fetchrow(
        """update request_pause set ended_at = now(), ended_by = $2, reply = $3 where request = $1 and ended_at is null
           returning id, started_at, ended_at""", req["id"], ended_by, reply)
    if row is None:  # a request paused before pauses were recorded: nothing to resume
        return
    clock = await refresh_in_scope(req["id"])
    days = paused_days([(row["started_at"], row["ended_at"])], clock.basis, row["ended_at"],
                       await deadlines.closed_in_scope() if clock.basis == workdays.WORKING else (lambda d: False))
    await audit.record(tenant.id, "request.clock_resumed", actor_user=actor, actor_label=actor_label,
                       target_type="support_request", target_id=req["id"], address=address,
                       before={"due_at": req.get("due_at")},
                       after={"pause": str(row["id"]), "days": days, "due_at": clock.due_at, "by": ended_by})


# --- how a due date is explained ------------------------------------------------------------


def holidays_between(first: dt.date, last: dt.date) -> list[str]:
    """Codes of the official holidays falling in (first, last], once each, in date order."""
    out: list[str] = []
    for year in range(first.year, last.year + 1):
        for code, a, b in workdays.holiday_spans(year):
            if b > first and a <= last and code not in out:
                out.append(code)
    return out


def explain(row: Mapping[str, Any], now: dt.datetime | None = None, lang: str | None = None) -> list[str]:
    """Short lines saying how a request's due date was reached, from its row alone (the queue and the
    committee pages list many): calendar or working days, N from submission (or the appeal),
    paused K days, holidays skipped."""
    days, due = row.get("review_window_days"), row.get("due_at")
    if not days or not due:
        return []
    lang = lang or i18n.get_language()
    basis = row.get("review_window_basis") or workdays.CALENDAR
    start = row.get("appealed_at") or row.get("submitted_at")
    with i18n.language(lang):
        lines = [i18n.gettext(MSG_FROM_APPEAL if row.get("appealed_at") else MSG_FROM_SUBMISSION)
                 % {"days": deadlines.days_text(days, basis, lang), "date": dual_date(start, lang)}]
        paused = int(row.get("paused_days") or 0)
        if paused:
            lines.append(i18n.ngettext("Paused %(num)s day while waiting for the applicant",
                                       "Paused %(num)s days while waiting for the applicant", paused,
                                       num=localised_number(paused, lang)))
        if row.get("stage") == "incomplete":
            since = row.get("stage_since") or now or dt.datetime.now(dt.UTC)
            lines.append(i18n.gettext(MSG_PAUSED_NOW) % {"date": dual_date(since, lang)})
        if basis == workdays.WORKING and start:
            codes = holidays_between(_day(start), _day(due))
            if codes:
                sep = "، " if lang == "ar" else ", "
                lines.append(i18n.gettext(MSG_HOLIDAYS) % {
                    "names": sep.join(i18n.gettext(workdays.HOLIDAY_NAMES[c]) for c in codes)})
            lines.append(i18n.gettext(MSG_CLOSURES))
    return lines


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or [])


__all__ = ["OVERDUE_SQL", "RUNNING_SQL", "Pause", "Clock", "counted_days", "paused_days", "shifted", "compute", "pauses_in_scope",
           "clock_in_scope", "refresh_in_scope", "restart_in_scope", "stage_changed_in_scope", "explain",
           "holidays_between", "MAX_PAUSE_DAYS"]
