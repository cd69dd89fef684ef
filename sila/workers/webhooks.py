"""Outgoing webhooks: one outbox row (channel `webhook`) per event and subscription, delivered
by the relay and `deliver` like every message (retries with back-off, attempts recorded, a
failed row kept and retryable from the admin's page), signed per Standard Webhooks:

  webhook-id:        the outbox row's id (the same on every retry: receivers de-duplicate on it)
  webhook-timestamp: seconds since the epoch, of this attempt
  webhook-signature: "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))
                     where key is the base64-decoded part of the secret after "whsec_"

A receiver verifies the signature over the exact bytes received and refuses a timestamp more
than `REPLAY_WINDOW_SECONDS` away from its clock (a captured delivery cannot be replayed later).
The address passes sila.platform.outbound's rule when saved and again when connecting (the
guarded resolver); redirects are never followed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import aiohttp

from sila.platform import crypto, outbound
from sila.platform.db import current_connection
from sila.platform.settings import Settings
from sila.workers.providers import Message, PermanentFailure, TemporaryFailure
from sila.workers.sms import MAX_ANSWER_BYTES, http_session

REPLAY_WINDOW_SECONDS = 300
USER_AGENT = "Sila-Webhooks/1"


def signing_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(signing_key(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Any, body: str, *, now: float | None = None,
           window: int = REPLAY_WINDOW_SECONDS) -> bool:
    """What a receiver does (used by the tests' receiver, and documented at /api/v1/docs)."""
    try:
        msg_id, ts = headers["webhook-id"], int(headers["webhook-timestamp"])
    except (KeyError, ValueError, TypeError):
        return False
    if abs((now if now is not None else time.time()) - ts) > window:
        return False
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    return any(hmac.compare_digest(expected, s.split(",", 1)[1]) for s in str(headers.get("webhook-signature", "")).split()
               if s.startswith("v1,"))


class WebhookProvider:
    name = "webhook"

    def __init__(self, timeout: float, settings: Settings | None = None) -> None:
        self.timeout = timeout
        self.settings = settings  # None: the deployment's

    async def send(self, message: Message) -> str:
        # Here, not at the top: sms -> providers -> webhooks: a cycle.

        sub_id = message.payload.get("subscription")
        row = await current_connection().fetchrow(
            "select id, url, secret_enc, active from webhook_subscription where id = $1::uuid", str(sub_id))
        if row is None or not row["active"]:
            raise PermanentFailure("the subscription was removed or disabled")
        try:
            outbound.check_url(row["url"], self.settings)  # again now: the row may have changed since the form
        except outbound.Refused as exc:
            raise PermanentFailure(f"the address is not allowed ({exc.reason})") from None
        secret = crypto.decrypt_column(message.tenant_id, "webhook_subscription", "secret_enc", row, row["secret_enc"])
        ts = int(time.time())
        headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                   "webhook-id": str(message.outbox_id), "webhook-timestamp": str(ts),
                   "webhook-signature": sign(secret, str(message.outbox_id), ts, message.body_text)}
        try:
            async with http_session().post(row["url"], data=message.body_text.encode(), headers=headers,
                                           allow_redirects=False,
                                           timeout=aiohttp.ClientTimeout(total=self.timeout)) as answer:
                await answer.content.read(MAX_ANSWER_BYTES)
                status = answer.status
        except outbound.Refused as exc:  # the name resolved inside (the connector's guard: a DNS rebind)
            raise PermanentFailure(f"the address is not allowed ({exc.reason})") from None
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            raise TemporaryFailure(f"HTTP {type(exc).__name__}") from None
        if 200 <= status < 300:
            return f"HTTP {status}"
        if status == 410:  # the receiver says this endpoint is gone
            raise PermanentFailure("HTTP 410")
        raise TemporaryFailure(f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else ""))
