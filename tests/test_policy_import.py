"""Importing a charity's own policy document: each seed field by field, and variations
generated from the seeds (reordered sections, other bullets and digits, Word, PDF made by
the project's PDF pipeline, pasted text with tatweel and presentation forms, a missing
section). The expected facts are the ones `sila.tenants.policy.seeds` records by hand.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import re
from pathlib import Path

import pytest

from sila.platform.dates import arabic_digits, parse_digits
from sila.tenants.policy import importer
from sila.tenants.policy.seeds import seed_organisations
from support.policy import NOVEL

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ORGS = {o.slug: o for o in seed_organisations()}


def seed_text(slug: str) -> str:
    path = SEEDS_DIR / ORGS[slug].source
    assert path.is_file(), f"missing seed document {path}"
    return path.read_text(encoding="utf-8")


def propose_text(text: str) -> importer.Proposal:
    return importer.propose(importer.from_text(text))


def norm(s: str) -> str:
    return importer.fold(s).strip(" .،")


def check(p: importer.Proposal, slug: str, *, text_fields: bool = True) -> None:
    """The proposal carries the facts seeds.py records for `slug`."""
    org = ORGS[slug]
    assert p.organisation_name.value == org.full_name_ar
    assert [m.code for m in p.channels] == [c.code for c in org.draft.channels]
    assert [norm(m.wording) for m in p.channels] == [norm(c.label_ar) for c in org.draft.channels]
    assert [m.code for m in p.tools] == [t.code for t in org.draft.tools]
    assert [norm(m.wording) for m in p.tools] == [norm(t.label_ar) for t in org.draft.tools]
    present = [s.code for s in p.steps if s.status != importer.MISSING]
    assert present == [s.code for s in org.draft.steps]
    assert p.other_steps == []
    if org.draft.review_window_days is None:
        assert p.window.status == importer.MISSING
    else:
        assert p.window.value.days == org.draft.review_window_days
        assert norm(p.window.value.wording).endswith(norm("لا تقل عن أسبوعين"))
    a, want = p.approval, org.approval
    assert a.meeting_number.value == want.meeting_number
    assert a.session_ordinal.value == want.session_ordinal
    assert a.date_hijri.value == want.date_hijri
    assert a.date_gregorian.value == want.date_gregorian
    assert a.chair_title.value == want.chair_title
    assert a.chair_name.value == want.chair_name
    assert a.decisions.value == want.decisions
    assert p.layout.value == org.draft.layout
    assert p.table_of_contents.value == org.draft.table_of_contents
    if text_fields:
        assert p.introduction.status == importer.FOUND and len(p.introduction.value) > 200
        assert p.general_goal.value.startswith("تقديم خدمة متميزة للمستفيدين")
        assert len(p.detailed_goals.value) >= 10


@pytest.mark.parametrize("slug", list(ORGS))
def test_each_seed_field_by_field(slug: str) -> None:
    p = propose_text(seed_text(slug))
    check(p, slug)
    assert [s.code for s in p.steps if s.status == importer.MISSING] == \
        [c for c in ("receive", "verify", "refer", "attest", "committee", "register", "deliver")
         if c not in [s.code for s in ORGS[slug].draft.steps]]


def test_seed_details() -> None:
    haramain = propose_text(seed_text("haramain"))
    assert haramain.organisation_name_en.value == "Harakiat Al Haramayn"
    assert haramain.introduction.value.startswith("السياسات والإجراءات التي تنظم علاقتها")
    assert haramain.approval.session_ordinal.status == importer.FOUND
    basmat = propose_text(seed_text("basmat"))
    assert basmat.organisation_name_en.value == "Basmat Dental Care"
    # The table of contents is dropped: the sections are read from their bodies.
    assert "جدول المحتويات" not in basmat.introduction.passage
    assert basmat.introduction.value.startswith("تضع جمعية بسمات السياسات")
    assert basmat.sections == list(importer.SECTION_KEYS)
    # The closing formula is not part of the procedure or the approval.
    assert "التوفيق" not in basmat.procedure_passage + basmat.approval.decisions.passage
    mafatih = propose_text(seed_text("mafatih"))
    # A goal cut by a page break in the extraction is one goal again.
    assert any(g.startswith("نشر ثقافة تقييم الخدمة") and g.endswith("والتشهير.") for g in
               mafatih.detailed_goals.value)
    refer = next(s for s in mafatih.steps if s.code == "refer")
    assert refer.wording.endswith("وإيضاح الجوانب التنظيمية.")


# --- variations -----------------------------------------------------------------------------

HEADING_WORDS = ("الهدف العام", "الأهداف التفصيلية", "القنوات المستخدمة", "الأدوات المتاحة",
                 "التعامل مع المستفيد على مختلف", "اعتماد مجلس الإدارة", "مقدمة", "تمهيد", "تعريف السياسة")


def blocks(text: str) -> tuple[str, list[str]]:
    """The text before the first section, and the sections (heading line to the next)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines)
              if any(w in line for w in HEADING_WORDS) and (len(line) < 90 or line.startswith("**"))
              and not re.match(r"^\s*[\d-]", line) and "سياسة تنظيم" not in line]
    # Only the body headings (after the contents, if any): the last run of distinct headings.
    starts = [s for s in starts if s > (max((i for i, x in enumerate(lines) if "جدول المحتويات" in x), default=-1) + 8
                                        if "جدول المحتويات" in text else -1)]
    head = "\n".join(lines[:starts[0]])
    parts = ["\n".join(lines[a:b]) for a, b in zip(starts, starts[1:] + [len(lines)], strict=True)]
    return head, parts


@pytest.mark.parametrize("slug", list(ORGS))
def test_reordered_sections(slug: str) -> None:
    head, parts = blocks(seed_text(slug))
    assert len(parts) >= 6
    approval = [p for p in parts if "اعتماد مجلس الإدارة" in p.splitlines()[0]]
    rest = [p for p in parts if p not in approval]
    p = propose_text(head + "\n\n" + "\n\n".join(approval + rest[::-1]))
    check(p, slug)
    assert p.sections[0] == "approval"


BULLETS = ["❖ ", "• ", "➢ ", "* "]


@pytest.mark.parametrize("slug", list(ORGS))
@pytest.mark.parametrize("style", ["❖", "•", "eastern-numbers", "western-dash-numbers"])
def test_other_bullet_styles(slug: str, style: str) -> None:
    counter = {"n": 0}

    def bullet(m: re.Match[str]) -> str:
        counter["n"] += 1
        n = counter["n"] % 9 + 1
        if style == "eastern-numbers":
            return f"{arabic_digits(n)}. "
        if style == "western-dash-numbers":
            return f"{n}- "
        return f"{style} "

    text = re.sub(r"^- ", bullet, seed_text(slug), flags=re.M)
    text = re.sub(r"^ - ", bullet, text, flags=re.M)
    check(propose_text(text), slug)


@pytest.mark.parametrize("slug", list(ORGS))
@pytest.mark.parametrize("digits", ["eastern", "western"])
def test_digit_systems(slug: str, digits: str) -> None:
    text = seed_text(slug)
    text = arabic_digits(text) if digits == "eastern" else parse_digits(text)
    check(propose_text(text), slug)


def test_pasted_text_with_tatweel_presentation_forms_and_windows_line_ends() -> None:
    text = seed_text("mafatih")
    text = text.replace("الهدف العام", "الهـــدف العـــام").replace("الأهداف التفصيلية", "الأهـداف التفصيـلية")
    text = text.replace("لا تقل", "\ufefb تقل")  # the lam-alef ligature as a presentation form
    text = text.replace("\n", "\r\n")
    p = importer.propose(importer.extract("pasted.txt", text.encode("utf-8")))
    check(p, "mafatih")
    assert "ـ" not in p.general_goal.value


def _docx(text: str, *, word_bullets: bool) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        stripped = line.strip()
        if word_bullets and re.match(r"^-\s*", stripped):
            # A Word list: the bullet is the paragraph's style, not a character in its text.
            document.add_paragraph(re.sub(r"^-\s*(?:\d+\s*[.\-]?\s*)?", "", stripped), style="List Bullet")
        else:
            document.add_paragraph(stripped)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("slug", list(ORGS))
def test_word_document(slug: str) -> None:
    content = _docx(seed_text(slug), word_bullets=False)
    p = importer.propose(importer.extract("policy.docx", content))
    assert p.kind == "docx"
    check(p, slug)


def test_word_document_with_word_bullets() -> None:
    p = importer.propose(importer.extract("policy.docx", _docx(seed_text("basmat"), word_bullets=True)))
    check(p, "basmat")


def _pdf(text: str) -> bytes:
    """The text laid out by the project's PDF pipeline, with a letterhead and a footer printed
    on every page (the page furniture the import must drop)."""
    from sila.platform.pdf import html_to_pdf

    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    page = ('<div class="head">جمعية النموذج الخيرية — سياسة العلاقة مع المستفيدين</div>'
            '<div class="foot">هاتف ٠١١٢٣٤٥٦٧ — الرياض</div>')
    doc = (f'<html lang="ar" dir="rtl"><head><meta charset="utf-8"><style>'
           '@page { size: A5; margin: 25mm 15mm; @top-center { content: element(head) } '
           '@bottom-center { content: element(foot) } }'
           '.head { position: running(head) } .foot { position: running(foot) }'
           'html { font-family: "Noto Naskh Arabic", serif; font-size: 10pt }'
           f'</style></head><body>{page}{body}</body></html>')
    return html_to_pdf(doc)


@pytest.mark.parametrize("slug", list(ORGS))
def test_pdf_from_the_project_pipeline(slug: str) -> None:
    content = _pdf(seed_text(slug))
    extracted = importer.extract("policy.pdf", content)
    assert extracted.kind == "pdf" and len(extracted.pages) >= 3
    p = importer.propose(extracted)
    check(p, slug)
    everything = "\n".join([p.introduction.value, p.general_goal.value, *p.detailed_goals.value,
                            p.procedure_passage, p.approval.decisions.passage])
    assert "جمعية النموذج" not in everything and "الرياض" not in everything


@pytest.mark.parametrize("slug", list(ORGS))
def test_missing_channels_section(slug: str) -> None:
    head, parts = blocks(seed_text(slug))
    kept = [p for p in parts if "القنوات المستخدمة" not in p.splitlines()[0]]
    assert len(kept) == len(parts) - 1
    p = propose_text(head + "\n\n" + "\n\n".join(kept))
    assert p.channels == [] and "channels" not in p.sections
    assert [m.code for m in p.tools] == [t.code for t in ORGS[slug].draft.tools]


def test_missing_approval_section() -> None:
    head, parts = blocks(seed_text("basmat"))
    kept = [p for p in parts if "اعتماد مجلس الإدارة" not in p.splitlines()[0]]
    p = propose_text(head + "\n\n" + "\n\n".join(kept))
    a = p.approval
    assert all(f.status == importer.MISSING for f in (a.meeting_number, a.session_ordinal, a.date_hijri,
                                                      a.date_gregorian, a.chair_name))
    assert len(p.channels) == 7


# --- the pieces -------------------------------------------------------------------------------

@pytest.mark.parametrize("phrase,days", [
    ("خلال مدة لا تقل عن أسبوعين", 14), ("خلال شهر من تاريخ الطلب", 30), ("خلال ثلاثة أسابيع", 21),
    ("خلال «عشرة أيام»", 10), ("خلال 15 يوماً", 15), ("خلال ١٠ أيام", 10), ("في غضون خمسة عشر يوما", 15),
    ("خلال مدة أقصاها شهرين", 60), ("خلال أسبوع", 7), ("خلال عشرين يوما", 20),
])
def test_review_window_wordings(phrase: str, days: int) -> None:
    found = importer.find_window([f"يبلغ المستفيد بالقرار {phrase}."])
    assert found is not None and found.days == days and found.status == importer.FOUND


def test_working_days() -> None:
    found = importer.find_window(["الرد خلال 10 أيام عمل من اكتمال الطلب"])
    assert found and found.days == 10 and found.working and found.wording.endswith("عمل")


@pytest.mark.parametrize("text,want", [
    ("بتاريخ: 21 / 05 / 1445 هـ الموافق: 5 / 12 / 2023 م", [("hijri", (1445, 5, 21)), ("gregorian", (2023, 12, 5))]),
    ("(٢٣/٠٣/١٤٤٧هـ - ١٥/٠٩/٢٠٢٥م)", [("hijri", (1447, 3, 23)), ("gregorian", (2025, 9, 15))]),
    ("بتاريخ 1445/05/03 هـ الموافق 2023/11/16 م", [("hijri", (1445, 5, 3)), ("gregorian", (2023, 11, 16))]),
    ("يوم الثلاثاء 21 جمادى الأولى 1445هـ الموافق 5 ديسمبر 2023م",
     [("hijri", (1445, 5, 21)), ("gregorian", (2023, 12, 5))]),
    ("2023-12-05", [("gregorian", (2023, 12, 5))]),
])
def test_dates(text: str, want: list[tuple[str, tuple[int, int, int]]]) -> None:
    assert [(d.calendar, d.ymd) for d in importer.find_dates(text)] == want


def test_day_name() -> None:
    found = importer.find_dates("المنعقد يوم الثلاثاء 5 / 12 / 2023 م")
    assert found[0].weekday == 1 == dt.date(2023, 12, 5).weekday()


@pytest.mark.parametrize("words,n", [("السابعة", 7), ("الأولى", 1), ("الحادية عشرة", 11), ("الخامسة والعشرون", 25),
                                     ("الثالث", 3), ("العشرين", 20)])
def test_ordinals(words: str, n: int) -> None:
    text = f"تم اعتماد السياسة في اجتماع مجلس الإدارة في جلسته {words} المنعقد بتاريخ 1445/05/03 هـ"
    p = propose_text(f"اعتماد مجلس الإدارة:\n{text}")
    assert p.approval.session_ordinal.value == n


def test_own_channel_and_fuzzy_matches() -> None:
    text = ("القنوات المستخدمة للتواصل مع المستفيدين:\n- المقابلات الشخصية\n- الاتصال الهاتفي\n"
            "- تطبيق الجوال الخاص بالجمعية\n- الموقع الالكتروني\n")
    p = propose_text(text)
    assert [m.code for m in p.channels] == ["interview", "phone", None, "website"]
    assert p.channels[2].wording == "تطبيق الجوال الخاص بالجمعية"


def test_steps_lacking_and_unknown() -> None:
    text = ("الإجراءات:\n- استقبال المستفيد والترحيب به.\n- تحويل الطلب إلى الإدارة المالية للصرف.\n"
            "- تقديم الخدمة اللازمة.\n")
    p = propose_text(text)
    assert [s.code for s in p.steps if s.status != importer.MISSING] == ["receive", "deliver"]
    assert p.other_steps == ["تحويل الطلب إلى الإدارة المالية للصرف."]
    assert {s.code for s in p.steps if s.status == importer.MISSING} == {"verify", "refer", "attest", "committee",
                                                                         "register"}


def test_unreadable_files() -> None:
    with pytest.raises(importer.ImportError_):
        importer.extract("x.pdf", b"%PDF-1.4 not really")
    with pytest.raises(importer.ImportError_):
        importer.extract("x.docx", b"PK\x03\x04broken")
    with pytest.raises(importer.ImportError_):
        importer.extract("x.txt", b"\xff\xfe\x00bad")
    with pytest.raises(importer.ImportError_):
        importer.extract("x.txt", "نص\x00".encode())


def test_a_policy_written_otherwise_than_the_seeds() -> None:
    """Other headings («أولاً: المقدمة»), bullets, wording, a worded date with a day name, a
    meeting ordinal, a chair on the same line, the regulator and number in the letterhead."""
    p = propose_text(NOVEL)
    assert p.sections == list(importer.SECTION_KEYS)
    assert p.organisation_name.value == "الجمعية الخيرية لرعاية الأيتام بجدة"
    assert (p.regulator.value, p.registration_number.value) == ("ncnp", "٥٤٣")
    assert len(p.detailed_goals.value) == 3  # «تطوير قنوات التواصل» is a goal, not the channels' heading
    assert [m.code for m in p.channels] == ["interview", "phone", None, None]  # e-mail and the app: their own
    assert [m.code for m in p.tools] == ["bylaws", "support_request_form"]
    assert [s.code for s in p.steps if s.status != importer.MISSING] == ["receive", "verify", "committee", "deliver"]
    assert (p.window.value.days, p.window.value.working) == (10, True)
    a = p.approval
    assert a.meeting_number.value == 5 and a.session_ordinal.value is None
    assert a.date_hijri.value == (1446, 2, 10) and a.date_gregorian.value == dt.date(2024, 8, 14)
    assert a.weekday.value == 2 and a.weekday.status == importer.FOUND  # a Wednesday indeed
    assert (a.chair_title.value, a.chair_name.value) == ("رئيس مجلس الإدارة", "م. خالد بن سعيد العمري")
