"""May a due message go now? The tenant's status, its quiet hours and its monthly quota.

Checked by `deliver` under the row lock, so the fast path (which skips the relay) obeys the same
rules. A held row stays `pending` with its reason and a later `available_at`: it waits, it is
never dropped.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sila.platform import directory
from sila.platform.messages import compose
from sila.platform.settings import get_settings
from sila.workers.outbox import enqueue

RIYADH = ZoneInfo("Asia/Riyadh")
# Quiet hours protect beneficiaries' nights: they apply to the messages written to them.
# Staff reminders are timed by the beat itself; one-time codes and account mail are `urgent`.
QUIET_KINDS = ("request.", "survey.", "feedback.")
QUIET_DEFAULT = (True, dt.time(21, 0), dt.time(8, 0))  # as the settings table's defaults
QUOTA_RECHECK = dt.timedelta(minutes=15)  # so a raised quota releases held messages soon


def month_start(now: dt.datetime) -> dt.datetime:
    """The start of the calendar month in Riyadh (the operator's quota period), as an aware time."""
    local = now.astimezone(RIYADH)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: dt.datetime) -> dt.datetime:
    first = month_start(now)
    return (first + dt.timedelta(days=32)).replace(day=1)


def quiet_until(now: dt.datetime, start: dt.time, end: dt.time) -> dt.datetime | None:
    """When quiet hours [start, end) that contain `now` end (Riyadh wall clock), or None."""
    if start == end:
        return None
    local = now.astimezone(RIYADH)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=RIYADH)


def usage_month(now: dt.datetime) -> dt.date:
    """The `message_usage.month` key: the first day of the Riyadh calendar month."""
    return month_start(now).date()


async def sent_this_month(conn: Any, now: dt.datetime | None = None) -> int:
    """Messages sent this month, from the counter `deliver` keeps (call in the tenant's scope)."""
    month = usage_month(now or dt.datetime.now(dt.UTC))
    return await conn.fetchval("select coalesce(sum(sent), 0) from message_usage where month = $1", month)


# One more message sent this month, in the statement that marks it sent (relay.deliver):
# $1 tenant, $10 the month (usage_month).
SQL_COUNT_SENT = """insert into message_usage (tenant, month, sent) values ($1, $10, 1)
                    on conflict (tenant, month) do update set sent = message_usage.sent + 1"""


async def hold(conn: Any, tid: uuid.UUID, row: Any) -> tuple[str, dt.datetime | None] | None:
    """(reason, wait until) when the row must wait, else None. Runs in the row's tenant scope.

    One round trip: tenant status, quota, quiet hours and this month's count together."""
    now = dt.datetime.now(dt.UTC)
    facts = await conn.fetchrow(
        """select t.status, t.message_quota, s.quiet_enabled, s.quiet_start, s.quiet_end,
                  coalesce((select u.sent from message_usage u where u.tenant = t.id and u.month = $2), 0) as sent
           from tenant t left join notification_settings s on s.tenant = t.id where t.id = $1""",
        tid, usage_month(now))
    if not directory.status_allows_sending(facts["status"] if facts else None, row["kind"]):
        return "tenant", None  # the relay will not claim it again until the tenant may send
    if row["urgent"]:
        return None
    if row["kind"].startswith(QUIET_KINDS):
        enabled, start, end = ((facts["quiet_enabled"], facts["quiet_start"], facts["quiet_end"])
                               if facts["quiet_enabled"] is not None else QUIET_DEFAULT)
        if enabled and (until := quiet_until(now, start, end)):
            return "quiet_hours", until
    if facts["sent"] >= facts["message_quota"]:
        await tell_admins_quota_reached(conn, tid, facts["message_quota"], month_start(now).date())
        return "quota", min(now + QUOTA_RECHECK, next_month_start(now))
    return None


async def tell_admins_quota_reached(conn: Any, tid: uuid.UUID, quota: int, month: dt.date) -> None:
    """Once a month: the admins learn that messages now wait for the quota. Runs in tenant scope."""
    await conn.execute("insert into notification_settings (tenant) values ($1) on conflict (tenant) do nothing", tid)
    first = await conn.fetchval(
        """update notification_settings set quota_notified_month = $1
           where quota_notified_month is distinct from $1 returning 1""", month)
    if not first:
        return
    tenant = await conn.fetchrow("select slug, name_ar, name_en from tenant where id = $1", tid)
    admins = await conn.fetch(
        """select u.email, u.preferred_language from membership m join staff_user u on u.id = m."user"
           where m.role = 'admin' and u.is_active""")
    link = get_settings().tenant_url(tenant["slug"], "/portal/notifications")
    for admin in admins:
        subject, text, html = compose("notifications.quota_reached", admin["preferred_language"] or "ar",
                                      {"quota": quota, "link": link})
        await enqueue(tenant_id=tid, channel="email", kind="notifications.quota_reached", recipient=admin["email"],
                      subject=subject, body_text=text, body_html=html, urgent=True)
