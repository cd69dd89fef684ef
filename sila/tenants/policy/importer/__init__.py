"""Read a charity's own policy document and propose a draft from it (pure: no database).

    extract(filename, content) -> Extracted   PDF (pdfminer.six), DOCX (python-docx) or UTF-8 text
    propose(Extracted) -> Proposal             every field with its value, the passage it came
                                               from, and found / guessed / missing

In three steps, one module each: `extraction` (text out of the file, cleaned into lines),
`reading` (sections, numbers, dates, the window, catalogue matches) and `proposal` (the draft's
fields). Callers import this package; the names below are its public face.

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
from sila.tenants.policy.importer.extraction import (
    HEADINGS, MSG_NO_TEXT, MSG_UNREADABLE, SECTION_KEYS, Extracted, ImportError_, clean_line, clean_lines, extract,
    fold, from_text, heading_of, logical_order,
)
from sila.tenants.policy.importer.proposal import REGULATOR_NAMES, Approval, Field, Proposal, propose, propose_from
from sila.tenants.policy.importer.reading import (
    CHANNEL_ALIASES, FOUND, GUESSED, MISSING, STEP_CUES, TOOL_ALIASES, FoundDate, Match, Sections, StepMatch, Window,
    find_dates, find_window, match_catalogue, match_steps, split_sections,
)

__all__ = [
    "CHANNEL_ALIASES", "FOUND", "GUESSED", "HEADINGS", "MISSING", "MSG_NO_TEXT", "MSG_UNREADABLE", "REGULATOR_NAMES",
    "SECTION_KEYS", "STEP_CUES", "TOOL_ALIASES", "Approval", "Extracted", "Field", "FoundDate", "ImportError_", "Match",
    "Proposal", "Sections", "StepMatch", "Window", "clean_line", "clean_lines", "extract", "find_dates", "find_window",
    "fold", "from_text", "heading_of", "logical_order", "match_catalogue", "match_steps", "propose", "propose_from",
    "split_sections",
]
