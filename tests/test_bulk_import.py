"""Issue 18, bulk import of existing beneficiaries: the mapping guessed from Arabic and English
headers, every row checked by the intake rules (Hypothesis over generated rows), duplicates in
the file and against existing files by the keyed ID look-up, a second run of the same file adding
nothing, the rejected-rows report read back as a file (formulas neutralised, the cells as they
were), hostile files refused with a message. The pages, the real Celery worker, other tenants and
other roles: tests/test_bulk_import_http.py."""
from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sila.platform import crypto, spreadsheet
from sila.platform.db import tenant_scope
from sila.platform.identity import luhn_ok, valid_test_id
from sila.platform.spreadsheet import SheetError
from sila.tenants.beneficiaries import imports, queries, services
from sila.tenants.beneficiaries.forms import ApplicantInput
from support.imports import Admin, bad_id, csv_file, ids, imported, xlsx_file

HEADERS_AR = ["رقم الهوية", "الاسم الرباعي", "رقم الجوال", "المدينة", "الفئة", "عدد أفراد الأسرة", "تاريخ التسجيل",
              "ملاحظات"]


async def count(tenant: Any) -> int:
    async with tenant_scope(tenant.id) as tx:
        return await tx.connection.fetchval("select count(*) from beneficiary")


# --- the mapping guess ----------------------------------------------------------------------------


def test_the_mapping_is_guessed_from_arabic_and_english_headers() -> None:
    assert imports.guess_mapping(HEADERS_AR) == {"id_number": 0, "name": 1, "mobile": 2, "city": 3, "category": 4,
                                                 "household_size": 5, "registered_on": 6}
    # Hamza, taa marbuta, case, punctuation and a near miss aside; each column used once.
    assert imports.guess_mapping(["الاسم", "رقم الهويه", "الجوال", "E-Mail", "Family Size", "notes"]) == \
        {"name": 0, "id_number": 1, "mobile": 2, "email": 3, "household_size": 4}
    assert imports.guess_mapping(["National ID / Iqama", "Full name", "Mobile number", "Registration date"]) == \
        {"id_number": 0, "name": 1, "mobile": 2, "registered_on": 3}
    assert imports.guess_mapping(["Name", "name", "column 3", ""]) == {"name": 0}
    assert imports.guess_mapping(["ملاحظات", "x"]) == {}


# --- reading the file ------------------------------------------------------------------------------


def test_the_encoding_is_detected_and_said() -> None:
    rows = [[ids(1)[0], "أحمد علي", "0501234567"]]
    heads = ["رقم الهوية", "الاسم", "الجوال"]
    assert imports.read_upload(csv_file(heads, rows))[:2] == ("csv", "utf-8")
    assert imports.read_upload(b"\xef\xbb\xbf" + csv_file(heads, rows))[:2] == ("csv", "utf-8-sig")
    fmt, enc, headers, _ = imports.read_upload(csv_file(heads, rows, "cp1256"))
    assert (fmt, enc, headers) == ("csv", "cp1256", heads)  # Excel on Arabic Windows: read right
    assert imports.read_upload(xlsx_file(heads, rows))[:3] == ("xlsx", "", heads)
    # Semicolons (Excel in many locales) are found too.
    assert imports.read_upload("رقم الهوية;الاسم;الجوال\n1;2;3\n".encode())[2] == heads


@pytest.mark.parametrize("content, msgid", [
    (b"%PDF-1.4 not a sheet", spreadsheet.MSG_NOT_A_SHEET),
    (b"\x89PNG\r\n\x1a\n....", spreadsheet.MSG_NOT_A_SHEET),
    (b"PK\x03\x04 a zip that is no workbook", spreadsheet.MSG_NOT_A_SHEET),
    ("رقم,الاسم\n".encode("utf-16"), spreadsheet.MSG_NOT_A_SHEET),
    (b"id,name\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", spreadsheet.MSG_NOT_A_SHEET),
    (b"id,name\n1,\xc3\x28\xa0\xa1 caf\xe9", spreadsheet.MSG_ENCODING),  # invalid UTF-8, not Arabic either
    (b"", spreadsheet.MSG_NOT_A_SHEET),
    (b"\n\n,,\n", spreadsheet.MSG_EMPTY),
])
def test_a_file_that_is_not_a_readable_sheet_is_refused_with_a_message(content: bytes, msgid: str) -> None:
    with pytest.raises(SheetError) as caught:
        imports.read_upload(content)
    assert caught.value.msgid == msgid


def test_a_workbook_that_inflates_past_the_limit_is_not_opened() -> None:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/sharedStrings.xml", b"0" * (spreadsheet.MAX_UNZIPPED + 1))
    assert len(buf.getvalue()) < 2 * 1024 * 1024  # small on the wire
    with pytest.raises(SheetError) as caught:
        imports.read_upload(buf.getvalue())
    assert caught.value.msgid == spreadsheet.MSG_NOT_A_SHEET


def test_too_large_and_too_many_rows_are_refused_before_reading() -> None:
    with pytest.raises(SheetError) as caught:
        imports.read_upload(b"a,b\n" + b"1,2\n" * (imports.MAX_BYTES // 4))
    assert caught.value.msgid == imports.MSG_TOO_BIG
    with pytest.raises(SheetError) as caught:
        imports.read_upload(b"a\n" + b"1\n" * (imports.MAX_ROWS + 5))
    assert caught.value.msgid == imports.MSG_TOO_MANY


def test_cells_written_by_the_report_read_back_as_they_were() -> None:
    cells = ["=HYPERLINK(\"http://x\")", "+966501234567", "-3", "@SUM(A1)", "عادي", "'quoted"]
    for fmt in ("csv", "xlsx"):
        body = spreadsheet.render(fmt, "s", ["a", "b", "c", "d", "e", "f"], [cells], rtl=True)
        raw = body.decode("utf-8-sig") if fmt == "csv" else ""
        if fmt == "csv":
            assert "'=HYPERLINK" in raw and "\n=" not in raw and ",=" not in raw  # neutralised in the file
        enc = spreadsheet.detect_encoding(body) if fmt == "csv" else ""
        rows = list(spreadsheet.read_rows(body, fmt, enc))
        assert rows[1] == cells, fmt


# --- row validation ----------------------------------------------------------------------------

MAPPING = {"id_number": 0, "name": 1, "mobile": 2, "registered_on": 3}
EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.from_regex(r"[12][0-9]{8}", fullmatch=True), valid=st.booleans(), eastern=st.booleans(),
       name=st.text(min_size=0, max_size=250), mobile=st.sampled_from(["0501234567", "966551234567", "+966 50 123 4567",
                                                                    "12345", "", "٠٥٠١٢٣٤٥٦٧"]),
       day=st.sampled_from(["", "1445/06/23", "2024-01-05", "05/01/2024", "1445/13/40", "2999-01-01", "=cmd|'/C calc'!A0"]))
def test_every_row_is_checked_by_the_intake_rules(prefix: str, valid: bool, eastern: bool, name: str, mobile: str,
                                                  day: str) -> None:
    number = valid_test_id(prefix) if valid else bad_id(valid_test_id(prefix))
    typed = number.translate(EASTERN) if eastern else number
    value, errors = imports.check_row([typed, name, mobile, day], MAPPING)
    name_ok = bool(" ".join(name.split())) and len(" ".join(name.split())) <= 200 and not any(
        (ord(c) < 32 and c not in "\t\n\r") or 0x7f <= ord(c) <= 0x9f or 0xd800 <= ord(c) <= 0xdfff for c in name)
    mobile_ok = mobile not in ("12345", "")
    day_ok = day in ("", "1445/06/23", "2024-01-05", "05/01/2024")
    assert ("id_number" in errors) == (not luhn_ok(number)), errors
    assert ("name" in errors) == (not name_ok), (name, errors)
    assert ("mobile" in errors) == (not mobile_ok), errors
    assert ("registered_on" in errors) == (not day_ok), errors
    assert (value is not None) == (valid and name_ok and mobile_ok and day_ok)
    if value is not None:
        assert value.id_number == number and value.mobile.startswith("+966")


def test_a_hijri_or_gregorian_day_reads_as_the_same_day() -> None:
    hijri, _ = imports.check_row([ids(1)[0], "أحمد", "0501234567", "1445/06/23"], MAPPING)
    gregorian, _ = imports.check_row([ids(1)[0], "أحمد", "0501234567", "2024-01-05"], MAPPING)
    assert hijri and gregorian and hijri.registered_on == gregorian.registered_on


# --- a whole run ------------------------------------------------------------------------------------


@pytest.fixture
async def charity(two_tenants):
    a, b = two_tenants
    return a.tenant, Admin(a), b.tenant


async def test_a_file_imports_its_good_rows_reports_the_others_and_a_second_run_adds_nothing(charity) -> None:
    tenant, admin, other = charity
    good = ids(6)
    existing_id = ids(1, start=20_000_000)[0]
    async with tenant_scope(tenant.id):  # a person who applied online before the import
        await services.find_or_create_in_scope(tenant.id, ApplicantInput(
            existing_id, "سارة قديمة", "+966501112222", "", "sms", "ar", "", "", None), update_contact=False)
    before = await count(tenant)
    rows = [
        [good[0], "أحمد علي الزهراني", "0501234567", "جدة", "أرملة", "4", "1445/06/23", ""],
        [good[1], "فاطمة سعيد", "٠٥٥١٢٣٤٥٦٧", "الرياض", "", "", "2024-01-05", ""],
        [bad_id(good[2]), "رقم خاطئ", "0501234567", "", "", "", "", ""],   # check digit
        [good[3], "", "0501234567", "", "", "", "", ""],                    # name required
        [good[4], "=HYPERLINK(\"http://evil\",\"x\")", "12345", "", "", "", "", ""],  # bad mobile, a formula
        [good[0], "أحمد مكرر", "0501234567", "", "", "", "", ""],            # same ID as row 2
        [existing_id, "سارة من الجدول", "0509998888", "", "", "", "", ""],    # already has a file
        ["", "", "", "", "", "", "", ""],                                   # blank: not a row
        [good[5], "خالد", "0501234567", "", "قطط", "99", "1445/13/40", "x\x00y"],  # three problems, a NUL
    ]
    record = await imported(tenant, csv_file(HEADERS_AR, rows), admin)
    assert record.status == "done" and record.encoding == "utf-8", record
    assert (record.imported, record.existing, record.rejected) == (2, 1, 5), record
    assert await count(tenant) == before + 2
    async with tenant_scope(tenant.id) as tx:  # the keyed look-up finds them, the ID encrypted
        row = await tx.connection.fetchrow("select * from beneficiary where id_hash = $1",
                                           crypto.lookup_hash(tenant.id, good[0]))
        kept = await tx.connection.fetchrow("select name, mobile from beneficiary where id_hash = $1",
                                            crypto.lookup_hash(tenant.id, existing_id))
    assert row["name"] == "أحمد علي الزهراني" and row["category"] == "widow" and row["household_size"] == 4
    assert row["mobile"] == "+966501234567" and row["id_last4"] == good[0][-4:] and row["registered_at"] is not None
    assert crypto.decrypt(tenant.id, services.ID_FIELD, row["id_number_enc"]) == good[0]
    assert dict(kept) == {"name": "سارة قديمة", "mobile": "+966501112222"}  # an import never overwrites a file
    # The report: the original columns, the row number, what to fix (in the import's language, Arabic).
    _, headers, report = await imports.rejected_report(tenant.id, record.id, actor=admin, address="", fmt="csv")
    assert headers[:len(HEADERS_AR)] == HEADERS_AR and len(headers) == len(HEADERS_AR) + 2
    by_row = {r[-2]: r for r in report}
    assert set(by_row) == {"4", "5", "6", "7", "10"}
    assert "رقم الهوية" in by_row["4"][-1] and "غير صحيح" in by_row["4"][-1]
    assert "الاسم الرباعي" in by_row["5"][-1]
    assert "رقم الجوال" in by_row["6"][-1]
    assert "٢" in by_row["7"][-1] or "2" in by_row["7"][-1]  # "the same ID is in row 2"
    assert by_row["10"][-1].count("|") == 2 and by_row["10"][7] == "x\ufffdy"
    assert by_row["6"][1].startswith("=HYPERLINK")  # kept as typed; neutralised when written out
    # Downloaded, the formula cannot run; fixed and uploaded again, the report imports its rows.
    body = spreadsheet.render("csv", "r", headers, report, rtl=True)
    assert "'=HYPERLINK" in body.decode("utf-8-sig")
    fixed = [r[:len(HEADERS_AR)] for r in report if r[-2] in ("5", "6")]
    fixed[0][1], fixed[1][1], fixed[1][2] = "نورة", "ريم", "0551112233"
    again = await imported(tenant, spreadsheet.render("xlsx", "r", headers, [
        [*f, "", ""] for f in fixed], rtl=True), admin, name="مستفيدون-rejected.xlsx")
    assert (again.status, again.imported, again.rejected, again.existing) == ("done", 2, 0, 0)
    # The same file once more: nothing new, nothing changed, every good row "already in Sila".
    total = await count(tenant)
    rerun = await imported(tenant, csv_file(HEADERS_AR, rows), admin)
    assert (rerun.imported, rerun.existing, rerun.rejected) == (0, 3, 5)
    assert await count(tenant) == total
    # Another tenant sees none of it.
    assert [r.id for r in await queries.imports(other.id)] == []
    for call in (queries.get_import_in_tenant(other.id, record.id), imports.preview(other.id, record.id),
                 imports.rejected_report(other.id, record.id, actor=admin, address="", fmt="csv")):
        with pytest.raises(imports.NotFound):
            await call
    async with tenant_scope(tenant.id) as tx:
        audit = [r["action"] for r in await tx.connection.fetch(
            "select action from audit_entry where target_id = $1 order by created_at", str(record.id))]
        after = await tx.connection.fetchval(
            "select after from audit_entry where target_id = $1 and action = 'beneficiary.import_finished'",
            str(record.id))
    assert audit == ["beneficiary.import_uploaded", "beneficiary.import_started", "beneficiary.import_finished",
                     "beneficiary.import_report_downloaded"]
    assert json.loads(after) | {"uploaded_by": ""} == {"file": "مستفيدون.csv", "status": "done", "imported": 2,
                                                      "existing": 1, "rejected": 5, "uploaded_by": "",
                                                      "files_created": 0, "kind": "beneficiaries"}


async def test_a_run_is_taken_once_and_a_started_import_cannot_start_again(charity) -> None:
    tenant, admin, _ = charity
    content = csv_file(["الهوية", "الاسم", "الجوال"], [[i, "اسم", "0501234567"] for i in ids(3, 30_000_000)])
    record = await imported(tenant, content, admin)
    assert record.status == "done" and record.imported == 3
    assert await imports.run(record.id, tenant.id) is False  # a redelivered task imports nothing twice
    with pytest.raises(imports.NotStartable):
        await imports.start(tenant.id, record.id, record.mapping, actor=admin, address="")


async def test_a_worker_killed_mid_file_resumes_after_its_last_batch(charity, monkeypatch) -> None:
    tenant, admin, _ = charity
    monkeypatch.setattr(imports, "BATCH", 10)
    numbers = ids(35, 40_000_000)
    content = csv_file(["الهوية", "الاسم", "الجوال"], [[n, "اسم", "0501234567"] for n in numbers])
    iid = await imports.upload(tenant.id, "كبير.csv", content, actor=admin, address="")
    record = await queries.get_import_in_tenant(tenant.id, iid)
    async with tenant_scope(tenant.id) as tx:  # "started" without the broker: this test runs it
        await tx.connection.execute("update beneficiary_import set status = 'queued', mapping = $2::jsonb where id = $1",
                                    iid, json.dumps(record.mapping))
    calls = 0
    real = imports._commit

    async def dies_on_the_third_batch(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionError("worker lost")
        await real(*args)

    monkeypatch.setattr(imports, "_commit", dies_on_the_third_batch)
    assert await imports.run(iid, tenant.id) is False
    half = await queries.get_import_in_tenant(tenant.id, iid)
    assert (half.status, half.imported, half.rows_done) == ("failed", 20, 21)  # two batches committed
    monkeypatch.setattr(imports, "_commit", real)
    async with tenant_scope(tenant.id) as tx:  # the broker hands the task back; the row is queued again
        await tx.connection.execute("update beneficiary_import set status = 'queued' where id = $1", iid)
    assert await imports.run(iid, tenant.id) is True
    done = await queries.get_import_in_tenant(tenant.id, iid)
    assert (done.imported, done.existing, done.rejected, done.rows_done) == (35, 0, 0, 36)
