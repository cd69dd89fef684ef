"""API keys and webhook subscriptions: create, list, revoke; and who a bearer key is.

A key is `sila_` + 43 URL-safe characters from `secrets` (256 random bits), shown once. Only
its keyed hash is stored: HMAC-SHA256 under the deployment's lookup key, bound to the tenant
(`crypto.lookup_hash`). Not argon2, on purpose: a slow, salted hash is what protects *guessable*
secrets (passwords) from offline guessing; 256 random bits cannot be guessed at any speed, so
slowness buys nothing and would cost ~50 ms and 64 MiB of memory on *every* API call (a
denial-of-service lever). A keyed hash also means a copy of the database alone cannot even test
a candidate key, and a fast deterministic hash is what lets the key be found by one indexed
look-up. Binding the tenant into the hash, and looking it up under the host's tenant scope
(row-level security), makes a key of tenant A on tenant B's host simply unknown: 401.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import secrets
import uuid
from typing import Any

from sila.platform import audit, crypto, outbound
from sila.platform.actors import Actor
from sila.platform.db import current_connection, parse_uuid, tenant_scope
from sila.platform.errors import NotFound
from sila.platform.forms import riyadh_today
from sila.platform.dates import RIYADH

KEY_PREFIX = "sila_"
SHOWN_PREFIX = 12  # "sila_" and 7 characters: enough to tell keys apart in the list


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(tenant_id: Any, token: str) -> str:
    return crypto.lookup_hash(tenant_id, "api-key:" + token)


@dataclasses.dataclass(frozen=True)
class ApiCaller:
    """The key a call was made with (what the handlers and the audit trail see)."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    scopes: frozenset[str]
    address: str

    @property
    def label(self) -> str:
        return f"API: {self.name}"

    def actor(self, *roles: str) -> Actor:
        return Actor(None, self.label, frozenset(roles), self.address)


def expiry_of(day: dt.date | None) -> dt.datetime | None:
    """A key chosen to expire on `day` works until the end of that Riyadh day."""
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=RIYADH).astimezone(dt.UTC)


def expiry_in_past(day: dt.date | None) -> bool:
    return day is not None and day <= riyadh_today()


async def create_key(tenant_id: Any, *, name: str, scopes: list[str], expires_on: dt.date | None,
                     actor: Actor) -> tuple[uuid.UUID, str]:
    """(id, the key itself): the key is returned this once and never stored."""
    token = new_key()
    async with tenant_scope(tenant_id) as tx:
        key_id = await tx.connection.fetchval(
            """insert into api_key (tenant, name, prefix, secret_hash, scopes, expires_at, created_by)
               values ($1, $2, $3, $4, $5, $6, $7) returning id""",
            parse_uuid(tenant_id), name, token[:SHOWN_PREFIX], key_hash(tenant_id, token), sorted(scopes),
            expiry_of(expires_on), actor.id)
        await audit.record(tenant_id, "api.key_created", actor_user=actor.id, actor_label=actor.name,
                           target_type="api_key", target_id=key_id, address=actor.address,
                           after={"name": name, "scopes": sorted(scopes), "expires_on": expires_on})
    return key_id, token


async def list_keys(tenant_id: Any) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            """select k.id, k.name, k.prefix, k.scopes, k.expires_at, k.created_at, k.revoked_at, k.last_used_at,
                      k.last_used_address, coalesce(u.name, u.email) as created_by_name,
                      k.revoked_at is null and (k.expires_at is null or k.expires_at > now()) as usable
               from api_key k left join staff_user u on u.id = k.created_by
               order by k.revoked_at is not null, k.created_at desc""")
    return [dict(r) for r in rows]


async def revoke_key(tenant_id: Any, key_id: Any, actor: Actor) -> None:
    kid = parse_uuid(key_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            """update api_key set revoked_at = now(), revoked_by = $2 where id = $1 and revoked_at is null
               returning name""", kid, actor.id) if kid else None
        if row is None:
            raise NotFound(key_id)
        await audit.record(tenant_id, "api.key_revoked", actor_user=actor.id, actor_label=actor.name,
                           target_type="api_key", target_id=kid, address=actor.address, before={"name": row["name"]})


async def authenticate(tenant_id: Any, token: str, *, address: str, method: str, path: str) -> ApiCaller | None:
    """The live key `token` names in this tenant, its use recorded (last use, and the call in the
    audit trail); None for a key that is unknown here, revoked or expired."""
    if not token.startswith(KEY_PREFIX) or len(token) > 100 or not token.isascii():
        return None
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        # Last use is written at most once a minute per key and address (not a write to one hot
        # row per call); the call itself is always in the audit trail.
        row = await conn.fetchrow(
            """with k as (select id, name, scopes, last_used_at, last_used_address from api_key
                          where secret_hash = $1 and revoked_at is null and (expires_at is null or expires_at > now())),
                    used as (update api_key set last_used_at = now(), last_used_address = $2 from k
                             where api_key.id = k.id and (k.last_used_at is null
                               or k.last_used_at < now() - interval '1 minute' or k.last_used_address <> $2))
               select id, name, scopes from k""", key_hash(tenant_id, token), address[:64])
        if row is None:
            return None
        caller = ApiCaller(row["id"], parse_uuid(tenant_id) or uuid.UUID(int=0), row["name"],
                           frozenset(row["scopes"]), address)
        await audit.record(tenant_id, "api.call", actor_label=caller.label, target_type="api_key",
                           target_id=caller.key_id, address=address[:64],
                           after={"method": method, "path": path[:500]})
    return caller


# --- webhook subscriptions ---------------------------------------------------------------------


def new_webhook_secret() -> str:
    """Standard Webhooks' form: `whsec_` and the base64 of the signing key's bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def create_subscription(tenant_id: Any, *, url: str, events: list[str], actor: Actor) -> tuple[uuid.UUID, str]:
    """(id, signing secret, shown this once). `outbound.Refused` when the address is internal."""
    await outbound.check_url_resolved(url)
    secret = new_webhook_secret()
    async with tenant_scope(tenant_id) as tx:
        sid = await tx.connection.fetchval(
            """insert into webhook_subscription (tenant, url, events, secret_enc, secret_hint, created_by)
               values ($1, $2, $3, $4, $5, $6) returning id""",
            parse_uuid(tenant_id), url, sorted(events), crypto.encrypt_column(tenant_id, "webhook_subscription", "secret_enc", {}, secret), secret[-4:],
            actor.id)
        await audit.record(tenant_id, "api.webhook_created", actor_user=actor.id, actor_label=actor.name,
                           target_type="webhook_subscription", target_id=sid, address=actor.address,
                           after={"url": url, "events": sorted(events)})
    return sid, secret


async def list_subscriptions(tenant_id: Any) -> dict[str, Any]:
    async with tenant_scope(tenant_id) as tx:
        conn = tx.connection
        subs = await conn.fetch(
            """select s.id, s.url, s.events, s.secret_hint, s.active, s.created_at,
                      (select count(*) from outbox o where o.channel = 'webhook' and o.status = 'sent'
                         and o.payload->>'subscription' = s.id::text) as sent
               from webhook_subscription s order by s.created_at desc""")
        deliveries = await conn.fetch(
            """select o.id, o.kind, o.recipient, o.status, o.attempts, o.last_error, o.created_at, o.sent_at,
                      o.available_at
               from outbox o where o.channel = 'webhook'
                 and not exists (select 1 from outbox r where r.retry_of = o.id)
               order by (o.status = 'failed') desc, o.created_at desc limit 100""")
    return {"subscriptions": [dict(r) for r in subs], "deliveries": [dict(r) for r in deliveries]}


async def set_subscription_active(tenant_id: Any, subscription_id: Any, active: bool, actor: Actor) -> None:
    sid = parse_uuid(subscription_id)
    async with tenant_scope(tenant_id):
        conn = current_connection()
        found = await conn.fetchval("update webhook_subscription set active = $2 where id = $1 returning id",
                                    sid, active) if sid else None
        if found is None:
            raise NotFound(subscription_id)
        await audit.record(tenant_id, "api.webhook_" + ("enabled" if active else "disabled"), actor_user=actor.id,
                           actor_label=actor.name, target_type="webhook_subscription", target_id=sid,
                           address=actor.address)


async def webhook_delivery_in_tenant(tenant_id: Any, outbox_id: Any) -> dict[str, Any]:
    oid = parse_uuid(outbox_id)
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow("select id, status from outbox where id = $1 and channel = 'webhook'",
                                           oid) if oid else None
    if row is None:
        raise NotFound(outbox_id)
    return dict(row)
