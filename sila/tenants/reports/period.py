"""A reporting period: whole months, Gregorian or Umm al-Qura Hijri, from Riyadh midnight of the
first month's first day to Riyadh midnight of the day after the last month ends ([start, end))."""
from __future__ import annotations

import dataclasses
import datetime as dt

from babel.dates import format_date

from sila.platform.dates import HIJRI_MONTHS_AR, HIJRI_MONTHS_EN, RIYADH, to_gregorian, to_hijri

MAX_MONTHS = 36


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def months_between(a: tuple[int, int], b: tuple[int, int]) -> int:
    """How many months from a to b, both included (0 or less when b is before a)."""
    return (b[0] - a[0]) * 12 + (b[1] - a[1]) + 1


@dataclasses.dataclass(frozen=True)
class Month:
    calendar: str
    year: int
    month: int
    first_day: dt.date  # Gregorian
    end_day: dt.date  # Gregorian day after its last day

    def label(self, lang: str) -> str:
        if self.calendar == "hijri":
            return (HIJRI_MONTHS_AR if lang == "ar" else HIJRI_MONTHS_EN)[self.month - 1]

        return format_date(self.first_day, "MMM", locale=lang)


def _first_day(calendar: str, year: int, month: int) -> dt.date:
    return to_gregorian(year, month, 1) if calendar == "hijri" else dt.date(year, month, 1)


@dataclasses.dataclass(frozen=True)
class Period:
    calendar: str  # "gregorian" or "hijri"
    start_month: tuple[int, int]
    end_month: tuple[int, int]  # included

    @property
    def first_day(self) -> dt.date:
        return _first_day(self.calendar, *self.start_month)

    @property
    def end_day(self) -> dt.date:
        return _first_day(self.calendar, *_next(*self.end_month))

    @property
    def last_day(self) -> dt.date:
        return self.end_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0), tzinfo=RIYADH)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.end_day, dt.time(0), tzinfo=RIYADH)

    def months(self) -> list[Month]:
        out, ym = [], self.start_month
        while ym <= self.end_month:
            nxt = _next(*ym)
            out.append(Month(self.calendar, ym[0], ym[1], _first_day(self.calendar, *ym),
                             _first_day(self.calendar, *nxt)))
            ym = nxt
        return out

    def query(self) -> str:
        """The period as the dashboard's query string (every drill-down link carries it)."""
        return (f"calendar={self.calendar}&from_year={self.start_month[0]}&from_month={self.start_month[1]}"
                f"&to_year={self.end_month[0]}&to_month={self.end_month[1]}")


def default_period(today: dt.date | None = None, calendar: str = "gregorian") -> Period:
    """This year so far, in the chosen calendar: its first month to the current one."""
    today = today or dt.datetime.now(RIYADH).date()
    if calendar == "hijri":
        h = to_hijri(today)
        return Period("hijri", (h.year, 1), (h.year, h.month))
    return Period("gregorian", (today.year, 1), (today.year, today.month))
