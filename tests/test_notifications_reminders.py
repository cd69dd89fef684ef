"""Review-window reminders on issue 4's real requests: at the tenant's points, to the people
holding the request; escalation to the admins once overdue; a daily digest per staff member;
each sent once however often the beat runs (the scan is given the time it runs at)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sila.platform.db import tenant_scope
from sila.tenants.notifications import reminders
from support.data import valid_id

RIYADH = dt.timezone(dt.timedelta(hours=3))


async def emails(tenant_id: Any, kind: str) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        return [dict(r) for r in await tx.connection.fetch(
            "select * from outbox where kind = $1 order by created_at", kind)]


@pytest.fixture
async def charity(make_tenant, make_staff, publish_policy):
    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih")  # a 14-day window with a committee step
    staff = {role: await make_staff(tenant, role) for role in
             ("relations_officer", "social_researcher", "committee_member", "admin")}
    async with tenant_scope(tenant.id) as tx:  # the scans below happen in the night: no digest then
        await tx.connection.execute("insert into notification_settings (tenant, digest_enabled) values ($1, false)",
                                    tenant.id)
    return tenant, staff


async def record(tenant: Any, officer: Any) -> dict[str, Any]:
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.requests import services as rs
    from sila.tenants.requests.terms import terms_in_force

    terms = await terms_in_force(tenant.id)
    actor = rs.Actor(officer.id, "الموظف", frozenset({"relations_officer"}))
    applicant = ApplicantInput(id_number=valid_id(), name="هند", mobile="+966551234567", email="", preferred_channel="sms",
                               preferred_language="ar", city="", category="", household_size=None)
    rid = await rs.record_by_staff(tenant, terms, rs.StaffIntake(applicant=applicant, channel=terms.staff_channels()[0],
                                                                 need="دعم"), actor)
    async with tenant_scope(tenant.id) as tx:
        return dict(await tx.connection.fetchrow("select * from support_request where id = $1", rid))


def info(tenant: Any) -> dict[str, Any]:
    return {"id": tenant.id, "slug": tenant.slug, "name_ar": tenant.name_ar, "name_en": tenant.name_en}


def at_night(moment: dt.datetime) -> dt.datetime:
    local = moment.astimezone(RIYADH)
    return local.replace(hour=3, minute=0)


async def test_reminders_at_the_chosen_points_then_escalation_each_once(charity):
    tenant, staff = charity
    req = await record(tenant, staff["relations_officer"])
    start, due = req["submitted_at"], req["due_at"]
    assert (due - start).days == 14
    # Before half the window: nothing.
    assert await reminders.scan(info(tenant), start + dt.timedelta(days=3)) == 0
    # Half the window (the default 50%): the assignee (the officer who recorded it), once.
    half = start + (due - start) / 2 + dt.timedelta(minutes=1)
    assert await reminders.scan(info(tenant), half) == 1
    assert await reminders.scan(info(tenant), half + dt.timedelta(hours=1)) == 0
    [first] = await emails(tenant.id, "reminder.due")
    assert first["recipient"] == staff["relations_officer"].email and req["reference"] in first["subject"]
    assert f"/portal/requests/{req['id']}" in first["body_text"]
    # At the committee stage two days before: the committee is reminded too.
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update support_request set stage = 'committee' where id = $1", req["id"])
    two_before = due - dt.timedelta(days=2) + dt.timedelta(minutes=5)
    assert await reminders.scan(info(tenant), two_before) == 2
    assert await reminders.scan(info(tenant), two_before) == 0
    recipients = {m["recipient"] for m in await emails(tenant.id, "reminder.due")}
    assert recipients == {staff["relations_officer"].email, staff["committee_member"].email}
    # Overdue: the admins, once.
    late = due + dt.timedelta(hours=2)
    assert await reminders.scan(info(tenant), late) == 1
    assert await reminders.scan(info(tenant), late + dt.timedelta(days=1)) == 0
    [escalation] = await emails(tenant.id, "reminder.overdue")
    assert escalation["recipient"] == staff["admin"].email and req["reference"] in escalation["body_text"]


async def test_after_a_long_pause_only_the_latest_point_is_sent(charity):
    tenant, staff = charity
    req = await record(tenant, staff["relations_officer"])
    # The beat was away until one day before the decision: one reminder, not two.
    assert await reminders.scan(info(tenant), req["due_at"] - dt.timedelta(days=1)) == 1
    assert len(await emails(tenant.id, "reminder.due")) == 1


async def test_a_daily_digest_per_staff_member_once_a_day(charity):
    tenant, staff = charity
    req = await record(tenant, staff["relations_officer"])
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update notification_settings set digest_enabled = true, digest_hour = 8, "
                                    "reminder_percents = '{}', reminder_days_before = '{}'")
    next_morning = (req["submitted_at"].astimezone(RIYADH) + dt.timedelta(days=1)).replace(hour=9, minute=0)
    before_hour = next_morning.replace(hour=7)
    assert await reminders.scan(info(tenant), before_hour) == 0
    assert await reminders.scan(info(tenant), next_morning) == 1
    assert await reminders.scan(info(tenant), next_morning.replace(hour=15)) == 0
    [digest] = await emails(tenant.id, "reminder.digest")
    assert digest["recipient"] == staff["relations_officer"].email and req["reference"] in digest["body_text"]
    assert await reminders.scan(info(tenant), next_morning + dt.timedelta(days=1)) == 1  # the next day's
