"""The one way to send a message: `enqueue(...)` inside a tenant scope.

The outbox row is written in the caller's transaction, so a message exists exactly when the
change it belongs to committed. After commit the ids are handed to Celery as a fast path;
if Redis is down that hand-off is skipped and the relay picks the rows up later.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from sila.platform.db import after_commit, current_connection

log = logging.getLogger(__name__)

CHANNELS = ("email", "sms", "whatsapp")


async def enqueue(
    *,
    tenant_id: Any,
    channel: str,
    kind: str,
    recipient: str,
    body_text: str,
    subject: str = "",
    body_html: str = "",
) -> uuid.UUID:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    conn = current_connection()
    outbox_id: uuid.UUID = await conn.fetchval(
        """
        insert into outbox (tenant, channel, kind, recipient, subject, body_text, body_html)
        values ($1, $2, $3, $4, $5, $6, $7) returning id
        """,
        uuid.UUID(str(tenant_id)),
        channel,
        kind,
        recipient,
        subject,
        body_text,
        body_html,
    )
    after_commit(lambda: _schedule_hand_off(outbox_id, tenant_id))
    return outbox_id


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
