"""Notifications: what the outbox needs to hold and report a message, per-tenant providers
(credentials encrypted), message templates, quiet hours and reminder points, sent-once keys."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications: outbox delivery status, providers, templates, settings, reminder keys"

SQL = r"""
-- `urgent`: one-time codes and account mail, never delayed by quiet hours or the quota.
-- `held_reason`: why a pending row is waiting (quiet_hours, quota, tenant) — shown to the admin.
-- `payload`: what a channel needs beyond text (the WhatsApp template name and its parameters).
-- `tries`: attempts in the current round (reset by a retry or a switch to the fallback channel),
--   while `attempts` keeps counting for the attempt log's numbering.
-- `fallback`: the same message rendered for the next enabled channels, tried in order when
--   this one fails for good. `delivery_*`: what the provider's status webhooks reported.
ALTER TABLE outbox
  ADD COLUMN urgent boolean NOT NULL DEFAULT false,
  ADD COLUMN tries integer NOT NULL DEFAULT 0,
  ADD COLUMN held_reason varchar(20) NOT NULL DEFAULT '',
  ADD COLUMN payload jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN fallback jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN delivery_status varchar(20) NOT NULL DEFAULT '',
  ADD COLUMN delivery_status_at timestamptz,
  ADD COLUMN delivery_error text NOT NULL DEFAULT '',
  ADD COLUMN retry_of uuid;
CREATE INDEX outbox_provider_message ON outbox(tenant, provider_message_id) WHERE provider_message_id <> '';
CREATE INDEX outbox_sent_month ON outbox(tenant, sent_at) WHERE status = 'sent';
CREATE INDEX outbox_failed ON outbox(tenant, created_at) WHERE status = 'failed';

-- One row per tenant. Read across tenants by nobody: deliveries and scans run in tenant scope.
CREATE TABLE notification_settings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  quiet_enabled boolean NOT NULL DEFAULT true,
  quiet_start time NOT NULL DEFAULT '21:00',      -- Asia/Riyadh wall clock
  quiet_end time NOT NULL DEFAULT '08:00',
  channel_order text[] NOT NULL DEFAULT '{sms,whatsapp,email}',
  reminder_percents integer[] NOT NULL DEFAULT '{50}',   -- points in the review window
  reminder_days_before integer[] NOT NULL DEFAULT '{2}',
  escalate_overdue boolean NOT NULL DEFAULT true,
  digest_enabled boolean NOT NULL DEFAULT true,
  digest_hour integer NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 0 AND 23),
  quota_notified_month date,                      -- the admin was told the quota is reached
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant)
);
SELECT sila_protect_tenant_table('notification_settings', false);

-- The tenant's own gateway per channel. Secrets are AES-GCM ciphertexts bound to the tenant and
-- field (sila.tenants.beneficiaries.crypto); only their last characters are kept readable.
CREATE TABLE provider_config (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  channel varchar(20) NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
  provider varchar(20) NOT NULL CHECK (provider IN ('unifonic', 'taqnyat', 'msegat', 'twilio', 'whatsapp_cloud')),
  enabled boolean NOT NULL DEFAULT true,
  base_url text NOT NULL,
  account text NOT NULL DEFAULT '',               -- Twilio Account SID, Msegat user name, WhatsApp phone-number id
  sender text NOT NULL DEFAULT '',                -- registered sender name / From number
  secret_enc bytea,
  secret_hint varchar(8) NOT NULL DEFAULT '',
  signing_secret_enc bytea,                       -- WhatsApp app secret (X-Hub-Signature-256)
  signing_secret_hint varchar(8) NOT NULL DEFAULT '',
  webhook_token varchar(64) NOT NULL,             -- the unguessable part of the status webhook URL
  updated_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, channel),
  UNIQUE (tenant, webhook_token)
);
SELECT sila_protect_tenant_table('provider_config', false);

-- A tenant's wording of one message in one language; without a row, our default applies.
CREATE TABLE message_template (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  kind varchar(60) NOT NULL,
  lang varchar(5) NOT NULL CHECK (lang IN ('ar', 'en')),
  subject text NOT NULL DEFAULT '',
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
  whatsapp_name varchar(100) NOT NULL DEFAULT '',
  updated_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, kind, lang)
);
SELECT sila_protect_tenant_table('message_template', false);

-- "Sent once": a reminder, escalation or digest is written only with its key, in the same
-- transaction as its outbox rows, so two beat runs (or two beats) cannot both send it.
CREATE TABLE reminder_sent (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, key)
);
SELECT sila_protect_tenant_table('reminder_sent', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
