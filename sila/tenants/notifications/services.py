"""Notifications: the tenant's settings, gateways and wording, and `notify`, which writes a
message to an applicant in their language through their channel (with the others as fallback).

`notify` and `notify_request` run inside the caller's tenant scope, so a message exists exactly
when the change it tells about committed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import uuid
from typing import Any

from sila.platform import audit, crypto, outbound
from sila.platform.db import parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.messages import Wording, compose
from sila.platform.settings import get_settings
from sila.platform.workdays import due_at
from sila.tenants.beneficiaries.contact import contactable_in_scope
from sila.tenants.notifications import catalogue, queries
from sila.tenants.notifications.catalogue import KINDS
from sila.tenants.notifications.queries import (
    SETTINGS_FIELDS,
    FailedMessage,
    Gateway,
    GatewaySettings,
    NotificationSettings,
)
from sila.workers.outbox import CHANNELS, enqueue, enqueue_many, hand_off_after_commit
from sila.workers.policy import month_start, sent_this_month

CHANNEL_PROVIDERS = {"sms": ("unifonic", "taqnyat", "msegat", "twilio"), "whatsapp": ("whatsapp_cloud",)}
PROVIDER_LABELS = {"unifonic": "Unifonic", "taqnyat": "Taqnyat", "msegat": "Msegat", "twilio": "Twilio",
                   "whatsapp_cloud": "WhatsApp Cloud API"}
DEFAULT_SETTINGS: dict[str, Any] = NotificationSettings().values()
LRM = "\u200e"
WEBHOOK_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")




# --- settings -------------------------------------------------------------------------------


async def settings_in_scope() -> NotificationSettings:
    return await queries.settings()


async def get_settings_of(tenant_id: Any) -> NotificationSettings:
    async with tenant_scope(tenant_id):
        return await queries.settings()


async def save_settings(tenant_id: Any, values: dict[str, Any], actor: Any) -> None:
    async with tenant_scope(tenant_id):
        before = await queries.settings()
        await queries.save_settings(parse_uuid(tenant_id), values)
        await audit.record(tenant_id, "notifications.settings_changed", actor_user=actor.id, actor_label=actor.name,
                           target_type="notification_settings", before=before.values(),
                           after={c: values[c] for c in SETTINGS_FIELDS}, address=actor.address)


# --- gateways -------------------------------------------------------------------------------


def _hint(secret: str) -> str:
    return secret[-4:] if len(secret) >= 12 else ""  # short secrets show nothing at all


async def providers_of(tenant_id: Any) -> dict[str, Gateway]:
    """channel -> the gateway as the admin may see it: secrets only as their last characters."""
    async with tenant_scope(tenant_id):
        return await queries.gateways()


@dataclasses.dataclass(frozen=True)
class GatewayInput(GatewaySettings):
    secret: str  # blank: keep the stored one
    signing_secret: str


async def save_provider(tenant_id: Any, data: GatewayInput, actor: Any) -> None:
    """Save a gateway; `outbound.Refused` when its address is, or resolves to, one the platform
    never connects to (sila.platform.outbound)."""
    await outbound.check_url_resolved(data.base_url)
    tid = parse_uuid(tenant_id)
    channel = data.channel

    def enc(column: str, value: str) -> bytes:
        return crypto.encrypt_column(tid, "provider_config", column, {"channel": channel}, value)

    async with tenant_scope(tid):
        current = await queries.lock_gateway(channel)
        secret_enc = enc("secret_enc", data.secret) if data.secret else (current.secret_enc if current else None)
        secret_hint = _hint(data.secret) if data.secret else (current.secret_hint if current else "")
        signing_enc = (enc("signing_secret_enc", data.signing_secret) if data.signing_secret
                       else (current.signing_secret_enc if current else None))
        signing_hint = (_hint(data.signing_secret) if data.signing_secret
                        else (current.signing_secret_hint if current else ""))
        await queries.save_gateway(tid, channel, {
            "provider": data.provider, "enabled": data.enabled, "base_url": data.base_url, "account": data.account,
            "sender": data.sender, "secret_enc": secret_enc, "secret_hint": secret_hint,
            "signing_secret_enc": signing_enc, "signing_secret_hint": signing_hint,
            "webhook_token": current.webhook_token if current else secrets.token_urlsafe(32)}, actor.id)
        # Never the secrets themselves in the audit: whether they changed is enough.
        await audit.record(tid, "notifications.provider_saved", actor_user=actor.id, actor_label=actor.name,
                           target_type="provider_config", target_id=channel, address=actor.address,
                           before={k: getattr(current, k) for k in ("provider", "enabled", "base_url", "account",
                                                                    "sender")}
                           if current else None,
                           after={"provider": data.provider, "enabled": data.enabled, "base_url": data.base_url,
                                  "account": data.account, "sender": data.sender,
                                  "secret_changed": bool(data.secret), "signing_secret_changed": bool(data.signing_secret)})


@dataclasses.dataclass(frozen=True)
class WebhookGateway:
    """The gateway a status webhook's token names, with the secrets its signature check needs."""

    provider: str
    channel: str
    secret: str
    signing_secret: str


async def gateway_for_webhook(tenant_id: Any, hook: str, token: str) -> WebhookGateway | None:
    """The gateway whose status webhook URL carries `token`, with the secrets its signature check needs."""
    if not WEBHOOK_TOKEN_RE.fullmatch(token or ""):  # e.g. a NUL byte, which PostgreSQL refuses
        return None
    providers = {"twilio": ("twilio",), "whatsapp": ("whatsapp_cloud",), "sms": ("unifonic", "taqnyat", "msegat")}[hook]
    tid = parse_uuid(tenant_id)
    async with tenant_scope(tid):
        row = await queries.gateway_by_token(token, providers)
    if row is None or not secrets.compare_digest(row.webhook_token, token):
        return None

    def plain(column: str, blob: bytes | None) -> str:
        return crypto.decrypt_column(tid, "provider_config", column, {"channel": row.channel}, blob) if blob else ""

    return WebhookGateway(row.provider, row.channel, plain("secret_enc", row.secret_enc),
                          plain("signing_secret_enc", row.signing_secret_enc))


HOOK_USER = "sila"


def hook_password(tenant_id: Any, token: str) -> str:
    """Unifonic, Taqnyat and Msegat do not sign their reports: their webhook address carries
    Basic credentials too (`https://sila:<password>@host/hooks/sms/<token>`). Derived, not stored;
    unlike the path, it is never written in access logs."""
    return crypto.lookup_hash(tenant_id, f"sms-hook|{token}")[:32]


def hook_url(tenant_slug: str, tenant_id: Any, provider: str, token: str) -> str:
    """The delivery-report address to give the gateway."""
    hook = {"twilio": "twilio", "whatsapp_cloud": "whatsapp"}.get(provider, "sms")
    url = get_settings().tenant_url(tenant_slug, f"/hooks/{hook}/{token}")
    if hook != "sms":
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{HOOK_USER}:{hook_password(tenant_id, token)}@{rest}"


# Provider status words -> ours, and their order: a late "sent" must not undo "delivered".
STATUS_MAP = {
    "queued": "sent", "accepted": "sent", "sending": "sent", "sent": "sent", "submitted": "sent",
    "delivered": "delivered", "deliverd": "delivered", "read": "read",
    "undelivered": "failed", "failed": "failed", "rejected": "failed", "expired": "failed",
}
STATUS_RANK = {"": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 2}


async def record_status(tenant_id: Any, provider: str, message_id: str, status: str, error: str = "") -> bool:
    """A delivery report from the provider's webhook. Returns whether a message matched."""
    ours = STATUS_MAP.get((status or "").strip().lower())
    if not ours or not message_id:
        return False
    tid = parse_uuid(tenant_id)
    async with tenant_scope(tid):
        row = await queries.lock_message_by_provider_id(provider, str(message_id))
        if row is None:
            return False
        if STATUS_RANK[ours] < STATUS_RANK.get(row.delivery_status, 0) or row.delivery_status in ("read",):
            return True  # an older report arriving late
        await queries.set_delivery_status(row.id, ours, error[:500])
        if ours == "failed" and row.delivery_status != "failed" and row.fallback:
            # The provider took it but could not deliver it: the next channel gets a fresh copy.
            nxt = row.fallback[0]
            await enqueue(tenant_id=tid, channel=nxt["channel"], kind=row.kind, recipient=nxt["recipient"],
                          subject=nxt.get("subject", ""), body_text=nxt["body_text"],
                          body_html=nxt.get("body_html", ""), urgent=row.urgent, payload=nxt.get("payload"),
                          fallback=row.fallback[1:], retry_of=row.id)
    return True


# --- templates ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Template:
    """The wording of a kind in one language: the tenant's own (`customised`) or the default."""

    subject: str
    body: str
    whatsapp_name: str
    customised: bool


async def template_in_scope(kind: str, lang: str) -> Template:
    """The tenant's wording of `kind` in `lang`, or the default (the look-up `compose` is given)."""
    spec = KINDS[kind]
    row = await queries.stored_wording(kind, lang)
    return Template(subject=row.subject if row and row.subject else spec.subject[lang],
                    body=row.body if row else spec.body[lang],
                    whatsapp_name=row.whatsapp_name if row and row.whatsapp_name
                    else catalogue.whatsapp_default_name(kind),
                    customised=row is not None)


@dataclasses.dataclass(frozen=True)
class KindTemplates:
    """A kind's wording in both languages (`spec`: what the catalogue says of the kind)."""

    kind: str
    label: str
    spec: catalogue.Kind
    ar: Template
    en: Template


async def _both(kind: str) -> KindTemplates:
    return KindTemplates(kind, KINDS[kind].label, KINDS[kind], await template_in_scope(kind, "ar"),
                         await template_in_scope(kind, "en"))


async def templates_of(tenant_id: Any) -> list[KindTemplates]:
    async with tenant_scope(tenant_id):
        return [await _both(kind) for kind in KINDS]


async def get_template_in_tenant(tenant_id: Any, kind: str) -> KindTemplates:
    if kind not in KINDS:
        raise NotFound(kind)
    async with tenant_scope(tenant_id):
        return await _both(kind)


async def save_template(tenant_id: Any, kind: str, texts: dict[str, dict[str, str]], whatsapp_name: str,
                        actor: Any) -> None:
    async with tenant_scope(tenant_id):
        for lang, text in texts.items():
            before = await template_in_scope(kind, lang)
            await queries.save_wording(parse_uuid(tenant_id), kind, lang, text, whatsapp_name, actor.id)
            await audit.record(tenant_id, "notifications.template_saved", actor_user=actor.id, actor_label=actor.name,
                               target_type="message_template", target_id=f"{kind}:{lang}", address=actor.address,
                               before={"subject": before.subject, "body": before.body},
                               after={"subject": text["subject"], "body": text["body"]})


async def reset_template(tenant_id: Any, kind: str, actor: Any) -> None:
    async with tenant_scope(tenant_id):
        await queries.delete_wording(kind)
        await audit.record(tenant_id, "notifications.template_reset", actor_user=actor.id, actor_label=actor.name,
                           target_type="message_template", target_id=kind, address=actor.address)


def sample_values(org: str, lang: str) -> dict[str, str]:
    # Here, not at the top: requests.messages imports this module: a cycle.
    # cycle: sila.tenants.requests.messages imports this module (notify_request)
    from sila.tenants.requests.messages import due_text

    values = dict(catalogue.SAMPLE if lang == "ar" else catalogue.SAMPLE_EN)
    values["ref"] = LRM + values["ref"] if lang == "ar" else values["ref"]

    return {**values, "org": org, "due": due_text(due_at(dt.datetime.now(dt.UTC), 14), lang)}


# --- writing a message --------------------------------------------------------------------


async def usable_channels(settings: NotificationSettings) -> set[str]:
    """Channels this tenant can send on now: a configured, enabled gateway (email is the platform's)."""
    if get_settings().email_provider == "inbox":
        return set(CHANNELS)  # development: everything lands in the inbox page
    return {"email"} | await queries.enabled_channels()


def render(kind: str, template: Template, lang: str, channel: str, values: dict[str, Any]) -> dict[str, Any]:
    """One channel's rendering: text, email subject, WhatsApp template name and parameters."""
    subject, body, _ = compose(kind, lang, values, Wording(template.subject, template.body))
    out: dict[str, Any] = {"channel": channel, "body_text": body, "subject": "", "payload": {}}
    if channel == "email":
        out["subject"] = subject
    if channel == "whatsapp":
        # Meta fills an approved template's {{1}}, {{2}}… in order: the order the wording uses them.
        names = catalogue.VARIABLE_RE.findall(template.body)
        out["payload"] = {"template": template.whatsapp_name, "language": lang,
                          "params": [str(values.get(n, "")) for n in names]}
    return out


@dataclasses.dataclass(frozen=True)
class Recipient:
    """One person to write to: their language, preferred channel, addresses and the values."""

    lang: str
    preferred: str
    mobile: str = ""
    email: str = ""
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    beneficiary: Any = None  # their file, when there is one: `contactable_in_scope` decides


async def notify(tenant: Any, kind: str, *, lang: str, preferred: str, mobile: str = "", email: str = "",
                 values: dict[str, Any], urgent: bool | None = None, only: str | None = None,
                 beneficiary: Any = None) -> uuid.UUID | None:
    """Write `kind` for one person: their language, their channel first, then the tenant's other
    enabled channels as fallback. With no usable channel at all the message is still written (on
    the preferred one), so it shows as failed with its reason instead of vanishing. None: the
    person's file says not to write to them (restricted, erased, or consent withdrawn)."""
    return (await notify_many(tenant, kind, [Recipient(lang, preferred, mobile, email, values, beneficiary)],
                              urgent=urgent, only=only))[0]


async def notify_many(tenant: Any, kind: str, people: list[Recipient], *, urgent: bool | None = None,
                      only: str | None = None) -> list[uuid.UUID | None]:
    """`notify` for many people in one go (a campaign's batch): the settings, channels and templates
    are read once, the outbox rows written in one statement. Ids in the order given; None for a
    person Sila may not write to (sila.tenants.beneficiaries.contact, the one predicate)."""
    files = [p.beneficiary for p in people if p.beneficiary]
    allowed = await contactable_in_scope(files, kind) if files else set()
    sendable = [p for p in people if not p.beneficiary or parse_uuid(p.beneficiary) in allowed]
    ids = iter(await _notify_many(tenant, kind, sendable, urgent=urgent, only=only))
    return [next(ids) if not p.beneficiary or parse_uuid(p.beneficiary) in allowed else None for p in people]


async def _notify_many(tenant: Any, kind: str, people: list[Recipient], *, urgent: bool | None = None,
                       only: str | None = None) -> list[uuid.UUID]:
    if not people:
        return []
    settings = await settings_in_scope()
    usable = await usable_channels(settings)
    templates: dict[str, Template] = {}
    messages = []
    for person in people:
        lang = person.lang if person.lang in ("ar", "en") else "ar"
        if lang not in templates:
            templates[lang] = await template_in_scope(kind, lang)
        values = {"org": tenant.name(lang), **person.values}
        address = {"sms": person.mobile, "whatsapp": person.mobile, "email": person.email}
        order = [only] if only else list(dict.fromkeys([person.preferred, *settings.channel_order, *CHANNELS]))
        reachable = [c for c in order if c in address and address[c]]
        chosen = [c for c in reachable if c in usable] or reachable[:1]
        if not chosen:
            raise ValueError("no address to write to")
        renders = [{**render(kind, templates[lang], lang, c, values), "recipient": address[c]} for c in chosen]
        first = renders[0]
        messages.append(dict(channel=first["channel"], kind=kind, recipient=first["recipient"],
                             subject=first["subject"], body_text=first["body_text"], payload=first["payload"],
                             fallback=renders[1:], urgent=urgent))
    return await enqueue_many(tenant.id, messages)


async def notify_request(tenant: Any, req: dict[str, Any], kind: str, *, channel: str | None = None,
                         **variables: Any) -> uuid.UUID | None:
    """Drop-in for `sila.tenants.requests.messages.notify_in_scope`: the applicant of `req`,
    through the contact details given for that request. `channel` forces one (a code by SMS)."""
    lang = req["contact_language"]
    # A left-to-right mark keeps "26-12345678" in order inside Arabic text.
    ref = LRM + req["reference"] if lang == "ar" else req["reference"]
    return await notify(tenant, kind, lang=lang, preferred=channel or req["contact_channel"],
                        mobile=req["contact_mobile"], email=req["contact_email"], values={"ref": ref, **variables},
                        only=channel, beneficiary=req.get("beneficiary"))


# --- what the admin sees: usage, held, failed, retry ----------------------------------------


@dataclasses.dataclass(frozen=True)
class Overview:
    sent: int
    quota: int
    held: dict[str, int]
    failed: list[FailedMessage]
    by_status: dict[str, int]


async def overview(tenant_id: Any, quota: int) -> Overview:
    async with tenant_scope(tenant_id) as tx:
        return Overview(await sent_this_month(tx.connection), quota, await queries.held_counts(),
                        await queries.failed_messages(),
                        await queries.status_counts(month_start(dt.datetime.now(dt.UTC))))


async def retry(tenant_id: Any, outbox_id: Any, actor: Any) -> None:
    """A failed message goes again, its attempts counted afresh. One the provider took but
    reported undelivered is copied (a new key: the peer already has the old one)."""
    oid = parse_uuid(outbox_id)
    if oid is None:
        raise NotFound(outbox_id)
    async with tenant_scope(tenant_id):
        row = await queries.lock_message(oid)
        if row is None or not (row.status == "failed" or row.delivery_status == "failed"):
            raise NotFound(outbox_id)
        if row.status == "failed":
            await queries.send_again(oid)
            hand_off_after_commit([oid], row.tenant)
        else:
            await enqueue(tenant_id=row.tenant, channel=row.channel, kind=row.kind, recipient=row.recipient,
                          subject=row.subject, body_text=row.body_text, body_html=row.body_html,
                          urgent=row.urgent, payload=row.payload, retry_of=oid)
        await audit.record(tenant_id, "notifications.retried", actor_user=actor.id, actor_label=actor.name,
                           target_type="outbox", target_id=oid, address=actor.address,
                           before={"status": row.status, "error": row.last_error or row.delivery_error})
