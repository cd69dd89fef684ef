"""Working days in Saudi Arabia, and the one function that turns a start and a number of days
into a due date. Pure Python: the caller passes the tenant's own closures.

A tenant's policy says whether its review window (and its per-step targets) counts
**calendar days** or **working days**.

Working days skip:

- the weekend, Friday and Saturday;
- the official holidays of the private and non-profit sectors (charities are the non-profit
  sector), as set by Article 24 of the Executive Regulations of the Labour Law and announced
  every year by the Ministry of Human Resources and Social Development:
    - **Eid al-Fitr**: four days, beginning the day after 29 Ramadan. The ministry announces it
      as "from the end of work on 29 Ramadan, for four days" (1443: from 30 April 2022 evening;
      1445: 8 April 2024; 1446: 29 March 2025), so the holidays are the four Gregorian days
      after the Umm al-Qura 29 Ramadan, whether the month has 29 or 30 days;
    - **Eid al-Adha**: four days from the Day of Arafah, 9 to 12 Dhu al-Hijjah
      (1444: 27–30 June 2023; 1446: 5–8 June 2025);
    - **Founding Day**, 22 February, and **National Day**, 23 September.
  The Hijri dates are the Umm al-Qura calendar's (`hijridate`, 1343–1500 AH), computed for any
  year; the announced holidays follow the moon sighting and can differ from it by a day. When
  the ministry announces a different span, or a compensating day for a holiday that falls on a
  weekend, the tenant adds it as one of its own closures (Sila does not guess it);
- the tenant's own closures (date ranges with a reason, on its policy pages).

How a window is counted (both kinds): the day of submission does not count; the due date is
the N-th counted day after it, due at the end of that Riyadh day (23:59:59), so a request sent at
23:00 is not due an hour earlier than one sent at 22:00 the same evening. With calendar days the
due date is simply the submission day + N (the policies promise "two weeks", "a month").
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable

from hijridate import Hijri
from hijridate.ummalqura import HIJRI_RANGE

from sila.platform.dates import RIYADH
from sila.platform.i18n import N_

CALENDAR = "calendar"
WORKING = "working"
BASES = (CALENDAR, WORKING)

WEEKEND = frozenset({4, 5})  # Friday, Saturday (date.weekday(): Monday is 0)

HOLIDAY_NAMES = {
    "eid_al_fitr": N_("Eid al-Fitr"),
    "eid_al_adha": N_("Eid al-Adha"),
    "founding_day": N_("Founding Day"),
    "national_day": N_("National Day"),
}

MAX_DAYS = 365 * 3  # a window and a target are at most a year; this bounds every loop


def _gregorian(hy: int, hm: int, hd: int) -> dt.date | None:
    if not HIJRI_RANGE[0] <= (hy, hm, hd) <= HIJRI_RANGE[1]:
        return None
    try:
        g = Hijri(hy, hm, hd).to_gregorian()
    except (ValueError, OverflowError):  # the tables' edges
        return None
    return dt.date(g.year, g.month, g.day)


@functools.lru_cache(maxsize=256)
def official_holidays(year: int) -> dict[dt.date, str]:
    """The official holidays falling in Gregorian `year`: date -> code (HOLIDAY_NAMES)."""
    out: dict[dt.date, str] = {dt.date(year, 2, 22): "founding_day", dt.date(year, 9, 23): "national_day"}
    approx = int((year - 622) * 33 / 32)  # a Gregorian year meets two or three Hijri years
    for hy in range(approx - 2, approx + 3):
        r29 = _gregorian(hy, 9, 29)
        if r29:
            for i in range(1, 5):
                out.setdefault(r29 + dt.timedelta(days=i), "eid_al_fitr")
        arafah = _gregorian(hy, 12, 9)
        if arafah:
            for i in range(4):
                out.setdefault(arafah + dt.timedelta(days=i), "eid_al_adha")
    return {d: code for d, code in out.items() if d.year == year}


def holiday_spans(year: int) -> list[tuple[str, dt.date, dt.date]]:
    """The official holidays of `year` as (code, first day, last day), in date order."""
    spans: list[tuple[str, dt.date, dt.date]] = []
    for d, code in sorted(official_holidays(year).items()):
        if spans and spans[-1][0] == code and spans[-1][2] + dt.timedelta(days=1) == d:
            spans[-1] = (code, spans[-1][1], d)
        else:
            spans.append((code, d, d))
    return spans


def holiday(d: dt.date) -> str | None:
    """The official holiday on `d` (its code), or None."""
    return official_holidays(d.year).get(d)


Closed = Callable[[dt.date], bool]


def closures_checker(ranges: Iterable[tuple[dt.date, dt.date]]) -> Closed:
    """A test for "the tenant is closed on this day" from (first, last) date ranges, both included."""
    spans = [(a, b) for a, b in ranges]
    return lambda d: any(a <= d <= b for a, b in spans)


def _never(d: dt.date) -> bool:
    return False


def is_working_day(d: dt.date, closed: Closed = _never) -> bool:
    return d.weekday() not in WEEKEND and holiday(d) is None and not closed(d)


def add_days(start: dt.date, days: int, basis: str = CALENDAR, closed: Closed = _never) -> dt.date:
    """The `days`-th counted day after `start` (which itself does not count)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_DAYS}")
    if basis == CALENDAR:
        return start + dt.timedelta(days=days)
    if basis != WORKING:
        raise ValueError(f"unknown basis {basis!r}")
    d, left = start, days
    while left:
        d += dt.timedelta(days=1)
        if is_working_day(d, closed):
            left -= 1
    return d


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 of `day` in Riyadh, in UTC."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=RIYADH).astimezone(dt.UTC)


def due_at(start: dt.datetime, days: int, basis: str = CALENDAR, closed: Closed = _never) -> dt.datetime:
    """When something started at `start` (aware) and given `days` is due, in UTC."""
    if start.tzinfo is None:
        raise ValueError("due_at() needs an aware datetime")
    return end_of_day(add_days(start.astimezone(RIYADH).date(), days, basis, closed))


__all__ = ["CALENDAR", "WORKING", "BASES", "WEEKEND", "HOLIDAY_NAMES", "official_holidays", "holiday_spans", "holiday",
           "closures_checker", "is_working_day", "add_days", "end_of_day", "due_at"]
