"""Issue 18, bulk import of a charity's PAST requests (sila.tenants.requests.past_import), the
second kind of the one import pipeline: the mapping guessed from the spreadsheet's own headers,
every row read by its form (Hypothesis over generated rows: ID check digit, days in either
calendar, the outcome's words, what each outcome needs), the requests written as the workflow's
end stages with their decision and service records, pinned to the policy in force, marked as
imported, with one history entry each; the same request twice in the file or already imported
refused with a reason; no message, webhook or survey; the indicators leave them out of the window.
The pages and the real worker: tests/test_bulk_import_http.py."""
from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hijridate import Hijri

from sila.platform import crypto, i18n
from sila.platform.dates import RIYADH, to_riyadh
from sila.platform.db import tenant_scope
from sila.platform.identity import luhn_ok, valid_test_id
from sila.tenants.beneficiaries import imports, services
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.reports import queries as report_queries
from sila.tenants.requests import past_import
from sila.tenants.requests.services import reading
from sila.tenants.surveys import queries as survey_queries
from support.imports import Admin, bad_id, csv_file, ids, imported

HEADERS = ["رقم الهوية", "اسم مقدم الطلب", "الجوال", "تاريخ الطلب", "نوع الدعم", "تفاصيل الطلب", "النتيجة", "سبب الرفض",
           "تاريخ القرار", "الخدمة المقدمة", "تاريخ الصرف", "المبلغ", "ملاحظات"]
KIND = past_import.KIND


def test_the_mapping_is_guessed_from_a_charitys_own_headers() -> None:
    assert imports.guess_mapping(HEADERS, KIND.fields) == {
        "id_number": 0, "name": 1, "mobile": 2, "submitted_on": 3, "support_kind": 4, "need": 5, "outcome": 6,
        "reason": 7, "decided_on": 8, "service": 9, "served_on": 10, "amount": 11}
    assert imports.guess_mapping(["National ID", "Request date", "Support type", "Outcome", "Amount"], KIND.fields) == \
        {"id_number": 0, "submitted_on": 1, "support_kind": 2, "outcome": 3, "amount": 4}


MAPPING = {"id_number": 0, "submitted_on": 1, "support_kind": 2, "outcome": 3, "reason": 4, "served_on": 5,
           "amount": 6}
OUTCOMES = {"مقبول": "accepted", "Accepted": "accepted", "تمت الموافقة": "accepted", "مرفوض": "declined",
            "اعتذار": "declined", "declined": "declined", "تم الصرف": "served", "Served": "served", "منفذ": "served",
            "ربما": None, "": None, "=1+1": None}
DAYS = {"": None, "1445/06/23": dt.date(2024, 1, 5), "2024-01-05": dt.date(2024, 1, 5),
        "05/01/2024": dt.date(2024, 1, 5), "1445/13/40": None, "2999-01-01": None, "1440/01/01": dt.date(2018, 9, 11)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.from_regex(r"[12][0-9]{8}", fullmatch=True), valid=st.booleans(), submitted=st.sampled_from(list(DAYS)),
       kind=st.sampled_from(["سلة غذائية", "", "x" * 201, "إيجار\x00"]), outcome=st.sampled_from(list(OUTCOMES)),
       reason=st.sampled_from(["", "خارج نطاق الدعم"]), served=st.sampled_from(list(DAYS)),
       amount=st.sampled_from(["", "1500", "١٬٥٠٠٫٥٠", "-3", "NaN", "1e9"]))
def test_every_row_is_read_by_its_form(prefix: str, valid: bool, submitted: str, kind: str, outcome: str,
                                       reason: str, served: str, amount: str) -> None:
    number = valid_test_id(prefix) if valid else bad_id(valid_test_id(prefix))
    value, errors = imports.check_row([number, submitted, kind, outcome, reason, served, amount], MAPPING, KIND)
    code = OUTCOMES[outcome]
    day, served_day = DAYS[submitted], DAYS[served]
    kind_ok = kind == "سلة غذائية"
    amount_ok = amount in ("", "1500", "١٬٥٠٠٫٥٠")
    fields_ok = (luhn_ok(number) and day is not None and kind_ok and code is not None and amount_ok
                 and (served == "" or served_day is not None))
    assert ("id_number" in errors) == (not luhn_ok(number)), errors
    assert ("submitted_on" in errors) == (day is None), errors
    assert ("support_kind" in errors) == (not kind_ok), errors
    assert ("outcome" in errors) == (code is None), errors
    assert ("amount" in errors) == (not amount_ok or (fields_ok and bool(amount) and code != "served")), errors
    if fields_ok:  # the rules between cells run once every cell reads
        needs_reason = code == "declined" and not reason
        needs_day = code == "served" and served_day is None
        early = served_day is not None and day is not None and served_day < day
        assert ("reason" in errors) == needs_reason, errors
        assert ("served_on" in errors) == (needs_day or early), errors
        ok = not (needs_reason or needs_day or early or (amount and code != "served"))
        assert (value is not None) == ok, errors
        if value is not None:
            assert value.outcome == code and value.submitted_on == day and value.id_number == number
            if amount:
                assert value.amount in (decimal.Decimal("1500"), decimal.Decimal("1500.50"))
    else:
        assert value is None


@pytest.fixture
async def charity(two_tenants, publish_policy):
    a, b = two_tenants
    await publish_policy(a.tenant)
    return a.tenant, Admin(a), b.tenant


async def _rows(tenant: Any, sql: str, *args: Any) -> list[Any]:
    async with tenant_scope(tenant.id) as tx:
        return list(await tx.connection.fetch(sql, *args))


async def test_past_requests_become_ended_requests_with_their_records_and_nothing_twice(charity) -> None:
    tenant, admin, other = charity
    known, new_person, unknown, ids_ = *ids(3, start=60_000_000), ids(3, start=61_000_000)
    async with tenant_scope(tenant.id):
        await services.find_or_create_in_scope(tenant.id, ApplicantInput(
            known, "سارة معروفة", "+966501112222", "", "sms", "ar", "", "", None), update_contact=False)
    outbox_before = len(await _rows(tenant, "select id from outbox"))
    rows = [
        [known, "", "", "1445/06/23", "سلة غذائية", "أسرة من خمسة", "مقبول", "", "1445/07/01", "", "", "", ""],
        [known, "", "", "2024-02-01", "إيجار", "", "مرفوض", "خارج نطاق الدعم", "", "", "", "", ""],
        [known, "", "", "2024-03-01", "فاتورة كهرباء", "", "تم الصرف", "", "", "سداد فاتورة", "2024-03-10",
         "١٬٥٠٠", ""],
        [new_person, "منى سعد العتيبي", "0551234567", "2023-05-01", "علاج", "", "served", "", "", "", "2023-05-20",
         "", ""],
        [unknown, "", "", "2024-01-01", "إيجار", "", "مقبول", "", "", "", "", "", ""],            # no file, no name
        [known, "", "", "2024-02-01", "إيجار", "", "مقبول", "", "", "", "", "", ""],               # same as row 3
        [bad_id(ids_[0]), "", "", "2024-01-01", "إيجار", "", "مقبول", "", "", "", "", "", ""],     # check digit
        [ids_[1], "", "", "2024-01-01", "إيجار", "", "مرفوض", "", "", "", "", "", ""],             # no reason
        [ids_[2], "", "", "2024-01-01", "إيجار", "", "مقبول", "", "", "", "", "500", ""],          # amount, no service
    ]
    record = await imported(tenant, csv_file(HEADERS, rows), admin, name="طلبات سابقة.csv", kind="past_requests")
    assert record.status == "done" and record.kind == "past_requests", record
    assert (record.imported, record.files_created, record.rejected) == (4, 1, 5), record
    reqs = await _rows(tenant, """select r.*, b.id_hash from support_request r join beneficiary b on b.id = r.beneficiary
                                  where r.imported_from = $1 order by r.submitted_at""", record.id)
    assert len(reqs) == 4
    version = (await _rows(tenant, "select max(number) as n from policy_version"))[0]["n"]
    for r in reqs:
        assert r["channel"] == "imported" and r["policy_version_number"] == version and r["due_at"] is None
        assert r["review_window_days"] is None and r["import_key"] and r["created_by"] == admin.id
        assert r["reference"][:2] == f"{r['submitted_at'].year % 100:02d}" and len(r["reference"]) == 11
    by_need = {r["need"].split("\n")[0]: r for r in reqs}
    assert by_need["سلة غذائية"]["need"] == "سلة غذائية\n\nأسرة من خمسة"
    assert (by_need["سلة غذائية"]["stage"], by_need["سلة غذائية"]["decision"]) == ("closed", "accepted")
    assert to_riyadh(by_need["سلة غذائية"]["decided_at"]) == dt.datetime.combine(
        Hijri(1445, 7, 1).to_gregorian(), dt.time(), RIYADH)  # the decision day given, in Riyadh
    assert (by_need["إيجار"]["stage"], by_need["إيجار"]["decision"], by_need["إيجار"]["decision_reason"]) == \
        ("rejected", "rejected", "خارج نطاق الدعم")
    assert by_need["علاج"]["id_hash"] == crypto.lookup_hash(tenant.id, new_person)  # a file opened for her
    assert by_need["علاج"]["contact_name"] == "منى سعد العتيبي" and by_need["علاج"]["contact_mobile"] == "+966551234567"
    served = await _rows(tenant, "select * from service_delivery where request = any($1::uuid[]) order by delivered_on",
                         [r["id"] for r in reqs])
    assert [(s["service_type"], s["delivered_on"], s["amount"]) for s in served] == [
        ("علاج", dt.date(2023, 5, 20), None), ("سداد فاتورة", dt.date(2024, 3, 10), decimal.Decimal("1500.00"))]
    # One history entry each, by the admin who uploaded, naming the file; the page reads it.
    history = await _rows(tenant, """select * from audit_entry where action = 'request.imported'
                                     and target_id = any($1::text[])""", [str(r["id"]) for r in reqs])
    assert len(history) == 4 and {h["actor_user"] for h in history} == {admin.id}
    assert {json.loads(h["after"])["file"] for h in history} == {"طلبات سابقة.csv"}
    page = await reading.get_request_in_tenant(tenant.id, by_need["إيجار"]["id"])
    assert [t["action"] for t in page["timeline"]] == ["request.imported"] and page["clock"] is not None
    # No message, no webhook, no survey, not overdue, not judged against a window.
    assert len(await _rows(tenant, "select id from outbox")) == outbox_before
    async with tenant_scope(tenant.id):
        assert not [s for s in await survey_queries.due_services(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), 0,
                                                                  0) if s.request in {r["id"] for r in reqs}]
        assert await survey_queries.count_campaign_targets(dt.date(2020, 1, 1), dt.date(2030, 1, 1), "") == 0
    assert (await _rows(tenant, f"select count(*) as n from support_request r where {report_queries.OVERDUE}"))[0]["n"] == 0
    buckets = await _rows(tenant, f"select distinct {report_queries.DECISION_BUCKET} as b from support_request r "
                                  "where r.imported_from is not null")
    assert [b["b"] for b in buckets] == ["imported"]
    # The report says what to fix, row by row, in Arabic.
    _, headers, report = await imports.rejected_report(tenant.id, record.id, actor=admin, address="", fmt="csv")
    assert headers[:len(HEADERS)] == HEADERS
    by_row = {r[-2]: r[-1] for r in report}
    assert set(by_row) == {"6", "7", "8", "9", "10"}
    with i18n.language("ar"):
        assert i18n.gettext(past_import.MSG_NO_FILE) in by_row["6"]
    assert "٣" in by_row["7"] or "3" in by_row["7"]
    assert "سبب الرفض" in by_row["9"] and "المبلغ" in by_row["10"]
    # The same file again: every request already there is refused with its reference; nothing new.
    again = await imported(tenant, csv_file(HEADERS, rows), admin, name="طلبات سابقة.csv", kind="past_requests")
    assert (again.imported, again.files_created, again.rejected) == (0, 0, 9)
    assert len(await _rows(tenant, "select id from support_request where imported_from is not null")) == 4
    _, _, report = await imports.rejected_report(tenant.id, again.id, actor=admin, address="", fmt="csv")
    assert by_need["إيجار"]["reference"] in {r[-2]: r[-1] for r in report}["3"]
    # Another tenant sees none of it.
    assert await _rows(other, "select id from support_request") == []
    with pytest.raises(imports.NotFound):
        await imports.rejected_report(other.id, record.id, actor=admin, address="", fmt="csv")


async def test_past_requests_need_a_published_policy(two_tenants) -> None:
    a, _ = two_tenants
    admin = Admin(a)
    iid = await imports.upload(a.tenant.id, "past.csv", csv_file(HEADERS, [[ids(1)[0], "", "", "2024-01-01", "x", "",
                                                                              "مقبول"] + [""] * 6]),
                               actor=admin, address="", kind="past_requests")
    record = await imports.get_import_in_tenant(a.tenant.id, iid)
    with pytest.raises(imports.Refused) as refused:
        await imports.start(a.tenant.id, iid, record.mapping, actor=admin, address="")
    assert refused.value.msgid == past_import.MSG_NO_POLICY
    assert (await imports.get_import_in_tenant(a.tenant.id, iid)).status == "mapping"


async def test_a_past_requests_run_killed_mid_file_resumes_without_duplicates(charity, monkeypatch) -> None:
    tenant, admin, _ = charity
    monkeypatch.setattr(imports, "BATCH", 10)
    people = ids(25, start=62_000_000)
    rows = [[n, "اسم كامل", "0501234567", "2024-01-01", "سلة", "", "مقبول"] + [""] * 6 for n in people]
    iid = await imports.upload(tenant.id, "كبير.csv", csv_file(HEADERS, rows), actor=admin, address="",
                               kind="past_requests")
    record = await imports.get_import_in_tenant(tenant.id, iid)
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update beneficiary_import set status = 'queued', mapping = $2::jsonb where id = $1",
                                    iid, json.dumps(record.mapping))
    calls = 0
    real = imports._commit

    async def dies_on_the_second_batch(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("worker lost")
        await real(*args)

    monkeypatch.setattr(imports, "_commit", dies_on_the_second_batch)
    assert await imports.run(iid, tenant.id) is False
    monkeypatch.setattr(imports, "_commit", real)
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute("update beneficiary_import set status = 'queued' where id = $1", iid)
    assert await imports.run(iid, tenant.id) is True
    done = await imports.get_import_in_tenant(tenant.id, iid)
    assert (done.imported, done.files_created, done.rejected) == (25, 25, 0), done
    assert len(await _rows(tenant, "select id from support_request where imported_from = $1", iid)) == 25


async def test_the_dashboard_counts_imported_decisions_apart_from_the_window(charity) -> None:
    """Decided in the period, they are counted as decided, in their own bucket, and out of the median."""
    from sila.tenants.reports.period import Period

    tenant, admin, _ = charity
    rows = [[n, "اسم كامل", "0501234567", f"2024-03-0{i + 1}", "سلة", "", "مقبول", "", f"2024-03-{i + 20}"] +
            [""] * 4 for i, n in enumerate(ids(3, start=63_000_000))]
    record = await imported(tenant, csv_file(HEADERS, rows), admin, kind="past_requests")
    assert record.imported == 3
    d = await report_queries.dashboard(tenant.id, Period("gregorian", (2024, 3), (2024, 3)))
    assert d.received == 3 and {g.key: g.count for g in d.by_channel} == {"imported": 3}
    assert (d.decisions.decided, d.decisions.with_window, d.decisions.within) == (3, 0, 0)
    assert d.decisions.median_days is None  # days kept by hand are not measured here
    assert {g.key: g.count for g in d.decisions.buckets}["imported"] == 3 and d.overdue.count == 0
