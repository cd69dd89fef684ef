"""Notifications: the tenant's settings, gateways and wording, and `notify`, which writes a
message to an applicant in their language through their channel (with the others as fallback).

`notify` and `notify_request` run inside the caller's tenant scope, so a message exists exactly
when the change it tells about committed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import secrets
import uuid
from typing import Any

from sila.platform import audit, outbound
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.messages import Wording, compose
from sila.platform.settings import get_settings
from sila.platform import crypto
from sila.tenants.beneficiaries.contact import contactable_in_scope
from sila.tenants.notifications import catalogue
from sila.tenants.notifications.catalogue import KINDS
from sila.workers.outbox import CHANNELS, enqueue, enqueue_many, hand_off_after_commit
from sila.workers.policy import QUIET_DEFAULT, month_start, sent_this_month

CHANNEL_PROVIDERS = {"sms": ("unifonic", "taqnyat", "msegat", "twilio"), "whatsapp": ("whatsapp_cloud",)}
PROVIDER_LABELS = {"unifonic": "Unifonic", "taqnyat": "Taqnyat", "msegat": "Msegat", "twilio": "Twilio",
                   "whatsapp_cloud": "WhatsApp Cloud API"}
DEFAULT_SETTINGS: dict[str, Any] = {
    "quiet_enabled": QUIET_DEFAULT[0], "quiet_start": QUIET_DEFAULT[1], "quiet_end": QUIET_DEFAULT[2],
    "channel_order": ["sms", "whatsapp", "email"], "reminder_percents": [50], "reminder_days_before": [2],
    "escalate_overdue": True, "digest_enabled": True, "digest_hour": 8, "quota_notified_month": None,
}
LRM = "\u200e"
WEBHOOK_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")




# --- settings -------------------------------------------------------------------------------


async def settings_in_scope() -> dict[str, Any]:
    row = await current_connection().fetchrow("select * from notification_settings")
    return {**DEFAULT_SETTINGS, **(dict(row) if row else {})}


async def get_settings_of(tenant_id: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id):
        return await settings_in_scope()


SETTINGS_FIELDS = ("quiet_enabled", "quiet_start", "quiet_end", "channel_order", "reminder_percents",
                   "reminder_days_before", "escalate_overdue", "digest_enabled", "digest_hour")


async def save_settings(tenant_id: Any, values: dict[str, Any], actor: Any) -> None:
    async with tenant_scope(tenant_id) as tx:
        before = await settings_in_scope()
        cols = ", ".join(SETTINGS_FIELDS)
        params = ", ".join(f"${i}" for i in range(2, len(SETTINGS_FIELDS) + 2))
        sets = ", ".join(f"{c} = excluded.{c}" for c in SETTINGS_FIELDS)
        await tx.connection.execute(
            f"""insert into notification_settings (tenant, {cols}) values ($1, {params})
                on conflict (tenant) do update set {sets}, updated_at = now()""",
            parse_uuid(tenant_id), *(values[c] for c in SETTINGS_FIELDS))
        await audit.record(tenant_id, "notifications.settings_changed", actor_user=actor.id, actor_label=actor.name,
                           target_type="notification_settings", before={c: before[c] for c in SETTINGS_FIELDS},
                           after={c: values[c] for c in SETTINGS_FIELDS}, address=actor.address)


# --- gateways -------------------------------------------------------------------------------


def _hint(secret: str) -> str:
    return secret[-4:] if len(secret) >= 12 else ""  # short secrets show nothing at all


async def providers_of(tenant_id: Any) -> dict[str, dict[str, Any]]:
    """channel -> the gateway as the admin may see it: secrets only as their last characters."""
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            """select id, channel, provider, enabled, base_url, account, sender, secret_enc is not null as has_secret,
                      secret_hint, signing_secret_enc is not null as has_signing_secret, signing_secret_hint,
                      webhook_token, updated_at from provider_config""")
    return {r["channel"]: dict(r) for r in rows}


@dataclasses.dataclass
class GatewayInput:
    channel: str
    provider: str
    enabled: bool
    base_url: str
    account: str
    sender: str
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

    async with tenant_scope(tid) as tx:
        conn = tx.connection
        current = await conn.fetchrow("select * from provider_config where channel = $1 for update", channel)
        secret_enc = enc("secret_enc", data.secret) if data.secret else (current["secret_enc"] if current else None)
        secret_hint = _hint(data.secret) if data.secret else (current["secret_hint"] if current else "")
        signing_enc = (enc("signing_secret_enc", data.signing_secret) if data.signing_secret
                       else (current["signing_secret_enc"] if current else None))
        signing_hint = (_hint(data.signing_secret) if data.signing_secret
                        else (current["signing_secret_hint"] if current else ""))
        token = current["webhook_token"] if current else secrets.token_urlsafe(32)
        await conn.execute(
            """insert into provider_config (tenant, channel, provider, enabled, base_url, account, sender, secret_enc,
                 secret_hint, signing_secret_enc, signing_secret_hint, webhook_token, updated_by)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
               on conflict (tenant, channel) do update set provider = excluded.provider, enabled = excluded.enabled,
                 base_url = excluded.base_url, account = excluded.account, sender = excluded.sender,
                 secret_enc = excluded.secret_enc, secret_hint = excluded.secret_hint,
                 signing_secret_enc = excluded.signing_secret_enc, signing_secret_hint = excluded.signing_secret_hint,
                 updated_by = excluded.updated_by, updated_at = now()""",
            tid, channel, data.provider, data.enabled, data.base_url, data.account, data.sender, secret_enc,
            secret_hint, signing_enc, signing_hint, token, actor.id)
        # Never the secrets themselves in the audit: whether they changed is enough.
        await audit.record(tid, "notifications.provider_saved", actor_user=actor.id, actor_label=actor.name,
                           target_type="provider_config", target_id=channel, address=actor.address,
                           before={k: current[k] for k in ("provider", "enabled", "base_url", "account", "sender")}
                           if current else None,
                           after={"provider": data.provider, "enabled": data.enabled, "base_url": data.base_url,
                                  "account": data.account, "sender": data.sender,
                                  "secret_changed": bool(data.secret), "signing_secret_changed": bool(data.signing_secret)})


async def gateway_for_webhook(tenant_id: Any, hook: str, token: str) -> dict[str, Any] | None:
    """The gateway whose status webhook URL carries `token`, with the secrets its signature check needs."""
    if not WEBHOOK_TOKEN_RE.fullmatch(token or ""):  # e.g. a NUL byte, which PostgreSQL refuses
        return None
    providers = {"twilio": ("twilio",), "whatsapp": ("whatsapp_cloud",), "sms": ("unifonic", "taqnyat", "msegat")}[hook]
    tid = parse_uuid(tenant_id)
    async with tenant_scope(tid) as tx:
        row = await tx.connection.fetchrow(
            "select * from provider_config where webhook_token = $1 and provider = any($2::text[])", token,
            list(providers))
    if row is None or not secrets.compare_digest(row["webhook_token"], token):
        return None
    out = dict(row)
    for column in ("secret_enc", "signing_secret_enc"):
        blob = row[column]
        out[column.removesuffix("_enc")] = (
            crypto.decrypt_column(tid, "provider_config", column, row, blob) if blob else "")
    return out


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
    async with tenant_scope(tid) as tx:
        conn = tx.connection
        row = await conn.fetchrow(
            "select * from outbox where provider_message_id = $1 and provider = $2 for update", str(message_id),
            provider)
        if row is None:
            return False
        if STATUS_RANK[ours] < STATUS_RANK.get(row["delivery_status"], 0) or row["delivery_status"] in ("read",):
            return True  # an older report arriving late
        await conn.execute(
            """update outbox set delivery_status = $2, delivery_status_at = now(), delivery_error = $3
               where id = $1""", row["id"], ours, error[:500])
        fallback = json.loads(row["fallback"]) if isinstance(row["fallback"], str) else row["fallback"]
        if ours == "failed" and row["delivery_status"] != "failed" and fallback:
            # The provider took it but could not deliver it: the next channel gets a fresh copy.
            nxt = fallback[0]
            await enqueue(tenant_id=tid, channel=nxt["channel"], kind=row["kind"], recipient=nxt["recipient"],
                          subject=nxt.get("subject", ""), body_text=nxt["body_text"],
                          body_html=nxt.get("body_html", ""), urgent=row["urgent"], payload=nxt.get("payload"),
                          fallback=fallback[1:], retry_of=row["id"])
    return True


# --- templates ------------------------------------------------------------------------------


async def template_in_scope(kind: str, lang: str) -> dict[str, Any]:
    """The tenant's wording of `kind` in `lang`, or the default (the look-up `compose` is given)."""
    spec = KINDS[kind]
    row = await current_connection().fetchrow(
        "select subject, body, whatsapp_name from message_template where kind = $1 and lang = $2", kind, lang)
    return {"subject": row["subject"] if row and row["subject"] else spec.subject[lang],
            "body": row["body"] if row else spec.body[lang],
            "whatsapp_name": (row["whatsapp_name"] if row and row["whatsapp_name"]
                              else catalogue.whatsapp_default_name(kind)),
            "customised": row is not None}


async def templates_of(tenant_id: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id):
        out = []
        for kind in KINDS:
            out.append({"kind": kind, "label": KINDS[kind].label,
                        "ar": await template_in_scope(kind, "ar"), "en": await template_in_scope(kind, "en")})
    return out


async def get_template_in_tenant(tenant_id: Any, kind: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise NotFound(kind)
    async with tenant_scope(tenant_id):
        return {"kind": kind, "spec": KINDS[kind], "ar": await template_in_scope(kind, "ar"),
                "en": await template_in_scope(kind, "en")}


async def save_template(tenant_id: Any, kind: str, texts: dict[str, dict[str, str]], whatsapp_name: str,
                        actor: Any) -> None:
    async with tenant_scope(tenant_id) as tx:
        for lang, text in texts.items():
            before = await template_in_scope(kind, lang)
            await tx.connection.execute(
                """insert into message_template (tenant, kind, lang, subject, body, whatsapp_name, updated_by)
                   values ($1, $2, $3, $4, $5, $6, $7)
                   on conflict (tenant, kind, lang) do update set subject = excluded.subject, body = excluded.body,
                     whatsapp_name = excluded.whatsapp_name, updated_by = excluded.updated_by, updated_at = now()""",
                parse_uuid(tenant_id), kind, lang, text["subject"], text["body"], whatsapp_name, actor.id)
            await audit.record(tenant_id, "notifications.template_saved", actor_user=actor.id, actor_label=actor.name,
                               target_type="message_template", target_id=f"{kind}:{lang}", address=actor.address,
                               before={"subject": before["subject"], "body": before["body"]},
                               after={"subject": text["subject"], "body": text["body"]})


async def reset_template(tenant_id: Any, kind: str, actor: Any) -> None:
    async with tenant_scope(tenant_id) as tx:
        await tx.connection.execute("delete from message_template where kind = $1", kind)
        await audit.record(tenant_id, "notifications.template_reset", actor_user=actor.id, actor_label=actor.name,
                           target_type="message_template", target_id=kind, address=actor.address)


def sample_values(org: str, lang: str) -> dict[str, str]:
    from sila.tenants.requests.messages import due_text

    values = dict(catalogue.SAMPLE if lang == "ar" else catalogue.SAMPLE_EN)
    values["ref"] = LRM + values["ref"] if lang == "ar" else values["ref"]
    from sila.platform.workdays import due_at  # a sample: two weeks, counted like a window

    return {**values, "org": org, "due": due_text(due_at(dt.datetime.now(dt.timezone.utc), 14), lang)}


# --- writing a message --------------------------------------------------------------------


async def usable_channels(settings: dict[str, Any]) -> set[str]:
    """Channels this tenant can send on now: a configured, enabled gateway (email is the platform's)."""
    if get_settings().email_provider == "inbox":
        return set(CHANNELS)  # development: everything lands in the inbox page
    rows = await current_connection().fetch("select channel from provider_config where enabled")
    return {"email"} | {r["channel"] for r in rows}


def render(kind: str, template: dict[str, Any], lang: str, channel: str, values: dict[str, Any]) -> dict[str, Any]:
    """One channel's rendering: text, email subject, WhatsApp template name and parameters."""
    subject, body, _ = compose(kind, lang, values, Wording(template["subject"], template["body"]))
    out: dict[str, Any] = {"channel": channel, "body_text": body, "subject": "", "payload": {}}
    if channel == "email":
        out["subject"] = subject
    if channel == "whatsapp":
        # Meta fills an approved template's {{1}}, {{2}}… in order: the order the wording uses them.
        names = catalogue.VARIABLE_RE.findall(template["body"])
        out["payload"] = {"template": template["whatsapp_name"], "language": lang,
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
    templates: dict[str, dict[str, Any]] = {}
    messages = []
    for person in people:
        lang = person.lang if person.lang in ("ar", "en") else "ar"
        if lang not in templates:
            templates[lang] = await template_in_scope(kind, lang)
        values = {"org": tenant.name(lang), **person.values}
        address = {"sms": person.mobile, "whatsapp": person.mobile, "email": person.email}
        order = [only] if only else list(dict.fromkeys([person.preferred, *settings["channel_order"], *CHANNELS]))
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


async def overview(tenant_id: Any, quota: int) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        sent = await sent_this_month(conn)
        held = {r["held_reason"]: r["n"] for r in await conn.fetch(
            """select held_reason, count(*) as n from outbox where status = 'pending' and held_reason <> ''
               group by held_reason""")}
        failed = [dict(r) for r in await conn.fetch(
            """select id, kind, channel, recipient, attempts, last_error, delivery_status, delivery_error, provider,
                      created_at, status
               from outbox where (status = 'failed' or (status = 'sent' and delivery_status = 'failed'))
                 and channel <> 'webhook'  -- webhooks have their own page (sila.tenants.api)
                 and not exists (select 1 from outbox r where r.retry_of = outbox.id)
               order by created_at desc limit 100""")]
        by_status = {r["status"]: r["n"] for r in await conn.fetch(
            "select status, count(*) as n from outbox where created_at >= $1 group by status",
            month_start(dt.datetime.now(dt.timezone.utc)))}
    return {"sent": sent, "quota": quota, "held": held, "failed": failed, "by_status": by_status}


async def retry(tenant_id: Any, outbox_id: Any, actor: Any) -> None:
    """A failed message goes again, its attempts counted afresh. One the provider took but
    reported undelivered is copied (a new key: the peer already has the old one)."""
    oid = parse_uuid(outbox_id)
    if oid is None:
        raise NotFound(outbox_id)
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        row = await conn.fetchrow("select * from outbox where id = $1 for update", oid)
        if row is None or not (row["status"] == "failed" or row["delivery_status"] == "failed"):
            raise NotFound(outbox_id)
        if row["status"] == "failed":
            await conn.execute(
                """update outbox set status = 'pending', tries = 0, held_reason = '', available_at = now()
                   where id = $1""", oid)
            hand_off_after_commit([oid], row["tenant"])
        else:
            await enqueue(tenant_id=row["tenant"], channel=row["channel"], kind=row["kind"], recipient=row["recipient"],
                          subject=row["subject"], body_text=row["body_text"], body_html=row["body_html"],
                          urgent=row["urgent"], payload=json.loads(row["payload"]), retry_of=oid)
        await audit.record(tenant_id, "notifications.retried", actor_user=actor.id, actor_label=actor.name,
                           target_type="outbox", target_id=oid, address=actor.address,
                           before={"status": row["status"], "error": row["last_error"] or row["delivery_error"]})
