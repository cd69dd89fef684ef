"""Issue 17: the governance evidence pack. Two published versions (the first approved without a
minutes scan, the second with one and another channel), requests decided and a committee session
closed in the period; the pack built by a real Celery worker, polled as the page does, its PDF read
back with pdftotext and pdffonts, its ZIP opened; another tenant sees and fetches none of it."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import subprocess
import tempfile
import time
import zipfile
from typing import Any

import pytest

from sila.platform.dates import RIYADH
from sila.tenants.policy import services as policy
from sila.tenants.policy.rules import ChannelConfig
from sila.tenants.policy.seeds import seed_organisations
from sila.tenants.reports import evidence, queries
from sila.tenants.reports.period import Period
from support.clients import sign_in
from support.data import PDF_BYTES, SERVICE_STEPS
from support.servers import run_async

BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def this_month() -> Period:
    today = dt.datetime.now(RIYADH).date()
    return Period("gregorian", (today.year, today.month), (today.year, today.month))


async def second_version(tenant: Any) -> None:
    """Version 2: one more channel, approved by the board with the minutes scan attached."""
    org = next(o for o in seed_organisations() if o.slug == "mafatih")
    state = await policy.load_draft(tenant.id)
    draft = state.draft
    draft.channels = [*draft.channels, ChannelConfig("website")]
    await policy.save_section(tenant.id, "channels", draft)
    scan = await policy.store_document(tenant.id, "minutes", "محضر.pdf", PDF_BYTES)
    await policy.save_approval(tenant.id, dataclasses.replace(org.approval, meeting_number=42), minutes_document=scan)
    await policy.publish(tenant.id, actor_name="test")


@pytest.fixture
async def charity(app_db, make_tenant, make_staff, publish_policy):
    from support.people import recorded, served

    tenant = await make_tenant(name_ar="جمعية الشواهد")
    await publish_policy(tenant, "mafatih", steps=SERVICE_STEPS, channels=["interview", "phone"], window=None)
    await second_version(tenant)
    staff = {role: await make_staff(tenant, role) for role in ("relations_officer", "admin", "board_member")}
    for channel in ("interview", "phone", "phone"):
        rid = await recorded(tenant, staff["relations_officer"], channel, "family", name="هند سالم الغامدي")
        await served(tenant, staff["relations_officer"], rid)
    return tenant, staff


async def built(tenant: Any, pid: Any, seconds: float = 90) -> dict[str, Any]:
    """Build the pack here, unless a Celery worker already running in this test session (a full
    run has one) took the task first: then wait for it. Either way the same code built it."""
    import asyncio

    await evidence.build(pid, tenant.id)
    deadline = time.monotonic() + seconds
    while (pack := await evidence.get_pack_in_tenant(tenant.id, pid))["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, pack
        await asyncio.sleep(0.5)
    return pack


@dataclasses.dataclass(frozen=True)
class Who:
    id: Any
    name: str
    email: str = ""
    support_grant: Any = None


async def test_the_facts_come_from_the_policy_and_the_dashboard(charity):
    tenant, staff = charity
    from sila.platform import i18n

    with i18n.language("ar"):
        e = await evidence.gather(tenant, this_month())
    assert [v.number for v in e.versions] == [1, 2] and [v.has_minutes for v in e.versions] == [False, True]
    assert e.versions[1].changes and any("موقع" in c or "website" in c for c in e.versions[1].changes)
    assert e.in_force.number == 2 and len(e.channels) == 3
    assert e.public_url.endswith("/policy") and tenant.slug in e.public_url
    d = await queries.dashboard(tenant.id, this_month())  # the same computation, not a second one
    assert e.dashboard == d and e.dashboard.received == 3
    assert any("محضر" in w or "minutes" in w for w in e.cannot_attest)  # version 1 has no scan
    assert any("لجنة" in w or "committee" in w.lower() for w in e.cannot_attest)  # no session in the period
    # Built in this process too (the worker test below runs the same code in a Celery worker).
    pid = await evidence.request_pack(tenant.id, this_month(), Who(staff["admin"].id, "مدير"), "203.0.113.9")
    done = await built(tenant, pid)
    assert (done["status"], done["progress"], done["error"]) == ("done", 100, "")
    assert await evidence.build(pid, tenant.id) is False  # done: a redelivered task builds nothing twice


def wait_for(admin: Any, pack_id: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        row = admin.get(f"/portal/reports/evidence/{pack_id}")
        assert row.status_code == 200
        seen.append(row.text)
        if "hx-trigger" not in row.text:
            return row.text
        time.sleep(0.5)
    raise AssertionError("the pack was not ready in time:\n" + seen[-1])


@pytest.fixture
def charity_http(server, sila_env, tmp_path, charity):
    """A real Celery worker for this test only (started as tests/test_workers.py's is): the
    session's shared one would stay up and relay the messages later tests expect still pending."""
    from support.servers import start_celery_worker

    worker = start_celery_worker(sila_env, tmp_path / "celerybeat-schedule")
    try:
        yield charity
    finally:
        worker.process.stop(30)


def test_a_worker_builds_the_pack_the_page_polls_and_it_downloads(server, charity_http, make_tenant, make_staff):
    tenant, staff = charity_http
    admin = sign_in(server, staff["admin"])
    q = this_month().query()
    page = admin.get(f"/portal/reports/evidence?{q}")
    assert page.status_code == 200 and 'action="/portal/reports/evidence"' in page.text
    board = sign_in(server, staff["board_member"])
    assert board.get(f"/portal/reports/evidence?{q}").status_code == 200
    assert board.post("/portal/reports/evidence", dict(x.split("=") for x in q.split("&"))).status_code == 403
    assert sign_in(server, staff["relations_officer"]).get("/portal/reports/evidence").status_code == 403
    bad = admin.post("/portal/reports/evidence", {"calendar": "hijri", "from_year": "1200", "from_month": "13",
                                                   "to_year": "\x00", "to_month": "x" * 5000})
    assert bad.status_code == 400 and "field-error" in bad.text and 'value="1200"' in bad.text
    made = admin.post("/portal/reports/evidence", dict(x.split("=") for x in q.split("&")))
    assert made.status_code in (302, 303)
    [pack] = run_async(evidence.packs(tenant.id))
    pid = str(pack["id"])
    assert f'hx-get="/portal/reports/evidence/{pid}"' in admin.get(f"/portal/reports/evidence?{q}").text \
        or pack["status"] == "done"
    row = wait_for(admin, pid)
    assert f"/portal/reports/evidence/{pid}/pdf" in row, row
    response = board.get(f"/portal/reports/evidence/{pid}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.content
    text = BIDI.sub("", subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                       check=True).stdout.decode())
    for expected in ("جمعية الشواهد", f"{tenant.slug}.", "/policy", "الإصدار", "١٤٤",
                     "القنوات", "المؤشرات", "هـ"):
        assert expected in text, expected
    assert "هند" not in text  # no applicant's name anywhere in the pack
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=False).stdout.decode()
    if not fonts.strip():  # older poppler reads no stdin
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(pdf)
            f.flush()
            fonts = subprocess.run(["pdffonts", f.name], capture_output=True, check=True).stdout.decode()
    lines = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert lines and all(line.split()[-5] == "yes" for line in lines), fonts  # the "emb" column
    archive = zipfile.ZipFile(io.BytesIO(admin.get(f"/portal/reports/evidence/{pid}/zip").content))
    names = set(archive.namelist())
    assert {"evidence-pack.pdf", "policy/policy-v1-ar.pdf", "policy/policy-v2-ar.pdf", "approvals/approval-v1.json",
            "approvals/approval-v2.json", "approvals/minutes-v2.pdf", "figures/summary.csv",
            "figures/requests-by-channel.csv", "manifest.json"} <= names, names
    assert "approvals/minutes-v1.pdf" not in names
    assert archive.read("evidence-pack.pdf") == pdf
    assert archive.read("approvals/minutes-v2.pdf") == PDF_BYTES
    channels = archive.read("figures/requests-by-channel.csv").decode("utf-8-sig")
    assert channels.count("\n") == 3 and ",2" in channels  # header, phone 2, interview 1
    assert b"%PDF" == archive.read("policy/policy-v1-ar.pdf")[:4]
    # Audited: the request, the build and both downloads.
    audit = admin.get("/portal/reports/audit?action=evidence.")
    assert audit.status_code == 200 and audit.text.count("<tr>") >= 4
    # Another charity's admin sees none of it and fetches nothing.
    other = run_async(make_tenant(name_ar="جمعية أخرى"))
    theirs = sign_in(server, run_async(make_staff(other, "admin")))
    assert pid not in theirs.get("/portal/reports/evidence").text
    for path in ("", "/pdf", "/zip"):
        assert theirs.get(f"/portal/reports/evidence/{pid}{path}").status_code == 404, path
    assert admin.get(f"/portal/reports/evidence/{pid}/docx").status_code == 404
    assert admin.get("/portal/reports/evidence/not-a-uuid").status_code == 404


async def test_a_version_published_without_an_approval_is_said_and_the_pack_still_builds(charity):
    """The import lets an admin publish with no board approval recorded (after acknowledging it):
    the pack says so instead of failing on the missing record."""
    tenant, staff = charity
    from sila.platform import i18n

    await policy.publish(tenant.id, actor_name="test", without_approval=True)  # version 2 used the approval up
    with i18n.language("ar"):
        e = await evidence.gather(tenant, this_month())
    assert [v.approval is None for v in e.versions] == [False, False, True]
    assert any("دون اعتماد" in w for w in e.cannot_attest), e.cannot_attest
    pid = await evidence.request_pack(tenant.id, this_month(), Who(staff["admin"].id, "مدير"), "203.0.113.9")
    assert (await built(tenant, pid))["status"] == "done"
