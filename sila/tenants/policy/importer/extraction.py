"""Text out of a policy document: PDF (pdfminer.six, turned back to logical order when it reads
backwards), DOCX (python-docx) or pasted text, then cleaned into lines: invisible marks, page
furniture and the table of contents dropped. See the package docstring for why these parsers."""
from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
import zipfile
from collections import Counter

import docx
from docx.opc.exceptions import PackageNotFoundError
from pdfminer.high_level import extract_text
from pdfminer.layout import LAParams
from rapidfuzz import fuzz

from sila.platform.dates import parse_digits

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
    try:
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
DIACRITICS = re.compile("[\u064b-\u0652\u0670]")
FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_BULLETS = "-–—•●○◦▪■□❖❘➢➤►▶✓✔✗*·»>〉"
_MARKER = re.compile(
    r"^\s*(?:[#*]+\s*)?(?:[.،]\s*(?=[\d٠-٩]))?(?:"
    rf"[{re.escape(_BULLETS)}]+\s*"  # a bullet
    r"|\(?\d{1,3}\s*[).\-–:]\s*"  # 1.  1-  1)  (1)
    r"|\d{1,3}\s+(?=\D)"  # "- 1 المقابلة" (after a bullet)
    r"|[أابتثجحخدذرزسشصضطظعغفقكلمنهوي]\s*[)\-–]\s+"  # أ-  ب)
    r")"
)
TERMINAL = (".", "!", "؟", "?", ":", "؛")


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
    s = DIACRITICS.sub("", clean_line(s)).translate(FOLD)
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


def tidy_item(s: str) -> str:
    return s.strip().rstrip(" .،,؛").strip()


_PAGE_NUMBER = re.compile(r"^(?:صفحة|الصفحة|page)?\s*[\-–(]?\s*\d{1,4}\s*[\-–)]?\s*(?:(?:من|of|/)\s*\d{1,4})?$",
                          re.IGNORECASE)
_CLOSINGS = ("والله ولي التوفيق", "والله الموفق", "والسلام عليكم")
TOC_HEADS = ("جدول المحتويات", "فهرس المحتويات", "المحتويات", "الفهرس", "table of contents", "contents")
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
        if key in {fold(h) for h in TOC_HEADS}:
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


# --------------------------------------------------------------------------- headings
# Here, not with the sections: dropping a table of contents needs to know a heading when it sees one.

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
ARTICLE = re.compile(r"^(?:الماده|ماده|البند|الفصل|article)\s+\S+(?:\s+(?:عشر|عشره|و\S+))?\s*[:\-–)]*\s*",
                      re.IGNORECASE)
_ENUM_WORD = re.compile(r"^(?:اولا|ثانيا|ثالثا|رابعا|خامسا|سادسا|سابعا|ثامنا|تاسعا|عاشرا)\s*[:\-–)]*\s*")


def heading_of(line: str) -> tuple[str, str] | None:
    """(section key, text after the heading on the same line) if `line` heads a section."""
    text, _ = strip_marker(clean_line(line))
    key_text = fold(text).strip(" -–:.()")
    key_text = ARTICLE.sub("", key_text)
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
