"""SMS gateways used in Saudi Arabia, each in its own documented request shape.

Every request also carries `X-Sila-Idempotency-Key` (the outbox id): the gateways do not
document one, but a peer that honours it (our test gateway does) can tell a replay, and it
costs nothing to one that ignores it. Unifonic additionally gets it as its `CorrelationID`.

  Unifonic  POST {base}/rest/SMS/messages            form AppSid, SenderID, Recipient, Body, CorrelationID
  Taqnyat   POST {base}/v1/messages                  Bearer token; JSON recipients[], body, sender
  Msegat    POST {base}/gw/sendsms.php               JSON userName, apiKey, numbers, userSender, msg, msgEncoding
  Twilio    POST {base}/2010-04-01/Accounts/{sid}/Messages.json   Basic sid:token; form To, From, Body, StatusCallback
"""
from __future__ import annotations

import asyncio
import base64
import json as jsonlib
import weakref
from typing import Any

import aiohttp

from sila.workers.providers import (
    IDEMPOTENCY_HEADER,
    GatewayConfig,
    Message,
    PermanentFailure,
    TemporaryFailure,
)

DEFAULT_BASE_URLS = {
    "unifonic": "https://el.cloud.unifonic.com",
    "taqnyat": "https://api.taqnyat.sa",
    "msegat": "https://www.msegat.com",
    "twilio": "https://api.twilio.com",
    "whatsapp_cloud": "https://graph.facebook.com/v21.0",
}


def msisdn(e164: str) -> str:
    """The international number without "+" or "00", as Unifonic, Taqnyat, Msegat and Meta want it."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    return digits[2:] if digits.startswith("00") else digits


_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = weakref.WeakKeyDictionary()


def http_session() -> aiohttp.ClientSession:
    """One session per event loop (a worker process has one), keeping connections to gateways
    alive. A client per message built a new TLS context each time (60% of a delivery in the
    profile); aiohttp rather than httpx because httpx's own per-request work was 40% of a
    worker's CPU per message in the pipeline profile (docs/performance.md)."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = _sessions[loop] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50, keepalive_timeout=30))
    return session


async def close_session() -> None:
    """Close this loop's session (a process's shutdown), so no connection is left half-open."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


class HttpGateway:
    name = "http"

    def __init__(self, config: GatewayConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout

    async def post(self, message: Message, path: str, *, headers: dict[str, str] | None = None,
                   data: dict[str, str] | None = None, json: Any = None,
                   auth: tuple[str, str] | None = None) -> Any:
        """POST a form or JSON and return the decoded JSON answer; classify what went wrong otherwise."""
        headers = {IDEMPOTENCY_HEADER: message.idempotency_key, "Accept": "application/json", **(headers or {})}
        url = self.config.base_url.rstrip("/") + path
        try:
            if auth:
                headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
            async with http_session().post(url, headers=headers, data=data, json=json,
                                           timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                status, text = response.status, await response.text()
        except asyncio.TimeoutError as exc:
            # The gateway may still have accepted it: the retry carries the same key.
            raise TemporaryFailure(f"{self.name}: no answer within {self.timeout:g} s") from exc
        except (aiohttp.ClientError, ValueError) as exc:  # refused, reset, malformed URL
            raise TemporaryFailure(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if status in (408, 425, 429) or status >= 500:
            raise TemporaryFailure(f"{self.name} HTTP {status}: {text[:300]}")
        if status in (401, 403):  # our configuration, fixable by the admin: keep retrying meanwhile
            raise TemporaryFailure(f"{self.name} refused the credentials (HTTP {status})")
        if status >= 400:
            raise PermanentFailure(f"{self.name} HTTP {status}: {text[:300]}")
        try:
            return jsonlib.loads(text)
        except ValueError as exc:
            raise TemporaryFailure(f"{self.name}: unreadable answer: {text[:200]}") from exc


class UnifonicProvider(HttpGateway):
    name = "unifonic"

    async def send(self, message: Message) -> str:
        answer = await self.post(message, "/rest/SMS/messages", data={
            "AppSid": self.config.secret, "SenderID": self.config.sender, "Recipient": msisdn(message.recipient),
            "Body": message.body_text, "responseType": "JSON", "CorrelationID": message.idempotency_key})
        if answer.get("success") not in (True, "true"):
            raise PermanentFailure(f"unifonic {answer.get('errorCode', '')}: {answer.get('message', '')}".strip())
        return str((answer.get("data") or {}).get("MessageID", ""))


class TaqnyatProvider(HttpGateway):
    name = "taqnyat"

    async def send(self, message: Message) -> str:
        answer = await self.post(message, "/v1/messages", headers={"Authorization": f"Bearer {self.config.secret}"},
                                 json={"recipients": [msisdn(message.recipient)], "body": message.body_text,
                                       "sender": self.config.sender})
        if int(answer.get("statusCode", 0)) not in (200, 201):
            raise PermanentFailure(f"taqnyat {answer.get('statusCode')}: {answer.get('message', '')}")
        return str(answer.get("messageId", ""))


class MsegatProvider(HttpGateway):
    name = "msegat"
    OK = {"1", "M0000"}
    BALANCE = "1060"  # not enough balance: the charity can top up, so it is worth retrying

    async def send(self, message: Message) -> str:
        answer = await self.post(message, "/gw/sendsms.php", json={
            "userName": self.config.account, "apiKey": self.config.secret, "numbers": msisdn(message.recipient),
            "userSender": self.config.sender, "msg": message.body_text, "msgEncoding": "UTF8"})
        code = str(answer.get("code", ""))
        if code == self.BALANCE:
            raise TemporaryFailure(f"msegat {code}: {answer.get('message', '')}")
        if code not in self.OK:
            raise PermanentFailure(f"msegat {code}: {answer.get('message', '')}")
        return str(answer.get("id", "") or answer.get("messageId", ""))


class TwilioProvider(HttpGateway):
    name = "twilio"

    async def send(self, message: Message) -> str:
        sid = self.config.account
        answer = await self.post(message, f"/2010-04-01/Accounts/{sid}/Messages.json",
                                 auth=(sid, self.config.secret),
                                 data={"To": message.recipient, "From": self.config.sender, "Body": message.body_text,
                                       "StatusCallback": self.config.webhook_url})
        if not answer.get("sid"):
            raise PermanentFailure(f"twilio: {answer.get('message', 'no message sid in the answer')}")
        return str(answer["sid"])


PROVIDERS: dict[str, type[HttpGateway]] = {
    "unifonic": UnifonicProvider, "taqnyat": TaqnyatProvider, "msegat": MsegatProvider, "twilio": TwilioProvider,
}
