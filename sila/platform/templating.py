"""The one Jinja2 environment: pages, emails and PDFs all render through it."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from sila.platform import i18n, labels

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
RIYADH = ZoneInfo("Asia/Riyadh")

EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def local_datetime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp shown in Riyadh time, with Eastern Arabic digits on Arabic pages."""
    if value is None:
        return ""
    text = value.astimezone(RIYADH).strftime(fmt)
    return text.translate(EASTERN_DIGITS) if i18n.get_language() == "ar" else text


def digits(value: object) -> str:
    text = str(value)
    return text.translate(EASTERN_DIGITS) if i18n.get_language() == "ar" else text


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda s: i18n.translations(i18n.get_language()).gettext(s),
        lambda s, p, n: i18n.translations(i18n.get_language()).ngettext(s, p, n),
        newstyle=True,
    )
    env.globals.update(
        current_language=i18n.get_language,
        text_direction=i18n.direction,
        languages=i18n.LANGUAGES,
        role_labels=labels.ROLE_LABELS,
        status_labels=labels.STATUS_LABELS,
        kind_labels=labels.KIND_LABELS,
    )
    env.filters.update(local_datetime=local_datetime, digits=digits)
    return env
