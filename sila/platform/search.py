"""One way to compare people's names: the search key.

Arabic names are written many ways for one person: with or without hamza on the alef (أحمد،
احمد، إحمد), ta marbuta or ha at the end (فاطمة، فاطمه), alef maqsura or ya (مصطفى، مصطفي),
with or without short vowels and shadda (مُحَمَّد), with tatweel (محـــمد), in Persian or
Urdu letter forms (ی، ک), or in presentation forms pasted from a PDF. `name_key` folds all of
these to one spelling. It is the only normaliser: the key stored beside a name
(`beneficiary.name_key`) and the words of a query go through it, so they always agree.

Names are not encrypted at rest (only ID numbers are), so the key is plain normalised text
searched by substring; an encrypted name would need a keyed hash per word (or per trigram)
instead, built from this same function.
"""
from __future__ import annotations

import re
import unicodedata

# Short vowels, tanwin, shadda, sukun, dagger alef, Quranic marks, and tatweel: dropped.
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ة": "ه", "ۃ": "ه", "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي",
    "ؤ": "و", "ئ": "ي", "ک": "ك", "ڪ": "ك", "ە": "ه", "ھ": "ه",
    "\u200c": " ", "\u200d": "", "\u200e": "", "\u200f": "", "\u061c": "",
})
_SPACE = re.compile(r"\s+")


def name_key(text: str) -> str:
    """The comparable form of a name (idempotent: name_key(name_key(x)) == name_key(x))."""
    text = unicodedata.normalize("NFKC", text or "")
    text = unicodedata.normalize("NFD", text)  # hamza above/below and madda as separate marks
    text = unicodedata.normalize("NFC", text)  # then recomposed: أ is one letter again
    text = _MARKS.sub("", text).translate(_FOLD).casefold()
    return _SPACE.sub(" ", text).strip()


def query_words(text: str) -> list[str]:
    """The words of a search, as keys; each must appear in a matching name."""
    return [w for w in name_key(text).split(" ") if w]


def like_pattern(word: str) -> str:
    """`%word%` for LIKE, with LIKE's own wildcards in the word taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
