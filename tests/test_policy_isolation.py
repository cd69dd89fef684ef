"""Tenant B can neither see nor change tenant A's policy draft, documents, approval scans or
versions: through every route (with A's real ids), and in the database itself (RLS)."""
from __future__ import annotations

import asyncpg
import pytest

from sila.platform.db import tenant_scope
from sila.tenants.policy import services
from sila.tenants.policy.rules import BoardApprovalInput
from sila.tenants.policy.tables import Document, PolicyDraft, PolicyVersion, TenantProfile
from support.data import PDF_BYTES, png_bytes
from support.policy import APPROVAL, configure_minimum, draft_of, rows

SECRET_CHANNEL = "قناة سرية للجهة أ"


async def give_a_policy(server, a):
    """A's admin: own channel, a tool PDF, an approval with a minutes scan, published v1."""
    client = server.client(a.tenant.slug)
    client.login(a.email)
    client.staff = a
    await configure_minimum(client)
    draft = await draft_of(client)
    assert client.post("/portal/policy/channels", rows("channels", [*draft.channels, {
        "code": None, "label_ar": SECRET_CHANNEL}], action="save")).status_code == 303
    assert client.post("/portal/policy/tools", rows("tools", draft.tools, action="save"),
                       files={"tools.0.file": ("a.pdf", PDF_BYTES, "application/pdf")}).status_code == 303
    assert client.post("/portal/policy/approval", {**APPROVAL, "action": "save"},
                       files={"minutes_file": ("m.pdf", PDF_BYTES, "application/pdf")}).status_code == 303
    assert client.post("/portal/policy/publish").status_code == 303
    # And a new draft approval with its own scan, not yet published.
    assert client.post("/portal/policy/approval", {**APPROVAL, "meeting_number": "200", "action": "save"},
                       files={"minutes_file": ("m2.pdf", PDF_BYTES, "application/pdf")}).status_code == 303
    return client


async def test_tenant_b_cannot_reach_a_policy_through_routes(server, two_tenants):
    a, b = two_tenants
    await give_a_policy(server, a)
    a_draft = await services.load_draft(a.tenant.id)
    a_version = await services.current_policy_version(a.tenant.id)
    a_tool_doc = a_version.policy.tools[0].document_id
    a_ids = [a_tool_doc, str(a_version.approval.minutes_document), str(a_draft.minutes_document)]

    client = server.client(b.tenant.slug)
    client.login(b.email)
    for doc_id in a_ids:
        assert client.get(f"/portal/documents/{doc_id}").status_code == 404
    assert client.get(f"/portal/policy/versions/{a_version.id}").status_code == 404
    for path in ("/portal/policy", "/portal/policy/channels", "/portal/policy/preview", "/portal/policy/history",
                 "/portal/policy/approval", "/portal/library"):
        page = client.get(path)
        assert page.status_code == 200 and SECRET_CHANNEL not in page.text and a.tenant.name_en not in page.text
    # B's public pages know nothing of A's published policy.
    public = server.client(b.tenant.slug)
    assert SECRET_CHANNEL not in public.get("/policy").text
    assert public.get("/policy/v/1").status_code == 404 and public.get("/policy/pdf").status_code == 404

    # Smuggling A's document ids into B's forms attaches nothing.
    tools = (await services.load_draft(b.tenant.id)).draft.tools
    tools[0].document_id = a_tool_doc
    assert client.post("/portal/policy/tools", rows("tools", tools, action="save")).status_code == 303
    assert (await services.load_draft(b.tenant.id)).draft.tools[0].document_id is None
    assert client.post("/portal/policy/approval", {**APPROVAL, "minutes_document": str(a_draft.minutes_document),
                                                   "action": "save"}).status_code == 303
    assert (await services.load_draft(b.tenant.id)).minutes_document is None
    assert client.post("/portal/profile", {"name_ar": "ب", "regulator": "ncnp", "licence_number": "1", "region": "riyadh",
                                           "city": "جدة", "logo_document": a_tool_doc},
                       files={"logo": ("", b"", "application/octet-stream")}).status_code == 303
    profile = await services.get_profile(b.tenant.id)
    assert profile["city"] == "جدة" and profile["logo"] is None

    # A's session is not valid on B's host, and A's admin pages are unchanged by all this.
    assert (await services.load_draft(a.tenant.id)).approval["meeting_number"] == 200
    assert (await services.current_policy_version(a.tenant.id)).number == 1


async def test_row_level_security_hides_and_protects_a_policy_rows(server, two_tenants):
    a, b = two_tenants
    await give_a_policy(server, a)
    logo = await services.store_document(a.tenant.id, "logo", "logo.png", png_bytes())
    async with tenant_scope(b.tenant.id) as tx:
        for table in (PolicyDraft, PolicyVersion, Document, TenantProfile):
            assert await table.count().where(table.tenant == a.tenant.id) == 0, table
        assert await Document.count().where(Document.id == logo) == 0
        changed = await tx.connection.execute(
            "update policy_draft set approval = null where tenant = $1", a.tenant.id)
        assert changed == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with tx.connection.transaction():
                await tx.connection.execute(
                    """insert into document (tenant, purpose, filename, content_type, size, sha256, content)
                       values ($1, 'tool', 'x.pdf', 'application/pdf', 5, repeat('0', 64), '%PDF-')""", a.tenant.id)
        # B cannot point its own rows at A's files either (composite foreign key on tenant + id).
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            async with tx.connection.transaction():
                await tx.connection.execute(
                    "insert into tenant_profile (tenant, regulator, logo) values ($1, 'ncnp', $2)", b.tenant.id, logo)
    # Services called with B's id cannot fetch A's rows by id.
    assert await services.get_document(b.tenant.id, logo) is None
    a_version = await services.current_policy_version(a.tenant.id)
    assert await services.get_version(b.tenant.id, version_id=a_version.id) is None
    with pytest.raises(ValueError):
        await services.save_approval(b.tenant.id, BoardApprovalInput())
    assert (await services.load_draft(a.tenant.id)).approval is not None
