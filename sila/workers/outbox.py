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

CHANNELS = ("email", "sms", "whatsapp")
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
    if channel not in CHANNELS or any(f["channel"] not in CHANNELS for f in fallback or []):
        raise ValueError(f"unknown channel {channel!r}")
    conn = current_connection()
    outbox_id: uuid.UUID = await conn.fetchval(
        """
        insert into outbox (tenant, channel, kind, recipient, subject, body_text, body_html, urgent, payload,
                            fallback, retry_of)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11) returning id
        """,
        uuid.UUID(str(tenant_id)),
        channel,
        kind,
        recipient,
        subject,
        body_text,
        body_html,
        is_urgent(kind) if urgent is None else urgent,
        json.dumps(payload or {}, ensure_ascii=False),
        json.dumps(fallback or [], ensure_ascii=False),
        retry_of,
    )
    hand_off_after_commit(outbox_id, tenant_id)
    return outbox_id


def hand_off_after_commit(outbox_id: uuid.UUID, tenant_id: Any) -> None:
    """Give a row (new, or made pending again) to Celery once the current scope commits."""
    after_commit(lambda: _schedule_hand_off(outbox_id, tenant_id))


def _schedule_hand_off(outbox_id: uuid.UUID, tenant_id: Any) -> None:
    # Publishing is blocking (kombu); with Redis down it takes up to the connect timeout.
    # Off the event loop, so a web request never waits for the broker.
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _hand_off(outbox_id, tenant_id)
    else:
        loop.run_in_executor(None, _hand_off, outbox_id, tenant_id)


def _hand_off(outbox_id: uuid.UUID, tenant_id: Any) -> None:
    from sila.workers.tasks import deliver

    try:
        deliver.apply_async(args=[str(outbox_id), str(tenant_id)], retry=False)
    except Exception as exc:  # the relay will find the row; never fail the user's request for this
        log.warning("outbox %s not handed to the broker now (%s); the relay will", outbox_id, exc)
