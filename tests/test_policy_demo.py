"""The three demo tenants publish their seed policies exactly as their documents record them,
and their public pages carry those facts (names, channels, tools, steps, window, approval)."""
from __future__ import annotations

from pathlib import Path

import pytest

from sila.tenants.policy import services
from sila.platform import demo as platform_demo, directory
from sila.platform.settings import load_settings
from sila.tenants.policy.demo import publish_seed_policy
from sila.tenants.policy.seeds import get_seed

SEEDS = Path("/work/shared/seeds")


@pytest.fixture
async def demo(sila_env, tmp_path):
    """The demo as `sila run` loads it (one loader: a policy-only loader once published the seeds
    without their committee rule, and a later full load kept that version)."""
    accounts = await platform_demo.load_demo(load_settings(), tmp_path / "creds.json")
    return {t.slug: await directory.get_tenant_by_slug(t.slug) for t in accounts.tenants}


def page(server, slug: str, path: str = "/policy", lang: str = "ar") -> str:
    client = server.client(slug)
    if lang == "en":
        client.get("/lang/en")
    response = client.get(path)
    assert response.status_code == 200, (slug, path, response.status_code)
    return response.text


def seed_text(name: str) -> str:
    path = SEEDS / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


async def test_loading_is_idempotent(demo):
    for slug, tenant in demo.items():
        versions = await services.list_versions(tenant.id)
        assert [v.number for v in versions] == [1], slug
        await publish_seed_policy(tenant, get_seed(slug))
        assert len(await services.list_versions(tenant.id)) == 1


async def test_haramain_page_carries_its_seed_facts(server, demo):
    seed = get_seed("haramain")
    html = page(server, "haramain")
    assert "حركة الحرمين" in html and "Harakiat Al Haramayn" in html
    for label in ("المقابلة الافتراضية", "الاتصالات الهاتفية", "منصة النظام الداخلي"):
        assert label in html
    assert "طلب دعم مستفيد تقديم طلب" in html and "اللائحة الأساسية للجمعية" in html
    # Numbered articles as in the document, and no committee step nor review window.
    assert "المادة الأولى" in html and "المادة السادسة" in html
    assert "العرض على لجنة البحث" not in html and "مدة الرد" not in html
    # «في جلسته السابعة … 21/05/1445 هـ الموافق 5/12/2023 م»: both dates agree, no warning.
    assert "الجلسة السابعة" in html and "٢١ جمادى الأولى ١٤٤٥ هـ" in html and "٥ ديسمبر ٢٠٢٣ م" in html
    assert 'class="note"' not in html
    version = await services.current_policy_version(demo["haramain"].id)
    assert version.review_window_days is None and "committee" not in version.steps
    assert version.approval.session_ordinal == seed.approval.session_ordinal == 7
    if text := seed_text(seed.source):
        assert "جلسته السابعة" in text and "21 / 05 / 1445" in text and "5 / 12 / 2023" in text


async def test_mafatih_page_carries_its_seed_facts(server, demo):
    seed = get_seed("mafatih")
    html = page(server, "mafatih")
    assert "وقف مفاتيح الخير" in html and "وقف" in html
    for label in ("المقابلة", "الاتصالات الهاتفية", "وسائل التواصل الاجتماعي", "الخطابات", "خدمات طلب المساعدة",
                  "خدمة التطوع", "الموقع الإلكتروني للوقف", "مناديب المكاتب الفرعية"):
        assert label in html, label
    assert "العرض على لجنة البحث" in html and "مدة لا تقل عن أسبوعين (١٤ يومًا)" in html
    assert "١٦١" in html and "٢٣ ربيع الأول ١٤٤٧ هـ" in html and "١٥ سبتمبر ٢٠٢٥ م" in html
    assert "الهيئة العامة للأوقاف" in html  # a waqf's regulator
    assert 'class="note"' not in html
    if text := seed_text(seed.source):
        assert "(١٦١)" in text and "٢٣/٠٣/١٤٤٧" in text and "الموقع الإلكتروني للوقف" in text


async def test_basmat_page_carries_its_seed_facts_and_the_date_warning(server, demo):
    seed = get_seed("basmat")
    html = page(server, "basmat")
    assert "جمعية بسمات للعناية بالأسنان" in html and "Basmat Dental Care" in html
    assert "الموقع الالكتروني للجمعية" in html and "مناديب المكاتب الفرعية" not in html
    assert "المحتويات" in html  # the document opens with a table of contents
    assert "د. سيرين بنت فخر الشواف" in html and "رئيس مجلس الإدارة" in html
    assert "٣ جمادى الأولى ١٤٤٥ هـ" in html and "١٦ نوفمبر ٢٠٢٣ م" in html and "الاجتماع" in html
    # The minutes' two dates are one day apart by Umm al-Qura: kept, with a visible note.
    assert 'class="note"' in html and "يوم واحد" in html
    version = await services.current_policy_version(demo["basmat"].id)
    assert version.approval.day_difference == -1 and version.approval.meeting_number == 3
    if text := seed_text(seed.source):
        assert "1445/05/03" in text and "2023/11/16" in text and "سيرين" in text

    # The admin sees the warning too, and English readers get the facts in English.
    english = page(server, "basmat", lang="en")
    assert "Basmat Dental Care" in english and "3 Jumada al-Awwal 1445 AH" in english and "16 November 2023" in english
    assert "1 day apart" in english


async def test_demo_pdfs_render(server, demo):
    for slug in demo:
        response = server.client(slug).get("/policy/pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF-"), slug
