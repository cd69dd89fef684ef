"""Saudi ID / iqama numbers and mobile numbers: normalise, validate, mask. Pure functions.

ID check digit: the national ID (first digit 1) and the iqama (first digit 2) are 10 digits
whose last digit is a Luhn check digit. Counting from the left, the digits in odd
positions (1st, 3rd … 9th) are doubled and replaced by the sum of their digits, the others
are added as they are, and the total must be a multiple of 10. For ten digits this is
exactly the standard Luhn rule read from the right. Source: the reference implementations
in github.com/alhazmy13/Saudi-ID-Validator (credited to Abdul-Aziz Al-Oraij, one function in
a dozen languages) and the npm package saudi-id-validator (github.com/malzaid0), whose
published examples we test against: 1000000008 valid, 1000000000 invalid.
"""
from __future__ import annotations

import re

import phonenumbers

from sila.platform.dates import parse_digits
from sila.platform.i18n import N_

MSG_ID_REQUIRED = N_("Enter the national ID or iqama number.")
MSG_ID_FORMAT = N_("The ID number has 10 digits and starts with 1 (citizen) or 2 (resident).")
MSG_ID_CHECK = N_("This ID number is not valid: check the digits again.")
MSG_MOBILE_REQUIRED = N_("Enter a mobile number.")
MSG_MOBILE_INVALID = N_("Enter a valid mobile number, e.g. 05XXXXXXXX.")

_SEPARATORS = re.compile(r"[\s\-\u200e\u200f\u061c]")  # spaces, hyphens, direction marks


def normalise_id(raw: str) -> str:
    """ASCII digits with separators removed; Eastern Arabic and Persian digits accepted."""
    return _SEPARATORS.sub("", parse_digits(raw or ""))


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == 0:  # 1st, 3rd … from the left (for 10 digits: every second from the right)
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def id_problem(raw: str) -> str | None:
    """The msgid of what is wrong with this ID number, or None."""
    value = normalise_id(raw)
    if not value:
        return MSG_ID_REQUIRED
    if not (len(value) == 10 and value.isascii() and value.isdigit() and value[0] in "12"):
        return MSG_ID_FORMAT
    return None if luhn_ok(value) else MSG_ID_CHECK


def id_kind(value: str) -> str:
    return "citizen" if value.startswith("1") else "resident"


def mask_id(last4: str) -> str:
    """Shown to staff by default: only the last four digits."""
    return "••••••" + last4


def normalise_mobile(raw: str) -> tuple[str | None, str | None]:
    """(E.164, None) or (None, msgid). Saudi local forms (05…, 5…, 9665…, 009665…) are read as
    Saudi; numbers with a + keep their country. Landlines are refused: codes go by SMS."""
    text = _SEPARATORS.sub("", parse_digits(raw or "")).replace("(", "").replace(")", "")
    if not text:
        return None, MSG_MOBILE_REQUIRED
    try:
        number = phonenumbers.parse(text, "SA")
    except phonenumbers.NumberParseException:
        return None, MSG_MOBILE_INVALID
    kind = phonenumbers.number_type(number)
    if not phonenumbers.is_valid_number(number) or kind not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        return None, MSG_MOBILE_INVALID
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def valid_test_id(prefix: str) -> str:
    """Complete 9 digits with their check digit (for tests and demo data)."""
    for last in "0123456789":
        if luhn_ok(prefix + last):
            return prefix + last
    raise ValueError(prefix)
