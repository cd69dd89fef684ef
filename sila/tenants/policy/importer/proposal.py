"""The proposal: every field of a draft policy with its value, the passage it came from, and
whether it was found, guessed or is missing."""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any

from rapidfuzz import fuzz

from sila.tenants.policy.importer.extraction import (
    ARTICLE, DIACRITICS, FOLD, TOC_HEADS, Extracted, clean_line, clean_lines, extract, fold, heading_of,
    strip_marker, tidy_item,
)
from sila.tenants.policy.importer.reading import (
    CHANNEL_ALIASES, FOUND, GUESSED, MISSING, TOOL_ALIASES, Match, Sections, StepMatch, find_dates, find_window,
    full_line_length, items, match_catalogue, match_steps, ordinal_value, paragraphs, split_sections,
    valid_gregorian, valid_hijri,
)

# --------------------------------------------------------------------------- the proposal

@dataclasses.dataclass
class Field:
    value: Any
    status: str
    passage: str = ""


@dataclasses.dataclass
class Approval:
    meeting_number: Field
    session_ordinal: Field
    date_hijri: Field  # value (y, m, d) or None
    date_gregorian: Field  # value dt.date or None
    weekday: Field  # the day name the document gives, Monday=0
    chair_title: Field
    chair_name: Field
    decisions: Field


@dataclasses.dataclass
class Proposal:
    organisation_name: Field
    organisation_name_en: Field
    introduction: Field
    general_goal: Field
    detailed_goals: Field  # list[str]
    channels: list[Match]
    channels_passage: str
    tools: list[Match]
    tools_passage: str
    steps: list[StepMatch]
    other_steps: list[str]
    procedure_passage: str
    window: Field  # value Window | None
    approval: Approval
    sections: list[str]  # the sections found, in the document's order
    kind: str
    layout: Field = dataclasses.field(default_factory=lambda: Field("sections", MISSING))  # catalogue.LAYOUTS
    regulator: Field = dataclasses.field(default_factory=lambda: Field("", MISSING))  # catalogue.REGULATORS code
    registration_number: Field = dataclasses.field(default_factory=lambda: Field("", MISSING))  # as printed
    table_of_contents: Field = dataclasses.field(default_factory=lambda: Field(False, MISSING))

    def status_counts(self) -> Counter[str]:
        c: Counter[str] = Counter()
        for f in (self.organisation_name, self.introduction, self.general_goal, self.detailed_goals, self.window,
                  *dataclasses.astuple(self.approval, tuple_factory=list)):
            if isinstance(f, Field):
                c[f.status] += 1
        return c


_ORG = re.compile(r"(?<![\u0621-\u064a])[بل]?((?:جمعيه|وقف|مؤسسه)\s+[^\s،.:()\[\]]+(?:\s+[^\s،.:()\[\]]+){0,7})")
_ORG_STOP = {"في", "السياسات", "علي", "تاريخ", "بتاريخ", "المنعقد", "وذلك", "رقم", "هذه", "من", "الي", "عن", "ان",
             "التي", "الذي", "مع", "اجتماع", "بجميع", "جميع", "وتشكل", "ويركز", "وتركز", "سياسه"}


def _org_in(text: str) -> str | None:
    """«... لجمعية بسمات للعناية بالأسنان» → «جمعية بسمات للعناية بالأسنان» (as written)."""
    original = clean_line(text)
    words, folded = original.split(), fold(original).split()
    if len(words) != len(folded):
        return None
    for i, w in enumerate(folded):
        bare = w[1:] if w[:1] in ("ب", "ل") and w[1:] in ("جمعيه", "وقف", "مؤسسه") else w
        if bare not in ("جمعيه", "وقف", "مؤسسه"):
            continue
        if i > 0 and folded[i - 1] in ("هذه", "هذا"):
            continue
        j = i + 1
        while j < len(folded) and j - i <= 7 and folded[j].strip("،.:()") not in _ORG_STOP \
                and not folded[j].endswith(("،", ".", ":")):
            j += 1
        if j < len(folded) and folded[j].endswith(("،", ".", ":")) and folded[j].strip("،.:") not in _ORG_STOP:
            j += 1
        if j - i < 2:
            continue
        name = " ".join(words[i:j]).strip("،.:() ")
        first = name.split()[0]
        if first[:1] in ("ب", "ل") and fold(first)[1:] in ("جمعيه", "وقف", "مؤسسه"):
            name = name[1:]
        return name
    return None


def _organisation(sections: Sections) -> tuple[Field, Field]:
    candidates: list[tuple[str, str, str]] = []  # (name, status, passage)
    pre = [x for x in sections.preamble if x.strip()]
    for line in pre:
        if "سياس" in fold(line) and (name := _org_in(line)):
            candidates.append((name, FOUND, line))
    for line in sections.bodies.get("approval", []):
        if name := _org_in(line):
            candidates.append((name, FOUND, line))
    for line in pre:
        first = fold(line).split()[:1]
        if first and first[0] in ("جمعيه", "الجمعيه", "وقف", "مؤسسه") and len(line) <= 80:
            candidates.append((line.strip(), GUESSED, line))  # the letterhead's name line
    for line in sections.bodies.get("introduction", [])[:3]:
        if name := _org_in(line):
            candidates.append((name, GUESSED, line))
    proposed = Field(candidates[0][0], candidates[0][1], candidates[0][2]) if candidates else Field("", MISSING)
    latin = [x.strip() for x in pre if re.fullmatch(r"[A-Za-z][A-Za-z .,&'()-]{2,80}", x.strip())
             and "policy" not in x.lower()]
    english = Field(latin[0], GUESSED, latin[0]) if latin else Field("", MISSING)
    return proposed, english


_CHAIR = re.compile(r"(رييس(?:ه)?\s+(?:مجلس\s+الاداره|المجلس|مجلس\s+النظار|مجلس\s+الامناء))")


def _chair(lines: list[str]) -> tuple[Field, Field]:
    texts = [x.strip() for x in lines if x.strip()]
    for i, line in enumerate(texts):
        folded = fold(line)
        m = _CHAIR.search(folded)
        if not m:
            continue
        words, fwords = clean_line(line).split(), folded.split()
        if len(words) != len(fwords):
            continue
        start = len(folded[:m.start()].split())
        size = len(m.group(1).split())
        title = " ".join(words[start:start + size]).strip(" :/-–،")
        after = " ".join(words[start + size:]).strip(" :/-–،")
        if after and len(after.split()) <= 8:
            return Field(title, FOUND, line), Field(after, FOUND, line)
        if start == 0 and i + 1 < len(texts) and len(texts[i + 1].split()) <= 8 and not find_dates(texts[i + 1]) \
                and heading_of(texts[i + 1]) is None:
            name = texts[i + 1].strip(" :/-–،")
            name = re.sub(r"^(?:الاسم|الإسم)\s*:\s*", "", name)
            return Field(title, FOUND, line), Field(name, FOUND, f"{line}\n{texts[i + 1]}")
        if start == 0 and len(words) == size:
            return Field(title, GUESSED, line), Field("", MISSING)
    return Field("", MISSING), Field("", MISSING)


def _approval(sections: Sections, all_lines: list[str]) -> Approval:
    body = [x for x in sections.bodies.get("approval", []) if x.strip()]
    in_section = bool(body)
    if not body:  # no heading: the sentence that records the approval, wherever it is
        body = [x for x in all_lines if "مجلس" in fold(x) and ("اعتماد" in fold(x) or "اعتمد" in fold(x))]
    status = FOUND if in_section else GUESSED
    text = " ".join(body)
    folded = fold(text)
    passage = "\n".join(body)

    meeting = Field(None, MISSING)
    m = re.search(r"(?:اجتماع\S*|الاجتماع)\s+(?:\S+\s+){0,3}?رقم\s*[(\[]?\s*(\d{1,5})", folded) \
        or re.search(r"رقم\s*[(\[]?\s*(\d{1,5})\s*[)\]]?", folded)
    if m:
        meeting = Field(int(m.group(1)), status, passage)
    elif "اجتماع" in folded and (m := re.search(r"\((\d{1,5})\)", folded)):
        meeting = Field(int(m.group(1)), GUESSED, passage)  # «رقم» and its number came apart
    else:
        m = re.search(r"(?:اجتماعه|الاجتماع|اجتماعها)\s+(\S+)(?:\s+(\S+))?", folded)
        if m and (n := ordinal_value([w for w in m.groups() if w])):
            meeting = Field(n, status, passage)
    session = Field(None, MISSING)
    m = re.search(r"(?:جلسته|جلستها|الجلسه|جلسه)\s+(?:رقم\s*)?[(\[]?\s*(\d{1,5})", folded)
    if m:
        session = Field(int(m.group(1)), status, passage)
    else:
        m = re.search(r"(?:جلسته|جلستها|الجلسه)\s+(\S+)(?:\s+(\S+))?", folded)
        if m and (n := ordinal_value([w for w in m.groups() if w])):
            session = Field(n, status, passage)

    dates = find_dates(text)
    hijri = next((d for d in dates if d.calendar == "hijri" and valid_hijri(d.ymd)), None)
    greg = next((d for d in dates if d.calendar == "gregorian" and valid_gregorian(d.ymd)), None)
    date_h = Field(hijri.ymd, status, passage) if hijri else Field(None, MISSING)
    date_g = Field(valid_gregorian(greg.ymd), status, passage) if greg else Field(None, MISSING)
    named = next((d.weekday for d in dates if d.weekday is not None), None)
    weekday = Field(named, FOUND, passage) if named is not None else Field(None, MISSING)
    if named is not None and date_g.value is not None and date_g.value.weekday() != named:
        weekday.status = GUESSED  # the day name disagrees with the date: the admin decides

    title, name = _chair(sections.bodies.get("approval", []) or all_lines[-12:])
    decisions: list[str] = []
    if "اعتماد" in folded or "اعتمد" in folded:
        decisions.append("approve")
    if re.search(r"العمل\s+(?:بها|بالسياسه|بهذه)", folded):
        decisions.append("apply")
    if "نشر" in folded and "الموقع" in folded:
        decisions.append("publish_website")
    decided = Field(decisions, status if decisions else MISSING, passage)
    return Approval(meeting, session, date_h, date_g, weekday, title, name, decided)


def _layout(sections: Sections) -> Field:
    """Numbered articles («المادة الأولى: ...») or headed sections, as the document has them."""
    heads = list(sections.headings.values())
    articles = [h for h in heads if ARTICLE.match(fold(strip_marker(clean_line(h))[0]))]
    if heads and len(articles) * 2 > len(heads):
        return Field("articles", FOUND, "\n".join(articles[:3]))
    return Field("sections", FOUND if heads else MISSING, "\n".join(heads[:3]))


def _has_contents(extracted: Extracted) -> Field:
    heads = {fold(h) for h in TOC_HEADS}
    for page in extracted.pages:
        for line in page:
            if fold(line).strip(" :-") in heads:
                return Field(True, FOUND, clean_line(line))
    return Field(False, MISSING)


REGULATOR_NAMES: dict[str, tuple[str, ...]] = {
    "ncnp": ("المركز الوطني لتنمية القطاع غير الربحي", "المركز الوطني للقطاع غير الربحي"),
    "awqaf": ("الهيئة العامة للأوقاف",),
    "mhrsd": ("وزارة الموارد البشرية والتنمية الاجتماعية", "وزارة العمل والتنمية الاجتماعية",
              "وزارة الشؤون الاجتماعية"),
}
_REGISTRATION = re.compile(r"(?:برقم|رقم\s+(?:التسجيل|الترخيص|الترخيص|القيد)|ترخيص\s+رقم|مسجله\s+برقم)\s*[:(\[]?\s*"
                           r"([0-9٠-٩][0-9٠-٩\-/ ]{0,38}[0-9٠-٩]|[0-9٠-٩])")


def _registration(lines: list[str]) -> tuple[Field, Field]:
    """The supervising authority and the registration number as the letterhead prints them."""
    regulator, number = Field("", MISSING), Field("", MISSING)
    for line in lines[:40]:
        folded = fold(line)
        if regulator.status == MISSING:
            for code, names in REGULATOR_NAMES.items():
                if any(fuzz.partial_ratio(fold(n), folded) >= 90 for n in names if len(folded) >= len(fold(n)) * 0.8):
                    regulator = Field(code, FOUND, line)
                    break
        if number.status == MISSING:
            # Matched on the folded line (Western digits), given back in the document's own digits.
            m = _REGISTRATION.search(DIACRITICS.sub("", clean_line(line)).translate(FOLD))
            if m:
                number = Field(m.group(1).strip(), FOUND, line)
    return regulator, number


def propose(extracted: Extracted) -> Proposal:
    lines = clean_lines(extracted)
    sections = split_sections(lines)
    # A Word paragraph is never cut by the page width; extracted or pasted lines may be.
    full = 0 if extracted.kind == "docx" else full_line_length(lines)
    bodies = sections.bodies

    def text_field(key: str) -> Field:
        body = bodies.get(key, [])
        paras = paragraphs([strip_marker(x)[0] if x.strip() else "" for x in body])
        if not paras:
            return Field("", MISSING)
        return Field("\n\n".join(paras), FOUND, "\n".join(x for x in body if x.strip()))

    organisation, organisation_en = _organisation(sections)
    # The letterhead (before the first section) names the authority; else the whole text.
    regulator, registration = _registration([x for x in sections.preamble if x.strip()])
    if regulator.status == MISSING or registration.status == MISSING:
        more = _registration([x for x in lines if x.strip()])
        regulator = regulator if regulator.status != MISSING else more[0]
        registration = registration if registration.status != MISSING else more[1]
    introduction = text_field("introduction")
    if introduction.status == MISSING:
        # No heading: the template's opening paragraph («تضع الجمعية السياسات...») before the first section.
        pre = [x for x in sections.preamble if x.strip() and len(x) > 120]
        if pre:
            introduction = Field("\n\n".join(paragraphs(pre)), GUESSED, "\n".join(pre))
    general_goal = text_field("general_goal")
    goals_body = bodies.get("detailed_goals", [])
    goals = items(goals_body, full)
    detailed = Field(goals, FOUND if goals else MISSING, "\n".join(x for x in goals_body if x.strip()))

    channels_body = bodies.get("channels", [])
    channels = match_catalogue([tidy_item(x) for x in items(channels_body, full)], CHANNEL_ALIASES)
    tools_body = bodies.get("tools", [])
    tools = match_catalogue([tidy_item(x) for x in items(tools_body, full)], TOOL_ALIASES)
    procedure_body = bodies.get("procedure", [])
    procedure_items = items(procedure_body, full)
    steps, others = match_steps(procedure_items)

    found_window = find_window(procedure_items) or find_window([x for x in lines if x.strip()])
    if found_window is None:
        window = Field(None, MISSING)
    else:
        in_procedure = found_window.passage in procedure_items
        window = Field(found_window, found_window.status if in_procedure else GUESSED, found_window.passage)

    return Proposal(
        organisation_name=organisation, organisation_name_en=organisation_en,
        introduction=introduction, general_goal=general_goal, detailed_goals=detailed,
        channels=channels, channels_passage="\n".join(x for x in channels_body if x.strip()),
        tools=tools, tools_passage="\n".join(x for x in tools_body if x.strip()),
        steps=steps, other_steps=others, procedure_passage="\n".join(x for x in procedure_body if x.strip()),
        window=window, approval=_approval(sections, [x for x in lines if x.strip()]),
        sections=sections.order, kind=extracted.kind,
        layout=_layout(sections), table_of_contents=_has_contents(extracted),
        regulator=regulator, registration_number=registration,
    )


def propose_from(filename: str, content: bytes) -> Proposal:
    return propose(extract(filename, content))
