"""Read a charity's own policy document and propose a draft from it (pure: no database).

    extract(filename, content) -> Extracted   PDF (pypdf), DOCX (python-docx) or UTF-8 text
    propose(Extracted) -> Proposal             every field with its value, the passage it came
                                               from, and found / guessed / missing

Why pdfminer.six for PDF (not pypdf): PDFs made by WeasyPrint (and many others) store Arabic
glyphs in visual order. pypdf reorders a pure Arabic line well, but scrambles every line that
mixes Arabic with numbers: the runs come out of order («م2023/11/16 ه الموافق1445/05/03
بتاريخ)3( تم اعتماد...»), Eastern-digit numbers are reversed (٠١١ → ١١٠) and a date split over
two lines loses its parts. Those lines are exactly the board approval. pdfminer.six gives
every line consistently in visual order; turning an RTL line back is one reversal plus
re-reversing its left-to-right runs (`logical_order`), applied only when the document reads
backwards (`_reads_backwards`), so a PDF stored in logical order is left as it is.
tests/test_policy_import.py builds the PDFs with the project's own pipeline. python-docx
reads DOCX paragraphs and tables in document order.

The documents follow one template (most Saudi charities start from the same one): a
letterhead, a title, sections headed introduction / general goal / detailed goals /
channels / tools / "how the beneficiary is dealt with" / board approval, in any order,
headed with or without «المادة الأولى», with any bullet style. Sections are found by their
headings (fuzzy, rapidfuzz), never by position, so a reordered or incomplete document reads
the same way. Nothing here is tuned to one document.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import unicodedata
from collections import Counter
from typing import Any

from rapidfuzz import fuzz

from sila.platform.dates import DateRangeError, parse_digits, to_gregorian, to_hijri
from sila.tenants.policy import catalogue

FOUND, GUESSED, MISSING = "found", "guessed", "missing"
PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
MAX_PAGES = 200
MAX_CHARS = 400_000


class ImportError_(ValueError):
    """The file cannot be read as a policy document; `msgid` says why, for the user."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


def N_(s: str) -> str:
    return s


MSG_UNREADABLE = N_("This file could not be read. Upload the policy as a PDF or Word (DOCX) file, or paste its text.")
MSG_NO_TEXT = N_("No text could be read from this file (a scanned image has none). Paste the policy's text instead.")


# --------------------------------------------------------------------------- extraction

@dataclasses.dataclass
class Extracted:
    kind: str  # "pdf" | "docx" | "text"
    pages: list[list[str]]  # lines per page (one page for DOCX and text)


def extract(filename: str, content: bytes) -> Extracted:
    if content.startswith(PDF_MAGIC):
        return _pdf(content)
    if content.startswith(ZIP_MAGIC):
        return _docx(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(MSG_UNREADABLE) from None
    if "\x00" in text:
        raise ImportError_(MSG_UNREADABLE)
    return from_text(text)


def from_text(text: str) -> Extracted:
    text = text[:MAX_CHARS]
    # A form feed is a page break in pasted text from some converters.
    return Extracted("text", [page.splitlines() for page in text.split("\f")])


def _pdf(content: bytes) -> Extracted:
    from pdfminer.high_level import extract_text

    try:
        from pdfminer.layout import LAParams

        # boxes_flow=None: text boxes in page order top to bottom; the default mixes in the
        # horizontal position, which puts a short right-aligned Arabic heading after its body.
        text = extract_text(io.BytesIO(content), maxpages=MAX_PAGES, laparams=LAParams(boxes_flow=None))
    except Exception:  # noqa: BLE001 - a hostile or broken file: any parser error means "unreadable"
        raise ImportError_(MSG_UNREADABLE) from None
    pages = [page.splitlines() for page in text[:MAX_CHARS].split("\f")]
    if not any(line.strip() for page in pages for line in page):
        raise ImportError_(MSG_NO_TEXT)
    if _reads_backwards(pages):
        pages = [[logical_order(line) for line in page] for page in pages]
    return Extracted("pdf", pages)


_ARABIC = re.compile("[\u0621-\u064a]")
# What stays left-to-right inside a right-to-left line: Latin words (with the spaces between
# them) and numbers with their separators («1445/05/03»). Spaced numbers («21 / 05 / 1445») are
# separate runs, as the bidi algorithm lays them out.
_LTR_RUN = re.compile(r"[A-Za-z][A-Za-z0-9 .,'&\-]*[A-Za-z0-9]|[A-Za-z]|[0-9٠-٩]+(?:[/.:,\-][0-9٠-٩]+)*")


def logical_order(line: str) -> str:
    """A right-to-left line given in visual order (left to right on the page) back in the
    order it is read: reverse it, then turn the left-to-right runs round again."""
    if not _ARABIC.search(line):
        return line
    # The one four-letter ligature, «الله» (U+FDF2), maps to its letters in reading order.
    return _LTR_RUN.sub(lambda m: m.group(0)[::-1], line[::-1]).replace("اهلل", "الله")


def _reads_backwards(pages: list[list[str]]) -> bool:
    """Whether the PDF stores Arabic in visual order: the article «ال» then ends words."""
    words = [w for page in pages for line in page for w in line.split() if _ARABIC.search(w)]
    starts = sum(w.startswith("ال") for w in words)
    ends = sum(w.endswith("لا") for w in words)
    return ends > starts


def _docx(content: bytes) -> Extracted:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(content))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        raise ImportError_(MSG_UNREADABLE) from None
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = ["".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                             for cell in row if cell.tag.endswith("}tc")]
                    lines.append("\t".join(c for c in cells if c.strip()))
    if not any(line.strip() for line in lines):
        raise ImportError_(MSG_NO_TEXT)
    return Extracted("docx", [lines])


# --------------------------------------------------------------------------- normalising

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad\u061c]")
_TATWEEL = "\u0640"
_DIACRITICS = re.compile("[\u064b-\u0652\u0670]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_BULLETS = "-–—•●○◦▪■□❖❘➢➤►▶✓✔✗*·»>〉"
_MARKER = re.compile(
    r"^\s*(?:[#*]+\s*)?(?:[.،]\s*(?=[\d٠-٩]))?(?:"
    rf"[{re.escape(_BULLETS)}]+\s*"  # a bullet
    r"|\(?\d{1,3}\s*[).\-–:]\s*"  # 1.  1-  1)  (1)
    r"|\d{1,3}\s+(?=\D)"  # "- 1 المقابلة" (after a bullet)
    r"|[أابتثجحخدذرزسشصضطظعغفقكلمنهوي]\s*[)\-–]\s+"  # أ-  ب)
    r")"
)
_TERMINAL = (".", "!", "؟", "?", ":", "؛")


def clean_line(line: str) -> str:
    """NFKC (Arabic presentation forms become letters), no tatweel, no invisible marks,
    no markdown emphasis, single spaces."""
    s = unicodedata.normalize("NFKC", line)
    s = _INVISIBLE.sub("", s).replace(_TATWEEL, "")
    s = s.replace("**", "").replace("__", "")
    s = re.sub(r"^\s*#+\s*", "", s)
    return " ".join(s.split())


def fold(s: str) -> str:
    """Key for comparing Arabic wording: no diacritics, one spelling of alef/ya/ta marbuta,
    Western digits, lower case."""
    s = _DIACRITICS.sub("", clean_line(s)).translate(_FOLD)
    return parse_digits(s).casefold()


def strip_marker(line: str) -> tuple[str, bool]:
    """The line without its bullet or number; and whether it had one."""
    had = False
    for _ in range(3):
        m = _MARKER.match(line)
        if not m or m.end() == 0:
            break
        rest = line[m.end():]
        if not rest.strip():
            break
        line, had = rest, True
    return line.strip(), had


def _tidy_item(s: str) -> str:
    return s.strip().rstrip(" .،,؛").strip()


_PAGE_NUMBER = re.compile(r"^(?:صفحة|الصفحة|page)?\s*[\-–(]?\s*\d{1,4}\s*[\-–)]?\s*(?:(?:من|of|/)\s*\d{1,4})?$",
                          re.IGNORECASE)
_CLOSINGS = ("والله ولي التوفيق", "والله الموفق", "والسلام عليكم")
_TOC_HEADS = ("جدول المحتويات", "فهرس المحتويات", "المحتويات", "الفهرس", "table of contents", "contents")
_TOC_ENTRY = re.compile(r"^(?:\d{1,3}\s*[\t .…·_-]*\s*\S.*|\S.*?[\t .…·_-]*\s*\d{1,3})$")


def furniture(pages: list[list[str]]) -> set[str]:
    """Lines printed on most pages (letterheads, footers): their folded keys."""
    if len(pages) < 2:
        counts = Counter(fold(line) for page in pages for line in page if line.strip())
        return {k for k, n in counts.items() if n >= 3 and len(k) <= 80 and not k.startswith(("-", "•"))
                and not _MARKER.match(k)}
    seen: Counter[str] = Counter()
    for page in pages:
        edge = [line for line in page if line.strip()]
        edge = edge[:4] + edge[-4:]
        seen.update({re.sub(r"\d+", "#", fold(line)) for line in edge})
    threshold = max(2, (len(pages) + 1) // 2)
    return {k for k, n in seen.items() if n >= threshold and len(k) <= 120}


def clean_lines(extracted: Extracted) -> list[str]:
    """All lines, cleaned, without page furniture, page numbers, closings and the table of
    contents; blank lines kept as "" (they separate paragraphs)."""
    repeated = furniture(extracted.pages)
    multi = len(extracted.pages) >= 2
    out: list[str] = []
    for page in extracted.pages:
        for raw in page:
            line = clean_line(raw)
            key = fold(line)
            if not line:
                out.append("")
                continue
            if _PAGE_NUMBER.match(parse_digits(line)) or (re.sub(r"\d+", "#", key) if multi else key) in repeated:
                continue
            if any(fold(c) in key and len(key) <= len(fold(c)) + 6 for c in _CLOSINGS):
                continue
            out.append(line)
        out.append("")
    return _drop_toc(out)


def _is_toc_entry(line: str) -> bool:
    text = parse_digits(line)
    if not _TOC_ENTRY.match(text):
        return False
    body = re.sub(r"^\d{1,3}|\d{1,3}$", "", text).strip(" \t.…·_-")
    return bool(body) and heading_of(body) is not None


def _drop_toc(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        key = fold(lines[i]).strip(" :-")
        if key in {fold(h) for h in _TOC_HEADS}:
            i += 1
            while i < len(lines) and (not lines[i].strip() or _is_toc_entry(lines[i])):
                i += 1
            continue
        if lines[i].strip() and "\t" in lines[i] and _is_toc_entry(lines[i]):
            i += 1  # a contents line without its heading
            continue
        out.append(lines[i])
        i += 1
    return out


# --------------------------------------------------------------------------- sections

SECTION_KEYS = ("introduction", "general_goal", "detailed_goals", "channels", "tools", "procedure", "approval")

# How the template heads each section (and the usual alternatives), folded on use.
HEADINGS: dict[str, tuple[str, ...]] = {
    "introduction": ("مقدمة", "المقدمة", "تمهيد", "التمهيد", "تعريف السياسة", "نبذة عن السياسة"),
    "general_goal": ("الهدف العام", "الهدف الرئيسي", "الغاية العامة", "الهدف العام من السياسة"),
    "detailed_goals": ("الأهداف التفصيلية", "الأهداف الفرعية", "الأهداف الخاصة", "أهداف السياسة", "الأهداف"),
    "channels": ("القنوات المستخدمة للتواصل مع المستفيدين", "قنوات التواصل مع المستفيدين", "قنوات التواصل",
                 "القنوات"),
    "tools": ("الأدوات المتاحة لموظف علاقات المستفيدين للتواصل مع المستفيدين", "الأدوات المتاحة",
              "أدوات التواصل", "الأدوات"),
    "procedure": ("يتم التعامل مع المستفيد على مختلف المستويات لإنهاء معاملته بالشكل التالي",
                  "إجراءات التعامل مع المستفيد", "آلية التعامل مع المستفيد", "إجراءات تقديم الخدمة",
                  "الإجراءات"),
    "approval": ("اعتماد مجلس الإدارة", "اعتماد السياسة", "الاعتماد"),
}
_FOLDED_HEADINGS = {k: tuple(fold(a) for a in v) for k, v in HEADINGS.items()}
_ARTICLE = re.compile(r"^(?:الماده|ماده|البند|الفصل|article)\s+\S+(?:\s+(?:عشر|عشره|و\S+))?\s*[:\-–)]*\s*",
                      re.IGNORECASE)
_ENUM_WORD = re.compile(r"^(?:اولا|ثانيا|ثالثا|رابعا|خامسا|سادسا|سابعا|ثامنا|تاسعا|عاشرا)\s*[:\-–)]*\s*")


def heading_of(line: str) -> tuple[str, str] | None:
    """(section key, text after the heading on the same line) if `line` heads a section."""
    text, _ = strip_marker(clean_line(line))
    key_text = fold(text).strip(" -–:.()")
    key_text = _ARTICLE.sub("", key_text)
    key_text = _ENUM_WORD.sub("", key_text).strip(" -–:.()")
    head, sep, rest = key_text.partition(":")
    if not sep or len(head) > 130:
        head, rest = key_text, ""
    head = head.strip(" -–:.()")
    if not head or len(head) > 130:
        return None
    best: tuple[float, int, str] | None = None
    for section, aliases in _FOLDED_HEADINGS.items():
        for alias in aliases:
            if len(head) > max(len(alias) * 2, len(alias) + 25) or len(head) < len(alias) * 0.75:
                continue
            # A heading starts with its words («القنوات المستخدمة...», «ويتم التعامل...»); a goal that
            # mentions them in passing («تطوير قنوات التواصل») is no heading.
            starts = [head, head[1:]] if head.startswith("و") else [head]
            score = max(fuzz.ratio(alias, h[:len(alias)]) for h in starts) if len(alias) >= 8 else \
                (100.0 if any(h.startswith(alias) for h in starts) else 0)
            if score >= 88 and (best is None or (score, len(alias)) > best[:2]):
                best = (score, len(alias), section)
    if best is None:
        return None
    # The rest as written (not folded): find the colon in the cleaned original.
    original = clean_line(line)
    tail = ""
    if rest.strip(" -–:"):
        want = rest.strip(" -–:.()")
        for i, ch in enumerate(original):
            if ch == ":" and fold(original[i + 1:]).strip(" -–:.()") == want:
                tail = original[i + 1:].strip(" -–:")
                break
    return best[2], tail


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


def _full_line_length(lines: list[str]) -> int:
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
        continues = not body.endswith(_TERMINAL) and len(text) >= full * 0.8 > 0
    ended = [i for i in out if i.endswith(_TERMINAL)]
    if len(out) >= 3 and len(ended) >= 0.6 * len(out):
        merged: list[str] = []
        carry = False
        for item in out:
            if carry and merged:
                merged[-1] = f"{merged[-1]} {item}"
            else:
                merged.append(item)
            carry = not item.endswith(_TERMINAL)
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
    present = [StepMatch(taken[i][0], _tidy_item(w) + ".", FOUND if taken[i][1] >= 90 else GUESSED)
               for i, w in enumerate(wordings) if i in taken]
    missing = [StepMatch(code, "", MISSING) for code in catalogue.STEPS if code not in used]
    others = [w for i, w in enumerate(wordings) if i not in taken]
    return present + missing, others


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
    articles = [h for h in heads if _ARTICLE.match(fold(strip_marker(clean_line(h))[0]))]
    if heads and len(articles) * 2 > len(heads):
        return Field("articles", FOUND, "\n".join(articles[:3]))
    return Field("sections", FOUND if heads else MISSING, "\n".join(heads[:3]))


def _has_contents(extracted: Extracted) -> Field:
    heads = {fold(h) for h in _TOC_HEADS}
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
            m = _REGISTRATION.search(_DIACRITICS.sub("", clean_line(line)).translate(_FOLD))
            if m:
                number = Field(m.group(1).strip(), FOUND, line)
    return regulator, number


def propose(extracted: Extracted) -> Proposal:
    lines = clean_lines(extracted)
    sections = split_sections(lines)
    # A Word paragraph is never cut by the page width; extracted or pasted lines may be.
    full = 0 if extracted.kind == "docx" else _full_line_length(lines)
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
    channels = match_catalogue([_tidy_item(x) for x in items(channels_body, full)], CHANNEL_ALIASES)
    tools_body = bodies.get("tools", [])
    tools = match_catalogue([_tidy_item(x) for x in items(tools_body, full)], TOOL_ALIASES)
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
