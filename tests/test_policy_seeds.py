"""The demo organisations carry exactly the facts their seed documents record.

The documents live in `shared/seeds/` beside the repository clone; a missing directory
fails these tests rather than skipping them, so CI cannot pass without checking.
"""
import datetime as dt
import re
from pathlib import Path

import pytest

from sila.platform.dates import MSG_DATES_DISAGREE, parse_digits
from sila.tenants.policy import catalogue
from sila.tenants.policy.rules import validate_publish
from sila.tenants.policy.seeds import SLUGS, get_seed, seed_organisations

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ORGS = {o.slug: o for o in seed_organisations()}


def doc(slug: str) -> str:
    assert SEEDS_DIR.is_dir(), f"seed documents not found at {SEEDS_DIR}"
    path = SEEDS_DIR / ORGS[slug].source
    assert path.is_file(), f"missing seed document {path}"
    return path.read_text(encoding="utf-8")


def flat(s: str) -> str:
    return " ".join(s.split())


def section(text: str, start: str, end: str) -> str:
    """From a heading that ends with a colon (the body, not the table of contents) to the
    next heading."""
    m = re.search(start + r"[^\n]*:", text)
    assert m, start
    rest = text[m.end():]
    stop = re.search(r"^.*" + end, rest, re.M)  # cut before the next heading's line
    return rest[: stop.start()] if stop else rest


def items(block: str) -> list[str]:
    """List items without bullets, numbering (any digits) or trailing punctuation."""
    out = []
    for line in block.splitlines():
        line = re.sub(r"^[\s\-–•]*(\d+\s*[.\-]?)?\s*", "", parse_digits(line))
        line = line.strip(" .")
        if line:
            out.append(" ".join(line.split()))
    return out


def approval_text(slug: str) -> str:
    text = doc(slug)
    return text[text.rindex("اعتماد مجلس الإدارة"):]  # the last one: not the contents


def test_seeds_directory_present():
    assert SEEDS_DIR.is_dir(), f"seed documents not found at {SEEDS_DIR}"
    assert len(list(SEEDS_DIR.glob("*.txt"))) >= 3


def test_three_seeds_with_ascii_slugs():
    assert SLUGS == ("haramain", "mafatih", "basmat")
    for slug in SLUGS:
        assert re.fullmatch(r"[a-z][a-z0-9-]{1,30}", slug)
        assert get_seed(slug).slug == slug
    with pytest.raises(KeyError):
        get_seed("nope")


def test_fresh_objects_each_call():
    a, b = seed_organisations()[0], seed_organisations()[0]
    a.draft.channels.clear()
    assert b.draft.channels


@pytest.mark.parametrize("slug", SLUGS)
def test_names_from_the_document(slug):
    org, text = ORGS[slug], flat(doc(slug))
    assert org.name_ar in text
    assert org.full_name_ar in text
    if org.name_en:
        assert org.name_en in text
    assert not re.search(r"[A-Za-z]", text) or org.name_en, "document has an English name"


def test_names_exactly():
    h, m, b = ORGS["haramain"], ORGS["mafatih"], ORGS["basmat"]
    assert (h.name_ar, h.name_en, h.full_name_ar) == (
        "حركة الحرمين", "Harakiat Al Haramayn", "جمعية الحرمين لذوي الإعاقة الحركية")
    assert (m.name_ar, m.name_en) == ("وقف مفاتيح الخير", "")
    assert (b.name_ar, b.name_en) == ("جمعية بسمات للعناية بالأسنان", "Basmat Dental Care")
    assert "بجمعية الحرمين لذوي الإعاقة الحركية" in approval_text("haramain")
    assert "لوقف مفاتيح الخير" in approval_text("mafatih")


@pytest.mark.parametrize("slug", SLUGS)
def test_kind_and_regulator(slug):
    org = ORGS[slug]
    assert org.kind == ("waqf" if org.full_name_ar.startswith("وقف") else "association")
    assert org.regulator == {"waqf": "awqaf", "association": "ncnp"}[org.kind]
    assert org.kind in catalogue.KINDS and org.regulator in catalogue.REGULATORS


@pytest.mark.parametrize("slug", SLUGS)
def test_channels_in_document_order_and_wording(slug):
    text = doc(slug)
    listed = items(section(text, "القنوات المستخدمة للتواصل", "الأدوات المتاحة"))
    org = ORGS[slug]
    assert [c.label_ar for c in org.draft.channels] == listed
    assert all(c.enabled and c.code in catalogue.CHANNELS for c in org.draft.channels)


def test_channel_codes():
    codes = {s: [c.code for c in ORGS[s].draft.channels] for s in SLUGS}
    assert codes["haramain"] == ["virtual_interview", "phone", "internal_platform"]
    common = ["interview", "phone", "social_media", "letters", "assistance_request",
              "volunteering", "website"]
    assert codes["mafatih"] == common + ["branch_representatives"]
    assert codes["basmat"] == common


@pytest.mark.parametrize("slug", SLUGS)
def test_tools_in_document_order_and_wording(slug):
    text = doc(slug)
    listed = items(section(text, "الأدوات المتاحة لموظف", "التعامل مع المستفيد"))
    org = ORGS[slug]
    assert [t.label_ar for t in org.draft.tools] == listed
    assert [t.code for t in org.draft.tools] == list(catalogue.TOOLS)


# A phrase of each step as the documents word it.
STEP_MARKERS = {
    "receive": "استقبال المستفيد",
    "verify": "مطابقة البيانات",
    "refer": "البحث الاجتماعي للإجابة",
    "attest": "والتوقيع عليها",
    "committee": "للجنة البحث",
    "register": "التسجيل مع اكتمال الطلبات",
    "deliver": "تقديم الخدمة اللازمة",
}


@pytest.mark.parametrize("slug", SLUGS)
def test_steps_match_the_procedure(slug):
    text = flat(doc(slug))
    procedure = text[text.rindex("التعامل مع المستفيد"):text.rindex("اعتماد مجلس الإدارة")]
    present = sorted((procedure.index(p), code) for code, p in STEP_MARKERS.items()
                     if p in procedure)
    assert ORGS[slug].draft.enabled_steps() == [code for _, code in present]


@pytest.mark.parametrize("slug", SLUGS)
def test_review_window(slug):
    text, draft = doc(slug), ORGS[slug].draft
    if "لا تقل عن أسبوعين" in text:
        assert draft.review_window_days == 14 and draft.has_committee
        assert draft.review_window_text_ar in text
    else:
        assert draft.review_window_days is None and not draft.has_committee


def test_haramain_has_no_committee_step():
    assert "committee" not in ORGS["haramain"].draft.enabled_steps()
    assert ORGS["mafatih"].draft.review_window_days == ORGS["basmat"].draft.review_window_days == 14


@pytest.mark.parametrize("slug", SLUGS)
def test_layout(slug):
    text, draft = doc(slug), ORGS[slug].draft
    assert draft.layout == ("articles" if "المادة الأولى" in text else "sections")
    assert draft.table_of_contents == ("جدول المحتويات" in text)


def test_layout_exactly():
    assert [(ORGS[s].draft.layout, ORGS[s].draft.table_of_contents) for s in SLUGS] == [
        ("articles", False), ("sections", False), ("sections", True)]


def recorded_dates(slug):
    """(hijri tuple, gregorian date) as written in the approval paragraph."""
    hijri = greg = None
    for a, b, c in re.findall(r"(\d{1,4})\s*/\s*(\d{1,2})\s*/\s*(\d{1,4})",
                              parse_digits(approval_text(slug))):
        y, m, d = (int(a), int(b), int(c)) if len(a) == 4 else (int(c), int(b), int(a))
        if y < 1600:
            hijri = (y, m, d)
        else:
            greg = dt.date(y, m, d)
    return hijri, greg


@pytest.mark.parametrize("slug", SLUGS)
def test_approval_dates_as_recorded(slug):
    hijri, greg = recorded_dates(slug)
    a = ORGS[slug].approval
    assert (tuple(a.date_hijri), a.date_gregorian) == (hijri, greg)


def test_approval_dates_exactly():
    assert [(ORGS[s].approval.date_hijri, ORGS[s].approval.date_gregorian) for s in SLUGS] == [
        ((1445, 5, 21), dt.date(2023, 12, 5)),
        ((1447, 3, 23), dt.date(2025, 9, 15)),
        ((1445, 5, 3), dt.date(2023, 11, 16)),
    ]


@pytest.mark.parametrize("slug", SLUGS)
def test_meeting_and_session(slug):
    text = parse_digits(approval_text(slug))
    a = ORGS[slug].approval
    number = re.search(r"رقم\s*\(\s*(\d+)\s*\)", text)
    assert a.meeting_number == (int(number.group(1)) if number else None)
    session = re.search(r"جلسته\s+(\S+)", text)
    if session:
        assert catalogue.ordinal_ar(a.session_ordinal) == session.group(1)
    else:
        assert a.session_ordinal is None


def test_meeting_and_session_exactly():
    assert [(ORGS[s].approval.meeting_number, ORGS[s].approval.session_ordinal)
            for s in SLUGS] == [(None, 7), (161, None), (3, None)]


@pytest.mark.parametrize("slug", SLUGS)
def test_chair_only_where_recorded(slug):
    text, a = approval_text(slug), ORGS[slug].approval
    if "رئيس" in text:
        assert a.chair_name and a.chair_name in text and a.chair_title in text
    else:
        assert (a.chair_title, a.chair_name) == ("", "")
    assert a.decisions == ["approve"] and "تم اعتماد" in text


def test_basmat_chair():
    a = ORGS["basmat"].approval
    assert (a.chair_title, a.chair_name) == ("رئيس مجلس الإدارة", "د. سيرين بنت فخر الشواف")


def test_only_basmat_dates_warn():
    for slug in SLUGS:
        r = ORGS[slug].approval.dates()
        if slug == "basmat":
            assert r.warning == MSG_DATES_DISAGREE and abs(r.day_difference) == 1
            assert (r.hijri, r.gregorian) == ((1445, 5, 3), dt.date(2023, 11, 16))
        else:
            assert r.warning is None and r.day_difference == 0


@pytest.mark.parametrize("slug", SLUGS)
def test_seeds_are_publishable(slug):
    org = ORGS[slug]
    assert validate_publish(org.draft, org.approval) == {}


@pytest.mark.parametrize("slug", SLUGS)
def test_texts_are_ours_not_the_documents(slug):
    text, draft = flat(doc(slug)), ORGS[slug].draft
    assert draft.introduction_ar == catalogue.DEFAULT_TEXTS["introduction"]["ar"]
    assert draft.introduction_ar not in text and draft.general_goal_ar not in text
    for goal in draft.detailed_goals_ar:
        assert goal not in text
