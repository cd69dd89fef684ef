"""The outbox (what must be sent), each delivery attempt, and the development inbox."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T22:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "workers: outbox, delivery attempts, dev inbox"

SQL = r"""
CREATE TABLE outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  channel varchar(20) NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
  kind varchar(60) NOT NULL,
  recipient text NOT NULL,
  subject text NOT NULL DEFAULT '',
  body_text text NOT NULL,
  body_html text NOT NULL DEFAULT '',
  status varchar(20) NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'queued', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  available_at timestamptz NOT NULL DEFAULT now(),
  queued_at timestamptz,
  sent_at timestamptz,
  last_error text NOT NULL DEFAULT '',
  provider varchar(40) NOT NULL DEFAULT '',
  provider_message_id text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_tenant ON outbox(tenant);
CREATE INDEX outbox_due ON outbox(available_at) WHERE status = 'pending';
CREATE INDEX outbox_queued ON outbox(queued_at) WHERE status = 'queued';
SELECT sila_protect_tenant_table('outbox', true);

CREATE TABLE delivery_attempt (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  outbox uuid NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  provider varchar(40) NOT NULL,
  ok boolean NOT NULL,
  error text NOT NULL DEFAULT '',
  provider_message_id text NOT NULL DEFAULT '',
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, outbox, attempt)
);
CREATE INDEX delivery_attempt_tenant ON delivery_attempt(tenant);
SELECT sila_protect_tenant_table('delivery_attempt', true);

CREATE TABLE dev_inbox_message (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  outbox uuid NOT NULL,
  channel varchar(20) NOT NULL,
  recipient text NOT NULL,
  subject text NOT NULL DEFAULT '',
  body_text text NOT NULL,
  body_html text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, outbox)
);
CREATE INDEX dev_inbox_message_tenant ON dev_inbox_message(tenant);
SELECT sila_protect_tenant_table('dev_inbox_message', true);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workers", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
