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
import logging
import weakref
from typing import Any

import aiohttp

from sila.platform import outbound
from sila.platform.settings import Settings
from sila.workers.providers import (
    IDEMPOTENCY_HEADER,
    DeliveryFailure,
    GatewayConfig,
    Message,
    PermanentFailure,
    TemporaryFailure,
)

log = logging.getLogger(__name__)

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
# More than any gateway's answer needs; a larger body is not read (nor kept, nor shown).
MAX_ANSWER_BYTES = 64 * 1024


def http_session() -> aiohttp.ClientSession:
    """One session per event loop (a worker process has one), keeping connections to gateways
    alive. A client per message built a new TLS context each time (60% of a delivery in the
    profile); aiohttp rather than httpx because httpx's own per-request work was 40% of a
    worker's CPU per message in the pipeline profile (docs/performance.md). Its connector
    resolves through sila.platform.outbound's guard: internal addresses are never reached."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = _sessions[loop] = outbound.session(limit=50, keepalive_timeout=30)
    return session


async def close_session() -> None:
    """Close this loop's session (a process's shutdown), so no connection is left half-open."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


class HttpGateway:
    """A tenant's gateway over HTTP. What the gateway answered never leaves this class except as
    the HTTP status and an error code from the provider's short list (`ERROR_CODES`): the answer
    of a misconfigured (or hostile) address is neither stored nor shown to anyone."""

    name = "http"
    ERROR_CODES: frozenset[str] = frozenset()

    def __init__(self, config: GatewayConfig, timeout: float, *, settings: Settings | None = None,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.config = config
        self.timeout = timeout
        self.settings = settings  # None: the deployment's (sila.platform.settings.get_settings)
        self.session = session

    def error_code(self, answer: Any) -> str:
        """The provider's own error code in `answer`, when it is one we know; else ""."""
        return ""

    def _known(self, code: Any) -> str:
        code = str(code if code is not None else "").strip()
        return code if code in self.ERROR_CODES else ""

    def failure(self, cls: type[DeliveryFailure], what: str, answer: Any = None) -> DeliveryFailure:
        code = self.error_code(answer) if isinstance(answer, dict) else ""
        return cls(f"{self.name}: {what}" + (f" (code {code})" if code else ""))

    async def post(self, message: Message, path: str, *, headers: dict[str, str] | None = None,
                   data: dict[str, str] | None = None, json: Any = None,
                   auth: tuple[str, str] | None = None) -> Any:
        """POST a form or JSON and return the decoded JSON answer; classify what went wrong otherwise."""
        headers = {IDEMPOTENCY_HEADER: message.idempotency_key, "Accept": "application/json", **(headers or {})}
        url = self.config.base_url.rstrip("/") + path
        try:
            outbound.check_url(url, self.settings)
        except outbound.Refused as exc:
            raise PermanentFailure(f"{self.name}: the gateway's address is not allowed ({exc.reason})") from None
        try:
            if auth:
                headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
            # No redirects: the address checked is the address posted to.
            async with (self.session or http_session()).post(
                    url, headers=headers, data=data, json=json, allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                status, raw = response.status, await response.content.read(MAX_ANSWER_BYTES + 1)
        except outbound.Refused as exc:  # the name resolved to an internal address (the connector's guard)
            raise PermanentFailure(f"{self.name}: the gateway's address is not allowed ({exc.reason})") from None
        except TimeoutError as exc:
            # The gateway may still have accepted it: the retry carries the same key.
            raise TemporaryFailure(f"{self.name}: no answer within {self.timeout:g} s") from exc
        except (aiohttp.ClientError, ValueError, OSError) as exc:  # refused, reset, malformed URL
            log.info("%s: %s: %s", self.name, type(exc).__name__, exc)
            raise TemporaryFailure(f"{self.name}: could not reach the gateway ({type(exc).__name__})") from exc
        answer: Any = None
        if len(raw) <= MAX_ANSWER_BYTES:
            try:
                answer = jsonlib.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                answer = None
        if 300 <= status < 400:
            raise PermanentFailure(f"{self.name} HTTP {status}: the gateway redirected; redirects are not followed")
        if status in (408, 425, 429) or status >= 500:
            raise self.failure(TemporaryFailure, f"HTTP {status}", answer)
        if status in (401, 403):  # our configuration, fixable by the admin: keep retrying meanwhile
            raise self.failure(TemporaryFailure, f"refused the credentials (HTTP {status})", answer)
        if status >= 400 or status < 200:
            raise self.failure(PermanentFailure, f"HTTP {status}", answer)
        if not isinstance(answer, dict):
            raise TemporaryFailure(f"{self.name}: unreadable answer (HTTP {status})")
        return answer


class UnifonicProvider(HttpGateway):
    name = "unifonic"
    ERROR_CODES = frozenset(f"ER-{n:02d}" for n in range(1, 100))

    def error_code(self, answer: Any) -> str:
        return self._known(answer.get("errorCode"))

    async def send(self, message: Message) -> str:
        answer = await self.post(message, "/rest/SMS/messages", data={
            "AppSid": self.config.secret, "SenderID": self.config.sender, "Recipient": msisdn(message.recipient),
            "Body": message.body_text, "responseType": "JSON", "CorrelationID": message.idempotency_key})
        if answer.get("success") not in (True, "true"):
            raise self.failure(PermanentFailure, "the gateway did not accept the message", answer)
        return str((answer.get("data") or {}).get("MessageID", ""))


class TaqnyatProvider(HttpGateway):
    name = "taqnyat"
    ERROR_CODES = frozenset({"400", "401", "403", "404", "405", "409", "413", "422", "429", "500", "503"})

    def error_code(self, answer: Any) -> str:
        return self._known(answer.get("statusCode"))

    async def send(self, message: Message) -> str:
        answer = await self.post(message, "/v1/messages", headers={"Authorization": f"Bearer {self.config.secret}"},
                                 json={"recipients": [msisdn(message.recipient)], "body": message.body_text,
                                       "sender": self.config.sender})
        if str(answer.get("statusCode", "")) not in ("200", "201"):
            raise self.failure(PermanentFailure, "the gateway did not accept the message", answer)
        return str(answer.get("messageId", ""))


class MsegatProvider(HttpGateway):
    name = "msegat"
    OK = {"1", "M0000"}
    BALANCE = "1060"  # not enough balance: the charity can top up, so it is worth retrying
    ERROR_CODES = frozenset({"1010", "1020", "1050", "1060", "1061", "1064", "1110", "1120", "M0001", "M0002",
                             "M0022", "M0023", "M0024", "M0025", "M0026", "M0027", "M0028", "M0029", "M0030",
                             "M0031", "M0032", "M0033", "M0034", "M0035", "M0036", "M0037", "M0038", "M0039",
                             "M0040", "M0041", "M0042", "M0043", "M0044", "M0045", "M0046", "M0047", "M0048"})

    def error_code(self, answer: Any) -> str:
        return self._known(answer.get("code"))

    async def send(self, message: Message) -> str:
        answer = await self.post(message, "/gw/sendsms.php", json={
            "userName": self.config.account, "apiKey": self.config.secret, "numbers": msisdn(message.recipient),
            "userSender": self.config.sender, "msg": message.body_text, "msgEncoding": "UTF8"})
        code = str(answer.get("code", ""))
        if code == self.BALANCE:
            raise self.failure(TemporaryFailure, "not enough balance", answer)
        if code not in self.OK:
            raise self.failure(PermanentFailure, "the gateway did not accept the message", answer)
        return str(answer.get("id", "") or answer.get("messageId", ""))


class TwilioProvider(HttpGateway):
    name = "twilio"
    ERROR_CODES = frozenset({"20003", "20404", "21211", "21212", "21408", "21606", "21608", "21610", "21612",
                             "21614", "30003", "30004", "30005", "30006", "30007", "30008"})

    def error_code(self, answer: Any) -> str:
        return self._known(answer.get("code"))

    async def send(self, message: Message) -> str:
        sid = self.config.account
        answer = await self.post(message, f"/2010-04-01/Accounts/{sid}/Messages.json",
                                 auth=(sid, self.config.secret),
                                 data={"To": message.recipient, "From": self.config.sender, "Body": message.body_text,
                                       "StatusCallback": self.config.webhook_url})
        if not answer.get("sid"):
            raise self.failure(PermanentFailure, "no message sid in the answer", answer)
        return str(answer["sid"])


PROVIDERS: dict[str, type[HttpGateway]] = {
    "unifonic": UnifonicProvider, "taqnyat": TaqnyatProvider, "msegat": MsegatProvider, "twilio": TwilioProvider,
}
