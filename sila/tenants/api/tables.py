"""API keys, idempotency keys and webhook subscriptions (migrations/api). Tenant scope only."""
from __future__ import annotations

from piccolo.columns import JSONB, UUID, Array, Boolean, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class ApiKey(Table, tablename="api_key", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    name = Text()
    prefix = Varchar(length=16)
    secret_hash = Varchar(length=64)
    scopes = Array(Text())
    expires_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(StaffUser, null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    last_used_address = Varchar(length=64, default="")


class ApiIdempotency(Table, tablename="api_idempotency", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    api_key = UUID()
    idem_key = Varchar(length=200)
    operation = Varchar(length=60)
    fingerprint = Varchar(length=64)
    status_code = Integer(null=True, default=None)
    response = JSONB(null=True, default=None)
    created_at = Timestamptz()


class WebhookSubscription(Table, tablename="webhook_subscription", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    url = Text()
    events = Array(Text())
    secret_enc = Bytea()
    secret_hint = Varchar(length=8, default="")
    active = Boolean(default=True)
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()


ALL = [ApiKey, ApiIdempotency, WebhookSubscription]
