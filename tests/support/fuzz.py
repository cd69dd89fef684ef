"""The two tenants the fuzzers (test_fuzz_tenants, test_fuzz_input) build through the real pages and
services, with every identifier and marker of theirs collected for the leak checks."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sila.platform.db import tenant_scope
from sila.platform.settings import Settings
from support.clients import PASSWORD, Client, sign_in
from support.data import PDF_BYTES, session_time
from support.db import owner_connection, tenant_tables
from support.gateways import use_gateway
from support.intake import CHANNELS, act, online, staff_intake
from support.servers import Server

DEFAULT_FORM_LIMIT = Settings.model_fields["public_form_limit"].default


ROLES = ("admin", "relations_officer", "social_researcher", "committee_member")


DOC_PDF = ("doc.pdf", PDF_BYTES, "application/pdf")


def fake_ip() -> str:
    """A made-up client address per client (only ever a header): uvicorn trusts X-Forwarded-For
    from loopback, so this suite's counters never use up other tests' limits. From 10.0.0.0/8:
    one /24 (250 choices) let two clients of the suite meet often enough to fail a sign-in."""
    return "10." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))


def client(server: Server, host_slug: str | None) -> Client:
    c = server.client(host_slug)
    c.http.headers["X-Forwarded-For"] = fake_ip()
    return c


@dataclass
class Side:
    tenant: Any
    users: dict[str, Any]  # role (or "all") -> (id, email)
    tokens: set[str] = field(default_factory=set)  # raw tokens captured at creation
    ids: dict[str, set[str]] = field(default_factory=dict)  # identifier -> tables (columns) it came from
    markers: set[str] = field(default_factory=set)  # what must never show on another tenant's pages


async def publish(tenant_id: Any) -> None:
    from sila.tenants.policy import services
    from sila.tenants.policy.rules import ChannelConfig
    from sila.tenants.policy.seeds import seed_organisations

    org = next(o for o in seed_organisations() if o.slug == "mafatih")
    org.draft.channels = [ChannelConfig(code) for code in CHANNELS]
    for section in services.SECTIONS:
        await services.save_section(tenant_id, section, org.draft)
    await services.save_approval(tenant_id, org.approval)
    await services.publish(tenant_id, actor_name="fuzz")


async def build(server: Server, word: str, latin: str, *, sms: str, whatsapp: bool) -> Side:
    """A tenant with a published policy, staff in every role, two requests (one walked through
    every step: documents, verification, referral and report, committee vote and decision,
    registration, service), a complaint, a survey invitation, gateways, invitation and reset links."""
    from sila.platform import directory
    from sila.platform.accounts import services as accounts
    from sila.platform.auth import new_token
    from sila.platform.tables import AuthToken
    from sila.tenants.surveys import services as surveys

    tenant = await directory.create_tenant(slug=f"fz{latin.lower()}{secrets.token_hex(3)}", kind="association",
                                           name_ar=f"جمعية {word} الخيرية", name_en=f"{latin} Charity", status="active")
    users: dict[str, Any] = {}
    everyone = f"all-{secrets.token_hex(3)}@{latin.lower()}.test"
    for role in ROLES:
        uid = await accounts.add_member(tenant, email=everyone, name=f"موظف {word}", role=role, password=PASSWORD)
        users["all"] = (uid, everyone)
        email = f"{role}-{secrets.token_hex(3)}@{latin.lower()}.test"
        users[role] = (await accounts.add_member(tenant, email=email, name=f"{word} {role}", role=role,
                                                 password=PASSWORD), email)
    await publish(tenant.id)
    side = Side(tenant, users)
    person = f"{word} عبدالله الحربي"
    response, _ = online(client(server, tenant.slug), name=person, signature=person, need=f"دعم {word} للإيجار")
    assert response.status_code == 303, response.text[-1500:]
    staff = sign_in(server, everyone, tenant.slug, forwarded_for=fake_ip())
    assert staff_intake(staff, name=f"{word} سالم العتيبي", files={"documents": DOC_PDF}).status_code == 303
    async with tenant_scope(tenant.id) as tx:
        rid = await tx.connection.fetchval("select id from support_request where channel = 'website'")
    checks = {f"check_{k}": "yes" for k in ("identity", "contact", "information", "documents")}
    assert act(staff, rid, "verify", **checks).status_code == 303
    assert act(staff, rid, "refer", researcher=str(users["all"][0]), question=f"سؤال {word}").status_code == 303
    assert act(staff, rid, "report", notes=f"ملاحظات {word}", files={"visit_file": DOC_PDF}).status_code == 303
    staff.get("/portal/committee")
    session = staff.post("/portal/committee", {"held_at": session_time()}).headers["location"]
    staff.post(f"{session}/agenda", {"requests": str(rid)})
    async with tenant_scope(tenant.id) as tx:
        item = await tx.connection.fetchval("select id from committee_item")
    # Both committee members attend (the quorum of the default rule), one votes and confirms.
    staff.post(f"{session}/attendance", {"present": [str(users["all"][0]), str(users["committee_member"][0])]})
    staff.post(f"{session}/items/{item}/vote", {"vote": "accept", "reasons": f"أسباب {word}"})
    staff.post(f"{session}/items/{item}/decide", {"decision": "accept"})
    assert act(staff, rid, "register").status_code == 303
    assert act(staff, rid, "record_service", service_type=f"خدمة {word}").status_code == 303
    staff.get("/portal/security")
    staff.post("/portal/security/grants", {"hours": "24", "note": f"دعم {word}"})
    # The public complaint form; its token is the "received" page's address.
    public = client(server, tenant.slug)
    page = public.get("/feedback")
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    sent = public.post("/feedback", {"token": token, "kind": "complaint", "body": f"شكوى {word} عن التأخير",
                                     "name": person, "mobile": "0551234567", "contact_channel": "sms"})
    assert sent.status_code == 303, sent.text[-1500:]
    side.tokens.add(token)
    # A survey invitation (its raw token is never stored: derive it as the reminder does).
    async with tenant_scope(tenant.id) as tx:
        sid = await surveys.ensure_default_in_scope(tenant.id)
        ben = await tx.connection.fetchval("select beneficiary from support_request where id = $1", rid)
        [iid] = await surveys.invite_many_in_scope(tenant, sid, [dict(
            beneficiary=ben, channel="sms", language="ar", mobile="+966551234567", email="", request=rid)])
    side.tokens.add(surveys.token_for(tenant.id, iid))
    await use_gateway(tenant.id, "http://127.0.0.1:9", provider=sms, account="AC" + secrets.token_hex(8),
                      secret="gateway-secret-" + latin)
    if whatsapp:
        await use_gateway(tenant.id, "http://127.0.0.1:9", channel="whatsapp", provider="whatsapp_cloud",
                          account="1234567890", secret="wa-token", signing_secret="wa-app-secret-" + latin)
    for purpose in ("invite", "reset"):
        raw, digest = new_token()
        side.tokens.add(raw)
        async with tenant_scope(tenant.id):
            await AuthToken.insert(AuthToken(tenant=tenant.id, purpose=purpose, email=users["admin"][1],
                                             user=users["admin"][0], roles=["admin"], token_hash=digest,
                                             expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)))
    await imports_of_both_kinds(tenant, users["admin"][0], word, latin)
    await collect(side)
    return side


async def imports_of_both_kinds(tenant: Any, admin_id: Any, word: str, latin: str) -> None:
    """A finished import of each kind (beneficiaries, past requests), each with a rejected row, so
    their ids, their report rows and what they wrote are probed from the other tenant too."""
    import asyncio
    from types import SimpleNamespace

    from sila.platform.identity import valid_test_id
    from sila.tenants.beneficiaries import imports

    admin = SimpleNamespace(id=admin_id, name=f"مدير {word}", email="", support_grant=None)
    one, two = (valid_test_id(f"1{secrets.randbelow(10**8):08d}") for _ in range(2))
    files = {
        "beneficiaries": f"رقم الهوية,الاسم,الجوال\n{one},{word} مستورد الشهري,0501234567\n123,خطأ,1\n",
        "past_requests": (f"رقم الهوية,الاسم,الجوال,تاريخ الطلب,نوع الدعم,النتيجة,تاريخ الصرف\n"
                          f"{two},{word} سابق القحطاني,0551234567,1445/06/23,دعم {word} سابق,تم الصرف,2024-01-10\n"
                          f"{two},,,2024-01-01,إيجار,مرفوض,\n"),
    }
    for kind, text in files.items():
        iid = await imports.upload(tenant.id, f"{latin}-{kind}.csv", text.encode(), actor=admin, address="",
                                   kind=kind)
        record = await imports.get_import_in_tenant(tenant.id, iid)
        await imports.start(tenant.id, iid, record.mapping, actor=admin, address="")
        await imports.run(iid, tenant.id)
        for _ in range(600):  # or the session's worker took it first
            record = await imports.get_import_in_tenant(tenant.id, iid)
            if record.status not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)
        assert record.status == "done" and record.imported == 1 and record.rejected == 1, record


async def collect(side: Side) -> None:
    """Every identifier of the tenant's rows (as the owner: RLS does not hide them from us), and
    the strings that would show its data on a page."""
    tid = side.tenant.id
    conn = await owner_connection()
    try:
        for table in await tenant_tables(conn):
            cols = [r["column_name"] for r in await conn.fetch(
                """select column_name from information_schema.columns where table_name = $1 and
                   (data_type = 'uuid' or column_name like '%token%' or column_name = 'reference')
                   and column_name <> 'tenant'""", table)]
            for row in await conn.fetch(f'select {", ".join(map(quote, cols))} from "{table}" where tenant = $1', tid):
                for col in cols:
                    if row[col] is not None:
                        side.ids.setdefault(str(row[col]), set()).add(f"{table}.{col}")
        members = await conn.fetch('select distinct "user" from membership where tenant = $1', tid)
        for m in members:
            side.ids.setdefault(str(m["user"]), set()).add("staff_user.id")
        side.ids.setdefault(str(tid), set()).add("tenant.id")
        side.ids.setdefault(side.tenant.slug, set()).add("tenant.slug")
        for token in side.tokens:
            side.ids.setdefault(token, set()).add("raw token")
        m = side.markers
        m |= {side.tenant.name_ar, side.tenant.name_en}
        m |= {r["email"] for r in await conn.fetch(
            'select email from staff_user where id = any($1::uuid[])', [r["user"] for r in members])}
        for sql in ("select name, mobile from beneficiary", "select reference, need from support_request",
                    "select body from feedback", "select service_type from service_delivery",
                    "select question, notes from request_referral", "select reasons from committee_vote"):
            for r in await conn.fetch(sql.replace(" from ", " from ", 1) + " where tenant = $1", tid):
                m |= {str(v) for v in r.values() if v and len(str(v)) >= 6}
    finally:
        await conn.close()


def quote(name: str) -> str:
    return '"' + name + '"'


async def snapshot(side: Side) -> dict[str, str]:
    """A checksum of each of the tenant's tables (and its own row and staff accounts)."""
    tid = side.tenant.id
    conn = await owner_connection()
    try:
        out = {}
        for table in await tenant_tables(conn):
            out[table] = await conn.fetchval(
                f"""select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from "{table}" t
                    where tenant = $1""", tid)
        out["tenant"] = await conn.fetchval("select md5(t::text) from tenant t where id = $1", tid)
        out["staff_user"] = await conn.fetchval(
            """select md5(string_agg(u::text, '|' order by u.id)) from staff_user u
               where id in (select "user" from membership where tenant = $1)""", tid)
        return out
    finally:
        await conn.close()
