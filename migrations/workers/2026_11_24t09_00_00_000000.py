"""A per-tenant count of messages sent in each Riyadh calendar month.

The quota check ran `count(*)` over the month's sent rows for every delivery: it grows with the
month (300,000 rows for a busy tenant by its end). `deliver` now adds one to this row in the
transaction that marks the message sent, so the check and the usage pages read one row.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-24T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "workers: monthly message usage counter"

SQL = r"""
CREATE TABLE message_usage (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  month date NOT NULL,
  sent integer NOT NULL DEFAULT 0 CHECK (sent >= 0),
  UNIQUE (tenant, month)
);
INSERT INTO message_usage (tenant, month, sent)
  SELECT tenant, date_trunc('month', sent_at AT TIME ZONE 'Asia/Riyadh')::date, count(*)
  FROM outbox WHERE status = 'sent' AND sent_at IS NOT NULL GROUP BY 1, 2;
SELECT sila_protect_tenant_table('message_usage', true);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="workers", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
