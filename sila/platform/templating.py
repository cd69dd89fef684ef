"""The one Jinja2 environment: pages, emails and PDFs all render through it."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sila.platform import i18n, labels
from sila.platform.dates import arabic_digits, dual_date, dual_datetime
from sila.platform.forms import read_day, read_moment
from sila.platform.roles import ROLE_LABELS, Role

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
RIYADH = ZoneInfo("Asia/Riyadh")

def local_datetime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp shown in Riyadh time, with Eastern Arabic digits on Arabic pages."""
    if value is None:
        return ""
    text = value.astimezone(RIYADH).strftime(fmt)
    return arabic_digits(text) if i18n.get_language() == "ar" else text


def digits(value: object) -> str:
    text = str(value)
    return arabic_digits(text) if i18n.get_language() == "ar" else text


def day_of(text: object) -> dt.date | None:
    """What a date box holds, as a day (either calendar, see forms.read_day), or the day of a
    day-and-time box (forms.read_moment); None if neither."""
    value = str(text or "")[:40]
    try:
        return read_day(value)
    except ValueError:
        moment = read_moment(value)
        return moment.date() if moment else None


def ltr(value: object) -> Markup:
    """An address, email or code inside a sentence of either direction: isolated left to right, so
    an Arabic sentence does not carry its final dot into it («…a42c@charity.test.»)."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def role_names(roles: object) -> str:
    """Role codes as their translated labels, in a list the reader's language writes."""
    lang = i18n.get_language()
    names = [i18n.translations(lang).gettext(ROLE_LABELS[r]) for r in roles]  # type: ignore[attr-defined]
    return ("، " if lang == "ar" else ", ").join(names)


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
        Role=Role,
        role_labels=ROLE_LABELS,
        status_labels=labels.STATUS_LABELS,
        kind_labels=labels.KIND_LABELS,
        day_of=day_of,
    )
    env.filters.update(local_datetime=local_datetime, digits=digits, dual_date=dual_date, dual_datetime=dual_datetime,
                       role_names=role_names, ltr=ltr)
    return env
