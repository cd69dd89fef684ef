"""The policy as a reader sees it: letterhead, numbered or headed sections, approval.

One view model feeds the public page, the draft preview and the PDF, so the three never
disagree. Text the tenant wrote in only one language is shown in that language (and marked
with its `lang`), never silently dropped.
"""
from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

from sila.platform import i18n
from sila.platform.i18n import N_
from sila.platform.labels import KIND_LABELS
from sila.platform.tenancy import TenantInfo
from sila.tenants.onboarding.forms import display_phone
from sila.tenants.policy import catalogue
from sila.tenants.policy.deadlines import basis_of, days_text
from sila.tenants.policy.rules import PolicyDraft
from sila.tenants.policy.services import ApprovalRecord

TITLE = N_("Beneficiary relations policy")
HEADINGS = {
    "introduction": N_("Introduction"),
    "general_goal": N_("General goal"),
    "detailed_goals": N_("Detailed goals"),
    "channels": N_("Channels for communicating with beneficiaries"),
    "tools": N_("Tools available to the beneficiary relations officer"),
    "steps": N_("How a beneficiary's request is handled"),
    "window": N_("Review window"),
}
APPROVAL_HEADING = N_("Board approval")


@dataclasses.dataclass(frozen=True)
class Text:
    value: str
    lang: str  # the language the text is written in


@dataclasses.dataclass(frozen=True)
class Entry:
    title: Text
    body: Text | None = None
    document_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Section:
    key: str
    heading: str
    texts: tuple[Text, ...] = ()  # paragraphs
    bullets: tuple[Text, ...] = ()
    entries: tuple[Entry, ...] = ()
    ordered: bool = False


@dataclasses.dataclass(frozen=True)
class Letterhead:
    name: str
    other_name: str
    other_lang: str
    kind: str
    regulator: str
    licence_number: str
    city: str
    region: str
    website: str
    phone: str
    email: str
    social: tuple[tuple[str, str], ...]
    logo: str | None
    phone_href: str = ""  # tel:+9661…, tappable on a phone
    whatsapp_href: str = ""  # https://wa.me/9665… when the number is a Saudi mobile


@dataclasses.dataclass(frozen=True)
class PolicyView:
    lang: str
    title: str
    letterhead: Letterhead
    sections: tuple[Section, ...]
    table_of_contents: bool
    layout: str
    approval: ApprovalRecord | None
    approval_heading: str


def _pick(ar: str, en: str, lang: str) -> Text | None:
    if lang == "en" and en.strip():
        return Text(en.strip(), "en")
    if ar.strip():
        return Text(ar.strip(), "ar")
    return Text(en.strip(), "en") if en.strip() else None


def _item_label(item: Any, lang: str) -> Text:
    own = (item.label_en if lang == "en" else item.label_ar).strip()
    label = item.label(lang)
    # A tenant's own item named only in Arabic shows its Arabic name on English pages.
    text_lang = lang if own or item.code else "ar"
    return Text(label, text_lang)


def window_sentence(draft: PolicyDraft, lang: str) -> str:
    days = draft.review_window_days or 0
    own = (draft.review_window_text_en if lang == "en" else draft.review_window_text_ar).strip()
    counted = days_text(days, basis_of(draft), lang)
    window = f"{own} ({counted})" if own else counted
    return i18n.gettext(
        "The research committee studies each request and gives its decision within %(window)s of the request's "
        "submission.", window=window)


def sections(draft: PolicyDraft, lang: str) -> tuple[Section, ...]:
    raw: list[dict[str, Any]] = []
    if intro := _pick(draft.introduction_ar, draft.introduction_en, lang):
        raw.append({"key": "introduction", "texts": (intro,)})
    if goal := _pick(draft.general_goal_ar, draft.general_goal_en, lang):
        raw.append({"key": "general_goal", "texts": (goal,)})
    goals_lang = "en" if lang == "en" and draft.detailed_goals_en else "ar"
    goals = draft.detailed_goals_en if goals_lang == "en" else draft.detailed_goals_ar
    if goals:
        raw.append({"key": "detailed_goals", "bullets": tuple(Text(g, goals_lang) for g in goals)})
    channels = [c for c in draft.channels if c.enabled]
    if channels:
        raw.append({"key": "channels", "ordered": True, "entries": tuple(
            Entry(_item_label(c, lang), Text(c.note, "ar" if _has_arabic(c.note) else "en") if c.note else None)
            for c in channels)})
    tools = [t for t in draft.tools if t.enabled]
    if tools:
        raw.append({"key": "tools", "ordered": True, "entries": tuple(
            Entry(_item_label(t, lang), document_id=t.document_id) for t in tools)})
    steps = [s for s in draft.steps if s.enabled]
    if steps:
        entries = []
        for s in steps:
            # The tenant's own Arabic wording beats our English default on English pages.
            body = Text(s.text_ar, "ar") if lang == "en" and s.text_ar and not s.text_en else Text(s.text(lang), lang)
            entries.append(Entry(Text(s.label(lang), lang), body))
        raw.append({"key": "steps", "ordered": True, "entries": tuple(entries)})
    if draft.has_committee and draft.review_window_days:
        raw.append({"key": "window", "texts": (Text(window_sentence(draft, lang), lang),)})
    out = []
    for n, item in enumerate(raw, 1):
        msgid = HEADINGS[item["key"]]
        heading = i18n.gettext(msgid)
        if draft.layout == "articles":
            heading = f"{catalogue.article_heading(n, lang)}: {heading}"
        out.append(Section(heading=heading, **item))
    return tuple(out)


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def letterhead(tenant: TenantInfo, profile: dict[str, Any] | None, lang: str) -> Letterhead:
    p = profile or {}
    other_lang = "ar" if lang == "en" else "en"
    other = tenant.name_ar if lang == "en" else tenant.name_en
    regulator = catalogue.REGULATORS.get(p.get("regulator", ""))
    regulator_name = (p.get("regulator_other") or "") if p.get("regulator") == "other" else \
        (regulator.label(lang) if regulator else "")
    region = catalogue.REGIONS.get(p.get("region", ""))
    # (network name, link): the name from the link's address, or the address's host when unknown.
    social = tuple((catalogue.SOCIAL_NETWORKS.get(link["network"]) or urlsplit(link["url"]).hostname or link["url"],
                    link["url"]) for link in catalogue.social_links(p.get("social")))
    return Letterhead(
        name=tenant.name(lang), other_name=other if other != tenant.name(lang) else "", other_lang=other_lang,
        kind=i18n.gettext(KIND_LABELS.get(tenant.kind, tenant.kind)),
        regulator=regulator_name,
        licence_number=p.get("licence_number", ""), city=p.get("city", ""),
        region=region.label(lang) if region else "", website=p.get("website", ""),
        phone=display_phone(p.get("phone", "")), email=p.get("email", ""), social=social,
        logo=str(p["logo"]) if p.get("logo") else None,
        phone_href=f"tel:{p['phone']}" if p.get("phone") else "",
        whatsapp_href=f"https://wa.me/{p['phone'].lstrip('+')}" if str(p.get("phone", "")).startswith("+9665") else "",
    )


def build(tenant: TenantInfo, profile: dict[str, Any] | None, draft: PolicyDraft,
          approval: ApprovalRecord | None) -> PolicyView:
    lang = i18n.get_language()
    return PolicyView(
        lang=lang, title=i18n.gettext(TITLE), letterhead=letterhead(tenant, profile, lang),
        sections=sections(draft, lang), table_of_contents=draft.table_of_contents, layout=draft.layout,
        approval=approval,
        approval_heading=i18n.gettext(APPROVAL_HEADING),
    )
