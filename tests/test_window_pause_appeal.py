"""The review window's paused clock, the applicant completing a request from /track, and the
appeal (issue 14, the half of "The review window" that the first round left).

Hand-checked dates (Umm al-Qura, as in tests/test_review_window.py; each counted day by day on a
calendar, in the comment beside it):
- 1447: 29 Ramadan = Wednesday 18 March 2026; Eid al-Fitr holiday Thursday 19 – Sunday 22 March 2026.
- 1446: 29 Ramadan = Saturday 29 March 2025; Eid al-Fitr holiday Sunday 30 March – Wednesday 2 April 2025.
How a pause counts: the day it began does not, the day it ended does (like the window itself).
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
from sila.tenants.requests import clock
from support.data import outbox_rows

RIYADH = dt.timezone(dt.timedelta(hours=3))
CHANNELS = ["interview", "phone", "website"]
STEPS = ["receive", "verify", "committee", "deliver"]
PDF = ("نقص.pdf", b"%PDF-1.4\n% the missing document\n", "application/pdf")


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=RIYADH)


def day(x: dt.datetime) -> dt.date:
    return x.astimezone(RIYADH).date()


def req_row(start: dt.datetime, days: int, basis: str) -> dict[str, Any]:
    return {"submitted_at": start, "review_window_days": days, "review_window_basis": basis,
            "base_due_at": workdays.due_at(start, days, basis), "due_at": None}


# --- the arithmetic, by hand ------------------------------------------------------------------


def test_no_pause_keeps_the_promise_and_a_same_day_pause_is_nothing():
    row = req_row(at(2026, 3, 1), 14, "calendar")
    assert clock.compute(row, [], at(2026, 3, 20)).due_at == row["base_due_at"]
    same_day = clock.Pause(at(2026, 3, 3, 9), at(2026, 3, 3, 17))
    assert clock.compute(row, [same_day], at(2026, 3, 20)).paused_days == 0


def test_calendar_days_paused_move_the_date_by_as_many_days():
    # Sunday 1 March 2026 + 14 days = Sunday 15 March; paused Tuesday 3 → Friday 6 March = 3 days → 18 March.
    row = req_row(at(2026, 3, 1), 14, "calendar")
    c = clock.compute(row, [clock.Pause(at(2026, 3, 3), at(2026, 3, 6, 15))], at(2026, 3, 20))
    assert (c.paused_days, day(c.due_at), c.paused) == (3, dt.date(2026, 3, 18), False)
    # Still open on 5 March: two days so far, and the clock says it is paused.
    c = clock.compute(row, [clock.Pause(at(2026, 3, 3), None)], at(2026, 3, 5, 12))
    assert (c.paused_days, day(c.due_at), c.paused) == (2, dt.date(2026, 3, 17), True)


def test_working_days_paused_across_ramadan_and_eid_al_fitr_1447():
    # Submitted Sunday 8 March 2026, 10 working days: 9, 10, 11, 12 | 15, 16, 17, 18 | (Eid 19–22) 23, 24
    # → Tuesday 24 March.
    row = req_row(at(2026, 3, 8), 10, "working")
    assert day(row["base_due_at"]) == dt.date(2026, 3, 24)
    # Paused Wednesday 11 → Tuesday 17 March: Thu 12, Sun 15, Mon 16, Tue 17 = 4 working days;
    # 24 March + 4 working days: Wed 25, Thu 26, Sun 29, Mon 30 → Monday 30 March.
    c = clock.compute(row, [clock.Pause(at(2026, 3, 11), at(2026, 3, 17, 15))], at(2026, 4, 1))
    assert (c.paused_days, day(c.due_at)) == (4, dt.date(2026, 3, 30))
    # A pause over the Eid holiday, Wednesday 18 → Monday 23 March: only Monday 23 counts.
    c = clock.compute(row, [clock.Pause(at(2026, 3, 18), at(2026, 3, 23, 11))], at(2026, 4, 1))
    assert (c.paused_days, day(c.due_at)) == (1, dt.date(2026, 3, 25))


def test_working_days_paused_after_eid_al_fitr_1446_and_the_tenants_closures():
    # Submitted Thursday 27 March 2025 (27 Ramadan), 5 working days: Fri 28, Sat 29 weekend; Eid
    # 30 March – 2 April; Thu 3, Sun 6, Mon 7, Tue 8, Wed 9 April → Wednesday 9 April.
    row = req_row(at(2025, 3, 27), 5, "working")
    assert day(row["base_due_at"]) == dt.date(2025, 4, 9)
    pause = clock.Pause(at(2025, 4, 3), at(2025, 4, 7, 12))  # Sun 6, Mon 7 = 2 → Thu 10, Sun 13
    assert day(clock.compute(row, [pause], at(2025, 5, 1)).due_at) == dt.date(2025, 4, 13)
    closed = workdays.closures_checker([(dt.date(2025, 4, 6), dt.date(2025, 4, 6))])  # Sunday 6 closed
    c = clock.compute(row, [pause], at(2025, 5, 1), closed)
    assert c.paused_days == 1 and day(c.due_at) == dt.date(2025, 4, 10)


def test_an_appeal_starts_a_fresh_window_and_earlier_pauses_no_longer_count():
    row = {**req_row(at(2026, 3, 1), 14, "calendar"), "appealed_at": at(2026, 4, 1)}
    row["base_due_at"] = workdays.due_at(row["appealed_at"], 14, "calendar")
    c = clock.compute(row, [clock.Pause(at(2026, 3, 3), at(2026, 3, 6))], at(2026, 4, 2))
    assert c.appeal and c.paused_days == 0 and day(c.due_at) == dt.date(2026, 4, 15)


# --- the arithmetic, over generated pause sequences ------------------------------------------------

starts = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=RIYADH))
# A sequence of (hours running before the pause, hours paused).
sequences = st.lists(st.tuples(st.integers(0, 24 * 20), st.integers(0, 24 * 25)), max_size=6)


def _pauses(start: dt.datetime, seq: list[tuple[int, int]]) -> list[clock.Pause]:
    out, t = [], start
    for run, paused in seq:
        a = t + dt.timedelta(hours=run)
        t = a + dt.timedelta(hours=paused)
        out.append(clock.Pause(a, t))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, days=st.integers(1, 60), basis=st.sampled_from(workdays.BASES), seq=sequences,
       cut=st.floats(0, 1))
def test_pause_sequences(start, days, basis, seq, cut):
    row = req_row(start, days, basis)
    pauses = _pauses(start, seq)
    now = (pauses[-1].ended_at if pauses else start) + dt.timedelta(days=1)
    c = clock.compute(row, pauses, now)
    base, due = day(row["base_due_at"]), day(c.due_at)
    # Never earlier than promised; exactly as much later as the days paused, in the window's basis.
    assert due >= base
    assert clock.counted_days(base, due, basis) == c.paused_days
    assert c.paused_days == sum(clock.counted_days(day(p.started_at), day(p.ended_at), basis) for p in pauses)
    if c.paused_days and basis == workdays.WORKING:
        assert workdays.is_working_day(due)
    # Splitting any pause in two at any instant changes nothing (adjoining pauses add up).
    if pauses:
        p = pauses[int(cut * (len(pauses) - 1))]
        mid = p.started_at + (p.ended_at - p.started_at) * cut
        split = [q for q in pauses if q is not p] + [clock.Pause(p.started_at, mid), clock.Pause(mid, p.ended_at)]
        assert clock.compute(row, sorted(split, key=lambda q: q.started_at), now).due_at == c.due_at
    # A pause still open counts up to now, never more than the same pause ended now.
    if pauses:
        still = pauses[:-1] + [clock.Pause(pauses[-1].started_at, None)]
        assert clock.compute(row, still, pauses[-1].ended_at).due_at == \
            clock.compute(row, pauses, pauses[-1].ended_at).due_at


def test_the_explanation_says_how_the_date_was_reached_in_both_languages():
    row = {**req_row(at(2026, 3, 8), 10, "working"), "paused_days": 4, "stage": "verify"}
    row["due_at"] = clock.shifted(row["base_due_at"], 4, "working")
    ar, en = clock.explain(row, lang="ar"), clock.explain(row, lang="en")
    assert any("١٠ أيام عمل" in line and "من تقديم الطلب" in line for line in ar), ar
    assert any("Paused 4 days" in line for line in en) and any("Eid al-Fitr" in line for line in en), en
    assert any("عيد الفطر" in line for line in ar)
    paused = clock.explain({**row, "stage": "incomplete", "stage_since": at(2026, 3, 11)}, lang="en")
    assert any(line.startswith("Paused now") for line in paused)
    assert clock.explain({**row, "review_window_days": None}) == []


# --- the clock through the services ---------------------------------------------------------------


async def _request(tenant: Any, officer: Any) -> dict[str, Any]:
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.requests import services as rs
    from sila.tenants.requests.terms import terms_in_force
    from support.data import valid_id

    terms = await terms_in_force(tenant.id)
    applicant = ApplicantInput(id_number=valid_id(), name="هند الشهري", mobile="+966551234567", email="",
                               preferred_channel="sms", preferred_language="ar", city="", category="",
                               household_size=None)
    rid = await rs.record_by_staff(tenant, terms, rs.StaffIntake(applicant=applicant,
                                                                 channel=terms.staff_channels()[0], need="دعم"),
                                   _actor(officer, "relations_officer"))
    return await _row(tenant, rid)


def _actor(staff: Any, role: str) -> Any:
    from sila.platform.actors import Actor

    return Actor(staff.id, "نورة", frozenset({role}))


async def _row(tenant: Any, rid: Any) -> dict[str, Any]:
    async with tenant_scope(tenant.id) as tx:
        return dict(await tx.connection.fetchrow("select * from support_request where id = $1", rid))


async def test_marking_incomplete_stops_the_clock_and_verifying_resumes_it(make_tenant, make_staff,
                                                                          publish_policy):
    from sila.tenants.requests import services as rs

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS)
    officer = await make_staff(tenant, "relations_officer")
    req = await _request(tenant, officer)
    assert req["base_due_at"] == req["due_at"] and req["paused_days"] == 0
    await rs.act(tenant, req["id"], "mark_incomplete", _actor(officer, "relations_officer"),
                 {"missing": "صورة الهوية\nصك الإعالة", "note": "أرسلوا الصك مصدقًا"})
    async with tenant_scope(tenant.id) as tx:
        [pause] = await tx.connection.fetch("select * from request_pause where request = $1", req["id"])
        assert pause["ended_at"] is None and pause["note"] == "أرسلوا الصك مصدقًا"
        # Five days waiting (the stored times moved back, as the demo does), and past its date:
        # a stopped clock is not overdue.
        await tx.connection.execute(
            """update request_pause set started_at = started_at - interval '5 days' where request = $1""", req["id"])
        await tx.connection.execute(
            "update support_request set due_at = now() - interval '1 day' where id = $1", req["id"])
    assert req["id"] not in [r.id for r in await rs.queue(tenant.id, rs.QueueFilter(due="overdue"), officer.id)]
    assert await rs.overdue_count(tenant.id) == 0
    # Marked incomplete again while waiting: the same pause, what is missing updated.
    await rs.act(tenant, req["id"], "mark_incomplete", _actor(officer, "relations_officer"),
                 {"missing": "صك الإعالة"})
    await rs.act(tenant, req["id"], "verify", _actor(officer, "relations_officer"),
                 {f"check_{k}": "on" for k in rs.CHECKLIST})
    after = await _row(tenant, req["id"])
    assert after["paused_days"] == 5 and after["due_at"] == clock.shifted(req["base_due_at"], 5, "calendar")
    async with tenant_scope(tenant.id) as tx:
        pauses = await tx.connection.fetch("select * from request_pause where request = $1", req["id"])
        actions = [r["action"] for r in await tx.connection.fetch(
            "select action from audit_entry where target_id = $1 order by created_at", str(req["id"]))]
    assert len(pauses) == 1 and pauses[0]["ended_by"] == "staff" and pauses[0]["ended_at"] is not None
    assert actions.count("request.clock_paused") == 1 and actions.count("request.clock_resumed") == 1


# --- the applicant completes from /track -----------------------------------------------------------


def _track(server: Any, tenant: Any, reference: str) -> Any:
    client = server.client(tenant.slug)
    client.get("/track")
    client.post("/track", {"reference": reference})
    return client


async def _code(tenant: Any, reference: str) -> str:
    rows = [r for r in await outbox_rows(tenant.id, "request.tracking_code") if reference in r["body_text"]]
    return re.search(r"\b(\d{6})\b", rows[-1]["body_text"]).group(1)


async def _tracked(server: Any, tenant: Any, reference: str) -> Any:
    client = _track(server, tenant, reference)
    assert client.post("/track/code", {"reference": reference, "code": await _code(tenant, reference)}
                       ).status_code == 303
    return client


async def test_the_applicant_completes_from_the_tracking_page(server, make_tenant, make_staff, publish_policy):
    from sila.tenants.requests import services as rs

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS)
    officer = await make_staff(tenant, "relations_officer")
    req = await _request(tenant, officer)
    await rs.act(tenant, req["id"], "mark_incomplete", _actor(officer, "relations_officer"),
                 {"missing": "صك الإعالة\nتعريف بالراتب", "note": "الصك مصدقًا من المحكمة"})
    # A wrong code opens nothing, and the completion route refuses a browser that proved nothing.
    stranger = _track(server, tenant, req["reference"])
    assert stranger.post("/track/code", {"reference": req["reference"], "code": "000000"}).status_code == 400
    refused = stranger.post("/track/complete", {"reply": "x"}, files={"documents": PDF})
    assert refused.status_code in (302, 303) and refused.headers["location"].endswith("/track")
    client = await _tracked(server, tenant, req["reference"])
    page = client.get("/track/status")
    assert "صك الإعالة" in page.text and "الصك مصدقًا من المحكمة" in page.text
    assert 'action="/track/complete"' in page.text and "متوقف" in page.text  # the clock is paused
    # A hostile file (an executable named .pdf) and control characters: refused, the reply kept.
    bad = client.post("/track/complete", {"reply": "أرفقت الصك"},
                      files={"documents": ("صك.pdf", b"MZ\x90\x00\x03" + b"\x00" * 64, "application/pdf")})
    assert bad.status_code == 400 and "ليس بصيغة PDF" in bad.text and "أرفقت الصك</textarea>" in bad.text
    nul = client.post("/track/complete", {"reply": "نص\x00خبيث"}, files={"documents": PDF})
    assert nul.status_code == 400 and (await _row(tenant, req["id"]))["stage"] == "incomplete"
    empty = client.post("/track/complete", {"reply": " "}, files={})
    assert empty.status_code == 400 and "أرفق المستندات الناقصة" in empty.text
    # The real thing: the document kept with the request, the clock runs again, staff told, audited.
    ok = client.post("/track/complete", {"reply": "أرفقت الصك، والتعريف غدًا"}, files={"documents": PDF})
    assert ok.status_code == 303 and ok.headers["location"].endswith("/track/status?done=completed")
    done = client.get("/track/status?done=completed")
    assert "استلمنا ما أرسلته" in done.text and 'action="/track/complete"' not in done.text
    after = await _row(tenant, req["id"])
    assert after["stage"] == "verify"
    async with tenant_scope(tenant.id) as tx:
        pause = await tx.connection.fetchrow("select * from request_pause where request = $1", req["id"])
        docs = await tx.connection.fetch("select filename, uploaded_by from request_document where request = $1",
                                         req["id"])
        audited = await tx.connection.fetchval(
            "select count(*) from audit_entry where target_id = $1 and action = 'request.completed_by_applicant'",
            str(req["id"]))
    assert pause["ended_by"] == "applicant" and pause["reply"] == "أرفقت الصك، والتعريف غدًا"
    assert [d["uploaded_by"] for d in docs] == [None] and audited == 1
    # Intake gave the request to the officer who recorded it: they are the one told.
    told = await outbox_rows(tenant.id, "staff.completed")
    assert [m["recipient"] for m in told] == [officer.email]
    assert await outbox_rows(tenant.id, "request.completed")
    # Sent again (a second tab): nothing is waiting any more.
    again = client.post("/track/complete", {"reply": "مرة أخرى"}, files={"documents": PDF})
    assert again.status_code == 409
    # The officer's page shows the pause in its history.
    from support.clients import sign_in

    detail = sign_in(server, officer).get(f"/portal/requests/{req['id']}")
    assert "بانتظار المتقدم" in detail.text and "أرفقت الصك، والتعريف غدًا" in detail.text
    assert 'class="due-why"' in detail.text


async def test_without_online_completion_the_applicant_is_told_which_channel(server, make_tenant, make_staff,
                                                                            publish_policy):
    from sila.tenants.requests import services as rs

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS, online_completion=False)
    officer = await make_staff(tenant, "relations_officer")
    req = await _request(tenant, officer)
    await rs.act(tenant, req["id"], "mark_incomplete", _actor(officer, "relations_officer"), {"missing": "الصك"})
    client = await _tracked(server, tenant, req["reference"])
    page = client.get("/track/status")
    assert 'action="/track/complete"' not in page.text and "المقابلة" in page.text  # a staff channel named
    assert client.post("/track/complete", {"reply": "x"}, files={"documents": PDF}).status_code == 403
    assert (await _row(tenant, req["id"]))["stage"] == "incomplete"


# --- the appeal -------------------------------------------------------------------------------------


async def _declined(tenant: Any, officer: Any, member: Any, reason: str = "الدخل أعلى من الحد") -> dict[str, Any]:
    from sila.tenants.requests import services as rs

    req = await _request(tenant, officer)
    await rs.act(tenant, req["id"], "verify", _actor(officer, "relations_officer"),
                 {f"check_{k}": "on" for k in rs.CHECKLIST})
    await _decide(tenant, officer, member, req["id"], "reject", reason)
    return await _row(tenant, req["id"])


async def _decide(tenant: Any, officer: Any, member: Any, rid: Any, decision: str, reason: str) -> Any:
    from sila.tenants.committee import services as committee

    chair = _actor(member, "committee_member")
    sid = await committee.create_session(tenant, dt.datetime.now(dt.UTC), "المقر", chair)
    await committee.add_to_agenda(tenant, sid, [rid], _actor(officer, "relations_officer"))
    [item] = (await committee.session_detail(tenant.id, sid)).items
    # The rule decides (committee/rule.py): the member's vote, then their confirmation.
    await committee.cast_vote(tenant, sid, item.id, decision, reason, chair)
    await committee.decide(tenant, sid, item.id, decision, reason, chair)
    return sid


async def test_an_appeal_once_before_the_committee_with_both_decisions_kept(server, make_tenant, make_staff,
                                                                           publish_policy):
    from support.clients import sign_in

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS, appeal_days=15)
    officer = await make_staff(tenant, "relations_officer")
    member = await make_staff(tenant, "committee_member")
    req = await _declined(tenant, officer, member)
    assert req["stage"] == "rejected"
    client = await _tracked(server, tenant, req["reference"])
    page = client.get("/track/status")
    assert 'action="/track/appeal"' in page.text and "الدخل أعلى من الحد" in page.text
    # No reason: refused beside the field; a NUL: refused, nothing changed.
    assert client.post("/track/appeal", {"reason": "  "}).status_code == 400
    assert client.post("/track/appeal", {"reason": "سبب\x00"}).status_code == 400
    assert (await _row(tenant, req["id"]))["stage"] == "rejected"
    sent = client.post("/track/appeal", {"reason": "توفي العائل وتغيّر دخل الأسرة"})
    assert sent.status_code == 303 and sent.headers["location"].endswith("done=appealed")
    after = await _row(tenant, req["id"])
    assert after["stage"] == "committee" and after["decision"] is None and after["appealed_at"] is not None
    # A fresh window from the appeal, the date in force.
    assert after["due_at"] == after["base_due_at"] == workdays.due_at(after["appealed_at"], 14, "calendar")
    assert await outbox_rows(tenant.id, "request.appeal_received")
    status = client.get("/track/status")
    assert "لجنة البحث" in status.text and "توفي العائل" in status.text and 'action="/track/appeal"' not in status.text
    # Twice: refused by the server (the page no longer offers it).
    assert client.post("/track/appeal", {"reason": "مرة ثانية"}).status_code == 409
    # The committee sees it as an appeal, with the decision appealed.
    sid = await _decide(tenant, officer, member, req["id"], "reject", "لم يثبت تغيّر الدخل")
    committee_page = sign_in(server, member).get(f"/portal/committee/{sid}")
    assert committee_page.status_code == 200 and "تظلم من قرار" in committee_page.text
    assert "الدخل أعلى من الحد" in committee_page.text and "توفي العائل" in committee_page.text
    final = await _row(tenant, req["id"])
    assert final["stage"] == "rejected" and final["decision_reason"] == "لم يثبت تغيّر الدخل"
    [told] = await outbox_rows(tenant.id, "request.appeal_rejected")
    assert "لم يثبت تغيّر الدخل" in told["body_text"]
    async with tenant_scope(tenant.id) as tx:
        appeal = await tx.connection.fetchrow("select * from request_appeal where request = $1", req["id"])
        rejects = await tx.connection.fetchval(
            "select count(*) from audit_entry where target_id = $1 and action = 'request.reject'", str(req["id"]))
    assert (appeal["original_reason"], appeal["decision"], appeal["decision_reason"]) == (
        "الدخل أعلى من الحد", "rejected", "لم يثبت تغيّر الدخل")
    assert rejects == 2  # both decisions in the history
    # Declined again after the appeal: a second appeal is refused, the page says why.
    assert client.post("/track/appeal", {"reason": "مرة ثالثة"}).status_code == 409
    assert "مرة واحدة" in client.get("/track/status").text
    detail = sign_in(server, officer).get(f"/portal/requests/{req['id']}")
    assert "تظلم من قرار" in detail.text and "تظلم المتقدم من القرار" in detail.text


async def test_an_appeal_accepted_tells_the_applicant(make_tenant, make_staff, publish_policy):
    from sila.tenants.requests.services import applicant

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS)
    officer = await make_staff(tenant, "relations_officer")
    member = await make_staff(tenant, "committee_member")
    req = await _declined(tenant, officer, member)
    await applicant.appeal(tenant, req["reference"], "أرفقت ما يثبت", "127.0.0.1")
    await _decide(tenant, officer, member, req["id"], "accept", "")
    assert (await _row(tenant, req["id"]))["decision"] == "accepted"
    assert await outbox_rows(tenant.id, "request.appeal_accepted")
    assert not await outbox_rows(tenant.id, "request.accepted")  # told once, as the appeal's outcome


async def test_a_late_appeal_and_a_policy_without_appeals_are_refused(server, make_tenant, make_staff,
                                                                     publish_policy):
    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS, appeal_days=15)
    officer = await make_staff(tenant, "relations_officer")
    member = await make_staff(tenant, "committee_member")
    req = await _declined(tenant, officer, member)
    async with tenant_scope(tenant.id) as tx:  # decided 16 days ago: the 15 days have passed
        await tx.connection.execute(
            "update support_request set decided_at = now() - interval '16 days' where id = $1", req["id"])
    client = await _tracked(server, tenant, req["reference"])
    page = client.get("/track/status")
    assert 'action="/track/appeal"' not in page.text and "انتهت مدة التظلم" in page.text
    assert client.post("/track/appeal", {"reason": "متأخر"}).status_code == 409
    assert (await _row(tenant, req["id"]))["stage"] == "rejected"

    none = await make_tenant()
    await publish_policy(none, "mafatih", channels=CHANNELS, steps=STEPS, appeal_days=0)
    officer2 = await make_staff(none, "relations_officer")
    member2 = await make_staff(none, "committee_member")
    req2 = await _declined(none, officer2, member2)
    client2 = await _tracked(server, none, req2["reference"])
    assert "لا تتيح سياسة" in client2.get("/track/status").text
    assert client2.post("/track/appeal", {"reason": "x"}).status_code == 409


@pytest.mark.parametrize("value, ok", [("0", True), ("90", True), ("91", False), ("-1", False), ("١٥", True)])
def test_the_appeal_period_is_validated(value, ok):
    from sila.tenants.policy import forms, rules

    draft = rules.PolicyDraft()
    parsed = forms.parse_window_rules({"review_window_basis": "calendar", "appeal_days": value}, draft)
    assert parsed.ok is ok
    if ok:
        assert draft.appeal_days == int(value.replace("١٥", "15"))


async def test_reminders_leave_a_paused_request_alone_and_watch_its_shifted_date(make_tenant, make_staff,
                                                                                 publish_policy):
    from sila.tenants.notifications import reminders
    from sila.tenants.requests import services as rs

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS)
    officer = await make_staff(tenant, "relations_officer")
    await make_staff(tenant, "admin")
    req = await _request(tenant, officer)
    await rs.act(tenant, req["id"], "mark_incomplete", _actor(officer, "relations_officer"), {"missing": "الصك"})
    async with tenant_scope(tenant.id) as tx:  # promised for three days ago, waiting since yesterday
        await tx.connection.execute(
            """update support_request set base_due_at = now() - interval '3 days', due_at = now() - interval '3 days'
               where id = $1""", req["id"])
        await tx.connection.execute(
            "update request_pause set started_at = now() - interval '1 day' where request = $1", req["id"])
    row = {"id": tenant.id, "slug": tenant.slug}
    await reminders.scan(row)
    assert await outbox_rows(tenant.id, "reminder.overdue") == []  # a stopped clock is not late
    await rs.act(tenant, req["id"], "verify", _actor(officer, "relations_officer"),
                 {f"check_{k}": "on" for k in rs.CHECKLIST})
    after = await _row(tenant, req["id"])
    assert after["paused_days"] == 1 and after["due_at"] == clock.shifted(after["base_due_at"], 1, "calendar")
    await reminders.scan(row)
    await reminders.scan(row)
    assert len(await outbox_rows(tenant.id, "reminder.overdue")) == 1  # late by the shifted date, told once


async def test_a_completion_refused_for_one_bad_file_keeps_the_valid_ones(server, make_tenant, make_staff,
                                                                         publish_policy):
    """As /apply does (routes/stash.py): the valid files of a refused attempt are kept, ticked, for
    the next one; unticked, one is left out; another browser's token finds nothing."""
    from sila.tenants.requests import services as rs

    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih", channels=CHANNELS, steps=STEPS)
    officer = await make_staff(tenant, "relations_officer")
    req = await _request(tenant, officer)
    await rs.act(tenant, req["id"], "mark_incomplete", _actor(officer, "relations_officer"), {"missing": "الصك"})
    client = await _tracked(server, tenant, req["reference"])
    token = re.search(r'name="submit_token" value="([^"]+)"', client.get("/track/status").text).group(1)
    second = ("تعريف.pdf", b"%PDF-1.4\n% the salary letter\n", "application/pdf")
    bad = client.post("/track/complete", {"reply": "أرفقت الصك", "submit_token": token},
                      files=[("documents", PDF), ("documents", second),
                             ("documents", ("صورة.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf"))])
    assert bad.status_code == 400 and "ليس بصيغة PDF" in bad.text and "أرفقت الصك</textarea>" in bad.text
    assert f'name="submit_token" value="{token}"' in bad.text
    assert "نقص.pdf" in bad.text and "تعريف.pdf" in bad.text and 'name="keep" value="1" checked' in bad.text
    assert "صورة.pdf" not in bad.text.split('id="kept-hint"')[1].split("</div>")[0]  # the bad one is not kept
    # Another browser with the same token (it cannot know it, but even so) finds nothing kept.
    other = await _tracked(server, tenant, req["reference"])
    assert "نقص.pdf" not in other.get("/track/status").text
    # The next attempt: the first kept file ticked, the second unticked, nothing chosen again.
    ok = client.post("/track/complete", {"reply": "أرفقت الصك", "submit_token": token, "keep": "0"}, files={})
    assert ok.status_code == 303, ok.text[-1500:]
    async with tenant_scope(tenant.id) as tx:
        docs = await tx.connection.fetch("select filename from request_document where request = $1", req["id"])
    assert [d["filename"] for d in docs] == ["نقص.pdf"]
    assert (await _row(tenant, req["id"]))["stage"] == "verify"
