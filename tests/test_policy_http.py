"""Policy configuration, board approval, publishing and versions, through HTTP as an admin."""
from __future__ import annotations

import subprocess
import unicodedata

import asyncpg
import pytest

from sila.platform.db import tenant_scope
from sila.tenants.policy import catalogue, services
from support.data import PDF_BYTES
from support.db import owner_connection
from support.policy import APPROVAL, configure_minimum, draft_of, rows
from support.servers import start_server










async def test_channels_own_channels_notes_order_and_errors(policy_admin):
    c = policy_admin
    page = c.get("/portal/policy/channels")
    assert page.status_code == 200
    assert all(ch.ar in page.text for ch in catalogue.CHANNELS.values())
    draft = await draft_of(c)
    for ch in draft.channels:
        ch.enabled = ch.code in ("interview", "phone")
        if ch.code == "phone":
            ch.note = "٩٢٠٠١٢٣٤٥ من الأحد إلى الخميس"
    # "Add" shows an empty row to name, focused, and saves nothing yet.
    added = c.post("/portal/policy/channels", rows("channels", draft.channels, action="add"))
    assert added.status_code == 200 and 'id="channels.10.label_ar"' in added.text and "autofocus" in added.text
    assert len((await draft_of(c)).channels) == 10
    own = {"code": None, "label_ar": "تطبيق الجوال", "label_en": "Mobile app", "note": "متاح في متاجر التطبيقات"}
    assert c.post("/portal/policy/channels", rows("channels", [*draft.channels, own], action="save")).status_code == 303
    saved = await draft_of(c)
    assert [ch.label("ar") for ch in saved.channels if ch.enabled] == ["المقابلة", "الاتصالات الهاتفية", "تطبيق الجوال"]
    assert saved.channels[2].note.startswith("٩٢٠") and saved.channels[10].label_en == "Mobile app"

    # The same name twice: refused beside the field, both typed values kept, nothing saved.
    twin = {"code": None, "label_ar": "تطبيق  الجوال"}
    refused = c.post("/portal/policy/channels", rows("channels", [*saved.channels, twin], action="save"))
    assert refused.status_code == 400
    assert "توجد قناة أخرى بهذا الاسم" in refused.text and 'id="channels.11.label_ar-error"' in refused.text
    assert refused.text.count("تطبيق  الجوال") >= 1
    assert len((await draft_of(c)).channels) == 11

    # Move the own channel up: saved, and the keyboard stays on the moved row's button.
    moved = c.post("/portal/policy/channels", rows("channels", saved.channels, action="up:10"))
    assert moved.status_code == 303 and "focus=channels.9.up" in moved.headers["location"]
    assert (await draft_of(c)).channels[9].label_ar == "تطبيق الجوال"
    assert 'id="channels.9.up"' in c.get(moved.headers["location"]).text
    # Remove it (only the tenant's own channels can be removed).
    current = await draft_of(c)
    assert c.post("/portal/policy/channels", rows("channels", current.channels, action="remove:9")).status_code == 303
    assert c.post("/portal/policy/channels", rows("channels", (await draft_of(c)).channels,
                                                  action="remove:0")).status_code == 303
    assert [ch.code for ch in (await draft_of(c)).channels] == list(catalogue.CHANNELS)
    # None enabled: saved (a draft may be incomplete) but the page says what publishing needs.
    none = await draft_of(c)
    for ch in none.channels:
        ch.enabled = False
    assert c.post("/portal/policy/channels", rows("channels", none.channels, action="save")).status_code == 303
    assert "فعّل قناة واحدة على الأقل" in c.get("/portal/policy/channels").text


async def test_tools_wording_and_pdf_uploads(policy_admin):
    c = policy_admin
    tools = (await draft_of(c)).tools
    tools[0].label_ar = "اللائحة الأساسية للجمعية"
    ok = c.post("/portal/policy/tools", rows("tools", tools, action="save"),
                files={"tools.0.file": ("لائحة.pdf", PDF_BYTES, "application/pdf")})
    assert ok.status_code == 303, ok.text[-2000:]
    saved = await draft_of(c)
    assert saved.tools[0].label_ar == "اللائحة الأساسية للجمعية" and saved.tools[0].document_id
    opened = c.get(f"/portal/documents/{saved.tools[0].document_id}")
    assert opened.status_code == 200 and opened.content == PDF_BYTES
    assert opened.headers["content-type"] == "application/pdf" and "nosniff" in opened.headers["x-content-type-options"]

    # A text file named .pdf, and a PDF over the size limit: errors beside their fields.
    saved.tools[1].label_ar = "دليل البحث"
    bad = c.post("/portal/policy/tools", rows("tools", saved.tools, action="save"),
                 files={"tools.1.file": ("guide.pdf", b"not a pdf at all", "application/pdf"),
                        "tools.2.file": ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")})
    assert bad.status_code == 400
    assert 'id="tools.1.file-error"' in bad.text and "ارفع ملفًا بصيغة PDF" in bad.text
    assert 'id="tools.2.file-error"' in bad.text and "أكبر من ١٠ ميغابايت" in bad.text
    assert 'value="دليل البحث"' in bad.text  # input kept
    after = await draft_of(c)
    assert after.tools[1].label_ar == "" and after.tools[0].document_id == saved.tools[0].document_id

    # Own tool, then detach the document from the first tool.
    own = {"code": None, "label_ar": "دليل التطوع"}
    assert c.post("/portal/policy/tools", rows("tools", [*after.tools, own], action="save")).status_code == 303
    assert c.post("/portal/policy/tools", rows("tools", (await draft_of(c)).tools, action="detach:0")).status_code == 303
    final = await draft_of(c)
    assert final.tools[0].document_id is None and final.tools[4].label_ar == "دليل التطوع"


async def test_steps_and_review_window(policy_admin):
    c = policy_admin
    steps = (await draft_of(c)).steps
    next(s for s in steps if s.code == "refer").enabled = False
    steps[1].text_ar = "يتحقق الموظف من الهوية الوطنية ومن اكتمال المرفقات."
    assert c.post("/portal/policy/steps", rows("steps", steps, action="save")).status_code == 303
    saved = await draft_of(c)
    assert "refer" not in saved.enabled_steps() and saved.steps[1].text_ar.startswith("يتحقق")
    assert saved.review_window_days == 14

    # Receive moved down: saved, with the rule shown as a remark.
    moved = c.post("/portal/policy/steps", rows("steps", saved.steps, action="down:0"))
    assert moved.status_code == 303
    assert "يجب أن يبدأ الإجراء باستقبال المستفيد" in c.get("/portal/policy/steps").text
    assert c.post("/portal/policy/steps", rows("steps", (await draft_of(c)).steps, action="up:1")).status_code == 303

    # The window: zero, absurd, not a number — refused beside the field with the input kept.
    for value, message in (("0", "بين يوم واحد و٣٦٥"), ("1000", "بين يوم واحد و٣٦٥"), ("أسبوعان", "عددًا صحيحًا")):
        refused = c.post("/portal/policy/window", {"review_window_days": value, "action": "save"})
        assert refused.status_code == 400 and message in refused.text and f'value="{value}"' in refused.text
    assert (await draft_of(c)).review_window_days == 14
    assert c.post("/portal/policy/window", {"review_window_days": "٣٠", "review_window_text_ar": "شهر واحد",
                                            "action": "save"}).status_code == 303
    assert (await draft_of(c)).review_window_days == 30

    # Without the committee step there is no window: it is cleared, and refused if entered.
    no_committee = (await draft_of(c)).steps
    next(s for s in no_committee if s.code == "committee").enabled = False
    assert c.post("/portal/policy/steps", rows("steps", no_committee, action="save")).status_code == 303
    assert (await draft_of(c)).review_window_days is None
    refused = c.post("/portal/policy/window", {"review_window_days": "14", "action": "save"})
    assert refused.status_code == 400 and 'id="review_window_days-error"' in refused.text


async def test_texts_layout_and_defaults(policy_admin):
    c = policy_admin
    form = {"introduction_ar": "مقدمتنا.", "introduction_en": "", "general_goal_ar": "هدفنا.", "general_goal_en": "",
            "detailed_goals_ar": "- الهدف الأول\n\n• الهدف الثاني\n", "detailed_goals_en": "", "layout": "articles",
            "table_of_contents": "1", "action": "save"}
    assert c.post("/portal/policy/texts", form).status_code == 303
    draft = await draft_of(c)
    assert draft.detailed_goals_ar == ["الهدف الأول", "الهدف الثاني"] and draft.layout == "articles"
    assert draft.table_of_contents and draft.introduction_en == ""
    bad = c.post("/portal/policy/texts", {**form, "layout": "columns", "introduction_ar": "نص جديد"})
    assert bad.status_code == 400 and 'value="columns"' not in bad.text and "نص جديد" in bad.text
    assert (await draft_of(c)).introduction_ar == "مقدمتنا."
    restored = c.post("/portal/policy/texts", {**form, "action": "defaults"})
    assert restored.status_code == 200 and catalogue.DEFAULT_TEXTS["introduction"]["ar"][:30] in restored.text
    assert (await draft_of(c)).introduction_ar == "مقدمتنا."  # restoring fills the form; saving is a choice
    preview = c.get("/portal/policy/preview").text
    assert "المادة الأولى" in preview and "المحتويات" in preview


async def test_board_approval_dates_in_either_calendar(policy_admin):
    c = policy_admin
    # Hijri only: the Gregorian date is filled in.
    assert c.post("/portal/policy/approval", {**APPROVAL, "action": "save"}).status_code == 303
    state = await services.load_draft(c.staff.tenant.id)
    assert state.approval["date_gregorian"] == "2025-09-15" and state.approval["filled"] == "gregorian"
    page = c.get("/portal/policy/approval").text
    assert "١٥ سبتمبر ٢٠٢٥ م" in page and "محوَّل من التاريخ الهجري" in page and "الاثنين" in page
    # Changing the Hijri day only: the computed Gregorian follows (no false mismatch).
    again = {**APPROVAL, "hijri_day": "24", "date_gregorian": "2025-09-15", "computed": "gregorian",
             "computed_value": "2025-09-15", "action": "save"}
    assert c.post("/portal/policy/approval", again).status_code == 303
    state = await services.load_draft(c.staff.tenant.id)
    assert state.approval["date_gregorian"] == "2025-09-16" and state.approval["day_difference"] == 0

    # Gregorian only, typed with Eastern Arabic digits.
    greg = {"session_ordinal": "٧", "date_gregorian": "٥/١٢/٢٠٢٣", "decisions": ["approve"], "action": "save"}
    assert c.post("/portal/policy/approval", greg).status_code == 303
    state = await services.load_draft(c.staff.tenant.id)
    assert state.approval["date_hijri"] == [1445, 5, 21] and state.approval["session_ordinal"] == 7

    # Both, one day apart (as Basmat's minutes): kept as entered, with a warning.
    both = {"meeting_number": "3", "hijri_year": "1445", "hijri_month": "5", "hijri_day": "3",
            "date_gregorian": "2023-11-16", "decisions": ["approve"], "action": "save"}
    assert c.post("/portal/policy/approval", both).status_code == 303
    state = await services.load_draft(c.staff.tenant.id)
    assert state.approval["date_hijri"] == [1445, 5, 3] and state.approval["date_gregorian"] == "2023-11-16"
    assert state.approval["day_difference"] == -1
    assert "يختلف التاريخان الهجري والميلادي بمقدار ١ يوم" in c.get("/portal/policy/approval").text

    # Bad input: every message beside its field, what was typed kept, the saved approval intact.
    bad = c.post("/portal/policy/approval", {"hijri_year": "1300", "hijri_month": "1", "hijri_day": "1",
                                             "chair_title": "الرئيس", "action": "save"},
                 files={"minutes_file": ("minutes.pdf", b"GIF89a", "application/pdf")})
    assert bad.status_code == 400
    for field in ("meeting_number", "date_hijri", "chair_name", "decisions", "minutes_file"):
        assert f'id="{field}-error"' in bad.text, field
    assert "بين عامي ١٣٤٣ و١٥٠٠" in bad.text and 'value="1300"' in bad.text
    assert (await services.load_draft(c.staff.tenant.id)).approval["meeting_number"] == 3

    # A scan of the minutes, kept with the approval; staff without the admin role cannot open it.
    scanned = c.post("/portal/policy/approval", {**both}, files={"minutes_file": ("m.pdf", PDF_BYTES, "application/pdf")})
    assert scanned.status_code == 303
    scan = (await services.load_draft(c.staff.tenant.id)).minutes_document
    assert scan and c.get(f"/portal/documents/{scan}").content == PDF_BYTES


async def test_live_conversion_preview(policy_admin):
    c = policy_admin
    hit = c.get("/portal/policy/approval/convert", params={"hijri_year": "1445", "hijri_month": "5", "hijri_day": "21"})
    assert hit.status_code == 200 and "٥ ديسمبر ٢٠٢٣ م" in hit.text and "الثلاثاء" in hit.text
    out = c.get("/portal/policy/approval/convert", params={"hijri_year": "1501", "hijri_month": "1", "hijri_day": "1"})
    assert "١٣٤٣" in out.text
    mismatch = c.get("/portal/policy/approval/convert",
                     params={"hijri_year": "1445", "hijri_month": "5", "hijri_day": "3", "date_gregorian": "2023-11-16"})
    assert "تنبيه" in mismatch.text


async def test_publishing_freezes_numbered_versions_and_history_diffs(server, policy_admin, make_staff):
    c = policy_admin
    tenant = c.staff.tenant
    refused = c.post("/portal/policy/publish")
    assert refused.status_code == 400 and "سجّل اعتماد مجلس الإدارة قبل النشر" in refused.text
    assert "لم تنشر" in server.client(tenant.slug).get("/policy").text  # says clearly: not yet published
    assert await services.current_policy_version(tenant.id) is None

    await configure_minimum(c)
    done = c.post("/portal/policy/publish")
    assert done.status_code == 303 and done.headers["location"].startswith("/portal/policy/versions/")
    v1 = await services.current_policy_version(tenant.id)
    assert v1.number == 1 and v1.approval.meeting_number == 161 and v1.steps[0] == "receive"
    assert c.get(done.headers["location"]).status_code == 200
    public = server.client(tenant.slug).get("/policy").text
    assert "سياسة تنظيم العلاقة مع المستفيدين" in public and "المقابلة" in public and "الخطابات" not in public
    assert "٢٣ ربيع الأول ١٤٤٧ هـ" in public and "١٥ سبتمبر ٢٠٢٥ م" in public and "الإصدار ١" in public
    assert "١٤ يومًا" in public

    # The approval is used up: the next version needs the board again.
    assert c.post("/portal/policy/publish").status_code == 400

    # A request pins the version in force when it is submitted.
    async with tenant_scope(tenant.id):
        pinned = await services.current_policy_version(tenant.id)

    draft = await draft_of(c)
    next(ch for ch in draft.channels if ch.code == "letters").enabled = True
    assert c.post("/portal/policy/channels", rows("channels", draft.channels, action="save")).status_code == 303
    assert "أُضيفت قناة: الخطابات" in c.get("/portal/policy/publish").text
    assert c.post("/portal/policy/approval", {**APPROVAL, "meeting_number": "170", "action": "save"}).status_code == 303
    assert c.post("/portal/policy/publish").status_code == 303
    v2 = await services.current_policy_version(tenant.id)
    assert v2.number == 2 and any(ch.code == "letters" for ch in v2.channels)
    again = await services.get_version(tenant.id, version_id=pinned.id)
    assert again.content == pinned.content and not any(ch.code == "letters" for ch in again.channels)

    history = c.get("/portal/policy/history", params={"a": "1", "b": "2"}).text
    assert "أُضيفت قناة: الخطابات" in history
    old = server.client(tenant.slug).get("/policy/v/1").text
    assert "لم يعد معمولًا به" in old and "الخطابات" not in old.split("policy-doc")[1]
    listing = server.client(tenant.slug).get("/policy/versions").text
    assert "/policy/v/1" in listing and "/policy/v/2" in listing
    assert server.client(tenant.slug).get("/policy/v/9").status_code == 404

    # A relations officer cannot configure or publish.
    officer = await make_staff(tenant, "relations_officer")
    staff = server.client(tenant.slug)
    staff.login(officer.email)
    assert staff.get("/portal/policy").status_code == 403
    assert staff.post("/portal/policy/publish").status_code == 403
    library = staff.get("/portal/library")
    assert library.status_code == 200 and "اللائحة الأساسية" in library.text


async def test_english_page_and_pdf_with_arabic_shaping(server, policy_admin, tmp_path):
    c = policy_admin
    tenant = c.staff.tenant
    await configure_minimum(c)
    assert c.post("/portal/policy/publish").status_code == 303
    en = server.client(tenant.slug)
    en.get("/lang/en?next=/policy")
    page = en.get("/policy").text
    assert 'lang="en"' in page and 'dir="ltr"' in page and "Beneficiary relations policy" in page
    assert "In-person interview" in page and "21 Rabi al-Awwal" not in page and "23 Rabi al-Awwal 1447 AH" in page

    pdf = server.client(tenant.slug).get("/policy/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    path = tmp_path / "policy.pdf"
    path.write_bytes(pdf.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoNaskhArabic" in fonts or "Amiri" in fonts, fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = unicodedata.normalize("NFKC", text)
    assert "الاتصالات الهاتفية" in text or "الاتصالات الهاتفية"[::-1] in text


async def test_published_versions_and_documents_cannot_change_even_for_the_owner(policy_admin):
    c = policy_admin
    tenant = c.staff.tenant
    await configure_minimum(c)
    assert c.post("/portal/policy/publish").status_code == 303
    doc = await services.store_document(tenant.id, "tool", "x.pdf", PDF_BYTES)
    async with tenant_scope(tenant.id) as tx:
        for sql in ("update policy_version set content = '{}'::jsonb", "delete from policy_version",
                    "update document set filename = 'y.pdf'", "delete from document"):
            with pytest.raises(asyncpg.RestrictViolationError):
                async with tx.connection.transaction():  # a savepoint, so the scope goes on
                    await tx.connection.execute(sql)
    owner = await owner_connection()
    try:
        for sql in ("update policy_version set number = 99 where tenant = $1",
                    "delete from document where tenant = $1"):
            with pytest.raises(asyncpg.RestrictViolationError):
                await owner.execute(sql, tenant.id)
    finally:
        await owner.close()
    assert (await services.current_policy_version(tenant.id)).number == 1
    assert (await services.get_document(tenant.id, doc))["filename"] == "x.pdf"


def pdf_keys(redis_client, tenant_id, lang: str) -> list[bytes]:
    return list(redis_client.scan_iter(f"sila:pdf:policy:{tenant_id}:v1:{lang}:*"))


async def test_a_published_version_pdf_is_rendered_once_then_served_from_the_cache(server, sila_env, policy_admin):
    import redis

    c = policy_admin
    tenant = c.staff.tenant
    await configure_minimum(c)
    assert c.post("/portal/policy/publish").status_code == 303
    cache = redis.Redis.from_url(sila_env.values["SILA_REDIS_URL"])
    public = server.client(tenant.slug)
    first = public.get("/policy/pdf")
    assert first.status_code == 200 and first.content[:5] == b"%PDF-"
    [key] = pdf_keys(cache, tenant.id, "ar")
    assert cache.get(key) == first.content and 0 < cache.ttl(key) <= 86400
    # Replace the cached bytes: the next request (current and numbered URL) returns them, so it
    # did not lay the PDF out again.
    cache.set(key, b"%PDF-1.4 served from the cache", keepttl=True)
    assert public.get("/policy/pdf").content == b"%PDF-1.4 served from the cache"
    assert public.get("/policy/v/1/pdf").content == b"%PDF-1.4 served from the cache"
    # English is another document, cached on its own; nothing of another tenant's is shared.
    en = server.client(tenant.slug)
    en.get("/lang/en?next=/policy")
    english = en.get("/policy/pdf")
    assert english.status_code == 200 and english.content[:5] == b"%PDF-" and len(pdf_keys(cache, tenant.id, "en")) == 1
    # A new letterhead (the admin changes the phone) is a new document: never the old bytes.
    async with tenant_scope(tenant.id) as tx:
        await tx.connection.execute(
            "insert into tenant_profile (tenant, regulator, phone) values ($1, 'awqaf', '0112345678') "
            "on conflict (tenant) do update set phone = '0112345678'", tenant.id)
    changed = public.get("/policy/pdf")
    assert changed.status_code == 200 and changed.content[:5] == b"%PDF-"
    assert changed.content != b"%PDF-1.4 served from the cache" and len(pdf_keys(cache, tenant.id, "ar")) == 2


async def test_policy_pdf_renders_are_rate_limited_but_cached_versions_still_served(sila_env, policy_admin):
    import redis


    c = policy_admin
    tenant = c.staff.tenant
    await configure_minimum(c)
    assert c.post("/portal/policy/publish").status_code == 303
    cache = redis.Redis.from_url(sila_env.values["SILA_REDIS_URL"])
    limited = start_server(sila_env, name="web-pdf-limited", SILA_PDF_RENDER_LIMIT="2")
    try:
        ar = limited.client(tenant.slug)
        en = limited.client(tenant.slug)
        en.get("/lang/en?next=/policy")
        assert ar.get("/policy/pdf").status_code == 200  # render 1
        assert en.get("/policy/pdf").status_code == 200  # render 2
        for _ in range(5):  # served from the cache: not counted
            assert ar.get("/policy/v/1/pdf").status_code == 200 and en.get("/policy/pdf").status_code == 200
        # Evict the English PDF: laying it out again is a third render, refused in English.
        cache.delete(*pdf_keys(cache, tenant.id, "en"))
        refused = en.get("/policy/pdf")
        assert refused.status_code == 429 and "Too many policy PDFs" in refused.text and 'lang="en"' in refused.text
        assert not pdf_keys(cache, tenant.id, "en")
        # The cached Arabic version is still served to the same address; a render is refused in Arabic.
        cached = ar.get("/policy/pdf")
        assert cached.status_code == 200 and cached.content[:5] == b"%PDF-"
        cache.delete(*pdf_keys(cache, tenant.id, "ar"))
        refused = ar.get("/policy/pdf")
        assert refused.status_code == 429 and "محاولات كثيرة" in refused.text and 'lang="ar"' in refused.text
    finally:
        limited.process.stop()
