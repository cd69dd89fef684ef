"""From outbox row to provider: deliver one message, relay due rows to Celery, sweep stuck ones.

Status of an outbox row:
  pending --relay--> queued --deliver--> sent
     ^                  |        \\--failure--> pending (later available_at), or failed after
     +----sweeper-------+                      outbox_max_attempts or a permanent failure
The relay and the after-commit hand-off give Celery batches of rows (`deliver_batch`); a worker
sends a batch's rows concurrently, each in its own transaction under its own row lock.
A `failed` row is kept with its reason; only an explicit retry makes it pending again.
A row that must wait (tenant suspended, quiet hours, monthly quota: `sila.workers.policy`) goes
back to pending with its `held_reason`, and a row that failed for good on a channel moves on to
its next fallback channel (same row, same idempotency key) before it is ever marked failed.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import uuid
from typing import Any

from sila.platform import directory
from sila.platform.db import platform_scope, tenant_scope
from sila.platform.settings import Settings, get_settings
from sila.workers import policy
from sila.workers.providers import DeliveryFailure, Message, PermanentFailure, resolve

log = logging.getLogger(__name__)

RELAY_BATCH = 500
# The relay hands rows to Celery in tasks of this many; a task sends them DELIVER_CONCURRENCY at
# a time, each in its own transaction. One task per row spent most of its time in Celery and in
# waiting on the gateway one message at a time.
DELIVER_BATCH = 25
DELIVER_CONCURRENCY = 8
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0


def backoff(attempt: int, base: float = BACKOFF_BASE) -> float:
    """Seconds before attempt `attempt + 1`: exponential, capped, with jitter so that messages
    failing together (a provider outage) do not come back together."""
    return min(BACKOFF_CAP, base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311 -- retry jitter, not a secret


def _message(oid: uuid.UUID, tid: uuid.UUID, row: Any) -> Message:
    payload = row["payload"]
    return Message(outbox_id=oid, tenant_id=tid, channel=row["channel"], recipient=row["recipient"],
                   subject=row["subject"], body_text=row["body_text"], body_html=row["body_html"],
                   payload=json.loads(payload) if isinstance(payload, str) else (payload or {}))


async def deliver(outbox_id: Any, tenant_id: Any, settings: Settings | None = None) -> str:
    """Send one outbox row if it still needs sending; returns what happened (for the task log).

    The provider is called while this transaction holds the row lock, so two workers handed the
    same row (fast path and relay, or a broker redelivery) never send it concurrently: the second
    waits, then finds it `sent`. What the lock cannot cover is a worker dying after the peer
    accepted the message but before this commit: the row is then sent again, with the same
    idempotency key (outbox id as Message-ID / X-Sila-Idempotency-Key) so the peer can tell.
    """
    settings = settings or get_settings()
    try:
        oid, tid = uuid.UUID(str(outbox_id)), uuid.UUID(str(tenant_id))
    except ValueError:
        return "missing"
    async with tenant_scope(tid) as tx:
        conn = tx.connection
        # Wait for the lock rather than SKIP LOCKED: its holder may be the relay about to commit
        # its claim, and skipping would strand the row as `queued` until the sweeper.
        row = await conn.fetchrow(
            "select *, available_at <= now() as due from outbox where id = $1 for update", oid
        )
        if row is None:  # gone, or another tenant's (row-level security hides it)
            return "missing"
        if row["status"] in ("sent", "failed"):
            return "already " + row["status"]
        if row["status"] == "pending" and not row["due"]:  # a stale message must not skip the back-off
            return "not due"
        # The fast path reaches here without the relay's rules: check them again.
        hold = await policy.hold(conn, tid, row)
        if hold is not None:
            reason, until = hold
            await conn.execute(
                """update outbox set status = 'pending', held_reason = $2, queued_at = null,
                          available_at = coalesce($3, available_at) where id = $1""", oid, reason, until)
            return "held: " + reason
        attempt, tries = row["attempts"] + 1, row["tries"] + 1
        started_at = dt.datetime.now(dt.UTC)
        message = _message(oid, tid, row)
        provider_name = "none"
        try:
            provider = await resolve(row["channel"], tid, settings)
            provider_name = provider.name
            provider_id = await provider.send(message)
        except Exception as exc:  # noqa: BLE001 - any provider error is recorded, never lost
            error = str(exc) if isinstance(exc, DeliveryFailure) else f"{type(exc).__name__}: {exc}"
            final = isinstance(exc, PermanentFailure) or tries >= settings.outbox_max_attempts
            await _record(conn, tid, oid, attempt, provider_name, started_at, error=error)
            fallback = json.loads(row["fallback"]) if isinstance(row["fallback"], str) else row["fallback"]
            if final and fallback:
                await _switch_channel(conn, oid, attempt, provider_name, f"{row['channel']}: {error}", fallback)
                log.warning("outbox %s: %s failed for good (%s); trying %s", oid, row["channel"], error,
                            fallback[0]["channel"])
                return "fallback"
            await conn.execute(
                """update outbox set status = $2, attempts = $3, tries = $4, last_error = $5, provider = $6,
                          held_reason = '', available_at = now() + $7 * interval '1 second' where id = $1""",
                oid, "failed" if final else "pending", attempt, tries, error[:2000], provider_name,
                0.0 if final else backoff(tries, settings.outbox_backoff_base),
            )
            log.warning("outbox %s attempt %s via %s failed (%s): %s", oid, attempt, provider_name,
                        "final" if final else "will retry", error)
            return "failed" if final else "retry"
        # One round trip: the attempt, this month's count (the quota's) and the row. A webhook is
        # the tenant's own system being told, not a message to a person: not counted.
        count = policy.SQL_COUNT_SENT if row["channel"] != "webhook" else "select $10::date"
        await conn.execute(
            f"""with attempt as ({SQL_RECORD}), usage as ({count})
                update outbox set status = 'sent', attempts = $3, tries = $9, sent_at = now(), last_error = '',
                       held_reason = '', provider = $4, provider_message_id = $7 where id = $2""",
            tid, oid, attempt, provider_name, True, "", provider_id, started_at, tries,
            policy.usage_month(started_at),
        )
        return "sent"


async def deliver_many(items: list[list[str]], settings: Settings | None = None) -> list[list[str]]:
    """`deliver` each (outbox id, tenant id), DELIVER_CONCURRENCY at a time. Returns the items that
    raised (the database or the pool was unreachable) for the caller to try again; what a provider
    answered is recorded on the row, not returned."""
    settings = settings or get_settings()
    gate = asyncio.Semaphore(DELIVER_CONCURRENCY)

    async def one(item: list[str]) -> BaseException | None:
        async with gate:
            try:
                await deliver(item[0], item[1], settings)
            except Exception as exc:  # noqa: BLE001 - reported to the caller, which retries
                return exc
            return None

    errors = await asyncio.gather(*(one(item) for item in items))
    failed = [item for item, error in zip(items, errors, strict=True) if error is not None]
    if failed:
        log.warning("outbox: %s of %s deliveries could not run (%s); retrying them", len(failed), len(items),
                    next(e for e in errors if e is not None))
    return failed


async def _switch_channel(conn: Any, oid: uuid.UUID, attempt: int, provider: str, error: str,
                          fallback: list[dict[str, Any]]) -> None:
    """The next enabled channel takes over the same row (same id, so still one message to count)."""
    nxt, rest = fallback[0], fallback[1:]
    await conn.execute(
        """update outbox set channel = $2, recipient = $3, subject = $4, body_text = $5, body_html = $6,
                  payload = $7::jsonb, fallback = $8::jsonb, status = 'pending', attempts = $9, tries = 0,
                  provider = $10, last_error = $11, held_reason = '', available_at = now() where id = $1""",
        oid, nxt["channel"], nxt["recipient"], nxt.get("subject", ""), nxt["body_text"], nxt.get("body_html", ""),
        json.dumps(nxt.get("payload") or {}, ensure_ascii=False), json.dumps(rest, ensure_ascii=False), attempt,
        provider, error[:2000])


SQL_RECORD = """insert into delivery_attempt (tenant, outbox, attempt, provider, ok, error, provider_message_id,
                                            started_at)
                values ($1, $2, $3, $4, $5, $6, $7, $8)"""


async def _record(conn: Any, tid: uuid.UUID, oid: uuid.UUID, attempt: int, provider: str,
                  started_at: dt.datetime, *, error: str = "", provider_id: str = "") -> None:
    await conn.execute(SQL_RECORD, tid, oid, attempt, provider, not error, error[:2000], provider_id, started_at)


async def relay(limit: int = RELAY_BATCH) -> int:
    """Hand due rows to Celery and mark them `queued`. Returns how many were handed over."""
    # Here, not at the top: tasks imports relay: a cycle.
    # cycle: tasks imports this module
    from sila.workers.tasks import deliver_batch

    async with platform_scope("outbox relay") as tx:
        conn = tx.connection
        # A suspended tenant's rows wait (directory's rule); quiet hours and the quota are checked
        # per row by `deliver`, which pushes `available_at` past them.
        rows = await conn.fetch(
            f"""select id, tenant from outbox where status = 'pending' and available_at <= now()
                and {directory.SQL_TENANT_CAN_SEND}
                order by available_at limit $1 for update skip locked""",
            limit,
        )
        if not rows:
            return 0
        # Published before this claim commits: a fast worker waits on the row lock, then sees
        # `queued`. If Redis fails midway, only what was published is marked; the rest stays due.
        published: list[uuid.UUID] = []
        try:
            with deliver_batch.app.producer_or_acquire() as producer:
                for start in range(0, len(rows), DELIVER_BATCH):
                    batch = rows[start:start + DELIVER_BATCH]
                    deliver_batch.apply_async(args=[[[str(r["id"]), str(r["tenant"])] for r in batch]],
                                              producer=producer)
                    published.extend(r["id"] for r in batch)
        except Exception as exc:  # noqa: BLE001
            log.warning("outbox relay: broker unavailable after %s of %s rows: %s", len(published), len(rows), exc)
        await conn.execute(
            "update outbox set status = 'queued', queued_at = now() where id = any($1::uuid[])", published
        )
    return len(published)


async def sweep(settings: Settings | None = None) -> int:
    """Rows `queued` for too long (their message was lost with a worker or with Redis) become due again."""
    settings = settings or get_settings()
    async with platform_scope("outbox sweeper") as tx:
        rows = await tx.connection.fetch(
            """update outbox set status = 'pending', available_at = now()
               where id in (select id from outbox
                            where status = 'queued' and queued_at < now() - $1 * interval '1 second'
                            for update skip locked)
               returning id""",
            float(settings.outbox_stuck_after_seconds),
        )
    if rows:
        log.warning("outbox sweeper: %s stuck row(s) made due again", len(rows))
    return len(rows)
