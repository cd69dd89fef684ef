"""Following a request from the public site: reference number, then a one-time code sent by
SMS (an outbox row) to the mobile given with the request.

Redis holds the code's hash (10 minutes) and the counters: wrong codes per reference and per
address, codes sent per reference. The answer to "send me a code" is the same whether or
not the reference exists, so the form cannot be used to discover references.
"""
from __future__ import annotations

import hashlib
import json
import hmac
import secrets
from typing import Any

from sila.platform.db import tenant_scope
from sila.platform.i18n import N_
from sila.platform.ratelimit import hit
from sila.tenants.requests.messages import notify_in_scope
from sila.tenants.requests.services import normalise_reference

CODE_TTL = 600
MAX_WRONG_PER_REFERENCE = 5
MAX_WRONG_PER_ADDRESS = 20
MAX_CODES_PER_HOUR = 3
LOCK_SECONDS = 900

MSG_REFERENCE_REQUIRED = N_("Enter the reference number of your request.")
MSG_CODE_REQUIRED = N_("Enter the code we sent to your mobile.")
MSG_CODE_WRONG = N_("This code is not right, or it has expired. Check the text message and try again.")
MSG_LOCKED = N_("Too many wrong codes. Wait 15 minutes, then ask for a new code.")
MSG_TOO_MANY_CODES = N_("We already sent several codes for this request. Wait an hour before asking again.")

class TrackingError(Exception):
    def __init__(self, msgid: str, field: str = "code") -> None:
        super().__init__(msgid)
        self.msgid, self.field = msgid, field


def _keys(tenant_id: Any, reference: str, address: str) -> dict[str, str]:
    ref = hashlib.sha256(f"{tenant_id}|{reference}".encode()).hexdigest()[:32]
    return {"code": f"sila:track:code:{ref}", "wrong": f"sila:track:wrong:{ref}",
            "sent": f"sila:track:sent:{ref}", "addr": f"sila:track:addr:{tenant_id}:{address}"}


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def send_code(tenant: Any, raw_reference: str, redis: Any, address: str) -> str:
    """Writes the code's SMS to the outbox when the reference exists. Returns the normalised
    reference. Raises TrackingError only for limits that do not reveal existence."""
    reference = normalise_reference(raw_reference)
    if not reference:
        raise TrackingError(MSG_REFERENCE_REQUIRED, "reference")
    keys = _keys(tenant.id, reference, address)
    if int(await redis.get(keys["wrong"]) or 0) >= MAX_WRONG_PER_REFERENCE:
        raise TrackingError(MSG_LOCKED, "reference")
    if await hit(redis, keys["sent"], 3600) > MAX_CODES_PER_HOUR:
        raise TrackingError(MSG_TOO_MANY_CODES, "reference")
    code = f"{secrets.randbelow(10**6):06d}"
    async with tenant_scope(tenant.id) as tx:
        req = await tx.connection.fetchrow("select * from support_request where reference = $1", reference)
        if req is not None:
            # SMS whatever the contact channel: the code is proof of holding this mobile.
            await notify_in_scope(tenant, dict(req), "request.tracking_code", channel="sms", code=code)
    if req is not None:
        await redis.set(keys["code"], _digest(code), ex=CODE_TTL)
    return reference


async def check_code(tenant: Any, raw_reference: str, code: str, redis: Any, address: str) -> str:
    """The reference when the code is right (and spends the code); TrackingError otherwise."""
    from sila.platform.dates import parse_digits

    reference = normalise_reference(raw_reference)
    code = "".join(parse_digits(code or "").split())
    if not reference:
        raise TrackingError(MSG_REFERENCE_REQUIRED, "reference")
    if not code:
        raise TrackingError(MSG_CODE_REQUIRED)
    keys = _keys(tenant.id, reference, address)
    wrong, by_address = await redis.mget(keys["wrong"], keys["addr"])
    if int(wrong or 0) >= MAX_WRONG_PER_REFERENCE or int(by_address or 0) >= MAX_WRONG_PER_ADDRESS:
        raise TrackingError(MSG_LOCKED)
    stored = await redis.get(keys["code"])
    if stored and hmac.compare_digest(stored.decode() if isinstance(stored, bytes) else stored, _digest(code)):
        await redis.delete(keys["code"], keys["wrong"])
        return reference
    n = await hit(redis, keys["wrong"], LOCK_SECONDS)
    await hit(redis, keys["addr"], LOCK_SECONDS)
    if n >= MAX_WRONG_PER_REFERENCE:
        await redis.delete(keys["code"])  # a locked reference needs a fresh code afterwards
        raise TrackingError(MSG_LOCKED)
    raise TrackingError(MSG_CODE_WRONG)


async def status(tenant_id: Any, reference: str) -> dict[str, Any] | None:
    """What the applicant may see: stage, due date (with the clock: paused or not), decision and its
    reason, what is missing and staff's note, the appeal and what the page may offer."""
    from sila.tenants.requests import clock
    from sila.tenants.requests.services import applicant
    from sila.tenants.requests.terms import terms_of_version

    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow("select * from support_request where reference = $1", reference)
        if row is None:
            return None
        req = dict(row)
        the_clock = await clock.clock_in_scope(req)
        terms = await terms_of_version(tenant_id, req["policy_version_number"])
        offers = await applicant.offers_in_scope(req, terms)
    out = {k: req[k] for k in ("reference", "stage", "submitted_at", "decision", "decision_reason",
                                "policy_version_number", "review_window_days", "review_window_basis")}
    out["missing"] = json.loads(req["missing"]) if isinstance(req["missing"], str) else req["missing"]
    out["due_at"] = the_clock.due_at
    out["clock"] = the_clock
    out["offers"] = offers
    open_pause = next((p for p in the_clock.pauses if p.ended_at is None), None)
    out["note"] = open_pause.note if open_pause else ""
    out["channels"] = terms.staff_channels() if terms else []  # where to bring what is missing otherwise
    return out
