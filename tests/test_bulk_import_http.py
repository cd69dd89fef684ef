"""Issue 18, bulk import through its pages: the admin uploads, the mapping page shows the guess and a
preview, a real Celery worker imports while the page's bar polls, the rejected rows download as
XLSX and CSV. Hostile files get a message and keep the page; other roles get 403, another tenant's
admin 404 on every route, and a started import cannot be started again (409)."""
from __future__ import annotations

import io
import re
import time

import openpyxl
import pytest

from sila.platform.identity import valid_test_id
from sila.tenants.beneficiaries import imports, queries
from support.clients import sign_in
from support.servers import run_async

CSV_TYPE = "text/csv"


def sheet(rows: list[list[str]]) -> bytes:
    lines = ["رقم الهوية,الاسم الرباعي,رقم الجوال,تاريخ التسجيل"] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def charity_http(server, sila_env, tmp_path, two_tenants):
    """A real Celery worker for this test only (as tests/test_evidence_pack.py starts one)."""
    from support.servers import start_celery_worker

    worker = start_celery_worker(sila_env, tmp_path / "celerybeat-schedule")
    try:
        yield two_tenants
    finally:
        worker.process.stop(30)


def wait_for(admin, import_id: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        row = admin.get(f"/portal/beneficiaries/import/{import_id}/progress")
        assert row.status_code == 200
        last = row.text
        if "hx-trigger" not in row.text:
            return row.text
        time.sleep(0.5)
    raise AssertionError("the import did not finish in time:\n" + last)


def test_the_worker_imports_what_the_page_mapped_and_the_rejected_rows_download(server, charity_http, make_staff):
    a, b = charity_http
    admin = sign_in(server, a)
    page = admin.get("/portal/beneficiaries/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert 'href="/portal/beneficiaries/import"' in admin.get("/portal/beneficiaries").text
    good = [valid_test_id(f"1{50_000_000 + i:08d}") for i in range(3)]
    rows = [[good[0], "أحمد علي", "0501234567", "1445/06/23"], [good[1], "منى سعد", "0551234567", "2024-01-05"],
            [good[2][:-1] + "0" if good[2][-1] != "0" else good[2][:-1] + "1", "خطأ", "0501234567", ""],
            [good[2], "=cmd|' /C calc'!A0", "999", ""]]
    up = admin.post("/portal/beneficiaries/import", files={"file": ("المستفيدون.csv", sheet(rows), CSV_TYPE)})
    assert up.status_code in (302, 303), up.text[:2000]
    iid = up.headers["location"].rsplit("/", 1)[-1]
    mapping = admin.get(f"/portal/beneficiaries/import/{iid}")
    assert mapping.status_code == 200
    text = mapping.text
    assert "UTF-8" in text and "أحمد علي" in text and "منى سعد" in text  # the preview, the encoding said
    for field, column in (("id_number", 0), ("name", 1), ("mobile", 2), ("registered_on", 3)):
        assert re.search(rf'name="map_{field}".*?<option value="{column}" selected', text, re.S), field
    # The mapping's own errors: required fields, a column chosen twice, the lawful basis.
    bad = admin.post(f"/portal/beneficiaries/import/{iid}", {"map_id_number": "0", "map_name": "0",
                                                             "map_mobile": "\x00", "map_city": "77"})
    assert bad.status_code == 400 and bad.text.count('class="field-error"') >= 4
    start = admin.post(f"/portal/beneficiaries/import/{iid}", {"map_id_number": "0", "map_name": "1",
                                                               "map_mobile": "2", "map_registered_on": "3",
                                                               "lawful": "1"})
    assert start.status_code in (302, 303)
    done = wait_for(admin, iid)
    assert f"/portal/beneficiaries/import/{iid}/rejected/xlsx" in done, done
    record = run_async(queries.get_import_in_tenant(a.tenant.id, iid))
    assert (record.status, record.imported, record.rejected, record.existing) == ("done", 2, 2, 0)
    # Started: the same mapping posted again is refused and changes nothing.
    again = admin.post(f"/portal/beneficiaries/import/{iid}", {"map_id_number": "0", "map_name": "1",
                                                               "map_mobile": "2", "lawful": "1"})
    assert again.status_code == 409
    x = admin.get(f"/portal/beneficiaries/import/{iid}/rejected/xlsx")
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxml")
    ws = openpyxl.load_workbook(io.BytesIO(x.content), read_only=True).worksheets[0]
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got[0][:4] == ["رقم الهوية", "الاسم الرباعي", "رقم الجوال", "تاريخ التسجيل"]
    assert len(got) == 3 and all(r[-1] for r in got[1:])
    assert got[2][1] == "'=cmd|' /C calc'!A0"  # neutralised: the sheet shows text, runs nothing
    c = admin.get(f"/portal/beneficiaries/import/{iid}/rejected/csv")
    assert c.status_code == 200 and c.content.startswith(b"\xef\xbb\xbf") and "attachment" in \
        c.headers["content-disposition"]
    assert "\n=" not in c.content.decode("utf-8-sig") and ",=" not in c.content.decode("utf-8-sig")
    assert admin.get(f"/portal/beneficiaries/import/{iid}/rejected/pdf").status_code == 404
    # Audited: upload, start, finish, both downloads.
    for action in ("beneficiary.import_uploaded", "beneficiary.import_started", "beneficiary.import_finished",
                   "beneficiary.import_report_downloaded"):
        audit = admin.get(f"/portal/reports/audit?action={action}")
        assert audit.status_code == 200 and audit.text.count("<tr") >= 2, action
    # Other roles: 403; another charity's admin: 404 everywhere, nothing changes.
    officer = sign_in(server, run_async(make_staff(a.tenant, "relations_officer")))
    assert officer.get("/portal/beneficiaries/import").status_code == 403
    assert officer.get(f"/portal/beneficiaries/import/{iid}").status_code == 403
    assert officer.post("/portal/beneficiaries/import", files={"file": ("x.csv", sheet([]), CSV_TYPE)}) \
        .status_code == 403
    assert 'href="/portal/beneficiaries/import"' not in officer.get("/portal/beneficiaries").text
    theirs = sign_in(server, b)
    assert iid not in theirs.get("/portal/beneficiaries/import").text
    for path in ("", "/progress", "/rejected/csv", "/rejected/xlsx"):
        assert theirs.get(f"/portal/beneficiaries/import/{iid}{path}").status_code == 404, path
    assert theirs.post(f"/portal/beneficiaries/import/{iid}", {"map_id_number": "0", "map_name": "1",
                                                               "map_mobile": "2", "lawful": "1"}).status_code == 404
    assert admin.get("/portal/beneficiaries/import/not-an-id").status_code == 404


def test_hostile_files_get_a_message_never_a_500(server, two_tenants):
    a, _ = two_tenants
    admin = sign_in(server, a)
    cases = [
        ("policy.pdf", b"%PDF-1.4 a document", "application/pdf", "CSV"),
        ("bad.csv", b"id,name\n1,\xc3\x28\xa0\xa1 caf\xe9\n", CSV_TYPE, "UTF-8"),
        ("nul.csv", b"id,name\n" + b"\x00" * 50, CSV_TYPE, "CSV"),
        ("empty.csv", b"", CSV_TYPE, "CSV"),
        ("big.csv", b"a,b\n" + b"1,2\n" * (imports.MAX_BYTES // 4 + 10), CSV_TYPE, "MB"),
        ("fake.xlsx", b"PK\x03\x04 no workbook inside", "application/zip", "XLSX"),
    ]
    admin.get("/lang/en")
    for name, content, kind, says in cases:
        r = admin.post("/portal/beneficiaries/import", files={"file": (name, content, kind)})
        assert r.status_code == 400, (name, r.status_code)
        assert 'class="field-error"' in r.text and says in r.text, name
    r = admin.post("/portal/beneficiaries/import", {"file": "just text, no file"})
    assert r.status_code == 400 and "Choose a CSV or XLSX file" in r.text
    # Over the server's body limit (100 MB): refused before it is read, with a page that says so.
    huge = admin.post("/portal/beneficiaries/import", files={"file": ("huge.csv", b"0" * (100 * 1024 * 1024), CSV_TYPE)})
    assert huge.status_code == 413 and "larger" in huge.text
    # A file with NUL bytes and control characters inside cells still imports its good rows.
    one = valid_test_id("150000100")
    mixed = sheet([[one, "سلمى", "0501234567", ""], [valid_test_id("150000101"), "x\x01\x00y", "0501234567", ""]])
    up = admin.post("/portal/beneficiaries/import", files={"file": ("mixed.csv", mixed, CSV_TYPE)})
    assert up.status_code in (302, 303)
    iid = up.headers["location"].rsplit("/", 1)[-1]
    page = admin.get(f"/portal/beneficiaries/import/{iid}")
    assert page.status_code == 200 and "\x00" not in page.text and "x\ufffd\ufffdy" in page.text
    # A huge row (thousands of columns, a megabyte cell) is cut, never a 500.
    wide = ("a," * 5000 + "\n" + "x" * 60_000 + ",1\n").encode()
    r = admin.post("/portal/beneficiaries/import", files={"file": ("wide.csv", wide, CSV_TYPE)})
    assert r.status_code in (302, 303, 400)


PAST_HEADERS = "رقم الهوية,الاسم,الجوال,تاريخ الطلب,نوع الدعم,النتيجة,سبب الرفض,تاريخ الصرف,المبلغ"


def test_past_requests_are_imported_by_the_worker_as_the_page_chose(server, charity_http, publish_policy):
    """The same pages, the other kind: the upload form's choice, the past requests' fields, the real
    worker; the requests it writes show on their own pages as imported, with no message sent."""
    a, b = charity_http
    run_async(publish_policy(a.tenant))
    admin = sign_in(server, a)
    page = admin.get("/portal/beneficiaries/import")
    assert 'name="kind" value="past_requests"' in page.text and 'name="kind" value="beneficiaries"' in page.text
    # What the page does not offer is refused, the file kept out.
    odd = admin.post("/portal/beneficiaries/import", {"kind": "committee"},
                     files={"file": ("x.csv", sheet([]), CSV_TYPE)})
    assert odd.status_code == 400 and 'class="field-error"' in odd.text
    people = [valid_test_id(f"1{70_000_000 + i:08d}") for i in range(3)]
    lines = [PAST_HEADERS,
             f"{people[0]},نورة سالم,0501234567,1445/06/23,سلة غذائية,تم الصرف,,2024-01-10,300",
             f"{people[1]},خالد فهد,0551234567,2024-02-01,إيجار,مرفوض,خارج نطاق الدعم,,",
             f"{people[2]},,,2024-02-01,إيجار,مقبول,,,",  # no file and no name: rejected
             f"{people[1]},خالد فهد,0551234567,2024-02-01,إيجار,مقبول,,,"]  # the same request again
    up = admin.post("/portal/beneficiaries/import", {"kind": "past_requests"},
                    files={"file": ("طلبات.csv", ("\n".join(lines) + "\n").encode(), CSV_TYPE)})
    assert up.status_code in (302, 303), up.text[:2000]
    iid = up.headers["location"].rsplit("/", 1)[-1]
    mapping = admin.get(f"/portal/beneficiaries/import/{iid}").text
    for field, column in (("id_number", 0), ("name", 1), ("mobile", 2), ("submitted_on", 3), ("support_kind", 4),
                          ("outcome", 5), ("reason", 6), ("served_on", 7), ("amount", 8)):
        assert re.search(rf'name="map_{field}".*?<option value="{column}" selected', mapping, re.S), field
    assert 'name="map_registered_on"' not in mapping  # the other kind's fields are not offered
    missing = admin.post(f"/portal/beneficiaries/import/{iid}", {"map_id_number": "0", "lawful": "1"})
    assert missing.status_code == 400 and missing.text.count('class="field-error"') >= 3
    chosen = {f"map_{f}": str(c) for f, c in (("id_number", 0), ("name", 1), ("mobile", 2), ("submitted_on", 3),
                                              ("support_kind", 4), ("outcome", 5), ("reason", 6), ("served_on", 7),
                                              ("amount", 8))}
    assert admin.post(f"/portal/beneficiaries/import/{iid}", {**chosen, "lawful": "1"}).status_code in (302, 303)
    done = wait_for(admin, iid)
    record = run_async(queries.get_import_in_tenant(a.tenant.id, iid))
    assert (record.status, record.imported, record.files_created, record.rejected) == ("done", 2, 2, 2), done
    assert f"/portal/beneficiaries/import/{iid}/rejected/csv" in done
    report = admin.get(f"/portal/beneficiaries/import/{iid}/rejected/csv").content.decode("utf-8-sig")
    assert len(report.strip().splitlines()) == 3  # the header and the two rejected rows

    async def imported_requests():
        from sila.platform.db import tenant_scope

        async with tenant_scope(a.tenant.id) as tx:
            return await tx.connection.fetch(
                "select id, reference, stage from support_request where imported_from = $1 order by submitted_at", iid)

    reqs = run_async(imported_requests())
    assert [r["stage"] for r in reqs] == ["closed", "rejected"]
    detail = admin.get(f"/portal/requests/{reqs[0]['id']}")
    assert detail.status_code == 200 and "طلبات.csv" in detail.text and reqs[0]["reference"] in detail.text
    # Another charity's admin: 404 on the import and on the requests it wrote.
    theirs = sign_in(server, b)
    assert theirs.get(f"/portal/beneficiaries/import/{iid}").status_code == 404
    assert theirs.get(f"/portal/requests/{reqs[0]['id']}").status_code == 404
