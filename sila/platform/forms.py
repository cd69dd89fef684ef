"""The form layer: each form is one pydantic model, read by `parse_form`.

`parse_form(Model, data)` returns the typed value, or the errors (translated into the page's
language, beside their fields) together with what the person typed, so the page can show both.
Fields are built from the shared types below (bounded text that refuses control characters,
choices, check boxes, whole numbers and digit codes written in Eastern or Western digits, a
Riyadh (Gregorian) date, an Umm al-Qura Hijri date, Saudi ID with its check digit, Saudi
mobile, email), so a rule is written once and every form gets it. Forms that post a list of rows
(`channels.0.label_ar`, `channels.1.label_ar`, …) read each row with `parse_rows`.

Why pydantic and not msgspec: a field validator can see the fields declared before it
(`info.data`, for rules such as "email is required when the contact channel is email"), errors
carry their field's location, and a custom error can carry our own msgid. msgspec's
constraints cannot carry our messages, and pydantic is already in the stack (settings).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from sila.platform import dates, i18n, input_guard
from sila.platform.dates import parse_digits
from sila.platform.i18n import N_
from sila.platform.identity import id_problem, normalise_id, normalise_mobile

MSG_REQUIRED = N_("This field is required.")
MSG_CONTROL = input_guard.NOT_ALLOWED  # one message, whether the guard or the field finds them
MSG_FILE = N_("Type the text here: a file cannot be sent in this field.")
MSG_TOO_LONG = N_("Keep it to %(n)s characters or fewer.")
MSG_CHOICE = N_("Choose one of the options in the list.")
MSG_NUMBER = N_("Enter a whole number from %(low)s to %(high)s.")
MSG_EMAIL = N_("Enter a valid email address.")
MSG_INVALID = N_("Check this value.")
MSG_DATE = N_("Enter a valid Gregorian date, such as 2023-12-05.")
MSG_HIJRI = dates.MSG_HIJRI_INVALID
MSG_CODE = N_("Enter the code: digits only.")

# C0 controls except tab, line feed and carriage return; DEL and the C1 controls; lone
# surrogates (what undecodable bytes become). PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_CONTROL = re.compile(r"[\t\n\r]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def problem(msgid: str, *, at: str | None = None, **variables: Any) -> PydanticCustomError:
    """The error a field validator raises: an English msgid, translated when the page is drawn.
    `at`: the name the error is shown under, when it is about several fields (e.g. an order)."""
    return PydanticCustomError("sila", msgid, {"msgid": msgid, "variables": variables, "at": at})


def raw_text(value: Any) -> str:
    """One submitted field as text: the last of repeated values; a file part raises MSG_FILE."""
    if isinstance(value, list):
        value = value[-1] if value else ""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise problem(MSG_FILE)
    return value


def control_characters(text: str, *, multiline: bool = False) -> bool:
    if _CONTROL.search(text):
        return True
    return not multiline and "\n" in text.strip()


# --- field types --------------------------------------------------------------------------
# Each builds the validator of one kind of field: `name: Annotated[str, Text(200, required=...)]`.


def Text(max_length: int, *, required: str | None = None, multiline: bool = False,
         too_long: str = MSG_TOO_LONG, fold: bool = True) -> BeforeValidator:
    """Bounded text: trimmed; single-line text has its runs of white space folded to one space
    (unless `fold` is False: then only a line break is refused). `required` is the msgid shown
    when it is empty (None: may be empty)."""

    def check(value: Any) -> str:
        text = raw_text(value)
        if _CONTROL.search(text) or (not multiline and not fold and re.search(r"[\r\n]", text.strip())):
            raise problem(MSG_CONTROL)
        text = text.strip() if multiline or not fold else " ".join(text.split())
        if not text and required:
            raise problem(required)
        if len(text) > max_length:
            raise problem(too_long, n=max_length)
        return text

    return BeforeValidator(check)


def Choice(options: Mapping[str, Any] | tuple[str, ...], *, default: str | None = None,
           message: str = MSG_CHOICE, allow_empty: bool = False) -> BeforeValidator:
    """One of `options` (their keys); an empty answer becomes `default` when there is one."""

    def check(value: Any) -> str:
        text = raw_text(value).strip()
        if not text and default is not None:
            return default
        if not text and allow_empty:
            return ""
        if text not in options:
            raise problem(message)
        return text

    return BeforeValidator(check)


def WholeNumber(low: int, high: int, *, message: str = MSG_NUMBER, required: bool = False) -> BeforeValidator:
    """A whole number in [low, high], in Western or Eastern Arabic digits; None when left empty."""

    def check(value: Any) -> int | None:
        text = parse_digits(raw_text(value)).strip()
        if not text:
            if required:
                raise problem(message, low=low, high=high)
            return None
        if not (text.isascii() and text.isdigit()) or len(text) > 12 or not low <= int(text) <= high:
            raise problem(message, low=low, high=high)
        return int(text)

    return BeforeValidator(check)


def _saudi_id(value: Any) -> str:
    text = raw_text(value)
    if _CONTROL.search(text):
        raise problem(MSG_CONTROL)
    if msgid := id_problem(text):
        raise problem(msgid)
    return normalise_id(text)


SaudiId = Annotated[str, BeforeValidator(_saudi_id)]


def Mobile(*, required: bool = True) -> BeforeValidator:
    """A mobile number as E.164 (Saudi local forms read as Saudi); "" when optional and empty."""

    def check(value: Any) -> str:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        if not text.strip() and not required:
            return ""
        number, msgid = normalise_mobile(text)
        if msgid:
            raise problem(msgid)
        return number or ""

    return BeforeValidator(check)


def looks_like_email(value: str) -> bool:
    """The one email rule (the Email field's; `sila create-operator` checks its argument with it)."""
    return bool(_EMAIL.match(value or "")) and len(value) <= 254


def Email(*, required: str | None = None) -> BeforeValidator:
    """An email address, lower-cased; "" when left empty and not required."""

    def check(value: Any) -> str:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        text = text.strip().lower()
        if not text:
            if required:
                raise problem(required)
            return ""
        if not looks_like_email(text):
            raise problem(MSG_EMAIL)
        return text

    return BeforeValidator(check)


def Digits(max_length: int, *, min_length: int = 1, message: str = MSG_CODE,
           required: str | None = None) -> BeforeValidator:
    """A code made of digits (a one-time code, a licence number), written in Eastern or Western
    digits, spaces and dashes ignored; returned in Western digits. `required` is the msgid shown
    when it is empty (None: may be empty, read as "")."""

    def check(value: Any) -> str:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        text = re.sub(r"[\s\-]", "", parse_digits(text))
        if not text:
            if required:
                raise problem(required)
            return ""
        if not (text.isascii() and text.isdigit()) or not min_length <= len(text) <= max_length:
            raise problem(message)
        return text

    return BeforeValidator(check)


def Password(*, required: str | None = None, max_length: int = 1000) -> BeforeValidator:
    """A password as typed (only the ends trimmed, as browsers' autofill may add a space); control
    characters refused, bounded so a megabyte is not hashed."""

    def check(value: Any) -> str:
        text = read_password(value, max_length=max_length)
        if not text and required:
            raise problem(required)
        return text

    return BeforeValidator(check)


def read_password(value: Any, *, max_length: int = 1000) -> str:
    """A submitted password: control characters refused, the ends trimmed, bounded."""
    text = raw_text(value)
    if _CONTROL.search(text):
        raise problem(MSG_CONTROL)
    text = text.strip()
    if len(text) > max_length:
        raise problem(MSG_TOO_LONG, n=max_length)
    return text


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MSG_TIME = N_("Enter a time as hours and minutes, for example 21:30.")


def TimeOfDay(*, message: str = MSG_TIME) -> BeforeValidator:
    """A time of day as hours:minutes (21:30, ٢١:٣٠), Riyadh time as the page says."""

    def check(value: Any) -> dt.time:
        match = _TIME.match(parse_digits(raw_text(value)).strip())
        if not match:
            raise problem(message)
        return dt.time(int(match.group(1)), int(match.group(2)))

    return BeforeValidator(check)


def NumberList(low: int, high: int, *, max_items: int = 5, message: str) -> BeforeValidator:
    """Up to `max_items` whole numbers in [low, high], separated by commas (, or ،) or spaces, in
    either digit set; sorted, each once."""

    def check(value: Any) -> list[int]:
        parts = [p for p in re.split(r"[,،\s]+", parse_digits(raw_text(value))) if p]
        if len(parts) > max_items or not all(p.isascii() and p.isdigit() and len(p) < 12 and low <= int(p) <= high
                                             for p in parts):
            raise problem(message, low=low, high=high)
        return sorted({int(p) for p in parts})

    return BeforeValidator(check)


def Flag() -> BeforeValidator:
    """A check box: True when it was sent with any value."""

    def check(value: Any) -> bool:
        try:
            return bool(raw_text(value).strip())
        except PydanticCustomError:
            return False

    return BeforeValidator(check)


def Many(options: Mapping[str, Any] | tuple[str, ...] | None = None, *, max_items: int = 50,
         message: str = MSG_CHOICE, required: str | None = None) -> BeforeValidator:
    """A group of check boxes (a repeated field): the values sent, each one of `options` when given;
    `required` is the msgid shown when none is ticked."""

    def check(value: Any) -> list[str]:
        raw = value if isinstance(value, list) else [] if value is None else [value]
        out: list[str] = []
        for item in raw:
            text = raw_text(item).strip()
            if not text:
                continue
            if _CONTROL.search(text) or (options is not None and text not in options):
                raise problem(message)
            if text not in out:
                out.append(text)
        if len(out) > max_items:
            raise problem(message)
        if not out and required:
            raise problem(required)
        return out

    return BeforeValidator(check)


_GREGORIAN_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y")


def read_gregorian(text: str) -> dt.date | None:
    """A Gregorian day as people type it (2023-12-05, 05/12/2023, 2023/12/05, 05-12-2023), in
    Eastern or Western digits; None when empty. Raises ValueError when it is no such day."""
    text = parse_digits(text or "").strip().replace(" ", "")
    if not text:
        return None
    for fmt in _GREGORIAN_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def RiyadhDate(*, required: str | None = None, message: str = MSG_DATE,
               bounded: bool = False) -> BeforeValidator:
    """A calendar day (Gregorian) as counted in Riyadh, as `read_gregorian` reads it; None when
    empty and not required. `bounded`: only days the Umm al-Qura tables cover (1924–2077)."""

    def check(value: Any) -> dt.date | None:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        try:
            day = read_gregorian(text)
        except ValueError:
            raise problem(message) from None
        if day is None:
            if required:
                raise problem(required)
            return None
        if bounded and not dates.GREGORIAN_MIN <= day <= dates.GREGORIAN_MAX:
            raise problem(dates.MSG_GREGORIAN_OUT_OF_RANGE)
        return day

    return BeforeValidator(check)


def riyadh_today() -> dt.date:
    return dt.datetime.now(dates.RIYADH).date()


_HIJRI_TEXT = re.compile(r"^(\d{1,4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})$")


def read_hijri(text: str, *, sighting: bool = False) -> dates.HijriDate | None:
    """An Umm al-Qura day written year/month/day (1447/03/23, ١٤٤٧/٠٣/٢٣; `-` or `.` also
    separate), or day/month/year when the year comes last; None when empty. Raises
    `dates.DateRangeError` (its msgid says why) when it is no such day. `sighting`: day 30 of a
    month the tables give 29 days is accepted (minutes may follow a local moon sighting)."""
    text = parse_digits(text or "").strip()
    if not text:
        return None
    match = _HIJRI_TEXT.match(text)
    if not match:
        parts = re.split(r"\s*[/\-.]\s*", text)
        if len(parts) == 3 and len(parts[2]) == 4 and all(p.isascii() and p.isdigit() for p in parts):
            match = _HIJRI_TEXT.match("/".join(reversed(parts)))
    if not match:
        raise dates.DateRangeError(MSG_HIJRI, text)
    return hijri_day(*(int(g) for g in match.groups()), sighting=sighting)


def hijri_day(year: int, month: int, day: int, *, sighting: bool = False) -> dates.HijriDate:
    """(year, month, day) checked against the Umm al-Qura tables; raises `dates.DateRangeError`."""
    try:
        dates.to_gregorian(year, month, day)
    except dates.DateRangeError as exc:
        if not (sighting and exc.msgid == dates.MSG_HIJRI_NO_SUCH_DAY):
            raise
    return dates.HijriDate(year, month, day)


def HijriDay(*, required: str | None = None, sighting: bool = False) -> BeforeValidator:
    """An Umm al-Qura Hijri day typed as one text (see `read_hijri`): a `dates.HijriDate`, or
    None when empty and not required."""

    def check(value: Any) -> dates.HijriDate | None:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        try:
            day = read_hijri(text, sighting=sighting)
        except dates.DateRangeError as exc:
            raise problem(exc.msgid) from None
        if day is None and required:
            raise problem(required)
        return day

    return BeforeValidator(check)


MSG_ANY_DAY = N_("Enter a date, Hijri (1448/06/23) or Gregorian (2026-12-03).")
_YEAR = re.compile(r"(?:^|\D)(\d{4})(?:\D|$)")


def read_day(text: str) -> dt.date | None:
    """A day typed in either calendar, as the Gregorian day it is: a four-digit year before 1600
    is Hijri (Umm al-Qura; the tables cover 1343–1500), any other Gregorian; Eastern or Western
    digits, either order. None when empty; ValueError (DateRangeError for a Hijri day that does
    not exist) otherwise."""
    plain = parse_digits(text or "").strip()
    if not plain:
        return None
    year = _YEAR.search(plain)
    if year and int(year.group(1)) < 1600:
        hijri = read_hijri(plain)
        assert hijri is not None
        return dates.to_gregorian(hijri.year, hijri.month, hijri.day)
    day = read_gregorian(plain)
    if day is not None and not dates.GREGORIAN_MIN <= day <= dates.GREGORIAN_MAX:
        raise dates.DateRangeError(dates.MSG_GREGORIAN_OUT_OF_RANGE, plain)  # no Hijri day to show beside it
    return day


def AnyDay(*, required: str | None = None, message: str = MSG_ANY_DAY) -> BeforeValidator:
    """A day typed in the calendar the person thinks in (see `read_day`), shown back in both by
    the `day_input` macro of templates/_forms.html; a Gregorian `dt.date`, or None when empty."""

    def check(value: Any) -> dt.date | None:
        text = raw_text(value)
        if _CONTROL.search(text) or len(text) > 40:
            raise problem(message)
        try:
            day = read_day(text)
        except ValueError:
            raise problem(message) from None
        if day is None and required:
            raise problem(required)
        return day

    return BeforeValidator(check)


MSG_AMOUNT = N_("Enter the amount in riyals, e.g. 1500 or 1500.50.")
MSG_DATETIME = N_("Enter a date and a time, such as 2023-12-05 21:30.")
MSG_HTTPS = N_("Enter a web address that starts with https://.")
AMOUNT_MAX = decimal.Decimal(10) ** 10  # a column of numeric(12, 2): ten digits before the point


def Amount(*, message: str = MSG_AMOUNT, required: str | None = None) -> BeforeValidator:
    """An amount of money in Saudi riyals: digits in either set, "," or "٬" between thousands,
    "." or "٫" before the halalas (at most two); refuses NaN, infinities, negatives and amounts of
    ten billion or more. None when empty and not required."""

    def check(value: Any) -> decimal.Decimal | None:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        text = parse_digits(text).strip().replace(",", "").replace("٬", "").replace("٫", ".").replace(" ", "")
        if not text:
            if required:
                raise problem(required)
            return None
        if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", text):
            raise problem(message)
        amount = decimal.Decimal(text)
        if amount >= AMOUNT_MAX:
            raise problem(message)
        return amount

    return BeforeValidator(check)


def LocalDateTime(*, required: str | None = None, message: str = MSG_DATETIME) -> BeforeValidator:
    """A date and time as a `datetime-local` field sends it (or "YYYY-MM-DD HH:MM"), in either digit
    set, read as Riyadh time and returned in UTC; None when empty and not required."""

    def check(value: Any) -> dt.datetime | None:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        text = parse_digits(text).strip().replace(" ", "T")
        if not text:
            if required:
                raise problem(required)
            return None
        if len(text) > 40:
            raise problem(message)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise problem(message) from None
        if not dates.GREGORIAN_MIN <= moment.date() <= dates.GREGORIAN_MAX:
            raise problem(message)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dates.RIYADH)
        return moment.astimezone(dt.UTC)

    return BeforeValidator(check)


def HttpsLink(*, required: str | None = None, message: str = MSG_HTTPS, max_length: int = 500) -> BeforeValidator:
    """A web address with https and a host (a meeting link); "" when empty and not required."""

    def check(value: Any) -> str:
        text = raw_text(value)
        if _CONTROL.search(text):
            raise problem(MSG_CONTROL)
        text = text.strip()
        if not text:
            if required:
                raise problem(required)
            return ""
        try:
            parts = urlsplit(text)
        except ValueError:
            raise problem(message) from None
        if parts.scheme != "https" or not parts.netloc or len(text) > max_length or re.search(r"\s", text):
            raise problem(message)
        return text

    return BeforeValidator(check)


def earlier(info: ValidationInfo, name: str, default: Any = None) -> Any:
    """A field declared before this one, as parsed (default when it did not parse)."""
    return info.data.get(name, default)


def as_typed(info: ValidationInfo, name: str) -> str:
    """What was typed in another field, parsed or not (e.g. "the two passwords do not match" is
    said even when the first is too short)."""
    return ((info.context or {}).get("typed") or {}).get(name, "")


# --- parsing -------------------------------------------------------------------------------


class Form(BaseModel):
    """Base of every form model: unknown fields are ignored, values are immutable once read."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class FormErrors(dict[str, list[str]]):
    """field -> translated messages. `add` takes an English msgid and translates it now.

    A new one starts with the request's refused fields (see `sila.platform.input_guard`): a form
    that checks `if errors:` re-renders with "characters that are not allowed" beside them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in sorted(input_guard.refused_fields()):
            if input_guard.NOT_ALLOWED not in self.get(name, []):
                self.add(name, input_guard.NOT_ALLOWED)

    def add(self, field: str, msgid: str, **variables: Any) -> None:
        self.setdefault(field, []).append(i18n.gettext(msgid, **variables))


F = TypeVar("F", bound=Form)


@dataclasses.dataclass
class Parsed(Generic[F]):
    value: F | None
    errors: FormErrors
    typed: dict[str, str]  # what was submitted, to show back (files and control characters dropped)

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.errors


def ticked(data: Any, name: str) -> list[str]:
    """The values sent in a repeated field (check boxes), to show back on a form with errors."""
    raw = data.get(name) if data else None
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    return [_CONTROL.sub("", v) for v in values if isinstance(v, str) and v.strip()]


def typed_back(data: Any, names: Any) -> dict[str, str]:
    """What the person typed, for the re-drawn form: text only, control characters removed."""
    shown: dict[str, str] = {}
    for name in names:
        try:
            text = raw_text(data.get(name) if data else None)
        except PydanticCustomError:
            text = ""
        shown[name] = _CONTROL.sub("", text)
    return shown


def _validate(model: type[F], values: dict[str, Any], errors: FormErrors,
              context: dict[str, Any] | None = None, prefix: str = "") -> F | None:
    """`model` from `values`, or None with each field's errors added to `errors` (under prefix+name)."""
    try:
        return model.model_validate(values, context=context)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            field = prefix + str(err["loc"][0]) if err["loc"] else "__all__"
            ctx = err.get("ctx") or {}
            if err["type"] == "sila":
                errors.add(prefix + ctx["at"] if ctx.get("at") else field, ctx["msgid"], **ctx.get("variables", {}))
            elif err["type"] == "missing":
                errors.add(field, MSG_REQUIRED)
            else:
                errors.add(field, MSG_INVALID)
        return None


def parse_form(model: type[F], data: Any, *, context: dict[str, Any] | None = None,
               check: Callable[[F, FormErrors], None] | None = None) -> Parsed[F]:
    """Read `data` (a form body: mapping of field -> value or list of values) into `model`.

    `check`, when given, adds rules that need the whole parsed value (it runs only when every
    field parsed). Errors are translated into the current page language now."""
    names = list(model.model_fields)
    values = {name: (data.get(name) if data else None) for name in names}
    typed = typed_back(data, names)
    errors = FormErrors()
    value = _validate(model, values, errors, {"typed": typed, **(context or {})})
    if value is None:
        return Parsed(None, errors, typed)
    if check is not None:
        check(value, errors)
    return Parsed(None if errors else value, errors, typed)


@dataclasses.dataclass
class Rows(Generic[F]):
    """A list of rows posted as `prefix.i.field` with their count in `prefix.count`."""

    values: list[F | None]  # each row's typed value, None for a row with errors
    errors: FormErrors  # keyed by the field's full name ("channels.2.label_ar")
    typed: list[dict[str, str]]  # what was typed in each row


def parse_rows(model: type[F], data: Any, prefix: str, *, max_rows: int = 60, count: str | None = None,
               row: Callable[[int], str] | None = None) -> Rows[F]:
    """Read the rows `prefix.0.…` to `prefix.(count-1).…` of `data` each into `model`; the count
    (`prefix.count`, in either digit set) is capped at `max_rows`. A page that names its rows
    otherwise gives the count's field (`count`) and each row's prefix (`row(i)`, e.g. "q3_")."""
    try:
        raw = parse_digits(raw_text(data.get(count or f"{prefix}.count") if data else None)).strip()
    except PydanticCustomError:
        raw = ""
    number = min(int(raw), max_rows) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 0
    rows: Rows[F] = Rows([], FormErrors(), [])
    for i in range(number):
        head = row(i) if row else f"{prefix}.{i}."
        shown = typed_back(data, [head + name for name in model.model_fields])
        rows.typed.append({name: shown[head + name] for name in model.model_fields})
        values = {name: data.get(head + name) for name in model.model_fields}
        rows.values.append(_validate(model, values, rows.errors, prefix=head))
    return rows
