"""What the request services share: the input problem only a service can judge, references, the clock."""
from __future__ import annotations

import datetime as dt
import secrets

from sila.platform.dates import parse_digits
from sila.tenants.requests.workflow import Problem

__all__ = ["Problem", "new_reference", "normalise_reference"]

def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_reference(now: dt.datetime | None = None) -> str:
    """Two digits of the year and eight random ones: easy to read out on the phone, not
    guessable in sequence (tracking still needs the one-time code)."""
    return f"{(now or _now()).year % 100:02d}-{secrets.randbelow(10**8):08d}"


def normalise_reference(raw: str) -> str:
    digits = "".join(ch for ch in parse_digits(raw or "") if ch.isdigit())
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 10 else (raw or "").strip()[:20]
