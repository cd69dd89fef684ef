"""Hijri (Umm al-Qura) and Gregorian dates: conversion, reconciliation and display.

Dates are stored in UTC and shown in Asia/Riyadh time with the Umm al-Qura Hijri date
beside the Gregorian one. Conversion uses `hijridate`, whose tables cover
1 Muharram 1343 – 30 Dhu al-Hijjah 1500 AH (1 August 1924 – 16 November 2077).

Messages meant for users are English msgids wrapped in `N_` so Babel can extract them
(keyword `N_`); the web layer translates them with gettext.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from hijridate import Gregorian, Hijri
from hijridate.ummalqura import GREGORIAN_RANGE, HIJRI_RANGE

from sila.platform import i18n


def N_(s: str) -> str:
    """Mark a msgid for extraction; translation happens where it is shown."""
    return s


RIYADH = ZoneInfo("Asia/Riyadh")

HIJRI_MIN, HIJRI_MAX = HIJRI_RANGE
GREGORIAN_MIN, GREGORIAN_MAX = (dt.date(*d) for d in GREGORIAN_RANGE)

MSG_HIJRI_OUT_OF_RANGE = N_("Enter a Hijri date between 1343 and 1500 AH.")
MSG_GREGORIAN_OUT_OF_RANGE = N_("Enter a Gregorian date between 1924 and 2077.")
MSG_HIJRI_INVALID = N_("Enter a valid Hijri date (day, month and year).")
MSG_HIJRI_NO_SUCH_DAY = N_("This Hijri month has only 29 days in the Umm al-Qura calendar.")
# One msgid for any number of days: translators phrase it without a plural form
# (Arabic has six), e.g. «الفرق بينهما: %(days)s يوم».
MSG_DATES_DISAGREE = N_(
    "The Hijri and Gregorian dates differ by %(days)s day(s) from the Umm al-Qura "
    "calendar. Both are kept as entered; check them against the signed minutes."
)


class DateRangeError(ValueError):
    """A date outside the Umm al-Qura tables, or a day the calendar does not have.

    `msgid` is the user-facing message key for the web layer.
    """

    def __init__(self, msgid: str, detail: str = ""):
        super().__init__(f"{msgid} {detail}".strip())
        self.msgid = msgid


class HijriDate(NamedTuple):
    year: int
    month: int
    day: int


# ---------------------------------------------------------------- conversion

def to_hijri(d: dt.date) -> HijriDate:
    if isinstance(d, dt.datetime):  # a datetime is a date subclass; use its calendar day
        d = d.date()
    if not GREGORIAN_MIN <= d <= GREGORIAN_MAX:
        raise DateRangeError(MSG_GREGORIAN_OUT_OF_RANGE, d.isoformat())
    h = Gregorian(d.year, d.month, d.day).to_hijri()
    return HijriDate(h.year, h.month, h.day)


def _hijri(hy: int, hm: int, hd: int) -> Hijri:
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (hy, hm, hd)):
        raise DateRangeError(MSG_HIJRI_INVALID, repr((hy, hm, hd)))
    if not HIJRI_MIN <= (hy, hm, hd) <= HIJRI_MAX:
        raise DateRangeError(MSG_HIJRI_OUT_OF_RANGE, f"{hy}/{hm}/{hd}")
    if not (1 <= hm <= 12 and 1 <= hd <= 30):
        raise DateRangeError(MSG_HIJRI_INVALID, f"{hy}/{hm}/{hd}")
    if hd == 30 and Hijri(hy, hm, 1).month_length() == 29:
        raise DateRangeError(MSG_HIJRI_NO_SUCH_DAY, f"{hy}/{hm}/{hd}")
    return Hijri(hy, hm, hd)


def to_gregorian(hy: int, hm: int, hd: int) -> dt.date:
    return _hijri(hy, hm, hd).to_gregorian()


# ---------------------------------------------------------------- reconciliation

@dataclass(frozen=True)
class Reconciled:
    gregorian: dt.date
    hijri: HijriDate
    # Which side was computed: "gregorian", "hijri", or None when both were entered.
    filled: str | None = None
    # Entered Gregorian minus the Umm al-Qura conversion of the entered Hijri, in days.
    day_difference: int = 0
    warning: str | None = None  # msgid (MSG_DATES_DISAGREE) or None

    @property
    def warning_params(self) -> dict:
        return {"days": abs(self.day_difference)}

    def warning_text(self, gettext=lambda s: s) -> str | None:
        return gettext(self.warning) % self.warning_params if self.warning else None

    @property
    def weekday(self) -> int:
        """Monday=0, of the Gregorian date (what the minutes' weekday refers to)."""
        return self.gregorian.weekday()


def reconcile(gregorian: dt.date | None, hijri: tuple[int, int, int] | None) -> Reconciled:
    """Enter either calendar and the other is filled in; enter both and both are kept.

    Tolerance is zero: any disagreement with Umm al-Qura, even one day, keeps both dates
    exactly as entered and sets a warning naming the difference. A one-day gap is
    legitimate (the minutes may follow a local moon sighting rather than the published
    tables) so it is never an error, but a reader must see that the two dates in the
    record were not derived from each other. Basmat's seed approval is such a case.
    """
    if gregorian is None and hijri is None:
        raise ValueError("reconcile() needs at least one date")
    if hijri is None:
        return Reconciled(gregorian, to_hijri(gregorian), filled="hijri")
    h = HijriDate(*hijri)
    if gregorian is None:
        return Reconciled(to_gregorian(*h), h, filled="gregorian")
    if not GREGORIAN_MIN <= gregorian <= GREGORIAN_MAX:
        raise DateRangeError(MSG_GREGORIAN_OUT_OF_RANGE, gregorian.isoformat())
    try:
        expected = to_gregorian(*h)
    except DateRangeError as e:
        # Day 30 of a month Umm al-Qura gives 29 days can still be what the minutes say
        # (a local sighting); compare it as the day after the 29th.
        if e.msgid != MSG_HIJRI_NO_SUCH_DAY:
            raise
        expected = to_gregorian(h.year, h.month, 29) + dt.timedelta(days=1)
    diff = (gregorian - expected).days
    return Reconciled(gregorian, h, None, diff, MSG_DATES_DISAGREE if diff else None)


# ---------------------------------------------------------------- display

_EASTERN = "٠١٢٣٤٥٦٧٨٩"
_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
_TO_ASCII = str.maketrans(_EASTERN + _PERSIAN, "0123456789" * 2)
_TO_EASTERN = str.maketrans("0123456789", _EASTERN)

HIJRI_MONTHS_AR = (
    "محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة",
    "رجب", "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة",
)
HIJRI_MONTHS_EN = (
    "Muharram", "Safar", "Rabi al-Awwal", "Rabi al-Thani", "Jumada al-Awwal",
    "Jumada al-Thani", "Rajab", "Shaban", "Ramadan", "Shawwal", "Dhu al-Qadah",
    "Dhu al-Hijjah",
)


def parse_digits(s: str) -> str:
    """Eastern Arabic (٠-٩) and Persian (۰-۹) digits to ASCII; other characters kept."""
    return s.translate(_TO_ASCII)


def arabic_digits(s: str | int) -> str:
    """ASCII digits to Eastern Arabic, as Arabic text in Saudi Arabia usually shows them."""
    return str(s).translate(_TO_EASTERN)


def _is_ar(lang: str) -> bool:
    return lang.lower().startswith("ar")


def format_hijri(d: dt.date | tuple[int, int, int], lang: str = "ar") -> str:
    """'٢١ جمادى الأولى ١٤٤٥ هـ' / '21 Jumada al-Awwal 1445 AH'.

    Takes a Gregorian date (converted) or a Hijri (y, m, d) tuple shown as is, so a
    Hijri date kept from the minutes is displayed exactly as recorded.
    """
    h = to_hijri(d) if isinstance(d, dt.date) else HijriDate(*d)
    if _is_ar(lang):
        return f"{arabic_digits(h.day)} {HIJRI_MONTHS_AR[h.month - 1]} {arabic_digits(h.year)} هـ"
    return f"{h.day} {HIJRI_MONTHS_EN[h.month - 1]} {h.year} AH"


def format_gregorian(d: dt.date, lang: str = "ar") -> str:
    """'٥ ديسمبر ٢٠٢٣ م' / '5 December 2023'.

    Babel's `ar` locale uses Latin digits and the month names common in Saudi Arabia
    (ديسمبر); we switch to Eastern Arabic digits and add «م» so it reads like the Hijri
    date shown beside it.
    """
    if _is_ar(lang):
        return f"{arabic_digits(_babel_format_date(d, 'd MMMM y', locale='ar'))} م"
    return _babel_format_date(d, "d MMMM y", locale="en")


def weekday_name(d: dt.date, lang: str = "ar") -> str:
    return _babel_format_date(d, "EEEE", locale="ar" if _is_ar(lang) else "en")


def localised_number(text: str | int | float, lang: str = "ar") -> str:
    """A number as Arabic text shows it: Eastern digits, «٬» between thousands, «٫» before decimals."""
    text = str(text)
    if not _is_ar(lang):
        return text
    return arabic_digits(text).replace(",", "٬").replace(".", "٫")


def dual_date(value: dt.date | dt.datetime | None, lang: str | None = None) -> str:
    """The one way Sila writes a day: Umm al-Qura Hijri with the Gregorian beside it,
    «٢١ جمادى الأولى ١٤٤٥ هـ (٥ ديسمبر ٢٠٢٣ م)». A timestamp counts by its Riyadh day."""
    if value is None:
        return ""
    day = to_riyadh(value).date() if isinstance(value, dt.datetime) else value
    return _dual_day(day, lang or i18n.get_language())


@functools.lru_cache(maxsize=4096)
def _dual_day(day: dt.date, lang: str) -> str:
    # A queue page shows 50 due dates, mostly on a few days: Babel and the Hijri conversion once each.
    return f"{format_hijri(day, lang)} ({format_gregorian(day, lang)})"


def dual_datetime(value: dt.datetime | None, lang: str | None = None) -> str:
    """`dual_date` and the Riyadh time of day."""
    if value is None:
        return ""
    lang = lang or i18n.get_language()
    clock = to_riyadh(value).strftime("%H:%M")
    if _is_ar(lang):
        return f"{dual_date(value, lang)}، {arabic_digits(clock)}"
    return f"{dual_date(value, lang)}, {clock}"


def to_riyadh(value: dt.datetime) -> dt.datetime:
    """An aware datetime in Asia/Riyadh. Naive datetimes are refused rather than guessed:
    everything we store is aware UTC, so a naive value is a bug upstream."""
    if value.tzinfo is None:
        raise ValueError("to_riyadh() needs an aware datetime")
    return value.astimezone(RIYADH)


# A filter's day outside these finds what the nearest one finds (no row is older or newer), and
# keeps the arithmetic in range: 0001-01-01 in Riyadh is a UTC time before year 1, and the day
# after 9999-12-31 does not exist (both were a 500 in the API).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def day_start(day: dt.date) -> dt.datetime:
    """The start of a Riyadh calendar day, as an aware time: the one way a "from" day becomes a
    moment (SQL's `date at time zone` reads the date in the session's zone first, and was three
    hours off)."""
    return dt.datetime.combine(min(max(day, FIRST_DAY), LAST_DAY), dt.time(0), tzinfo=RIYADH)


def day_after(day: dt.date) -> dt.datetime:
    """The start of the next Riyadh day: the end of a period that includes `day`."""
    return day_start(min(max(day, FIRST_DAY), LAST_DAY) + dt.timedelta(days=1))
