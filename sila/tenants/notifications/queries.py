"""The notification area's data access, in the open tenant scope: raw SQL (upserts, locks, `any()`),
reads returned as typed records. The services call these; none opens a scope."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sila.platform.db import current_connection, json_value
from sila.workers.policy import QUIET_DEFAULT

SETTINGS_FIELDS = ("quiet_enabled", "quiet_start", "quiet_end", "channel_order", "reminder_percents",
                   "reminder_days_before", "escalate_overdue", "digest_enabled", "digest_hour")


@dataclasses.dataclass(frozen=True)
class NotificationSettings:
    """Quiet hours, channel order, reminders and the digest; the defaults until the admin saves."""

    quiet_enabled: bool = QUIET_DEFAULT[0]
    quiet_start: dt.time = QUIET_DEFAULT[1]
    quiet_end: dt.time = QUIET_DEFAULT[2]
    channel_order: list[str] = dataclasses.field(default_factory=lambda: ["sms", "whatsapp", "email"])
    reminder_percents: list[int] = dataclasses.field(default_factory=lambda: [50])
    reminder_days_before: list[int] = dataclasses.field(default_factory=lambda: [2])
    escalate_overdue: bool = True
    digest_enabled: bool = True
    digest_hour: int = 8
    quota_notified_month: dt.date | None = None

    def values(self) -> dict[str, Any]:
        """The settings an admin edits, by name (the form's and the audit entry's shape)."""
        return {f: getattr(self, f) for f in SETTINGS_FIELDS}


async def settings() -> NotificationSettings:
    row = await current_connection().fetchrow(
        f"select {', '.join(SETTINGS_FIELDS)}, quota_notified_month from notification_settings")
    return NotificationSettings(**dict(row)) if row else NotificationSettings()


async def save_settings(tenant_id: Any, values: dict[str, Any]) -> None:
    cols = ", ".join(SETTINGS_FIELDS)
    params = ", ".join(f"${i}" for i in range(2, len(SETTINGS_FIELDS) + 2))
    sets = ", ".join(f"{c} = excluded.{c}" for c in SETTINGS_FIELDS)
    await current_connection().execute(
        f"""insert into notification_settings (tenant, {cols}) values ($1, {params})
            on conflict (tenant) do update set {sets}, updated_at = now()""",
        tenant_id, *(values[c] for c in SETTINGS_FIELDS))


# --- gateways -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GatewaySettings:
    """What the admin sets on a channel's gateway, apart from its secrets."""

    channel: str
    provider: str
    enabled: bool
    base_url: str
    account: str
    sender: str


@dataclasses.dataclass(frozen=True)
class Gateway(GatewaySettings):
    """A gateway as the admin may see it: secrets only as whether they exist and their last characters."""

    id: uuid.UUID
    has_secret: bool
    secret_hint: str
    has_signing_secret: bool
    signing_secret_hint: str
    webhook_token: str
    updated_at: dt.datetime


async def gateways() -> dict[str, Gateway]:
    """channel -> its gateway."""
    rows = await current_connection().fetch(
        """select id, channel, provider, enabled, base_url, account, sender, secret_enc is not null as has_secret,
                  secret_hint, signing_secret_enc is not null as has_signing_secret, signing_secret_hint,
                  webhook_token, updated_at from provider_config""")
    return {r["channel"]: Gateway(**dict(r)) for r in rows}


@dataclasses.dataclass(frozen=True)
class StoredGateway(GatewaySettings):
    """A gateway's row with its secrets still encrypted (the webhook check decrypts them)."""

    id: uuid.UUID
    tenant: uuid.UUID
    secret_enc: bytes | None
    secret_hint: str
    signing_secret_enc: bytes | None
    signing_secret_hint: str
    webhook_token: str


STORED_COLUMNS = ("id, tenant, channel, provider, enabled, base_url, account, sender, secret_enc, secret_hint, "
                  "signing_secret_enc, signing_secret_hint, webhook_token")


async def lock_gateway(channel: str) -> StoredGateway | None:
    row = await current_connection().fetchrow(
        f"select {STORED_COLUMNS} from provider_config where channel = $1 for update", channel)
    return StoredGateway(**dict(row)) if row else None


async def gateway_by_token(token: str, providers: tuple[str, ...]) -> StoredGateway | None:
    row = await current_connection().fetchrow(
        f"select {STORED_COLUMNS} from provider_config where webhook_token = $1 and provider = any($2::text[])",
        token, list(providers))
    return StoredGateway(**dict(row)) if row else None


async def save_gateway(tenant_id: Any, channel: str, values: dict[str, Any], by: Any) -> None:
    """`values`: provider, enabled, base_url, account, sender, the encrypted secrets, their hints, webhook_token."""
    await current_connection().execute(
        """insert into provider_config (tenant, channel, provider, enabled, base_url, account, sender, secret_enc,
             secret_hint, signing_secret_enc, signing_secret_hint, webhook_token, updated_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           on conflict (tenant, channel) do update set provider = excluded.provider, enabled = excluded.enabled,
             base_url = excluded.base_url, account = excluded.account, sender = excluded.sender,
             secret_enc = excluded.secret_enc, secret_hint = excluded.secret_hint,
             signing_secret_enc = excluded.signing_secret_enc, signing_secret_hint = excluded.signing_secret_hint,
             updated_by = excluded.updated_by, updated_at = now()""",
        tenant_id, channel, values["provider"], values["enabled"], values["base_url"], values["account"],
        values["sender"], values["secret_enc"], values["secret_hint"], values["signing_secret_enc"],
        values["signing_secret_hint"], values["webhook_token"], by)


async def enabled_channels() -> set[str]:
    return {r["channel"] for r in await current_connection().fetch("select channel from provider_config where enabled")}


# --- templates ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StoredWording:
    subject: str
    body: str
    whatsapp_name: str


async def stored_wording(kind: str, lang: str) -> StoredWording | None:
    """The tenant's own wording of `kind` in `lang`, if it has one."""
    row = await current_connection().fetchrow(
        "select subject, body, whatsapp_name from message_template where kind = $1 and lang = $2", kind, lang)
    return StoredWording(**dict(row)) if row else None


async def save_wording(tenant_id: Any, kind: str, lang: str, text: dict[str, str], whatsapp_name: str,
                       by: Any) -> None:
    await current_connection().execute(
        """insert into message_template (tenant, kind, lang, subject, body, whatsapp_name, updated_by)
           values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (tenant, kind, lang) do update set subject = excluded.subject, body = excluded.body,
             whatsapp_name = excluded.whatsapp_name, updated_by = excluded.updated_by, updated_at = now()""",
        tenant_id, kind, lang, text["subject"], text["body"], whatsapp_name, by)


async def delete_wording(kind: str) -> None:
    await current_connection().execute("delete from message_template where kind = $1", kind)


# --- the outbox, as the admin sees it ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Message:
    """An outbox row: what a retry or a delivery report needs of it."""

    id: uuid.UUID
    tenant: uuid.UUID
    kind: str
    channel: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    payload: Any
    fallback: Any
    urgent: bool | None
    status: str
    delivery_status: str
    last_error: str | None
    delivery_error: str | None


MESSAGE_COLUMNS = ("id, tenant, kind, channel, recipient, subject, body_text, body_html, payload, fallback, urgent, "
                   "status, delivery_status, last_error, delivery_error")


def _message(row: Any) -> Message:
    return Message(**{**dict(row), "payload": json_value(row["payload"]), "fallback": json_value(row["fallback"])})


async def lock_message(outbox_id: uuid.UUID) -> Message | None:
    row = await current_connection().fetchrow(f"select {MESSAGE_COLUMNS} from outbox where id = $1 for update",
                                              outbox_id)
    return _message(row) if row else None


async def lock_message_by_provider_id(provider: str, message_id: str) -> Message | None:
    row = await current_connection().fetchrow(
        f"select {MESSAGE_COLUMNS} from outbox where provider_message_id = $1 and provider = $2 for update",
        message_id, provider)
    return _message(row) if row else None


async def set_delivery_status(outbox_id: uuid.UUID, status: str, error: str) -> None:
    await current_connection().execute(
        "update outbox set delivery_status = $2, delivery_status_at = now(), delivery_error = $3 where id = $1",
        outbox_id, status, error)


async def send_again(outbox_id: uuid.UUID) -> None:
    """A failed message goes again, its attempts counted afresh."""
    await current_connection().execute(
        "update outbox set status = 'pending', tries = 0, held_reason = '', available_at = now() where id = $1",
        outbox_id)


@dataclasses.dataclass(frozen=True)
class FailedMessage:
    id: uuid.UUID
    kind: str
    channel: str
    recipient: str
    attempts: int
    last_error: str | None
    delivery_status: str
    delivery_error: str | None
    provider: str | None
    created_at: dt.datetime
    status: str


async def held_counts() -> dict[str, int]:
    """Pending messages held back, by reason."""
    return {r["held_reason"]: r["n"] for r in await current_connection().fetch(
        """select held_reason, count(*) as n from outbox where status = 'pending' and held_reason <> ''
           group by held_reason""")}


async def failed_messages(limit: int = 100) -> list[FailedMessage]:
    """Failed or reported undelivered, not retried yet, newest first."""
    rows = await current_connection().fetch(
        f"""select id, kind, channel, recipient, attempts, last_error, delivery_status, delivery_error, provider,
                   created_at, status
            from outbox where (status = 'failed' or (status = 'sent' and delivery_status = 'failed'))
              and channel <> 'webhook'  -- webhooks have their own page (sila.tenants.api)
              and not exists (select 1 from outbox r where r.retry_of = outbox.id)
            order by created_at desc limit {int(limit)}""")
    return [FailedMessage(**dict(r)) for r in rows]


async def status_counts(since: dt.datetime) -> dict[str, int]:
    return {r["status"]: r["n"] for r in await current_connection().fetch(
        "select status, count(*) as n from outbox where created_at >= $1 group by status", since)}
