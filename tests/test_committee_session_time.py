"""A committee session's time (issue 14, "within its time"): a session is opened for a time whose
day has not ended and at most 30 days ahead; before it begins its agenda can be prepared but no
attendance, vote or decision is taken (the page offers none, the server refuses them, 409, nothing
changed); once its day is over it can only be closed, and what it did not decide is carried over
to the next session, which the waiting list says. An appeal can be heard in the very session that
took the decision it appeals; a request that session deferred cannot come back to it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sila.tenants.requests.services import applicant
from support.clients import sign_in
from support.data import session_time
from support.db import row, scalar, stage_of
from support.intake import at_committee


async def committee_counts(tenant_id: Any) -> tuple[Any, ...]:
    r = await row(tenant_id, """select (select count(*) from committee_vote) as votes,
        (select count(*) from committee_attendance) as attendance,
        (select count(*) from committee_item) as items,
        (select count(*) from committee_item where decision is not null) as decided,
        (select count(*) from committee_session) as sessions,
        (select count(*) from committee_session where status = 'closed') as closed,
        (select string_agg(stage, ',' order by id) from support_request) as stages""")
    return tuple(r.values())


async def charity(server: Any, make_tenant: Any, make_staff: Any, publish_policy: Any, **policy: Any) -> Any:
    tenant = await make_tenant(name_ar="جمعية الوقت")
    await publish_policy(tenant, "mafatih", channels=["website", "phone"], **policy)
    officer = await make_staff(tenant, "relations_officer", name="نورة الموظفة")
    member = await make_staff(tenant, "committee_member", name="د. هند العضوة")  # the fallback rule: one member
    admin = await make_staff(tenant, "admin", name="مدير الجمعية")
    return tenant, sign_in(server, officer), sign_in(server, member), sign_in(server, admin), member


async def test_a_session_counts_from_its_start_to_the_end_of_its_day(server, make_tenant, make_staff, publish_policy):
    tenant, officer, member, admin, member_row = await charity(server, make_tenant, make_staff, publish_policy)
    member.get("/portal/committee")
    page = member.get("/portal/committee")
    assert "اليوم أو خلال ٣٠ يومًا قادمة" in page.text  # the form says which dates it takes

    # Not for a day that is over, nor more than 30 days ahead: the form again, in Arabic, typed kept.
    for held_at, message in [(session_time(-dt.timedelta(days=2)), "مضى هذا التاريخ"),
                             (session_time(dt.timedelta(days=31)), "لا يتجاوز ٣٠ يومًا")]:
        response = member.post("/portal/committee", {"held_at": held_at, "location": "مقر الجمعية"})
        assert response.status_code == 400 and message in response.text, response.text[-800:]
        assert f'value="{held_at}"' in response.text and 'value="مقر الجمعية"' in response.text
    assert await scalar(tenant.id, "select count(*) from committee_session") == 0

    # Three hours from now: its agenda is prepared, nothing else is taken before it begins.
    rid = await at_committee(server, tenant, officer, "مراجعة مبكرة")
    later = member.post("/portal/committee", {"held_at": session_time(dt.timedelta(hours=3))}).headers["location"]
    assert officer.post(f"{later}/agenda", {"requests": str(rid)}).status_code == 303
    item = await scalar(tenant.id, "select id from committee_item where request = $1", rid)
    page = member.get(later)
    assert "تبدأ الجلسة في" in page.text and "ويمكن إعداد جدول أعمالها الآن" in page.text
    for form in ("attendance", f"items/{item}/vote", f"items/{item}/decide", f"items/{item}/conflict"):
        assert f'action="{later}/{form}"' not in page.text, form
    before = await committee_counts(tenant.id)
    for path, data in [(f"items/{item}/vote", {"vote": "accept"}), (f"items/{item}/conflict", {}),
                       (f"items/{item}/decide", {"decision": "defer"}),
                       ("attendance", {"present": [str(member_row.id)]})]:
        response = member.post(f"{later}/{path}", data)
        assert response.status_code == 409 and "تبدأ الجلسة في" in response.text, (path, response.status_code)
    assert await committee_counts(tenant.id) == before

    # Its day is over (moved back two days, as if it had not been closed then): only closing is left.
    await scalar(tenant.id, "update committee_session set held_at = held_at - interval '2 days' where id = $1",
                 later.rsplit("/", 1)[1])
    page = member.get(later)
    assert "انتهى وقت هذه الجلسة في" in page.text
    assert f'action="{later}/items/{item}/vote"' not in page.text and f'action="{later}/close"' in page.text
    rid2 = await at_committee(server, tenant, officer, "مراجعة متأخرة")
    assert f'value="{rid2}"' not in page.text  # no agenda form after its time
    before = await committee_counts(tenant.id)
    for path, data in [(f"items/{item}/vote", {"vote": "accept"}), (f"items/{item}/decide", {"decision": "defer"}),
                       ("attendance", {"present": [str(member_row.id)]}), ("agenda", {"requests": str(rid2)})]:
        response = member.post(f"{later}/{path}", data)
        assert response.status_code == 409 and "انتهى وقت هذه الجلسة" in response.text, (path, response.status_code)
    assert await committee_counts(tenant.id) == before
    # Closed with its request undecided: carried over, and the waiting list says from where.
    assert member.post(f"{later}/close").status_code == 303
    carried = await row(tenant.id, "select decision, decided_by from committee_item where id = $1", item)
    assert carried == {"decision": "deferred", "decided_by": None} and await stage_of(tenant.id, rid) == "committee"
    listing = member.get("/portal/committee")
    assert "مُرحَّل من الجلسة ١" in listing.text and "يُعرض على اللجنة أول مرة" in listing.text
    assert "لم يُقرَّر في وقت الجلسة" in member.get(later).text
    assert member.get(f"{later}/minutes.pdf").status_code == 200

    # Today's session, begun a minute ago: it takes the carried-over request first, and decides.
    now = member.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    page = member.get(now)
    assert "الجلسة منعقدة" in page.text
    item = await scalar(tenant.id, "select id from committee_item where request = $1 and decision is null", rid)
    assert f'action="{now}/items/{item}/vote"' in page.text
    assert member.post(f"{now}/items/{item}/vote", {"vote": "accept"}).status_code == 303
    assert member.post(f"{now}/items/{item}/decide", {"decision": "accept"}).status_code == 303
    assert await stage_of(tenant.id, rid) == "register"


async def test_an_appeal_is_heard_in_the_session_that_declined_and_a_deferral_goes_to_a_later_one(
        server, make_tenant, make_staff, publish_policy):
    tenant, officer, member, admin, _ = await charity(server, make_tenant, make_staff, publish_policy, appeal_days=15)
    declined = await at_committee(server, tenant, officer, "مراجعة مرفوضة")
    deferred = await at_committee(server, tenant, officer, "مراجعة مؤجلة")
    member.get("/portal/committee")
    session = member.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    assert officer.post(f"{session}/agenda", {"requests": [str(declined), str(deferred)]}).status_code == 303
    first = await scalar(tenant.id, "select id from committee_item where request = $1", declined)
    other = await scalar(tenant.id, "select id from committee_item where request = $1", deferred)
    assert member.post(f"{session}/items/{first}/vote", {"vote": "reject"}).status_code == 303
    assert member.post(f"{session}/items/{first}/decide", {"decision": "reject", "reason": "الدخل أعلى من الحد"}
                       ).status_code == 303
    assert member.post(f"{session}/items/{other}/decide", {"decision": "defer", "reason": "لاستكمال الزيارة"}
                       ).status_code == 303

    # The applicant appeals the same day; the appeal goes on the same session's agenda.
    reference = await scalar(tenant.id, "select reference from support_request where id = $1", declined)
    await applicant.appeal(tenant, reference, "تغيّر دخل الأسرة", "127.0.0.1")
    assert await stage_of(tenant.id, declined) == "committee"
    page = member.get(session)
    assert f'value="{declined}"' in page.text  # its appeal is offered to this very session
    assert f'value="{deferred}"' not in page.text  # this session deferred it: not offered here
    assert officer.post(f"{session}/agenda", {"requests": str(declined)}).status_code == 303
    kinds = await scalar(tenant.id, "select string_agg(kind, ',' order by position) from committee_item "
                                    "where request = $1", declined)
    assert kinds == "request,appeal"
    # ...and what the page does not offer, the server refuses: the deferred request, here again.
    before = await scalar(tenant.id, "select count(*) from committee_item")
    response = officer.post(f"{session}/agenda", {"requests": str(deferred)})
    assert response.status_code == 400 and "أجّلت هذه الجلسة الطلب" in response.text
    assert await scalar(tenant.id, "select count(*) from committee_item") == before

    # The listing says why each waits: the deferral with its session and reason.
    listing = member.get("/portal/committee")
    assert "أجّلته الجلسة ١" in listing.text and "لاستكمال الزيارة" in listing.text

    appeal_item = await scalar(tenant.id, "select id from committee_item where request = $1 and kind = 'appeal'",
                               declined)
    page = member.get(session)
    assert page.text.count("appeal-note") == 1  # the appeal note on the appeal's item, not on the decision appealed
    assert member.post(f"{session}/items/{appeal_item}/vote", {"vote": "accept"}).status_code == 303
    assert member.post(f"{session}/items/{appeal_item}/decide", {"decision": "accept"}).status_code == 303
    assert await stage_of(tenant.id, declined) == "register"
    assert (await row(tenant.id, "select decision from request_appeal where request = $1", declined)) == {
        "decision": "accepted"}
    assert member.post(f"{session}/close").status_code == 303


async def test_waiting_list_says_an_appeal_and_the_decision_it_appeals(server, make_tenant, make_staff,
                                                                       publish_policy):
    tenant, officer, member, admin, member_row = await charity(server, make_tenant, make_staff, publish_policy,
                                                               appeal_days=15)
    rid = await at_committee(server, tenant, officer, "مراجعة متظلمة")
    member.get("/portal/committee")
    session = member.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    assert officer.post(f"{session}/agenda", {"requests": str(rid)}).status_code == 303
    item = await scalar(tenant.id, "select id from committee_item where request = $1", rid)
    assert member.post(f"{session}/items/{item}/vote", {"vote": "reject"}).status_code == 303
    assert member.post(f"{session}/items/{item}/decide", {"decision": "reject", "reason": "خارج نطاق الدعم"}
                       ).status_code == 303
    assert member.post(f"{session}/close").status_code == 303
    reference = await scalar(tenant.id, "select reference from support_request where id = $1", rid)
    await applicant.appeal(tenant, reference, "أرفقت ما يثبت الحاجة", "127.0.0.1")
    listing = member.get("/portal/committee")
    for words in ("تظلّم من قرار", "رُفض في", "خارج نطاق الدعم", "موعد القرار"):
        assert words in listing.text, words
    member.get("/lang/en?next=/portal/committee")
    listing = member.get("/portal/committee")
    for words in ("Appeal of a decision", "Declined on", "خارج نطاق الدعم", "Why it is waiting"):
        assert words in listing.text, words


async def test_the_default_rule_is_said_where_it_applies(server, make_tenant, make_staff, publish_policy):
    """A version published with no committee rule: its sessions get the default rule, and the session
    page, the version page and the admin's policy page say so (the admin is shown where to set one)."""
    tenant, officer, member, admin, _ = await charity(server, make_tenant, make_staff, publish_policy)
    member.get("/portal/committee")
    session = member.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    said = "لم تُحدَّد في السياسة قاعدة للجنة، فتُطبَّق القاعدة الافتراضية"
    page = member.get(session)
    assert said in page.text and 'href="/portal/policy/committee"' not in page.text  # a member is not sent there
    page = admin.get(session)
    assert said in page.text and 'href="/portal/policy/committee">حدّد قاعدة اللجنة' in page.text
    overview = admin.get("/portal/policy")
    assert "لا يحدّد الإصدار ١ قاعدة للجنة البحث" in overview.text
    version = await scalar(tenant.id, "select id from policy_version order by number desc limit 1")
    page = admin.get(f"/portal/policy/versions/{version}")
    assert said in page.text
    admin.get("/lang/en?next=/portal/policy")
    assert "sets up no rule for the research committee" in admin.get("/portal/policy").text
    assert "the default rule applies" in admin.get(session).text


async def test_a_session_is_opened_for_a_hijri_day_and_time(server, make_tenant, make_staff, publish_policy):
    """The date box takes the day in either calendar, in either digit set, as every day box does
    (the native date-time picker it replaced was Gregorian only, in the browser's locale)."""
    from sila.platform import dates

    tenant, _, member, _, _ = await charity(server, make_tenant, make_staff, publish_policy)
    page = member.get("/portal/committee")
    assert 'id="held_at"' in page.text and 'type="datetime-local"' not in page.text
    when = dates.to_riyadh(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    hijri = dates.to_hijri(when.date())
    typed = dates.arabic_digits(f"{hijri.year}/{hijri.month:02d}/{hijri.day:02d} {when:%H:%M}")
    response = member.post("/portal/committee", {"held_at": typed, "location": "مقر الجمعية"})
    assert response.status_code == 303, response.text[-800:]
    held = await scalar(tenant.id, "select held_at from committee_session")
    assert held == when.astimezone(dt.UTC)
    # Not a day and a time: the form again, what was typed kept.
    response = member.post("/portal/committee", {"held_at": "١٤٤٨/١٣/٠١ ١٠:٠٠"})
    assert response.status_code == 400 and 'value="١٤٤٨/١٣/٠١ ١٠:٠٠"' in response.text
