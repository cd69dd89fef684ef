"""The governance evidence pack (issue 17): one PDF and one ZIP per request, built by a worker,
kept for download. Tenant-owned, forced row-level security, no platform access."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T10:10:00:000017"
VERSION = "1.38.0"
DESCRIPTION = "reports: evidence packs (rights)"

SQL = r"""
CREATE TABLE evidence_pack (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  calendar varchar(10) NOT NULL CHECK (calendar IN ('gregorian', 'hijri')),
  from_year integer NOT NULL,
  from_month integer NOT NULL CHECK (from_month BETWEEN 1 AND 12),
  to_year integer NOT NULL,
  to_month integer NOT NULL CHECK (to_month BETWEEN 1 AND 12),
  status varchar(10) NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  step varchar(20) NOT NULL DEFAULT '',
  error text NOT NULL DEFAULT '',
  pdf bytea,
  zip bytea,
  size_bytes bigint NOT NULL DEFAULT 0,
  sha256 varchar(64) NOT NULL DEFAULT '',
  requested_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  UNIQUE (tenant, id)
);
CREATE INDEX evidence_pack_tenant ON evidence_pack(tenant, created_at);
SELECT sila_protect_tenant_table('evidence_pack', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
