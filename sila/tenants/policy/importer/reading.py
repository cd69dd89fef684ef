"""What the cleaned lines say: the sections found by their headings, worded and numeric numbers and
dates, the review window, and wordings matched to the catalogue's channels, tools and steps."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from rapidfuzz import fuzz

from sila.platform.dates import DateRangeError, to_gregorian, to_hijri
from sila.tenants.policy import catalogue
from sila.tenants.policy.importer.extraction import TERMINAL, clean_line, fold, heading_of, strip_marker, tidy_item

FOUND, GUESSED, MISSING = "found", "guessed", "missing"


# --------------------------------------------------------------------------- sections

@dataclasses.dataclass
class Sections:
    preamble: list[str]
    bodies: dict[str, list[str]]
    headings: dict[str, str]  # the heading line as written
    order: list[str]


def split_sections(lines: list[str]) -> Sections:
    preamble: list[str] = []
    bodies: dict[str, list[str]] = {}
    headings: dict[str, str] = {}
    order: list[str] = []
    current: str | None = None
    awaiting = False
    for line in lines:
        found = heading_of(line) if line.strip() else None
        if awaiting and line.strip():
            awaiting = False
            if len(line) < 40 and line.rstrip().endswith((":", ":-")) and heading_of(line) is None:
                headings[current or ""] += " " + line.strip()
                continue  # the end of a heading the page width cut («... بالشكل» / «التالي:»)
        if found and not (found[0] in bodies and any(x.strip() for x in bodies[found[0]])):
            current = found[0]
            awaiting = not found[1] and not line.rstrip().endswith((":", ":-", "-:"))
            if current not in bodies:
                order.append(current)
            bodies[current] = [found[1]] if found[1] else []
            headings[current] = line
            continue
        if current is None:
            preamble.append(line)
        else:
            bodies[current].append(line)
    return Sections(preamble, bodies, headings, order)


def full_line_length(lines: list[str]) -> int:
    lengths = sorted(len(x) for x in lines if x.strip())
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a blank line or a line ending a sentence closes one."""
    out: list[str] = []
    current: list[str] = []
    for line in lines:
        text = line.strip()
        if not text:
            if current:
                out.append(" ".join(current))
                current = []
            continue
        current.append(text)
        if text.endswith((".", "!", "؟", "?")) and len(text) < 40:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return [p for p in out if p]


def items(lines: list[str], full: int) -> list[str]:
    """List items: a bullet or number starts one; a line without one continues the item
    before it when that item was cut by the line's end (no full stop, a full-width line).
    Where the document ends most items with a full stop, an item without one was cut by a
    page break and continues in the next."""
    out: list[str] = []
    continues = False
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        body, marked = strip_marker(text)
        if not body:
            continue
        if out and not marked and continues:
            out[-1] = f"{out[-1]} {body}"
        else:
            out.append(body)
        continues = not body.endswith(TERMINAL) and len(text) >= full * 0.8 > 0
    ended = [i for i in out if i.endswith(TERMINAL)]
    if len(out) >= 3 and len(ended) >= 0.6 * len(out):
        merged: list[str] = []
        carry = False
        for item in out:
            if carry and merged:
                merged[-1] = f"{merged[-1]} {item}"
            else:
                merged.append(item)
            carry = not item.endswith(TERMINAL)
        out = merged
    return [i for i in out if i]


# --------------------------------------------------------------------------- numbers and dates

_UNITS_M = {"واحد": 1, "اثنان": 2, "اثنين": 2, "ثلاثه": 3, "ثلاث": 3, "اربعه": 4, "اربع": 4, "خمسه": 5, "خمس": 5,
            "سته": 6, "ست": 6, "سبعه": 7, "سبع": 7, "ثمانيه": 8, "ثماني": 8, "ثمان": 8, "تسعه": 9, "تسع": 9,
            "عشره": 10, "عشر": 10}
_TENS = {"عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40, "خمسون": 50,
         "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70, "ثمانون": 80, "ثمانين": 80,
         "تسعون": 90, "تسعين": 90}
_ORD = {"الاول": 1, "الاولي": 1, "الحادي": 1, "الحاديه": 1, "الثاني": 2, "الثانيه": 2, "الثالث": 3, "الثالثه": 3,
        "الرابع": 4, "الرابعه": 4, "الخامس": 5, "الخامسه": 5, "السادس": 6, "السادسه": 6, "السابع": 7,
        "السابعه": 7, "الثامن": 8, "الثامنه": 8, "التاسع": 9, "التاسعه": 9, "العاشر": 10, "العاشره": 10}
_ORD_TENS = {"العشرون": 20, "العشرين": 20, "الثلاثون": 30, "الثلاثين": 30, "الاربعون": 40, "الاربعين": 40,
             "الخمسون": 50, "الخمسين": 50, "الستون": 60, "الستين": 60, "السبعون": 70, "السبعين": 70,
             "الثمانون": 80, "الثمانين": 80, "التسعون": 90, "التسعين": 90}


def ordinal_value(words: list[str]) -> int | None:
    """«السابعة» → 7, «الحادية عشرة» → 11, «الخامسة والعشرون» → 25 (folded words)."""
    if not words:
        return None
    w0 = words[0]
    if w0 in _ORD_TENS:
        return _ORD_TENS[w0]
    if w0 not in _ORD:
        return None
    value = _ORD[w0]
    if len(words) > 1 and words[1] in ("عشر", "عشره"):
        return value + 10
    if len(words) > 1 and words[1].startswith("و") and words[1][1:] in _ORD_TENS:
        return value + _ORD_TENS[words[1][1:]]
    return value


def cardinal_value(words: list[str]) -> int | None:
    """«ثلاثة» → 3, «خمسة عشر» → 15, «عشرين» → 20, digits as digits (folded words)."""
    if not words:
        return None
    w0 = words[0]
    if w0.isdigit():
        return int(w0)
    if w0 in _TENS:
        return _TENS[w0]
    if w0 in ("احد", "احدى") and len(words) > 1 and words[1] in ("عشر", "عشره"):
        return 11
    if w0 in ("اثنا", "اثني", "اثنتا", "اثنتي") and len(words) > 1 and words[1] in ("عشر", "عشره"):
        return 12
    if w0 in _UNITS_M:
        value = _UNITS_M[w0]
        if value < 10 and len(words) > 1 and words[1] in ("عشر", "عشره"):
            return value + 10
        if len(words) > 1 and words[1].startswith("و") and words[1][1:] in _TENS:
            return value + _TENS[words[1][1:]]
        return value
    return None


_UNIT_DAYS = [
    (("يومين", "يومان"), 1, 2), (("يوم", "يوما", "ايام"), 1, None),
    (("اسبوعين", "اسبوعان"), 7, 2), (("اسبوع", "اسبوعا", "اسابيع"), 7, None),
    (("شهرين", "شهران"), 30, 2), (("شهر", "شهرا", "اشهر", "شهور"), 30, None),
]
_WINDOW = re.compile(r"(?:خلال|غضون|مده|فتره|اقصاها|لا تتجاوز|لا تقل عن|لا تزيد عن)")


@dataclasses.dataclass
class Window:
    days: int
    wording: str
    working: bool
    passage: str
    status: str


def find_window(texts: list[str]) -> Window | None:
    """The review window in the first text that states one; «أسبوعين» → 14, «شهر» → 30,
    «ثلاثة أسابيع» → 21, «عشرة أيام» → 10, «15 يوم عمل» → 15 working days."""
    for text in texts:
        words = fold(text).split()
        originals = clean_line(text).split()
        if len(words) != len(originals):
            originals = words
        for i, word in enumerate(words):
            bare = word.strip("().,،:؛«»\"'")
            for names, per, count in _UNIT_DAYS:
                if bare not in names:
                    continue
                n = count
                start = i
                if n is None:
                    for size in (2, 1):
                        if i - size >= 0:
                            value = cardinal_value([w.strip("()«»\"'") for w in words[i - size:i]])
                            if value is not None and (size == 1 or value >= 11):
                                n, start = value, i - size
                                break
                    if n is None:
                        if bare in ("ايام", "اسابيع", "اشهر", "شهور"):
                            continue  # a plural needs its number
                        n = 1
                days = n * per
                if not 1 <= days <= 365:
                    continue
                before = " ".join(words[max(0, start - 6):start])
                context = _WINDOW.search(before)
                working = i + 1 < len(words) and words[i + 1].strip(".,،") in ("عمل", "العمل")
                end = i + (2 if working else 1)
                first = start
                if context:
                    # From «مدة» (or the first window word) to the unit: the document's own phrase.
                    for j in range(max(0, start - 6), start):
                        if _WINDOW.search(" ".join(words[j:start])) and not _WINDOW.search(" ".join(words[j + 1:start])):
                            first = j
                            break
                    if words[first] == "خلال" and first + 1 < start:
                        first += 1
                wording = " ".join(originals[first:end]).strip(" .،,")
                return Window(days, wording, working, text, FOUND if context else GUESSED)
    return None


_HIJRI_MONTHS = {
    1: ("محرم",), 2: ("صفر",), 3: ("ربيع الاول", "ربيع اول"), 4: ("ربيع الاخر", "ربيع الثاني", "ربيع اخر"),
    5: ("جمادي الاولي", "جمادي الاول", "جماد الاول"), 6: ("جمادي الاخره", "جمادي الثانيه", "جمادي الاخر", "جمادي الثاني"),
    7: ("رجب",), 8: ("شعبان",), 9: ("رمضان",), 10: ("شوال",), 11: ("ذو القعده", "ذي القعده"),
    12: ("ذو الحجه", "ذي الحجه"),
}
_GREG_MONTHS = {
    1: ("يناير", "كانون الثاني", "january", "jan"), 2: ("فبراير", "شباط", "february", "feb"),
    3: ("مارس", "اذار", "march", "mar"), 4: ("ابريل", "نيسان", "april", "apr"), 5: ("مايو", "ايار", "may"),
    6: ("يونيو", "يونيه", "حزيران", "june", "jun"), 7: ("يوليو", "يوليه", "تموز", "july", "jul"),
    8: ("اغسطس", "اب", "august", "aug"), 9: ("سبتمبر", "ايلول", "september", "sep"),
    10: ("اكتوبر", "تشرين الاول", "october", "oct"), 11: ("نوفمبر", "تشرين الثاني", "november", "nov"),
    12: ("ديسمبر", "كانون الاول", "december", "dec"),
}
_WEEKDAYS = {"الاثنين": 0, "الاتنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5,
             "الاحد": 6}
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})\s*([/\-.])\s*(\d{1,2})\s*\2\s*(\d{1,4})(?!\d)\s*(هـ|ه|هجري|م|ميلادي|g|ad|ah)?")


def _month_pattern(table: dict[int, tuple[str, ...]]) -> str:
    names = sorted((n for v in table.values() for n in v), key=len, reverse=True)
    return "|".join(re.escape(n) for n in names)


_WORDED_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s*(?:من\s+)?(" + _month_pattern(_HIJRI_MONTHS) + "|" + _month_pattern(_GREG_MONTHS) +
    r")(?![\w])\s*(?:لعام|عام|سنه)?\s*(\d{4})\s*(هـ|ه|هجري|م|ميلادي)?")


@dataclasses.dataclass
class FoundDate:
    calendar: str  # "hijri" | "gregorian"
    ymd: tuple[int, int, int]
    text: str
    weekday: int | None = None  # Monday=0, when a day name precedes it


def _month_of(name: str) -> tuple[str, int]:
    for table, cal in ((_HIJRI_MONTHS, "hijri"), (_GREG_MONTHS, "gregorian")):
        for month, names in table.items():
            if name in names:
                return cal, month
    raise KeyError(name)


def find_dates(text: str) -> list[FoundDate]:
    """Every date in `text`, in order: `21 / 05 / 1445 هـ`, `(٢٣/٠٣/١٤٤٧هـ - ١٥/٠٩/٢٠٢٥م)`,
    `1445/05/03 هـ`, `5 ديسمبر 2023م`, `21 جمادى الأولى 1445هـ`, with a day name before it."""
    folded = fold(text)
    out: list[tuple[int, FoundDate]] = []
    for m in _NUMERIC_DATE.finditer(folded):
        a, b, c = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if len(m.group(1)) == 4:
            y, mo, d = a, b, c
        elif len(m.group(4)) == 4:
            y, mo, d = c, b, a
        else:
            continue
        # The year says the calendar (the ranges do not overlap); a marker («هـ», «م») may have
        # been moved next to the other date by a right-to-left extraction.
        cal = "hijri" if 1300 <= y <= 1600 else "gregorian" if 1800 <= y <= 2200 else ""
        if cal and 1 <= mo <= 12 and 1 <= d <= 30 + (cal == "gregorian"):
            out.append((m.start(), FoundDate(cal, (y, mo, d), m.group(0).strip())))
    for m in _WORDED_DATE.finditer(folded):
        cal, mo = _month_of(m.group(2))
        y, d = int(m.group(3)), int(m.group(1))
        mark = m.group(4) or ""
        if mark in ("م", "ميلادي") and cal == "hijri" or mark in ("هـ", "ه", "هجري") and cal == "gregorian":
            continue
        if 1 <= d <= 31:
            out.append((m.start(), FoundDate(cal, (y, mo, d), m.group(0).strip())))
    out.sort(key=lambda p: p[0])
    for start, found in out:
        before = folded[max(0, start - 30):start].split()
        for w in before[-3:]:
            if w.strip("(),،:") in _WEEKDAYS:
                found.weekday = _WEEKDAYS[w.strip("(),،:")]
    return [f for _, f in out]


def valid_hijri(ymd: tuple[int, int, int]) -> bool:
    try:
        to_gregorian(*ymd)
        return True
    except (DateRangeError, ValueError):
        # Day 30 of a 29-day Umm al-Qura month is still what minutes may record.
        return ymd[2] == 30 and valid_hijri((ymd[0], ymd[1], 29))


def valid_gregorian(ymd: tuple[int, int, int]) -> dt.date | None:
    try:
        day = dt.date(*ymd)
        to_hijri(day)
        return day
    except (DateRangeError, ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------- matching

CHANNEL_ALIASES: dict[str, tuple[str, ...]] = {
    "interview": ("المقابلة", "المقابلة الشخصية", "المقابلات الشخصية", "الزيارة الشخصية", "مقر الجمعية"),
    "virtual_interview": ("المقابلة الافتراضية", "المقابلة عن بعد", "الاجتماعات الافتراضية"),
    "phone": ("الاتصالات الهاتفية", "الهاتف", "الاتصال الهاتفي", "الهاتف المجاني", "مركز الاتصال"),
    "social_media": ("وسائل التواصل الاجتماعي", "مواقع التواصل الاجتماعي", "منصات التواصل الاجتماعي"),
    "letters": ("الخطابات", "المراسلات", "الخطابات الرسمية", "البريد العادي"),
    "assistance_request": ("خدمات طلب المساعدة", "طلب المساعدة"),
    "volunteering": ("خدمة التطوع", "التطوع"),
    "website": ("الموقع الإلكتروني", "الموقع الالكتروني للجمعية", "البوابة الإلكترونية"),
    "branch_representatives": ("مناديب المكاتب الفرعية", "المكاتب الفرعية", "المناديب"),
    "internal_platform": ("منصة النظام الداخلي", "النظام الداخلي", "المنصة الإلكترونية"),
}
TOOL_ALIASES: dict[str, tuple[str, ...]] = {
    "bylaws": ("اللائحة الأساسية", "اللائحة الأساسية للجمعية", "النظام الأساسي"),
    "social_research_guide": ("دليل خدمات البحث الاجتماعي", "دليل البحث الاجتماعي"),
    "support_policy_guide": ("دليل سياسة الدعم للمستفيدين", "سياسة الدعم", "دليل سياسة الدعم"),
    "support_request_form": ("نموذج طلب دعم مستفيد", "طلب دعم مستفيد", "نموذج طلب الدعم", "استمارة طلب دعم"),
}
STEP_CUES: dict[str, tuple[str, ...]] = {
    "receive": ("استقبال المستفيد", "استقبال المراجع", "استقبال", "الترحيب بالمستفيد"),
    "verify": ("مطابقة البيانات", "تقديم المراجع كافة المعلومات المطلوبة", "استيفاء البيانات",
               "التحقق من البيانات", "التأكد من صلاحيتها"),
    "refer": ("إحالته لمسؤول البحث الاجتماعي", "إحالته للباحث الاجتماعي", "الإحالة إلى الباحث الاجتماعي",
              "إحالته"),
    "attest": ("التوقيع عليها", "صحة البيانات المقدمة", "إقرار بصحة البيانات", "مسؤولية مباشرة"),
    "committee": ("سيرفع للجنة البحث", "لجنة البحث", "للجنة", "اللجنة", "قبوله أو رفضه"),
    "register": ("استكمال إجراءات التسجيل", "إجراءات التسجيل", "التسجيل"),
    "deliver": ("تقديم الخدمة اللازمة", "تقديم الخدمة", "صرف المساعدة", "تسليم المساعدة"),
}


def _score(wording: str, aliases: tuple[str, ...]) -> float:
    w = fold(wording)
    best = 0.0
    for alias in aliases:
        a = fold(alias)
        best = max(best, fuzz.ratio(a, w), fuzz.token_set_ratio(a, w) * 0.92)
    return best


@dataclasses.dataclass
class Match:
    wording: str  # the document's
    code: str | None  # catalogue code, None for the tenant's own
    score: float
    status: str


def match_catalogue(wordings: list[str], aliases: dict[str, tuple[str, ...]], threshold: float = 82) -> list[Match]:
    """Each wording matched to the best catalogue item (each item once, best matches first)."""
    scored = sorted(((_score(w, aliases[code]), i, code) for i, w in enumerate(wordings) for code in aliases),
                    reverse=True)
    taken: dict[int, tuple[str, float]] = {}
    used: set[str] = set()
    for score, i, code in scored:
        if score < threshold or i in taken or code in used:
            continue
        taken[i] = (code, score)
        used.add(code)
    out = []
    for i, w in enumerate(wordings):
        if i in taken:
            code, score = taken[i]
            out.append(Match(w, code, score, FOUND if score >= 88 else GUESSED))
        else:
            out.append(Match(w, None, 0.0, GUESSED))
    return out


@dataclasses.dataclass
class StepMatch:
    code: str
    wording: str
    status: str  # found / guessed / missing


def match_steps(wordings: list[str]) -> tuple[list[StepMatch], list[str]]:
    """The standard steps in the document's order (in its wording), then the missing ones;
    and the document's items that are none of the standard steps."""
    scored = []
    for i, w in enumerate(wordings):
        fw = fold(w)
        for code, cues in STEP_CUES.items():
            score = max(fuzz.partial_ratio(fold(c), fw) if len(fold(c)) <= len(fw) else fuzz.ratio(fold(c), fw)
                        for c in cues)
            # A longer cue matched is stronger evidence than a short one.
            weight = max((len(fold(c)) for c in cues
                          if (fuzz.partial_ratio(fold(c), fw) if len(fold(c)) <= len(fw) else 0) >= score - 0.01),
                         default=0)
            scored.append((score, weight, i, code))
    scored.sort(reverse=True)
    taken: dict[int, tuple[str, float]] = {}
    used: set[str] = set()
    for score, _weight, i, code in scored:
        if score < 82 or i in taken or code in used:
            continue
        taken[i] = (code, score)
        used.add(code)
    present = [StepMatch(taken[i][0], tidy_item(w) + ".", FOUND if taken[i][1] >= 90 else GUESSED)
               for i, w in enumerate(wordings) if i in taken]
    missing = [StepMatch(code, "", MISSING) for code in catalogue.STEPS if code not in used]
    others = [w for i, w in enumerate(wordings) if i not in taken]
    return present + missing, others


