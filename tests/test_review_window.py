"""The review window counted the way Saudi charities count (issue 14, the window half): working days
skip Fridays, Saturdays, the official holidays and the tenant's closures; due dates are stated as
the latest date; per-step targets remind and escalate once.

Hand-checked dates. The Hijri dates are the Umm al-Qura calendar's (the official calendar of the
Kingdom, as tabulated by `hijridate`), and each holiday span was compared with the Ministry of Human
Resources and Social Development's announcement for the private and non-profit sectors (Article 24
of the Labour Law's Executive Regulations), as reported at the time:
- 1445: 29 Ramadan = Monday 8 April 2024; Eid al-Fitr holiday 9–12 April 2024, work resumed Sunday
  14 April (MHRSD, reported by Madhyamam / Alkhbr, March 2024).
- 1446: 29 Ramadan = Saturday 29 March 2025; Eid al-Fitr holiday 30 March – 2 April 2025 ("from the
  end of work on Saturday 29 Ramadan, four days", MHRSD via ksa.directory, March 2025). Day of
  Arafah = Thursday 5 June 2025; Eid al-Adha holiday 5–8 June 2025 (MHRSD via Saudi Gazette /
  Zawya, 29 May 2025).
- 1444: Day of Arafah = Tuesday 27 June 2023; Eid al-Adha holiday 27–30 June 2023 (MHRSD via Saudi
  Gazette / Zawya, 20 June 2023).
- 1447 (not yet announced when written; Umm al-Qura only): 29 Ramadan = Wednesday 18 March 2026,
  Eid al-Fitr 19–22 March 2026; Arafah = Tuesday 26 May 2026, Eid al-Adha 26–29 May 2026.
- Founding Day 22 February (Sunday in 2026), National Day 23 September (Tuesday in 2025).
Each due date below was counted by hand on a calendar, day by day, in the comment beside it.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sila.platform import workdays
from sila.platform.db import tenant_scope
from sila.tenants.policy import deadlines, rules
from support.data import outbox_rows, valid_id

RIYADH = dt.timezone(dt.timedelta(hours=3))
D = dt.date
CHANNELS = ["interview", "phone", "website"]


def riyadh(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=RIYADH)


def due_day(start: dt.datetime, days: int, basis: str = "working", closed: Any = None) -> dt.date:
    at = rules.due_date(start, days, basis, closed)
    local = at.astimezone(RIYADH)
    assert (local.hour, local.minute, local.second) == (23, 59, 59)  # the end of the Riyadh day
    return local.date()


# --- the calendar -------------------------------------------------------------------------------


@pytest.mark.parametrize("first, last, code", [
    (D(2024, 4, 9), D(2024, 4, 12), "eid_al_fitr"),
    (D(2025, 3, 30), D(2025, 4, 2), "eid_al_fitr"),
    (D(2025, 6, 5), D(2025, 6, 8), "eid_al_adha"),
    (D(2023, 6, 27), D(2023, 6, 30), "eid_al_adha"),
    (D(2026, 3, 19), D(2026, 3, 22), "eid_al_fitr"),
    (D(2026, 5, 26), D(2026, 5, 29), "eid_al_adha"),
])
def test_eid_holidays_match_the_announced_spans(first, last, code):
    day = first
    while day <= last:
        assert workdays.holiday(day) == code, day
        day += dt.timedelta(days=1)
    assert workdays.holiday(first - dt.timedelta(days=1)) is None  # 29 Ramadan / 8 Dhu al-Hijjah is a working day
    assert workdays.holiday(last + dt.timedelta(days=1)) is None
    assert (code, first, last) in workdays.holiday_spans(first.year)


def test_fixed_holidays_and_the_weekend():
    assert workdays.holiday(D(2026, 2, 22)) == "founding_day" and workdays.holiday(D(2025, 9, 23)) == "national_day"
    assert [workdays.is_working_day(D(2026, 1, d)) for d in range(1, 8)] == [
        True, False, False, True, True, True, True]  # Thu, Fri, Sat, Sun … Wed
    # Outside the Umm al-Qura tables there are only the fixed days, never an error.
    assert set(workdays.official_holidays(2090).values()) == {"founding_day", "national_day"}


# --- due dates, counted by hand -----------------------------------------------------------------


def test_working_days_across_ramadan_and_eid_al_fitr_1446():
    # Thu 27 Mar 2025 (27 Ramadan): Fri 28, Sat 29 weekend; 30 Mar–2 Apr Eid; Thu 3 Apr = 1;
    # Fri 4, Sat 5 weekend; Sun 6 = 2, Mon 7 = 3, Tue 8 = 4, Wed 9 = 5.
    assert due_day(riyadh(2025, 3, 27), 5) == D(2025, 4, 9)
    # A request at 23:30 on Thursday is still Thursday's in Riyadh (20:30 UTC).
    assert due_day(dt.datetime(2025, 3, 27, 20, 30, tzinfo=dt.UTC), 5) == D(2025, 4, 9)
    # Calendar days do not skip Eid: 27 Mar + 14 = 10 Apr.
    assert due_day(riyadh(2025, 3, 27), 14, "calendar") == D(2025, 4, 10)


def test_working_days_across_eid_al_adha_1447():
    # Mon 25 May 2026 (8 Dhu al-Hijjah): 26–29 May Eid (Fri 29 also weekend), Sat 30 weekend;
    # Sun 31 May = 1, Mon 1 Jun = 2, Tue 2 Jun = 3.
    assert due_day(riyadh(2026, 5, 25), 3) == D(2026, 6, 2)


def test_working_days_across_the_year_boundary_and_founding_day():
    # Tue 30 Dec 2025: Wed 31 = 1, Thu 1 Jan = 2, (Fri 2, Sat 3), Sun 4 … Thu 8 = 3..7, Sun 11 … Thu 15
    # = 8..12, Sun 18 = 13, Mon 19 Jan 2026 = 14.
    assert due_day(riyadh(2025, 12, 30), 14) == D(2026, 1, 19)
    # Thu 19 Feb 2026: Fri 20, Sat 21 weekend, Sun 22 Founding Day; Mon 23 = 1, Tue 24 = 2.
    assert due_day(riyadh(2026, 2, 19), 2) == D(2026, 2, 24)
    # Mon 22 Sep 2025: Tue 23 National Day; Wed 24 = 1.
    assert due_day(riyadh(2025, 9, 22), 1) == D(2025, 9, 24)


def test_the_tenants_closures_are_skipped():
    closed = workdays.closures_checker([(D(2025, 12, 31), D(2026, 1, 1))])
    # Tue 30 Dec 2025, closed 31 Dec–1 Jan, Fri 2 / Sat 3 weekend: Sun 4 Jan 2026 = 1.
    assert due_day(riyadh(2025, 12, 30), 1, closed=closed) == D(2026, 1, 4)
    assert due_day(riyadh(2025, 12, 30), 1) == D(2025, 12, 31)


# --- properties -----------------------------------------------------------------------------------

starts = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2070, 12, 31),
                      timezones=st.just(dt.UTC))
windows = st.integers(min_value=1, max_value=120)
spans = st.lists(st.tuples(st.dates(D(2020, 1, 1), D(2071, 12, 31)), st.integers(0, 20)), max_size=4)


def _checker(raw):
    return workdays.closures_checker([(a, a + dt.timedelta(days=n)) for a, n in raw])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, days=windows, raw=spans)
def test_a_working_day_due_date_is_a_working_day_after_exactly_n_of_them(start, days, raw):
    closed = _checker(raw)
    due = due_day(start, days, closed=closed)
    assert due.weekday() not in (4, 5) and workdays.holiday(due) is None and not closed(due)
    first = start.astimezone(RIYADH).date()
    counted = sum(workdays.is_working_day(first + dt.timedelta(days=i), closed) for i in range(1, (due - first).days + 1))
    assert counted == days


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, later=st.integers(0, 400), days=windows, raw=spans, basis=st.sampled_from(workdays.BASES))
def test_due_dates_are_monotonic_in_the_start_and_in_the_window(start, later, days, raw, basis):
    closed = _checker(raw)
    a = rules.due_date(start, days, basis, closed)
    assert rules.due_date(start + dt.timedelta(hours=later * 7), days, basis, closed) >= a
    assert rules.due_date(start, days + 1, basis, closed) > a
    assert a >= rules.due_date(start, days, "calendar") or basis == "calendar"  # working days never come sooner


# --- the policy's configuration --------------------------------------------------------------------


def test_basis_and_targets_are_validated_and_versioned():
    draft = rules.default_draft()
    draft.channels[0].enabled = True
    draft.review_window_basis, draft.verify_target_days, draft.research_target_days = "working", 3, 10
    assert rules.validate_draft(draft) == {}
    bad = rules.draft_from_dict({**rules.draft_to_dict(draft), "review_window_basis": "lunar",
                                 "verify_target_days": 0})
    errors = rules.validate_draft(bad)
    assert errors["review_window_basis"] == [rules.MSG_UNKNOWN_BASIS]
    assert errors["verify_target_days"] == [rules.MSG_TARGET_RANGE]
    no_referral = rules.draft_from_dict(rules.draft_to_dict(draft))
    no_referral.steps = [s for s in no_referral.steps if s.code != "refer"]
    assert rules.validate_draft(no_referral)["research_target_days"] == [rules.MSG_TARGET_WITHOUT_STEP]
    old = {k: v for k, v in rules.draft_to_dict(draft).items()
           if k not in ("review_window_basis", "verify_target_days", "research_target_days")}
    assert rules.draft_from_dict(old).review_window_basis == "calendar"  # older snapshots count calendar days
    changes = [str(c) for c in rules.diff_versions(old, rules.draft_to_dict(draft))]
    assert "The review window now counts working days." in changes and "Step targets changed." in changes


def test_the_window_is_explained_in_both_languages():
    assert deadlines.days_text(14, "working", "ar") == "١٤ يوم عمل — تستثنى الجمعة والسبت والعطل الرسمية"
    assert deadlines.days_text(14, "calendar", "ar") == "١٤ يومًا"
    assert deadlines.days_text(1, "working", "en") == "1 working day — Fridays, Saturdays and official holidays are not counted"
    from sila.tenants.policy import forms

    assert forms.suggested_wording(14, "working") == ("مدة أقصاها ١٤ يوم عمل", "at most 14 working days")
    assert forms.reads_as_minimum("مدة لا تقل عن أسبوعين") and not forms.reads_as_minimum("مدة أقصاها أسبوعان")


# --- requests get the working-day date; closures move only later requests -------------------------


async def _record(tenant: Any, officer: Any) -> dict[str, Any]:
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.requests import services as rs
    from sila.tenants.requests.terms import terms_in_force

    terms = await terms_in_force(tenant.id)
    actor = rs.Actor(officer.id, "نورة", frozenset({"relations_officer"}))
    applicant = ApplicantInput(id_number=valid_id(), name="هند", mobile="+966551234567", email="",
                               preferred_channel="sms", preferred_language="ar", city="", category="",
                               household_size=None)
    rid = await rs.record_by_staff(tenant, terms, rs.StaffIntake(applicant=applicant, channel=terms.staff_channels()[0],
                                                                 need="دعم"), actor)
    async with tenant_scope(tenant.id) as tx:
        return dict(await tx.connection.fetchrow("select * from support_request where id = $1", rid))


async def test_a_request_under_a_working_day_policy_and_a_later_closure(make_tenant, make_staff, publish_policy):
    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, review_window_basis="working")
    officer = await make_staff(tenant, "relations_officer")
    admin = await make_staff(tenant, "admin")
    first = await _record(tenant, officer)
    assert first["review_window_basis"] == "working" and first["review_window_days"] == 14
    assert first["due_at"] == workdays.due_at(first["submitted_at"], 14, "working")
    due = first["due_at"].astimezone(RIYADH).date()
    assert due.weekday() not in (4, 5) and workdays.holiday(due) is None
    assert (due - first["submitted_at"].astimezone(RIYADH).date()).days >= 18  # 14 working days ≥ 2 weeks + 4
    # The office closes for the next ten days: a new request is due later, the first keeps its date.
    today = first["submitted_at"].astimezone(RIYADH).date()
    await deadlines.add_closure(tenant.id, today + dt.timedelta(days=1), today + dt.timedelta(days=10), "جرد",
                                admin.id)
    second = await _record(tenant, officer)
    assert second["due_at"] > first["due_at"]
    async with tenant_scope(tenant.id) as tx:
        assert await tx.connection.fetchval("select due_at from support_request where id = $1", first["id"]) == \
            first["due_at"]
    [message] = [m for m in await outbox_rows(tenant.id, "request.received") if first["reference"] in m["body_text"]]
    assert "في موعد أقصاه" in message["body_text"]


# --- pages ------------------------------------------------------------------------------------------


async def test_the_window_page_saves_basis_targets_and_offers_maximum_wording(server, make_tenant, make_staff,
                                                                               publish_policy):
    from support.clients import sign_in

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS)  # «مدة لا تقل عن أسبوعين»
    admin = await make_staff(tenant, "admin")
    c = sign_in(server, admin)
    page = c.get("/portal/policy/window")
    assert page.status_code == 200 and "طريقة حساب الأيام" in page.text
    assert "صياغتكم تُفهم حدًّا أدنى" in page.text  # the seed's wording reads as a minimum
    form = {"review_window_days": "١٤", "review_window_basis": "working", "review_window_text_ar": "مدة لا تقل عن أسبوعين",
            "review_window_text_en": "", "verify_target_days": "٣", "research_target_days": "", "action": "suggest"}
    suggested = c.post("/portal/policy/window", form)
    assert suggested.status_code == 200 and 'value="مدة أقصاها ١٤ يوم عمل"' in suggested.text
    bad = c.post("/portal/policy/window", {**form, "action": "save", "research_target_days": "خمسة"})
    assert bad.status_code == 400 and "أدخل مدة مستهدفة بين" in bad.text and 'value="خمسة"' in bad.text
    hostile = c.post("/portal/policy/window", {**form, "action": "save", "verify_target_days": "3\x00"})
    assert hostile.status_code == 400 and "يحتوي هذا الحقل على أحرف غير مسموح بها" in hostile.text
    ok = c.post("/portal/policy/window", {**form, "action": "save", "review_window_text_ar": "مدة أقصاها ١٤ يوم عمل"})
    assert ok.status_code == 303
    from sila.tenants.policy import services

    draft = (await services.load_draft(tenant.id)).draft
    assert (draft.review_window_basis, draft.verify_target_days, draft.research_target_days) == ("working", 3, None)
    again = c.get("/portal/policy/window")
    assert "تستثنى الجمعة والسبت والعطل الرسمية" in again.text and "في موعد أقصاه" in again.text
    assert "صياغتكم تُفهم حدًّا أدنى" not in again.text
    # Taking verification out of the procedure takes its target with it.
    from support.policy import rows

    steps = [{**vars(st), "enabled": st.code != "verify"} for st in draft.steps]
    assert c.post("/portal/policy/steps", rows("steps", steps, action="save")).status_code == 303
    assert (await services.load_draft(tenant.id)).draft.verify_target_days is None
    c.get("/lang/en")
    english = c.get("/portal/policy/window")
    assert "Fridays, Saturdays and official holidays are not counted" in english.text
    assert "no later than" in english.text


async def test_the_closures_page_in_both_languages_isolated_and_for_admins_only(server, two_tenants, make_staff):
    from support.clients import sign_in

    admin_a, admin_b = two_tenants
    a, b = sign_in(server, admin_a), sign_in(server, admin_b)
    empty = a.get("/portal/policy/closures")
    assert empty.status_code == 200 and "لا توجد أيام إغلاق مسجّلة" in empty.text and "عيد الفطر" in empty.text
    refused = a.post("/portal/policy/closures", {"starts_on": "2026-12-31", "ends_on": "2026-12-01", "reason": ""})
    assert refused.status_code == 400
    assert "لا يمكن أن يسبق اليوم الأخير" in refused.text or "اذكر سبب الإغلاق" in refused.text
    hostile = a.post("/portal/policy/closures", {"starts_on": "2026-12-31\x00", "reason": "جرد"},
                     files={"reason": ("x.pdf", b"%PDF-1.4", "application/pdf")})
    assert hostile.status_code == 400
    added = a.post("/portal/policy/closures", {"starts_on": "٢٠٢٦-١٢-٢٩", "ends_on": "2026-12-31",
                                               "reason": "إجازة نهاية العام"})
    assert added.status_code == 303
    listed = a.get("/portal/policy/closures?saved=1")
    assert "إجازة نهاية العام" in listed.text and "أُضيف الإغلاق" in listed.text
    [closure] = await deadlines.list_closures(admin_a.tenant.id)
    assert (closure.starts_on, closure.ends_on, closure.days) == (D(2026, 12, 29), D(2026, 12, 31), 3)
    # Tenant B sees none of it and cannot remove it.
    assert "إجازة نهاية العام" not in b.get("/portal/policy/closures").text
    assert b.post(f"/portal/policy/closures/{closure.id}/remove").status_code == 404
    assert b.post("/portal/policy/closures/not-a-uuid/remove").status_code == 404
    assert await deadlines.list_closures(admin_b.tenant.id) == []
    # Other roles: refused.
    officer = await make_staff(admin_a.tenant, "relations_officer")
    o = sign_in(server, officer)
    assert o.get("/portal/policy/closures").status_code == 403
    assert o.post("/portal/policy/closures", {"starts_on": "2026-01-05", "reason": "x"}).status_code == 403
    assert o.post(f"/portal/policy/closures/{closure.id}/remove").status_code == 403
    # In English, then removal.
    a.get("/lang/en")
    english = a.get("/portal/policy/closures")
    assert "Recorded closures" in english.text and "Eid al-Fitr" in english.text and 'dir="ltr"' in english.text
    assert a.post(f"/portal/policy/closures/{closure.id}/remove").status_code == 303
    assert await deadlines.list_closures(admin_a.tenant.id) == []


async def test_the_applicant_is_told_the_latest_date_and_how_it_is_counted(server, make_tenant, make_staff,
                                                                            publish_policy):
    from support.intake import online

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, review_window_basis="working")
    applicant = server.client(tenant.slug)
    form = applicant.get("/apply")
    assert "في موعد أقصاه" in form.text and "١٤ يوم عمل — تستثنى الجمعة والسبت والعطل الرسمية" in form.text
    sent, _ = online(applicant)
    assert sent.status_code == 303, sent.text[-1500:]
    received = applicant.get("/apply/received")
    assert "يصدر القرار في طلبك في موعد أقصاه" in received.text and "يوم عمل" in received.text
    policy = applicant.get("/policy")
    assert "يوم عمل — تستثنى الجمعة والسبت والعطل الرسمية" in policy.text
    # Tracking: the latest date, and how it was counted.
    reference = re.search(r'<p class="reference"><bdi dir="ltr"[^>]*>([^<]+)</bdi>', received.text).group(1)
    tracker = server.client(tenant.slug)
    tracker.get("/track")
    tracker.post("/track", {"reference": reference})
    code = re.search(r"\b(\d{6})\b", (await outbox_rows(tenant.id, "request.tracking_code"))[-1]["body_text"]).group(1)
    assert tracker.post("/track/code", {"reference": reference, "code": code}).status_code == 303
    status = tracker.get("/track/status")
    assert "يصدر القرار في موعد أقصاه" in status.text and "١٤ يوم عمل — تستثنى الجمعة والسبت" in status.text
    # Staff see the same on the request's page.
    from support.clients import sign_in

    officer = await make_staff(tenant, "relations_officer")
    async with tenant_scope(tenant.id) as tx:
        rid = await tx.connection.fetchval("select id from support_request where reference = $1", reference)
    detail = sign_in(server, officer).get(f"/portal/requests/{rid}")
    assert detail.status_code == 200 and "مدة الرد: ١٤ يوم عمل" in detail.text and "في موعد أقصاه" in detail.text


# --- per-step targets: reminders before, escalation after, each once, delivered by the worker -------


async def test_step_targets_remind_then_escalate_once_through_the_worker(celery_worker, smtp_sink, make_tenant,
                                                                        make_staff, publish_policy):
    from sila.tenants.notifications import reminders

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, review_window_basis="working", verify_target_days=2)
    officer = await make_staff(tenant, "relations_officer")
    admin = await make_staff(tenant, "admin")
    async with tenant_scope(tenant.id) as tx:  # only the step targets speak in this test
        await tx.connection.execute(
            "insert into notification_settings (tenant, digest_enabled, reminder_percents, reminder_days_before) "
            "values ($1, false, '{}', '{}')", tenant.id)
    req = await _record(tenant, officer)
    assert req["stage"] == "verify"
    # Reached verification on Thursday 27 March 2025 (27 Ramadan 1446): two working days are Thursday
    # 3 and Sunday 6 April (the weekend and Eid between), so the target is the end of 6 April.
    since = riyadh(2025, 3, 27, 9)
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update support_request set stage_since = $2 where id = $1", req["id"], since)
    info = {"id": tenant.id, "slug": tenant.slug, "name_ar": tenant.name_ar, "name_en": tenant.name_en}
    target = riyadh(2025, 4, 6, 23).replace(minute=59, second=59)
    assert await reminders.scan(info, riyadh(2025, 4, 5, 12)) == 0  # Saturday noon: more than a day before
    assert await reminders.scan(info, target - dt.timedelta(hours=20)) == 1  # Sunday 04:00: the day before
    assert await reminders.scan(info, target - dt.timedelta(hours=2)) == 0
    assert await reminders.scan(info, target + dt.timedelta(minutes=5)) == 1  # past it: the admin
    assert await reminders.scan(info, target + dt.timedelta(days=3)) == 0
    [due] = await outbox_rows(tenant.id, "reminder.step_due")
    [over] = await outbox_rows(tenant.id, "reminder.step_overdue")
    assert due["recipient"] == officer.email and req["reference"] in due["subject"]
    assert over["recipient"] == admin.email and "١٤٤٦" in over["body_text"]  # the Hijri date beside the Gregorian
    # The worker delivers each once.
    [mail] = smtp_sink.wait_for(officer.email)
    assert req["reference"] in str(mail["Subject"]) or req["reference"] in mail.get_body().get_content()
    [mail] = smtp_sink.wait_for(admin.email)
    # The request moves on: a new stage, a new clock; back at verification later, a fresh target.
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update support_request set stage = 'refer' where id = $1", req["id"])
        await tx.connection.execute("update support_request set stage = 'verify' where id = $1", req["id"])
        since2 = await tx.connection.fetchval("select stage_since from support_request where id = $1", req["id"])
    assert since2 > since
    later = workdays.due_at(since2, 2, "working")
    assert await reminders.scan(info, later + dt.timedelta(minutes=1)) == 1
    assert len(await outbox_rows(tenant.id, "reminder.step_overdue")) == 2


async def test_stage_since_follows_the_stage(make_tenant, make_staff, publish_policy):
    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS)
    req = await _record(tenant, await make_staff(tenant, "relations_officer"))
    assert req["stage_since"] == req["submitted_at"]
    async with tenant_scope(tenant.id) as tx:
        c = tx.connection
        await c.execute("update support_request set need = 'x' where id = $1", req["id"])
        assert await c.fetchval("select stage_since from support_request where id = $1", req["id"]) == req["stage_since"]
        await c.execute("update support_request set stage = 'refer' where id = $1", req["id"])
        moved = await c.fetchval("select stage_since from support_request where id = $1", req["id"])
    assert moved > req["stage_since"]
