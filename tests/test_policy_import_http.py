"""Importing the charity's own policy through the pages: upload (PDF, Word) or paste, review
beside the passages, save to the draft (never publish), errors with the input kept, and
another tenant's import documents are not there."""
from __future__ import annotations

import re
from pathlib import Path

from sila.tenants.policy import services
from sila.tenants.policy.seeds import get_seed
from support import data
from support.clients import sign_in
from support.policy import draft_of
from support.policy import NOVEL

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed_text(slug: str) -> str:
    return (SEEDS / get_seed(slug).source).read_text(encoding="utf-8")


def review_form(page: str) -> dict:
    """The review form as the browser would post it: every input's value, ticked boxes only."""
    form: dict = {}
    for m in re.finditer(r'<input([^>]*)>', page):
        attrs = dict(re.findall(r'(\w[\w.-]*)="([^"]*)"', m.group(1)))
        if "name" not in attrs:
            continue
        kind = attrs.get("type", "text")
        if kind in ("checkbox", "radio"):
            if "checked" in m.group(1):
                form.setdefault(attrs["name"], []).append(attrs.get("value", "1"))
        elif kind != "file":
            form[attrs["name"]] = _unescape(attrs.get("value", ""))
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        form[m.group(1)] = _unescape(m.group(2))
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"\s+selected', m.group(2))
        form[m.group(1)] = chosen.group(1) if chosen else ""
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 and k != "decisions" else v) for k, v in form.items()}


def _unescape(s: str) -> str:
    import html

    return html.unescape(s)


async def test_paste_review_and_save_each_seed(policy_admin):
    c = policy_admin
    start = c.get("/portal/policy/import")
    assert start.status_code == 200 and 'name="file"' in start.text
    sent = c.post("/portal/policy/import", {"text": seed_text("mafatih")})
    assert sent.status_code == 303, sent.text[-1500:]
    url = sent.headers["location"]
    page = c.get(url)
    assert page.status_code == 200
    assert "وقف مفاتيح الخير" in page.text and "لا تقل عن أسبوعين" in page.text
    assert "import-found" in page.text
    novel = c.post("/portal/policy/import", {"text": NOVEL})
    shown = c.get(novel.headers["location"]).text
    assert "المركز الوطني لتنمية القطاع غير الربحي" in shown and "٥٤٣" in shown
    form = review_form(page.text)
    assert form["review_window_days"] == "14" and form["meeting_number"] == "161"
    saved = c.post(url, form)
    assert saved.status_code == 303, saved.text[-3000:]
    draft = await draft_of(c)
    seed = get_seed("mafatih")
    assert [ch.code for ch in draft.channels if ch.enabled] == [ch.code for ch in seed.draft.channels]
    assert draft.enabled_steps() == [s.code for s in seed.draft.steps]
    assert draft.review_window_days == 14 and draft.review_window_text_ar.endswith("لا تقل عن أسبوعين")
    assert draft.introduction_ar.startswith("يضع وقف مفاتيح الخير")
    assert draft.source_document == url.rsplit("/", 1)[1] and draft.offer_original is False
    state = await services.load_draft(c.staff.tenant.id)
    assert state.approval["meeting_number"] == 161 and state.approval["date_hijri"] == [1447, 3, 23]
    assert await services.current_policy_version(c.staff.tenant.id) is None  # nothing published


async def test_word_upload_without_committee_and_the_dates_warning(policy_admin):
    import docx
    import io

    c = policy_admin
    document = docx.Document()
    for line in seed_text("haramain").splitlines():
        document.add_paragraph(line.strip())
    out = io.BytesIO()
    document.save(out)
    sent = c.post("/portal/policy/import", {"text": ""},
                  files={"file": ("سياسة.docx", out.getvalue(),
                                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
    assert sent.status_code == 303, sent.text[-1500:]
    page = c.get(sent.headers["location"])
    form = review_form(page.text)
    assert form["session_ordinal"] == "7" and form["review_window_days"] == ""
    assert c.post(sent.headers["location"], form).status_code == 303
    draft = await draft_of(c)
    assert "committee" not in draft.enabled_steps() and draft.review_window_days is None
    assert draft.layout == "articles"
    # Basmat's minutes give a Hijri date a day off Umm al-Qura: the existing warning shows.
    basmat = c.post("/portal/policy/import", {"text": seed_text("basmat")})
    warned = c.get(basmat.headers["location"])
    assert "differ" in warned.text or "يختلف" in warned.text or "الفرق" in warned.text


async def test_errors_keep_the_input(policy_admin):
    c = policy_admin
    empty = c.post("/portal/policy/import", {"text": "  "})
    assert empty.status_code == 400 and 'id="file-error"' in empty.text
    bad = c.post("/portal/policy/import", {"text": ""}, files={"file": ("x.pdf", b"GIF89a nothing", "application/pdf")})
    assert bad.status_code == 400 and 'id="file-error"' in bad.text
    control = c.post("/portal/policy/import", {"text": "سياسة\x01"})
    assert control.status_code == 400 and "سياسة" in control.text
    sent = c.post("/portal/policy/import", {"text": seed_text("basmat")})
    url = sent.headers["location"]
    form = review_form(c.get(url).text)
    form["review_window_days"] = "٤٠٠"
    form["meeting_number"] = "abc"
    form["channels.0.label_ar"] = "قناة مميزة\x00"
    refused = c.post(url, form)
    assert refused.status_code == 400
    assert 'id="review_window_days-error"' in refused.text and 'id="meeting_number-error"' in refused.text
    assert "٤٠٠" in refused.text and "abc" in refused.text
    before = await draft_of(c)
    assert before.source_document is None  # nothing saved


async def test_another_tenants_import_is_not_there(policy_admin, server):
    c = policy_admin
    sent = c.post("/portal/policy/import", {"text": seed_text("basmat")})
    url = sent.headers["location"]
    other_staff = await data.create_staff(await data.create_tenant())
    other = sign_in(server, other_staff)
    other.staff = other_staff
    assert other.get(url).status_code == 404
    assert other.post(url, {"use_texts": "1", "introduction_ar": "x"}).status_code == 404
    assert other.get("/portal/documents/" + url.rsplit("/", 1)[1]).status_code == 404
    # A document of another purpose is not an import.
    assert c.get("/portal/policy/import/00000000-0000-0000-0000-000000000000").status_code == 404
    assert (await draft_of(other)).source_document is None


async def test_publishing_without_board_approval_needs_an_acknowledgement_and_says_so(server, policy_admin):
    import io

    from pdfminer.high_level import extract_text

    from sila.platform import audit  # noqa: F401  (the audit rows are read through the table)
    from sila.platform.tables import AuditEntry
    from sila.platform.db import tenant_scope
    from sila.tenants.policy.importer import logical_order
    from support.policy import APPROVAL, rows

    c = policy_admin
    tenant = c.staff.tenant
    draft = await draft_of(c)
    for ch in draft.channels:
        ch.enabled = ch.code in ("interview", "phone")
    assert c.post("/portal/policy/channels", rows("channels", draft.channels, action="save")).status_code == 303
    page = c.get("/portal/policy/publish")
    assert 'name="without_approval"' in page.text
    assert c.post("/portal/policy/publish", {}).status_code == 400  # not acknowledged: refused
    assert await services.current_policy_version(tenant.id) is None
    done = c.post("/portal/policy/publish", {"without_approval": "1"})
    assert done.status_code == 303, done.text[-1500:]
    v1 = await services.current_policy_version(tenant.id)
    assert v1.number == 1 and v1.approval is None
    public = server.client(tenant.slug)
    assert "لا يوجد اعتماد من مجلس الإدارة مسجل لهذا الإصدار" in public.get("/policy").text
    assert "لم يُسجَّل اعتماد" in public.get("/policy/versions").text
    pdf = public.get("/policy/pdf")
    assert pdf.status_code == 200
    text = "\n".join(logical_order(line) for line in extract_text(io.BytesIO(pdf.content)).splitlines())
    assert "لا يوجد اعتماد من مجلس الإدارة مسجل" in text
    # Recording the approval later is audited, and published as a new version: v1 never changes.
    assert c.post("/portal/policy/approval", {**APPROVAL, "action": "save"}).status_code == 303
    assert 'name="without_approval"' not in c.get("/portal/policy/publish").text
    assert c.post("/portal/policy/publish", {}).status_code == 303
    v2 = await services.current_policy_version(tenant.id)
    assert v2.number == 2 and v2.approval is not None and v2.approval.meeting_number == 161
    assert (await services.get_version_in_tenant(tenant.id, number=1)).approval is None
    async with tenant_scope(tenant.id):
        actions = [r["action"] for r in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]
    assert "policy.approval.recorded" in actions and actions.count("policy.published") == 2


async def test_the_original_document_is_offered_only_when_chosen(server, policy_admin):
    from support.policy import APPROVAL

    c = policy_admin
    tenant = c.staff.tenant
    sent = c.post("/portal/policy/import", {"text": seed_text("basmat")})
    url = sent.headers["location"]
    form = review_form(c.get(url).text)
    assert c.post(url, {**form, "offer_original": "1"}).status_code == 303
    assert c.post("/portal/policy/approval", {**APPROVAL, "action": "save"}).status_code == 303
    assert c.post("/portal/policy/publish", {}).status_code == 303, c.get("/portal/policy/publish").text[-2000:]
    public = server.client(tenant.slug)
    assert "/policy/v/1/original" in public.get("/policy").text
    original = public.get("/policy/v/1/original")
    assert original.status_code == 200 and "جمعية بسمات" in original.content.decode("utf-8")
    assert public.get("/policy/v/2/original").status_code == 404
    # Publishing again without offering it: that version does not carry it.
    form = review_form(c.get(url).text)
    assert c.post(url, form).status_code == 303
    assert c.post("/portal/policy/approval", {**APPROVAL, "action": "save"}).status_code == 303
    assert c.post("/portal/policy/publish", {}).status_code == 303
    assert public.get("/policy/v/2/original").status_code == 404
    assert "/original" not in public.get("/policy").text


async def test_the_governance_indicators_flag_a_policy_without_board_approval(policy_admin):
    from support.policy import rows

    c = policy_admin
    draft = await draft_of(c)
    for ch in draft.channels:
        ch.enabled = ch.code == "phone"
    assert c.post("/portal/policy/channels", rows("channels", draft.channels, action="save")).status_code == 303
    assert "لا يوجد لها اعتماد مسجل" not in c.get("/portal/reports").text
    assert c.post("/portal/policy/publish", {"without_approval": "1"}).status_code == 303
    assert "السياسة النافذة (الإصدار ١) لا يوجد لها اعتماد مسجل من مجلس الإدارة" in c.get("/portal/reports").text
