"""Issue 17: the indicators against hand-counted fixtures (built through the services, then moved in
time the way the clock would have moved them), the period's edges in Riyadh time and in a Hijri
month, exports read back with openpyxl, the audit browser, roles and tenant isolation."""
from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
from typing import Any

import openpyxl
import pytest

from sila.platform.dates import RIYADH
from sila.platform.db import tenant_scope
from sila.platform.spreadsheet import escape_cell, xlsx_bytes
from sila.tenants.feedback import services as feedback
from sila.tenants.reports import queries
from sila.tenants.reports.period import Period
from sila.tenants.requests import services as rs
from support.clients import sign_in
from support.servers import run_async
from support.data import SERVICE_STEPS, audit_rows, valid_id
from support.intake import CHANNELS
from support.people import move, officer_of, recorded, served

OCTOBER = Period("gregorian", (2026, 10), (2026, 10))


def riyadh(y: int, m: int, d: int, h: int = 12, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=RIYADH)


@pytest.fixture
async def charity(app_db, make_tenant, make_staff, publish_policy):
    return await make_charity(make_tenant, make_staff, publish_policy)


async def make_charity(make_tenant: Any, make_staff: Any, publish_policy: Any) -> Any:
    tenant = await make_tenant(name_ar="جمعية المؤشرات")
    # No committee step, so no window in the policy: each request gets its due date by `move` below.
    await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, channels=CHANNELS, window=None)
    staff = {role: await make_staff(tenant, role) for role in ("relations_officer", "admin", "board_member")}
    return tenant, staff


@pytest.fixture
async def october(charity):
    return await build_october(charity)


async def build_october(charity: Any) -> Any:
    """Six requests around October 2026 (Riyadh time), hand-counted in the test below."""
    tenant, staff = charity
    o = staff["relations_officer"]
    now = dt.datetime.now(dt.UTC)
    r = {}
    # r1: received 30 Sep 23:30 Riyadh (20:30 UTC): before the period; decided 5 Oct, inside half the window.
    r["r1"] = await recorded(tenant, o, "interview", "family")
    await served(tenant, o, r["r1"])
    await move(tenant, r["r1"], submitted_at=riyadh(2026, 9, 30, 23, 30), due_at=riyadh(2026, 10, 14, 23, 30),
               decided_at=riyadh(2026, 10, 5))
    # r2: received 1 Oct 00:10 Riyadh (30 Sep in UTC): inside; decided 20 Oct, 5 days after its due date.
    r["r2"] = await recorded(tenant, o, "phone", "student")
    await served(tenant, o, r["r2"])
    await move(tenant, r["r2"], submitted_at=riyadh(2026, 10, 1, 0, 10), due_at=riyadh(2026, 10, 15, 0, 10),
               decided_at=riyadh(2026, 10, 20))
    # r3: received 31 Oct 23:50 Riyadh: inside; not decided, overdue by ten days now.
    r["r3"] = await recorded(tenant, o, "phone", "family")
    await move(tenant, r["r3"], submitted_at=riyadh(2026, 10, 31, 23, 50), due_at=now - dt.timedelta(days=9, hours=12))
    # r4: received 1 Nov 00:05 Riyadh (still 31 Oct in UTC): after the period; waiting for missing papers.
    r["r4"] = await recorded(tenant, o, "interview", "family")
    await rs.act(tenant, r["r4"], "mark_incomplete", officer_of(o), {"missing": "صورة الهوية"})
    await move(tenant, r["r4"], submitted_at=riyadh(2026, 11, 1, 0, 5), due_at=now + dt.timedelta(days=5))
    # r5: received 10 Oct; decided 12 Oct, under no review window.
    r["r5"] = await recorded(tenant, o, "interview", "widow")
    await served(tenant, o, r["r5"])
    await move(tenant, r["r5"], submitted_at=riyadh(2026, 10, 10), due_at=None, decided_at=riyadh(2026, 10, 12))
    # r6: received 15 Oct by letter; decided 3 Nov: after the period.
    r["r6"] = await recorded(tenant, o, "letters", "family")
    await served(tenant, o, r["r6"])
    await move(tenant, r["r6"], submitted_at=riyadh(2026, 10, 15), due_at=riyadh(2026, 10, 29),
               decided_at=riyadh(2026, 11, 3))
    return tenant, staff, r


async def test_request_indicators_match_the_hand_count_at_riyadh_month_edges(october):
    tenant, _, r = october
    d = await queries.dashboard(tenant.id, OCTOBER)
    assert d.received == 4  # r2, r3, r5, r6: r1 and r4 fall outside by Riyadh's clock, not UTC's
    assert {g.key: g.count for g in d.by_channel} == {"phone": 2, "interview": 1, "letters": 1}
    assert {g.key: g.count for g in d.by_category} == {"family": 2, "student": 1, "widow": 1}
    assert sum(g.count for g in d.by_stage) == 4
    assert [m.count for m in d.received_by_month] == [4]
    # Decided in October: r1 (received in September), r2, r5; r6 was decided in November.
    dec = d.decisions
    assert (dec.decided, dec.with_window, dec.within, dec.within_percent) == (3, 2, 1, 50.0)
    assert {g.key: g.count for g in dec.buckets} == {"half": 1, "window": 0, "week_late": 1, "late": 0, "none": 1}
    assert dec.median_days == 5.0  # 5 (r1), 19 (r2), 2 (r5) Riyadh days
    assert (d.overdue.count, d.overdue.oldest_days) == (1, 10)
    assert {g.key: g.count for g in d.overdue.buckets}["8_30"] == 1
    assert d.incomplete.count == 1  # r4: a state now, whatever the period
    assert d.services.delivered == 0  # the four services were delivered today, not in October
    today = dt.datetime.now(RIYADH).date()
    now = await queries.dashboard(tenant.id, Period("gregorian", (today.year, today.month), (today.year, today.month)))
    assert (now.services.delivered, now.services.beneficiaries, now.services.by_type[0].count) == (4, 4, 4)
    # The list behind each number has exactly that many rows, and they are the ones counted.
    received = await queries.request_rows(tenant.id, OCTOBER, "received")
    assert {x.id for x in received} == {r["r2"], r["r3"], r["r5"], r["r6"]}
    assert [x.id for x in await queries.request_rows(tenant.id, OCTOBER, "channel", "phone")] == [r["r2"], r["r3"]]
    assert [x.id for x in await queries.request_rows(tenant.id, OCTOBER, "decision", "week_late")] == [r["r2"]]
    assert {x.id for x in await queries.request_rows(tenant.id, OCTOBER, "decided")} == {r["r1"], r["r2"], r["r5"]}
    assert [x.id for x in await queries.request_rows(tenant.id, OCTOBER, "overdue")] == [r["r3"]]
    assert [x.id for x in await queries.request_rows(tenant.id, OCTOBER, "incomplete")] == [r["r4"]]
    # September and November see the requests that spill over the edges.
    sept = await queries.dashboard(tenant.id, Period("gregorian", (2026, 9), (2026, 9)))
    assert (sept.received, sept.decisions.decided) == (1, 0)
    autumn = await queries.dashboard(tenant.id, Period("gregorian", (2026, 9), (2026, 11)))
    assert autumn.received == 6 and [m.count for m in autumn.received_by_month] == [1, 4, 1]
    assert autumn.decisions.decided == 4


async def test_an_even_median_an_empty_period_and_the_one_pass_agree_with_the_lists(october):
    """The request figures come from one pass over the requests (perf): the median of an even number
    of decisions is the middle two's mean, a period with no requests shows zeros (not blanks), and
    every group's count is the length of the list behind it."""
    tenant, _, r = october
    autumn = await queries.dashboard(tenant.id, Period("gregorian", (2026, 9), (2026, 11)))
    # Decided Sep-Nov: r5 2, r1 5, r2 19, r6 19 Riyadh days: the middle two are 5 and 19.
    assert autumn.decisions.median_days == 12.0
    assert [(g.key, g.count) for g in autumn.by_channel][0] == ("interview", 3)  # r1, r4, r5; largest first
    for facet, groups in (("channel", autumn.by_channel), ("category", autumn.by_category),
                          ("stage", autumn.by_stage), ("decision", autumn.decisions.buckets)):
        for g in groups:
            assert len(await queries.request_rows(tenant.id, autumn.period, facet, g.key)) == g.count, (facet, g)
    empty = await queries.dashboard(tenant.id, Period("gregorian", (2020, 1), (2020, 2)))
    assert (empty.received, empty.by_channel, empty.by_category, empty.by_stage) == (0, [], [], [])
    assert [m.count for m in empty.received_by_month] == [0, 0]
    dec = empty.decisions
    assert (dec.decided, dec.with_window, dec.within, dec.median_days, dec.within_percent) == (0, 0, 0, None, None)
    assert {g.key: g.count for g in dec.buckets} == {"half": 0, "window": 0, "week_late": 0, "late": 0, "none": 0}
    # States now, whatever the period: r3 overdue, r4 waiting for papers.
    assert (empty.overdue.count, empty.incomplete.count) == (1, 1)


async def test_paused_clocks_and_appeals_count_against_the_date_in_force(charity):
    """Issue 17's edges, hand-counted: a request whose clock stopped while the charity waited for
    the applicant is judged against its date moved by the pause; an appealed request counts once,
    by its last decision against the appeal's fresh window; a request waiting for the applicant
    now is incomplete, never overdue, whatever its stored date says."""
    tenant, staff = charity
    o = staff["relations_officer"]
    now = dt.datetime.now(dt.UTC)
    # p1: due 15 Oct, paused 6 days while papers were missing: due 21 Oct; decided 19 Oct, within.
    p1 = await recorded(tenant, o, "phone", "family")
    await served(tenant, o, p1)
    await move(tenant, p1, submitted_at=riyadh(2026, 10, 1), base_due_at=riyadh(2026, 10, 15), paused_days=6,
               due_at=riyadh(2026, 10, 21), decided_at=riyadh(2026, 10, 19))
    # a1: declined 10 Oct, appealed 12 Oct with a fresh window to 26 Oct; accepted 20 Oct: within, once.
    a1 = await recorded(tenant, o, "phone", "family")
    await served(tenant, o, a1)
    await move(tenant, a1, submitted_at=riyadh(2026, 10, 2), base_due_at=riyadh(2026, 10, 16),
               appealed_at=riyadh(2026, 10, 12), due_at=riyadh(2026, 10, 26), decided_at=riyadh(2026, 10, 20))
    # l1: due 18 Oct, decided 25 Oct: a week late.
    l1 = await recorded(tenant, o, "interview", "family")
    await served(tenant, o, l1)
    await move(tenant, l1, submitted_at=riyadh(2026, 10, 4), due_at=riyadh(2026, 10, 18), decided_at=riyadh(2026, 10, 25))
    # i1: waiting for the applicant now (its clock stopped), its stored date three days ago.
    i1 = await recorded(tenant, o, "interview", "family")
    await rs.act(tenant, i1, "mark_incomplete", officer_of(o), {"missing": "صك الإعالة"})
    await move(tenant, i1, submitted_at=riyadh(2026, 10, 3), due_at=now - dt.timedelta(days=3))

    d = await queries.dashboard(tenant.id, OCTOBER)
    dec = d.decisions
    assert (dec.decided, dec.with_window, dec.within) == (3, 3, 2)  # p1 and a1 within; l1 late
    assert {g.key: g.count for g in dec.buckets if g.count} == {"window": 2, "week_late": 1}
    assert dec.median_days == 18.0  # 18 (p1), 18 (a1), 21 (l1) days as the applicant waited them
    assert d.overdue.count == 0 and d.incomplete.count == 1
    assert [x.id for x in await queries.request_rows(tenant.id, OCTOBER, "incomplete")] == [i1]
    assert {x.id for x in await queries.request_rows(tenant.id, OCTOBER, "decided")} == {p1, a1, l1}
    assert await queries.request_rows(tenant.id, OCTOBER, "overdue") == []


async def test_a_hijri_month_runs_from_riyadh_midnight_of_its_first_day(charity):
    tenant, staff = charity
    o = staff["relations_officer"]
    # Jumada al-Awwal 1448 is 12 Oct – 10 Nov 2026 (Umm al-Qura).
    period = Period("hijri", (1448, 5), (1448, 5))
    assert (period.first_day, period.last_day) == (dt.date(2026, 10, 12), dt.date(2026, 11, 10))
    inside_first = await recorded(tenant, o, "phone", "family")
    await move(tenant, inside_first, submitted_at=riyadh(2026, 10, 12, 0, 0))
    before = await recorded(tenant, o, "phone", "family")
    await move(tenant, before, submitted_at=riyadh(2026, 10, 11, 23, 59))
    inside_last = await recorded(tenant, o, "interview", "family")
    await move(tenant, inside_last, submitted_at=riyadh(2026, 11, 10, 23, 59))
    after = await recorded(tenant, o, "interview", "family")
    await move(tenant, after, submitted_at=riyadh(2026, 11, 11, 0, 0))
    d = await queries.dashboard(tenant.id, period)
    assert d.received == 2
    assert {x.id for x in await queries.request_rows(tenant.id, period, "received")} == {inside_first, inside_last}
    two = await queries.dashboard(tenant.id, Period("hijri", (1448, 4), (1448, 6)))
    assert [m.count for m in two.received_by_month] == [1, 2, 1]


async def test_feedback_satisfaction_and_messages_match_the_hand_count(charity):
    from sila.tenants.surveys import services as surveys
    from support.data import served_request

    tenant, staff = charity
    o = staff["relations_officer"]
    admin = rs.Actor(staff["admin"].id, "المدير", frozenset({"admin"}))
    # Two surveys sent today, one answered (ease 2 is a low score, so it opens a follow-up).
    await surveys.save_settings(tenant.id, {**surveys.DEFAULT_SETTINGS, "delay_days": 0}, admin)
    await served_request(tenant, o)
    await served_request(tenant, o)
    await surveys.scan(tenant)
    async with tenant_scope(tenant.id) as tx:
        invitations = await tx.connection.fetch("select id from survey_invitation order by created_at")
    assert len(invitations) == 2
    token = surveys.token_for(tenant.id, invitations[0]["id"])
    await surveys.submit_answers(tenant, token, {
        "satisfaction": {"type": "rating", "score": 5}, "ease": {"type": "rating", "score": 2},
        "respect": {"type": "rating", "score": 4}, "timeliness": {"type": "rating", "score": 3},
        "recommend": {"type": "nps", "score": 10}}, anonymous=False)
    # Feedback: two complaints (one answered after two days), one suggestion; the follow-up above.
    refs = []
    for kind in ("complaint", "complaint", "suggestion"):
        refs.append(await feedback.submit(tenant, feedback.FeedbackInput(
            kind=kind, body="الانتظار طويل", name="", mobile="", email="", contact_channel="sms", language="ar",
            token=valid_id() + kind + str(len(refs)) + "x" * 20)))
    async with tenant_scope(tenant.id) as tx:
        first = await tx.connection.fetchval("select id from feedback where reference = $1", refs[0])
    await feedback.answer(tenant, first, "نعتذر، سنختصر المدة", admin)
    async with tenant_scope(tenant.id) as tx:  # received in October; the first answered two days later
        await tx.connection.execute("update feedback set created_at = $1 where kind <> 'followup'",
                                    riyadh(2026, 10, 10, 9))
        await tx.connection.execute("update feedback set answered_at = $2 where id = $1", first,
                                    riyadh(2026, 10, 12, 9))
    today = dt.datetime.now(RIYADH).date()
    this_month = Period("gregorian", (today.year, today.month), (today.year, today.month))
    d = await queries.dashboard(tenant.id, this_month)
    s = d.satisfaction
    assert (s.responses, s.average, s.invited, s.invited_answered, s.response_rate) == (1, 3.5, 2, 1, 50.0)
    assert [(q.key, q.average) for q in s.lowest] == [("ease", 2.0), ("timeliness", 3.0), ("respect", 4.0)]
    assert s.lowest[0].text("ar") and s.trend[-1].responses == 1
    assert {k.kind: k.received for k in d.feedback.kinds} == {"complaint": 0, "suggestion": 0, "followup": 1}
    oct_ = await queries.dashboard(tenant.id, OCTOBER)
    kinds = {k.kind: k for k in oct_.feedback.kinds}
    assert (kinds["complaint"].received, kinds["complaint"].answered, kinds["complaint"].open_now) == (2, 1, 2)
    assert kinds["complaint"].average_days_to_answer == 2.0
    assert (kinds["suggestion"].received, kinds["suggestion"].answered) == (1, 0)
    assert kinds["followup"].received == 0 and kinds["followup"].open_now == 1
    assert {g.key: g.count for g in oct_.feedback.open_by_age} == {"0_7": 1, "8_30": 0, "31_": 3}
    assert oct_.satisfaction.responses == 0 and oct_.satisfaction.average is None
    rows = await queries.feedback_rows(tenant.id, OCTOBER, "received", "complaint")
    assert len(rows) == 2 and len(await queries.feedback_rows(tenant.id, OCTOBER, "open_age", "31_")) == 3
    # Messages: every notice queued in this month; none relayed yet unless a Celery worker of this
    # test session (a full run has one) took some, so the hand count below sets every row itself.
    assert d.messages and sum(c.messages for c in d.messages) >= 4
    # Then as the relay and the gateways' reports would leave four SMS: delivered; sent but reported
    # failed; given up; still pending. Sent 2, failed 2 (one after sending), finished 3, rate 1 of 3.
    async with tenant_scope(tenant.id) as tx:
        c = tx.connection
        ids = [r["id"] for r in await c.fetch("select id from outbox order by created_at, id")]
        assert len(ids) >= 4
        # Out of any worker's reach (due in a year), every row pending as queued.
        await c.execute("""update outbox set status = 'pending', delivery_status = '',
                             available_at = now() + interval '1 year'""")
        await c.execute("update outbox set channel = 'email' where id <> all($1::uuid[])", ids[:4])
        await c.execute("update outbox set channel = 'sms' where id = any($1::uuid[])", ids[:4])
        await c.execute("update outbox set status = 'sent', delivery_status = 'delivered' where id = $1", ids[0])
        await c.execute("update outbox set status = 'sent', delivery_status = 'failed' where id = $1", ids[1])
        await c.execute("update outbox set status = 'failed' where id = $1", ids[2])
    [sms] = [c for c in (await queries.dashboard(tenant.id, this_month)).messages if c.channel == "sms"]
    assert (sms.messages, sms.sent, sms.failed, sms.confirmed, sms.pending) == (4, 2, 2, 1, 1)
    assert sms.delivery_rate == 33.3


async def exported(tenant_id, code, period, *, reveal, user, fmt) -> bytes:
    """One export as its route sends it: CSV streamed batch by batch, XLSX from its constant-memory file."""
    from sila.platform.spreadsheet import csv_stream, file_chunks, xlsx_file
    from sila.tenants.reports import exports

    source = await exports.start(tenant_id, code, period, reveal=reveal, user=user, fmt=fmt, address="127.0.0.1")
    if fmt == "csv":
        chunks = csv_stream(source.headers, exports.rows(tenant_id, source))
    else:
        chunks = file_chunks(await xlsx_file("x", source.headers, exports.rows(tenant_id, source), rtl=True))
    return b"".join([c async for c in chunks])


async def test_exports_open_in_a_spreadsheet_right_to_left_with_formulas_escaped_and_ids_masked(charity):
    tenant, staff = charity
    o = staff["relations_officer"]
    number = valid_id()
    await recorded(tenant, o, "phone", "family", id_number=number, name="=HYPERLINK(\"http://evil\",\"x\")")

    class Who:
        id, name, email, support_grant = staff["relations_officer"].id, "نورة", "n@x", None

    today = dt.datetime.now(RIYADH).date()
    period = Period("gregorian", (today.year, today.month), (today.year, today.month))
    masked = await exported(tenant.id, "beneficiaries", period, reveal=False, user=Who, fmt="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(masked))
    sheet = book.active
    assert sheet.sheet_view.rightToLeft
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][0] == "'=HYPERLINK(\"http://evil\",\"x\")" and sheet.cell(2, 1).data_type == "s"
    assert values[0][1] == "••••••" + number[-4:] and number not in str(values)
    text = (await exported(tenant.id, "beneficiaries", period, reveal=True, user=Who, fmt="csv")).decode("utf-8-sig")
    assert number in text and "'=HYPERLINK" in text
    [plain, revealed] = await audit_rows(tenant.id, "export.beneficiaries")
    assert plain["after"]["full_id_numbers"] is False and revealed["after"]["full_id_numbers"] is True
    assert revealed["actor_user"] == staff["relations_officer"].id and revealed["after"]["rows"] == 1
    requests = await exported(tenant.id, "requests", period, reveal=True, user=Who, fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(requests)).active
    assert number not in str([[c.value for c in row] for row in sheet.iter_rows()])  # never a full number
    assert sheet.cell(2, 9).value == "'=HYPERLINK(\"http://evil\",\"x\")"  # the beneficiary's name, escaped
    # An English page: a left-to-right sheet.
    ltr = openpyxl.load_workbook(io.BytesIO(xlsx_bytes("x", ["a"], [["b"]], rtl=False))).active
    assert not ltr.sheet_view.rightToLeft
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert escape_cell(dangerous) == "'" + dangerous


async def test_exports_are_read_in_batches_in_order_and_a_dropped_download_frees_its_connection(
        charity, monkeypatch):
    from sila.platform import db
    from sila.tenants.reports import exports

    tenant, staff = charity
    o = staff["relations_officer"]
    names = [f"مستفيد رقم {i}" for i in range(7)]
    for name in names:
        await recorded(tenant, o, "phone", "family", name=name)
    monkeypatch.setattr(exports, "BATCH", 3)  # seven rows: three batches, the last one short

    class Who:
        id, name, email, support_grant = o.id, "نورة", "n@x", None

    today = dt.datetime.now(RIYADH).date()
    period = Period("gregorian", (today.year, today.month), (today.year, today.month))
    source = await exports.start(tenant.id, "beneficiaries", period, reveal=False, user=Who, fmt="csv", address="")
    batches = [b async for b in exports.rows(tenant.id, source)]
    assert [len(b) for b in batches] == [3, 3, 1] and [r[0] for b in batches for r in b] == names
    book = openpyxl.load_workbook(io.BytesIO(await exported(tenant.id, "requests", period, reveal=False, user=Who,
                                                            fmt="xlsx"))).active
    assert [book.cell(r, 9).value for r in range(2, 9)] == names and book.cell(9, 1).value is None
    # Downloads broken off after the first batch, more of them than the pool has connections:
    # each reader is cancelled and its transaction ends, so the pool still serves.
    for _ in range(getattr(db.DB.pool, "_maxsize", 10) + 2):
        dropped = exports.rows(tenant.id, source)
        assert len(await anext(dropped)) == 3
        await dropped.aclose()
    async with tenant_scope(tenant.id) as tx:
        assert await asyncio.wait_for(tx.connection.fetchval("select count(*) from beneficiary"), 30) == 7


def test_a_large_export_is_streamed_over_http(server, charity):
    """The CSV leaves in chunks (no Content-Length: nothing was assembled first); the XLSX is
    sent from its file; both read back, audited once each, and another tenant's staff get 404/403."""
    import csv as csvlib

    tenant, staff = charity
    for i in range(3):
        run_async(recorded(tenant, staff["relations_officer"], "phone", "family", name=f"اسم {i}"))
    admin = sign_in(server, staff["admin"])
    with admin.http.stream("GET", "/portal/reports/exports/beneficiaries/csv") as r:
        assert r.status_code == 200 and "content-length" not in r.headers
        assert r.headers["transfer-encoding"] == "chunked" and r.headers["cache-control"] == "private, no-store"
        body = b"".join(r.iter_bytes())
    lines = list(csvlib.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(lines) == 4 and {line[0] for line in lines[1:]} == {"اسم 0", "اسم 1", "اسم 2"}
    xlsx = admin.get("/portal/reports/exports/beneficiaries/xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.sheet_view.rightToLeft and sheet.max_row == 4
    entries = run_async(audit_rows(tenant.id, "export.beneficiaries"))
    assert [(e["after"]["format"], e["after"]["rows"]) for e in entries] == [("csv", 3), ("xlsx", 3)]


# --- over HTTP: roles, languages, tenant isolation, the audit browser ------------------------------


@pytest.fixture
def october_http(server, october):
    return october


def test_board_member_reads_the_dashboard_only_and_admin_drills_down(server, october_http):
    tenant, staff, r = october_http
    q = OCTOBER.query()
    board = sign_in(server, staff["board_member"])
    page = board.get(f"/portal/reports?{q}")
    assert page.status_code == 200
    assert "المؤشرات" in page.text and "٤" in page.text and "<svg" in page.text
    assert "/portal/reports/requests" not in page.text  # numbers without links: no list to open
    assert 'href="/portal/requests"' not in page.text and 'href="/portal/beneficiaries"' not in page.text
    for path in ("/portal/requests", "/portal/beneficiaries", f"/portal/requests/{r['r2']}", "/portal/feedback",
                 f"/portal/reports/requests?{q}", "/portal/reports/exports", "/portal/reports/audit",
                 "/portal/reports/exports/beneficiaries/csv", "/portal/committee", "/portal/library"):
        assert board.get(path).status_code == 403, path
    assert board.get("/portal").status_code == 200
    admin = sign_in(server, staff["admin"])
    page = admin.get(f"/portal/reports?{q}")
    assert page.status_code == 200
    link = f"/portal/reports/requests?{q}&facet=channel&value=phone"
    assert html.escape(link) in page.text
    listed = admin.get(link)
    assert listed.status_code == 200 and listed.text.count('href="/portal/requests/') == 2
    admin.set_cookie("sila_lang", "en")
    english = admin.get(f"/portal/reports?{q}")
    assert english.status_code == 200 and "Indicators" in english.text and "50.0%" in english.text
    officer = sign_in(server, staff["relations_officer"])
    assert officer.get("/portal/reports").status_code == 403
    assert officer.get("/portal/reports/audit").status_code == 403
    assert officer.get("/portal/reports/exports").status_code == 200
    assert officer.get("/portal/reports/exports/survey_answers/csv").status_code == 403


def test_a_bad_period_is_refused_beside_its_field_with_input_kept(server, charity):
    _, staff = charity
    admin = sign_in(server, staff["admin"])
    page = admin.get("/portal/reports?calendar=hijri&from_year=1200&from_month=13&to_year=١٤٤٨&to_month=2")
    assert page.status_code == 400 and 'value="1200"' in page.text and "field-error" in page.text
    for hostile in ("%00", "x" * 5000, "%ff%fe", "<script>"):
        assert admin.get(f"/portal/reports?calendar={hostile}&from_year={hostile}").status_code in (200, 400)
        assert admin.get(f"/portal/reports/audit?since={hostile}&actor={hostile}&page={hostile}").status_code in (200, 400)
    assert admin.get("/portal/reports/requests?facet=nope").status_code == 404
    assert admin.get("/portal/reports/exports/nope/csv").status_code == 404
    assert admin.get("/portal/reports/exports/requests/pdf").status_code == 404


def test_exports_and_document_views_land_in_the_audit_browser_and_tenants_stay_apart(
        server, october_http, make_tenant, make_staff):
    from support.servers import run_async

    tenant, staff, r = october_http
    admin = sign_in(server, staff["admin"])
    response = admin.get("/portal/reports/exports/requests/xlsx?" + OCTOBER.query())
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vnd.openxml")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.sheet_view.rightToLeft and sheet.max_row == 5  # a header and October's four requests
    response = admin.get("/portal/reports/exports/beneficiaries/csv")
    assert response.status_code == 200 and "••••••" in response.content.decode("utf-8-sig")
    officer = sign_in(server, staff["relations_officer"])
    assert officer.get(f"/portal/beneficiaries/{run_async(_beneficiary_of(tenant, r['r2']))}").status_code == 200
    page = admin.get("/portal/reports/audit?action=export.")
    assert page.status_code == 200 and page.text.count("<tr>") == 3  # header + two exports
    assert "Exported the request list" in page.text or "تصدير" in page.text
    page = admin.get(f"/portal/reports/audit?action=beneficiary.viewed&actor={staff['relations_officer'].id}")
    assert page.text.count("<tr>") == 2 and "سارة عبدالله القحطاني" in page.text
    assert admin.get("/portal/reports/audit?action=beneficiary.viewed&since=2020-01-01&until=2020-01-31").text.count("<tr>") == 0
    csv_export = admin.get("/portal/reports/audit/export/csv?action=export.")
    assert csv_export.status_code == 200 and csv_export.content.decode("utf-8-sig").count("\n") == 3
    # Another charity's admin sees none of it on their own portal, and cannot use this one's.
    other = run_async(make_tenant(name_ar="جمعية أخرى"))
    other_admin = run_async(make_staff(other, "admin"))
    theirs = sign_in(server, other_admin)
    page = theirs.get(f"/portal/reports?{OCTOBER.query()}")
    assert page.status_code == 200 and "/portal/reports/requests?" not in page.text  # every number is 0: no link
    assert theirs.get(f"/portal/reports/requests?{OCTOBER.query()}&facet=received").text.count('href="/portal/requests/') == 0
    assert "سارة" not in theirs.get("/portal/reports/audit").text
    stranger = server.client(tenant.slug)
    stranger.http.cookies = theirs.http.cookies
    assert stranger.get("/portal/reports").status_code in (302, 303, 401, 403)


async def _beneficiary_of(tenant: Any, rid: Any) -> Any:
    async with tenant_scope(tenant.id) as tx:
        return await tx.connection.fetchval("select beneficiary from support_request where id = $1", rid)


@pytest.mark.browser
def test_dashboard_on_a_phone_and_a_desktop_in_both_languages(server, make_tenant, make_staff, publish_policy,
                                                              chromium):
    from support.browser import axe_problems, screenshot, sign_in_on
    from support.servers import run_async

    tenant, staff, _ = run_async(build_october(run_async(make_charity(make_tenant, make_staff, publish_policy))))
    base = f"http://{tenant.slug}.localhost:{server.port}"
    for width, who in ((390, "board_member"), (1366, "admin")):
        context = chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA",
                                       is_mobile=width < 500, has_touch=width < 500)
        page = context.new_page()
        sign_in_on(page, base, staff[who])
        page.goto(f"{base}/portal/reports?{OCTOBER.query()}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.get_by_role("heading", name="المؤشرات", exact=True).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        # The channel bars read right to left: labels at the right edge of the chart.
        label = page.locator("svg.chart text.label").first.bounding_box()
        chart = page.locator("svg.chart").nth(1).bounding_box()
        assert label["x"] > chart["x"] + chart["width"] / 2
        problems = axe_problems(page)
        assert not problems, problems
        screenshot(page, f"reports-dashboard-ar-{width}")
        if who == "admin":
            page.goto(f"{base}/portal/reports/audit")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"reports-audit-ar-{width}")
            page.goto(f"{base}/portal/reports/exports")
            screenshot(page, f"reports-exports-ar-{width}")
        page.goto(f"{base}/lang/en?next=/portal/reports")
        page.goto(f"{base}/portal/reports?{OCTOBER.query()}")
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"reports-dashboard-en-{width}")
        context.close()
