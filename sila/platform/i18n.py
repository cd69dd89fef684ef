"""Translations: Babel catalogs for `ar` and `en`, the request's language in a context variable.

Message ids are English; `sila/locale/ar/LC_MESSAGES/messages.po` holds the Arabic. The .po
files are compiled in memory at start-up, so a stale .mo can never be served.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("ar", "en")
RTL = {"ar"}
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("sila_language", default="ar")


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 (named like N_, its plural kin)
    """Mark a plural pair for extraction (as `ngettext` would be); it is counted and translated
    later, where it is shown."""
    return singular, plural


@functools.cache
def translations(lang: str) -> NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def get_language() -> str:
    return _language.get()


def set_language(lang: str) -> contextvars.Token[str]:
    return _language.set(lang if lang in LANGUAGES else "ar")


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Render something (an email, a PDF) in another person's language."""
    token = set_language(lang)
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: str, **variables: Any) -> str:
    text = translations(get_language()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(get_language()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def pgettext(context: str, message: str, **variables: Any) -> str:
    text = translations(get_language()).pgettext(context, message)
    return text % variables if variables else text


_ = gettext


def direction(lang: str | None = None) -> str:
    return "rtl" if (lang or get_language()) in RTL else "ltr"


def pick_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default
