"""The one way to send a message: `enqueue(...)` inside a tenant scope.

The outbox row is written in the caller's transaction, so a message exists exactly when the
change it belongs to committed. After commit the ids are handed to Celery as a fast path;
if Redis is down that hand-off is skipped and the relay picks the rows up later.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from sila.platform.db import after_commit, current_connection

log = logging.getLogger(__name__)

CHANNELS = ("email", "sms", "whatsapp")  # messages to people; webhooks are written by triggers (migrations/api)
# Never delayed by quiet hours or the quota: one-time codes, and the platform's and accounts' own
# mail (an invitation or a password reset is wanted now, and is not the tenant's messaging).
URGENT_KINDS = frozenset({"request.tracking_code"})
URGENT_PREFIXES = ("staff.", "platform.", "notifications.")


def is_urgent(kind: str) -> bool:
    return kind in URGENT_KINDS or kind.startswith(URGENT_PREFIXES)


async def enqueue(
    *,
    tenant_id: Any,
    channel: str,
    kind: str,
    recipient: str,
    body_text: str,
    subject: str = "",
    body_html: str = "",
    urgent: bool | None = None,
    payload: dict[str, Any] | None = None,
    fallback: list[dict[str, Any]] | None = None,
    retry_of: uuid.UUID | None = None,
) -> uuid.UUID:
    """`payload`: what the channel needs beyond text (WhatsApp template); `fallback`: the same
    message rendered for other channels, tried in order if this one fails for good."""
    return (await enqueue_many(tenant_id, [dict(
        channel=channel, kind=kind, recipient=recipient, body_text=body_text, subject=subject, body_html=body_html,
        urgent=urgent, payload=payload, fallback=fallback, retry_of=retry_of)]))[0]


async def enqueue_many(tenant_id: Any, messages: list[dict[str, Any]]) -> list[uuid.UUID]:
    """`enqueue` for many messages of one tenant in one statement (a campaign's batch); each dict
    takes `enqueue`'s keywords. Returns the new ids in the order given."""
    for m in messages:
        if m["channel"] not in CHANNELS or any(f["channel"] not in CHANNELS for f in m.get("fallback") or []):
            raise ValueError(f"unknown channel {m['channel']!r}")
    if not messages:
        return []
    tid = uuid.UUID(str(tenant_id))
    ids = [uuid.uuid4() for _ in messages]
    await current_connection().execute(
        """
        insert into outbox (id, tenant, channel, kind, recipient, subject, body_text, body_html, urgent, payload,
                            fallback, retry_of)
        select m.id, $1, m.channel, m.kind, m.recipient, m.subject, m.body_text, m.body_html, m.urgent,
               m.payload::jsonb, m.fallback::jsonb, m.retry_of
        from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[],
                    $10::text[], $11::text[], $12::uuid[])
             as m(id, channel, kind, recipient, subject, body_text, body_html, urgent, payload, fallback, retry_of)
        """,
        tid, ids,
        [m["channel"] for m in messages], [m["kind"] for m in messages], [m["recipient"] for m in messages],
        [m.get("subject") or "" for m in messages], [m["body_text"] for m in messages],
        [m.get("body_html") or "" for m in messages],
        [is_urgent(m["kind"]) if m.get("urgent") is None else m["urgent"] for m in messages],
        [json.dumps(m.get("payload") or {}, ensure_ascii=False) for m in messages],
        [json.dumps(m.get("fallback") or [], ensure_ascii=False) for m in messages],
        [m.get("retry_of") for m in messages],
    )
    hand_off_after_commit(ids, tid)
    return ids


def hand_off_after_commit(outbox_ids: list[uuid.UUID], tenant_id: Any) -> None:
    """Give rows (new, or made pending again) to Celery once the current scope commits."""
    after_commit(lambda: _schedule_hand_off(outbox_ids, tenant_id))


def _schedule_hand_off(outbox_ids: list[uuid.UUID], tenant_id: Any) -> None:
    # Publishing is blocking (kombu); with Redis down it takes up to the connect timeout.
    # Off the event loop, so a web request never waits for the broker.
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _hand_off(outbox_ids, tenant_id)
    else:
        loop.run_in_executor(None, _hand_off, outbox_ids, tenant_id)


def _hand_off(outbox_ids: list[uuid.UUID], tenant_id: Any) -> None:
    # Here, not at the top: relay -> policy -> outbox and tasks -> relay -> outbox: cycles.
    # cycle: relay imports workers.policy, which imports this module
    from sila.workers.relay import DELIVER_BATCH

    # cycle: tasks imports relay (as above)
    from sila.workers.tasks import deliver_batch

    items = [[str(oid), str(tenant_id)] for oid in outbox_ids]
    try:
        with deliver_batch.app.producer_or_acquire() as producer:
            for start in range(0, len(items), DELIVER_BATCH):
                deliver_batch.apply_async(args=[items[start:start + DELIVER_BATCH]], producer=producer, retry=False)
    except Exception as exc:  # the relay will find the rows; never fail the user's request for this
        log.warning("%s outbox row(s) not handed to the broker now (%s); the relay will", len(items), exc)
