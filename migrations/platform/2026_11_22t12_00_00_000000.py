"""Operators: tenant profile and quota columns, the operator audit, support grants, exports."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "platform: operator console (lifecycle, quotas, audit, support grants, exports)"

SQL = r"""
-- Regulator and region are not here: they live in the tenant's profile (policy area), which
-- the console reads with platform access.
ALTER TABLE tenant
  ADD COLUMN message_quota integer NOT NULL DEFAULT 2000 CHECK (message_quota >= 0),
  ADD COLUMN approved_at timestamptz,
  ADD COLUMN archived_at timestamptz,
  ADD COLUMN delete_after timestamptz;
CREATE INDEX tenant_status_created ON tenant(status, created_at);

-- Every operator action. A platform table with no `tenant` column on purpose: it must
-- outlive a deleted tenant (who deleted it, when, why), so it keeps only the tenant's id
-- and slug as text, never any of the tenant's data.
CREATE TABLE operator_audit (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  operator uuid REFERENCES operator(id) ON DELETE SET NULL,
  operator_label text NOT NULL DEFAULT '',
  action varchar(80) NOT NULL,
  subject_tenant uuid,
  subject_label text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  detail jsonb,
  address varchar(64) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_audit_created ON operator_audit(created_at);
CREATE INDEX operator_audit_subject ON operator_audit(subject_tenant, created_at);

-- A tenant admin's permission for platform support to look inside the portal, read-only,
-- until it expires or is revoked. Holds no personal data, so the console may read it
-- across tenants (platform_access) to show which tenants have a live grant.
CREATE TABLE support_grant (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  note text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  CHECK (expires_at > created_at)
);
CREATE INDEX support_grant_tenant ON support_grant(tenant, expires_at);
SELECT sila_protect_tenant_table('support_grant', true);

-- An archive export, built by a worker. Progress and metadata only (the ZIP is on disk and
-- downloadable with a link sent to the tenant's admins, never by operators).
CREATE TABLE tenant_export (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  requested_by uuid REFERENCES operator(id) ON DELETE SET NULL,
  status varchar(20) NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  tables_total integer NOT NULL DEFAULT 0,
  tables_done integer NOT NULL DEFAULT 0,
  rows_total bigint NOT NULL DEFAULT 0,
  files_total integer NOT NULL DEFAULT 0,
  size_bytes bigint NOT NULL DEFAULT 0,
  sha256 varchar(64) NOT NULL DEFAULT '',
  error text NOT NULL DEFAULT '',
  download_token_hash varchar(64),
  link_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  UNIQUE (tenant, download_token_hash)
);
CREATE INDEX tenant_export_tenant ON tenant_export(tenant, created_at);
CREATE INDEX tenant_export_token ON tenant_export(download_token_hash);
SELECT sila_protect_tenant_table('tenant_export', true);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
