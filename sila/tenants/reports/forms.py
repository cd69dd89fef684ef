"""The reports' inputs: the period (query string), the audit browser's filters."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from sila.platform.forms import MSG_ANY_DAY, Choice, Form, FormErrors, Text, WholeNumber, parse_form, read_day
from sila.platform.i18n import N_
from sila.tenants.reports.period import MAX_MONTHS, Period, default_period, months_between

CALENDARS = {"gregorian": N_("Gregorian months"), "hijri": N_("Hijri months (Umm al-Qura)")}
MSG_MONTH = N_("Choose a month from the list.")
MSG_G_YEAR = N_("Enter a Gregorian year from %(low)s to %(high)s.")
MSG_H_YEAR = N_("Enter a Hijri year from %(low)s to %(high)s.")
MSG_ORDER = N_("The period must end in or after the month it starts.")
MSG_SPAN = N_("Choose a period of at most %(n)s months.")


class PeriodForm(Form):
    calendar: Annotated[str, Choice(CALENDARS, default="gregorian")]
    from_year: Annotated[int | None, WholeNumber(1300, 2077, message=N_("Enter a year."))] = None
    from_month: Annotated[int | None, WholeNumber(1, 12, message=MSG_MONTH)] = None
    to_year: Annotated[int | None, WholeNumber(1300, 2077, message=N_("Enter a year."))] = None
    to_month: Annotated[int | None, WholeNumber(1, 12, message=MSG_MONTH)] = None


def _check_period(form: PeriodForm, errors: FormErrors) -> None:
    low, high, msg = (1343, 1499, MSG_H_YEAR) if form.calendar == "hijri" else (1924, 2076, MSG_G_YEAR)
    for name in ("from_year", "to_year"):
        year = getattr(form, name)
        if year is not None and not low <= year <= high:
            errors.add(name, msg, low=low, high=high)
    if errors or None in (form.from_year, form.from_month, form.to_year, form.to_month):
        return
    span = months_between((form.from_year, form.from_month), (form.to_year, form.to_month))  # type: ignore[arg-type]
    if span < 1:
        errors.add("to_month", MSG_ORDER)
    elif span > MAX_MONTHS:
        errors.add("to_month", MSG_SPAN, n=MAX_MONTHS)


def read_period(query: object) -> tuple[Period, FormErrors, dict[str, str]]:
    """The period asked for, or (with errors beside the fields) this year so far."""
    parsed = parse_form(PeriodForm, query, check=_check_period)
    value = parsed.value
    calendar = value.calendar if value else "gregorian"
    fallback = default_period(calendar=calendar if calendar in CALENDARS else "gregorian")
    if value is None or None in (value.from_year, value.from_month, value.to_year, value.to_month):
        period = fallback  # nothing chosen, or partly: what was typed is shown back
    else:
        period = Period(value.calendar, (value.from_year, value.from_month),  # type: ignore[arg-type]
                        (value.to_year, value.to_month))  # type: ignore[arg-type]
    typed = {k: v for k, v in parsed.typed.items() if v}
    return period, parsed.errors, typed


class AuditFilterForm(Form):
    actor: Annotated[str, Text(40)] = ""
    action: Annotated[str, Text(60)] = ""
    since: Annotated[str, Text(40)] = ""  # either calendar (forms.read_day); a bad day drops only itself
    until: Annotated[str, Text(40)] = ""
    page: Annotated[int | None, WholeNumber(1, 100000)] = None


def _day(text: str) -> dt.date | None:
    try:
        return read_day(text)
    except ValueError:
        return None


def _check_audit(form: AuditFilterForm, errors: FormErrors) -> None:
    for name in ("since", "until"):
        text = getattr(form, name)
        if text and _day(text) is None:
            errors.add(name, MSG_ANY_DAY)


def read_audit_filter(query: object) -> tuple[AuditFilterForm, FormErrors, dict[str, str]]:
    parsed = parse_form(AuditFilterForm, query, check=_check_audit)
    return parsed.value or AuditFilterForm(), parsed.errors, parsed.typed


def day_of(text: str) -> dt.date | None:
    return _day(text)
