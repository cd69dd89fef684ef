"""Message providers behind one interface: `await provider.send(message) -> provider_message_id`.

A provider raises `TemporaryFailure` (try again later) or `PermanentFailure` (retrying cannot
help). Every message carries its outbox id as the idempotency key, so a peer that sees the
same message twice can tell (SMTP: the Message-ID and `X-Sila-Idempotency-Key`).
"""
from __future__ import annotations

import asyncio
import email.policy
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from sila.platform import crypto
from sila.platform.db import current_connection
from sila.platform.settings import Settings

IDEMPOTENCY_HEADER = "X-Sila-Idempotency-Key"


class DeliveryFailure(Exception):
    pass


class TemporaryFailure(DeliveryFailure):
    pass


class PermanentFailure(DeliveryFailure):
    pass


@dataclass(frozen=True)
class Message:
    outbox_id: uuid.UUID
    tenant_id: uuid.UUID
    channel: str
    recipient: str
    subject: str
    body_text: str
    body_html: str = ""
    # What a channel needs beyond text: WhatsApp's approved template name and its parameters.
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        return str(self.outbox_id)


class Provider(Protocol):
    name: str

    async def send(self, message: Message) -> str: ...


# 7bit transfer encodings (quoted-printable/base64 as the body needs): valid through any relay,
# including ones that do not offer 8BITMIME. Non-ASCII subjects become RFC 2047 words.
_POLICY = email.policy.SMTP.clone(cte_type="7bit")


class SmtpEmailProvider:
    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def build(self, message: Message) -> EmailMessage:
        msg = EmailMessage(policy=_POLICY)
        msg["From"] = self.settings.email_from
        msg["To"] = message.recipient
        msg["Subject"] = message.subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = f"<{message.idempotency_key}@sila>"
        msg[IDEMPOTENCY_HEADER] = message.idempotency_key
        msg.set_content(message.body_text)
        if message.body_html:
            msg.add_alternative(message.body_html, subtype="html")
        return msg

    def _send(self, msg: EmailMessage) -> None:
        s = self.settings
        # Port 465 speaks TLS from the first byte; elsewhere STARTTLS when configured.
        cls = smtplib.SMTP_SSL if s.smtp_port == 465 else smtplib.SMTP
        with cls(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
            if s.smtp_starttls and cls is smtplib.SMTP:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(msg)

    async def send(self, message: Message) -> str:
        msg = self.build(message)
        try:
            await asyncio.to_thread(self._send, msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            cls = PermanentFailure if all(c >= 500 for c in codes) else TemporaryFailure
            raise cls(f"SMTP refused the recipient: {exc.recipients}") from exc
        except smtplib.SMTPAuthenticationError as exc:  # our configuration; fixable, so keep retrying
            raise TemporaryFailure(f"SMTP authentication failed: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:
            cls = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
            raise cls(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, disconnected
            raise TemporaryFailure(f"SMTP {type(exc).__name__}: {exc}") from exc
        return str(msg["Message-ID"])


class InboxProvider:
    """Development: 'sends' by storing the message for the development inbox page.

    Runs inside the delivering transaction (the caller's tenant scope); unique on
    (tenant, outbox), so a redelivery stores nothing new.
    """

    name = "inbox"

    async def send(self, message: Message) -> str:
        conn = current_connection()
        async with conn.transaction():  # a savepoint: a failure here leaves the caller's transaction usable
            row_id = await conn.fetchval(
                """insert into dev_inbox_message (tenant, outbox, channel, recipient, subject, body_text, body_html)
                   values ($1, $2, $3, $4, $5, $6, $7)
                   on conflict (tenant, outbox) do update set channel = excluded.channel
                   returning id""",  # the no-op update makes `returning` give the stored row's id
                message.tenant_id, message.outbox_id, message.channel, message.recipient,
                message.subject, message.body_text, message.body_html,
            )
        return str(row_id)


def provider_for(channel: str, settings: Settings) -> Provider:
    """The deployment's own provider for a channel: email (SMTP or the development inbox)."""
    if channel != "email":
        raise PermanentFailure(f"no provider configured for {channel}")
    if settings.email_provider == "inbox":
        return InboxProvider()
    return SmtpEmailProvider(settings)


@dataclass(frozen=True)
class GatewayConfig:
    """A tenant's gateway for one channel, with its secrets decrypted (worker memory only)."""

    provider: str
    base_url: str
    account: str
    sender: str
    secret: str
    signing_secret: str
    webhook_url: str  # where the provider posts delivery status (Twilio takes it per message)


async def load_gateway(channel: str, tenant_id: uuid.UUID, settings: Settings) -> GatewayConfig | None:
    """The tenant's enabled gateway for `channel`, read in the caller's tenant scope."""
    row = await current_connection().fetchrow(
        """select p.*, t.slug from provider_config p join tenant t on t.id = p.tenant
           where p.channel = $1 and p.enabled""", channel)
    if row is None:
        return None

    def secret(column: str) -> str:
        blob = row[column]
        return crypto.decrypt_column(tenant_id, "provider_config", column, row, blob) if blob else ""

    hook = {"twilio": "twilio", "whatsapp_cloud": "whatsapp"}.get(row["provider"], "sms")
    return GatewayConfig(provider=row["provider"], base_url=row["base_url"], account=row["account"],
                         sender=row["sender"], secret=secret("secret_enc"), signing_secret=secret("signing_secret_enc"),
                         webhook_url=settings.tenant_url(row["slug"], f"/hooks/{hook}/{row['webhook_token']}"))


async def resolve(channel: str, tenant_id: uuid.UUID, settings: Settings) -> Provider:
    """The provider that sends this tenant's `channel` messages. Call inside its tenant scope."""
    if channel == "email":
        return provider_for(channel, settings)
    if channel == "webhook":  # the tenant's own subscriber: never the development inbox
        # Here, not at the top: webhooks imports providers: a cycle.
        # cycle: webhooks imports this module (Message, the failures)
        from sila.workers.webhooks import WebhookProvider

        return WebhookProvider(settings.provider_timeout, settings)
    config = await load_gateway(channel, tenant_id, settings)
    if config is None:
        if settings.email_provider == "inbox":  # development: every channel lands in the inbox page
            return InboxProvider()
        raise PermanentFailure(f"no provider configured for {channel}")
    # Here, not at the top: sms and whatsapp import providers: a cycle.
    # cycle: sms and whatsapp import this module (Message, the failures)
    from sila.workers import sms, whatsapp

    if config.provider == "whatsapp_cloud":
        return whatsapp.WhatsAppCloudProvider(config, settings.provider_timeout, settings=settings)
    return sms.PROVIDERS[config.provider](config, settings.provider_timeout, settings=settings)
