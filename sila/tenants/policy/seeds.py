"""The three demo organisations, with the facts their policy documents record
(`shared/seeds/*.txt`, named in `source`).

Facts only: names, kind, channels and tools in each document's order and wording, which
procedure steps exist, the review window, the layout, and the board approval exactly as
recorded. What a document does not state (a chair's name, an English name, a weekday) is
left empty rather than invented. Texts and step wording are our defaults: the project
writes its own prose (DESIGN.md), the tenant may replace it.

Regulator is derived from kind (associations: NCNP, waqfs: the Awqaf authority); the
documents do not name it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sila.tenants.policy.rules import (
    BoardApprovalInput,
    ChannelConfig,
    PolicyDraft,
    StepConfig,
    ToolConfig,
    default_draft,
)


@dataclass(frozen=True)
class SeedOrganisation:
    slug: str
    kind: str  # catalogue.KINDS
    regulator: str  # catalogue.REGULATORS
    name_ar: str
    name_en: str  # "" when the document gives none
    full_name_ar: str  # the name the approval text uses
    source: str  # the seed document's file name
    draft: PolicyDraft
    approval: BoardApprovalInput


ALL_STEPS = ["receive", "verify", "refer", "attest", "committee", "register", "deliver"]
# Haramain's procedure has no "the committee answers within …" step.
NO_COMMITTEE = [s for s in ALL_STEPS if s != "committee"]


def _draft(channels, tools, steps, window, layout="sections", toc=False) -> PolicyDraft:
    d = default_draft()  # our texts
    d.channels = [ChannelConfig(code, label_ar=label) for code, label in channels]
    d.tools = [ToolConfig(code, label_ar=label) for code, label in tools]
    d.steps = [StepConfig(code) for code in steps]
    d.review_window_days = window
    if window == 14:
        d.review_window_text_ar = "مدة لا تقل عن أسبوعين"
        d.review_window_text_en = "a period of no less than two weeks"
    d.layout, d.table_of_contents = layout, toc
    return d


_TOOLS_COMMON = [
    ("bylaws", "اللائحة الأساسية للجمعية"),
    ("social_research_guide", "دليل خدمات البحث الاجتماعي"),
    ("support_policy_guide", "دليل سياسة الدعم للمستفيدين"),
]


def seed_organisations() -> list[SeedOrganisation]:
    """Fresh objects on every call, so a caller editing one cannot change the next."""
    return [
        SeedOrganisation(
            slug="haramain", kind="association", regulator="ncnp",
            name_ar="حركة الحرمين", name_en="Harakiat Al Haramayn",
            full_name_ar="جمعية الحرمين لذوي الإعاقة الحركية",
            source="000_a64e15fcbe3c210c.txt",
            draft=_draft(
                channels=[("virtual_interview", "المقابلة الافتراضية"),
                          ("phone", "الاتصالات الهاتفية"),
                          ("internal_platform", "منصة النظام الداخلي")],
                tools=_TOOLS_COMMON + [("support_request_form", "طلب دعم مستفيد تقديم طلب")],
                steps=NO_COMMITTEE, window=None, layout="articles"),
            approval=BoardApprovalInput(
                session_ordinal=7,  # «في جلسته السابعة»
                date_hijri=(1445, 5, 21), date_gregorian=dt.date(2023, 12, 5),
                decisions=["approve"]),
        ),
        SeedOrganisation(
            slug="mafatih", kind="waqf", regulator="awqaf",
            name_ar="وقف مفاتيح الخير", name_en="",
            full_name_ar="وقف مفاتيح الخير",
            source="001_a61ad346024409ff.txt",
            draft=_draft(
                channels=[("interview", "المقابلة"),
                          ("phone", "الاتصالات الهاتفية"),
                          ("social_media", "وسائل التواصل الاجتماعي"),
                          ("letters", "الخطابات"),
                          ("assistance_request", "خدمات طلب المساعدة"),
                          ("volunteering", "خدمة التطوع"),
                          ("website", "الموقع الإلكتروني للوقف"),
                          ("branch_representatives", "مناديب المكاتب الفرعية")],
                tools=_TOOLS_COMMON + [("support_request_form", "طلب دعم مستفيد")],
                steps=ALL_STEPS, window=14),
            approval=BoardApprovalInput(
                meeting_number=161,
                date_hijri=(1447, 3, 23), date_gregorian=dt.date(2025, 9, 15),
                decisions=["approve"]),
        ),
        SeedOrganisation(
            slug="basmat", kind="association", regulator="ncnp",
            name_ar="جمعية بسمات للعناية بالأسنان", name_en="Basmat Dental Care",
            full_name_ar="جمعية بسمات للعناية بالأسنان",
            source="003_9827f4d928f3c1e7.txt",
            draft=_draft(
                channels=[("interview", "المقابلة"),
                          ("phone", "الاتصالات الهاتفية"),
                          ("social_media", "وسائل التواصل الاجتماعي"),
                          ("letters", "الخطابات"),
                          ("assistance_request", "خدمات طلب المساعدة"),
                          ("volunteering", "خدمة التطوع"),
                          ("website", "الموقع الالكتروني للجمعية")],
                tools=_TOOLS_COMMON + [("support_request_form", "طلب دعم مستفيد")],
                steps=ALL_STEPS, window=14, toc=True),
            # The minutes' Hijri date is one day off Umm al-Qura (1445/05/03 is 17 Nov
            # 2023 there); both are kept as recorded and the approval shows a warning.
            approval=BoardApprovalInput(
                meeting_number=3,
                date_hijri=(1445, 5, 3), date_gregorian=dt.date(2023, 11, 16),
                chair_title="رئيس مجلس الإدارة", chair_name="د. سيرين بنت فخر الشواف",
                decisions=["approve"]),
        ),
    ]


def get_seed(slug: str) -> SeedOrganisation:
    for org in seed_organisations():
        if org.slug == slug:
            return org
    raise KeyError(slug)


SLUGS = tuple(o.slug for o in seed_organisations())
