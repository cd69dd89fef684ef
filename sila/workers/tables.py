from __future__ import annotations

from piccolo.columns import JSONB, UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import Tenant


class Outbox(Table, tablename="outbox", db=DB):
    """What must be sent. Written in the same transaction as the change it belongs to;
    the source of truth for delivery (the broker only carries ids)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    channel = Varchar(length=20)
    kind = Varchar(length=60)
    recipient = Text()
    subject = Text(default="")
    body_text = Text()
    body_html = Text(default="")
    status = Varchar(length=20, default="pending")
    attempts = Integer(default=0)
    available_at = Timestamptz()
    queued_at = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    provider = Varchar(length=40, default="")
    provider_message_id = Text(default="")
    created_at = Timestamptz()
    # Added by the notifications migration (2026_11_23t09_00_00): see its comments.
    urgent = Boolean(default=False)
    tries = Integer(default=0)
    held_reason = Varchar(length=20, default="")
    payload = JSONB(default="{}")
    fallback = JSONB(default="[]")
    delivery_status = Varchar(length=20, default="")
    delivery_status_at = Timestamptz(null=True, default=None)
    delivery_error = Text(default="")
    retry_of = UUID(null=True, default=None)


class DeliveryAttempt(Table, tablename="delivery_attempt", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    outbox = ForeignKey(Outbox, null=False)
    attempt = Integer()
    provider = Varchar(length=40)
    ok = Boolean()
    error = Text(default="")
    provider_message_id = Text(default="")
    started_at = Timestamptz()
    finished_at = Timestamptz()


class DevInboxMessage(Table, tablename="dev_inbox_message", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    outbox = UUID()
    channel = Varchar(length=20)
    recipient = Text()
    subject = Text(default="")
    body_text = Text()
    body_html = Text(default="")
    created_at = Timestamptz()


class MessageUsage(Table, tablename="message_usage", db=DB):
    """Messages sent per tenant and Riyadh calendar month (the quota's counter)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    month = Date(null=False)
    sent = Integer(default=0)
