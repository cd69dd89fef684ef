"""Bulk import of existing beneficiaries from CSV or XLSX (issue 18): the uploaded file with the
admin's column mapping and the run's progress and counts, and the rows it rejected (the original
cells and what to fix), kept for the downloadable report. Personal data: no platform access."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:07:18:000718"  # bulkimport (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "beneficiaries: bulk import (bulkimport)"

SQL = r"""
CREATE TABLE beneficiary_import (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  file_name text NOT NULL CHECK (length(file_name) <= 200),
  file_format varchar(4) NOT NULL CHECK (file_format IN ('csv', 'xlsx')),
  encoding varchar(12) NOT NULL DEFAULT '',    -- the text encoding a CSV was read in ('' for XLSX)
  content bytea NOT NULL,
  size_bytes integer NOT NULL,
  sha256 char(64) NOT NULL,
  headers jsonb NOT NULL DEFAULT '[]',
  mapping jsonb NOT NULL DEFAULT '{}',         -- Sila field -> column index, chosen by the admin
  language varchar(5) NOT NULL DEFAULT 'ar' CHECK (language IN ('ar', 'en')),  -- of the rejection reasons
  status varchar(10) NOT NULL DEFAULT 'mapping' CHECK (status IN ('mapping', 'queued', 'running', 'done', 'failed')),
  rows_estimate integer NOT NULL DEFAULT 0,
  rows_done integer NOT NULL DEFAULT 0,        -- rows read and committed: a resumed run starts after them
  imported integer NOT NULL DEFAULT 0,
  existing integer NOT NULL DEFAULT 0,         -- the ID already had a file: left unchanged
  rejected integer NOT NULL DEFAULT 0,
  error text NOT NULL DEFAULT '',
  uploaded_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  UNIQUE (tenant, id)
);
CREATE INDEX beneficiary_import_tenant ON beneficiary_import(tenant, created_at);
SELECT sila_protect_tenant_table('beneficiary_import', false);

CREATE TABLE beneficiary_import_rejection (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  import uuid NOT NULL,
  row_number integer NOT NULL,                 -- in the file, the header being row 1
  cells jsonb NOT NULL,                        -- the row as it was (control characters made visible)
  problems text NOT NULL,                      -- what to fix, in the import's language
  UNIQUE (tenant, import, row_number),
  FOREIGN KEY (tenant, import) REFERENCES beneficiary_import(tenant, id) ON DELETE CASCADE
);
SELECT sila_protect_tenant_table('beneficiary_import_rejection', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="beneficiaries", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
