"""Onboarding and policy: tenant profile (letterhead), uploaded documents, the policy draft
and its immutable published versions."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "policy: tenant profile, documents, draft, published versions"

SQL = r"""
-- Rows that must never change once written (published policy versions, uploaded files).
-- The only delete allowed is the cascade from deleting the tenant itself: by then the
-- tenant row is gone, which no ordinary statement can fake.
CREATE OR REPLACE FUNCTION sila_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM tenant WHERE id = OLD.tenant) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% rows are immutable (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END
$fn$;

-- Uploaded files (logo, tool documents, scans of signed minutes), kept in PostgreSQL:
-- one backup, one transaction with the rows that point at them, and row-level security
-- guards them like any tenant data. Sizes are capped by the app (a few MB at most).
CREATE TABLE document (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  purpose varchar(20) NOT NULL CHECK (purpose IN ('logo', 'tool', 'minutes')),
  filename text NOT NULL,
  content_type varchar(100) NOT NULL,
  size integer NOT NULL CHECK (size > 0),
  sha256 char(64) NOT NULL,
  content bytea NOT NULL,
  -- No foreign key: ON DELETE SET NULL would be an UPDATE, which the trigger refuses.
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Target of composite foreign keys: a row can only point at its own tenant's files.
  UNIQUE (tenant, id)
);
SELECT sila_protect_tenant_table('document', false);
-- Replacing a file uploads a new row; published versions keep pointing at the old one.
CREATE TRIGGER document_immutable BEFORE UPDATE OR DELETE ON document
  FOR EACH ROW EXECUTE FUNCTION sila_refuse_change();

-- Letterhead and footer details, and the onboarding checklist. Public facts; the operator
-- console may read them (regulator and licence number) when reviewing a registration.
CREATE TABLE tenant_profile (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  regulator varchar(20) NOT NULL CHECK (regulator IN ('ncnp', 'awqaf')),
  licence_number varchar(20) NOT NULL DEFAULT '',
  region varchar(30) NOT NULL DEFAULT '',
  city text NOT NULL DEFAULT '',
  website text NOT NULL DEFAULT '',
  phone varchar(20) NOT NULL DEFAULT '',
  email varchar(254) NOT NULL DEFAULT '',
  social jsonb NOT NULL DEFAULT '{}',
  logo uuid,
  setup_done text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant),
  FOREIGN KEY (tenant, logo) REFERENCES document(tenant, id)
);
SELECT sila_protect_tenant_table('tenant_profile', true);

-- The one working copy of a tenant's policy (rules.draft_to_dict) and the board approval
-- recorded for it; publishing copies both into a policy_version.
CREATE TABLE policy_draft (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  content jsonb NOT NULL,
  approval jsonb,
  minutes_document uuid,
  updated_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant),
  FOREIGN KEY (tenant, minutes_document) REFERENCES document(tenant, id)
);
SELECT sila_protect_tenant_table('policy_draft', false);

-- Published versions: frozen. Requests (next area) reference policy_version(id), so the
-- promise made to an applicant never changes after the fact. No foreign key to the
-- publisher: ON DELETE SET NULL would be an UPDATE, which the trigger refuses.
CREATE TABLE policy_version (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  number integer NOT NULL CHECK (number >= 1),
  content jsonb NOT NULL,
  approval jsonb NOT NULL,
  approved_on date NOT NULL,
  minutes_document uuid,
  published_by uuid,
  published_by_name text NOT NULL DEFAULT '',
  published_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, number),
  FOREIGN KEY (tenant, minutes_document) REFERENCES document(tenant, id)
);
SELECT sila_protect_tenant_table('policy_version', false);
CREATE TRIGGER policy_version_immutable BEFORE UPDATE OR DELETE ON policy_version
  FOR EACH ROW EXECUTE FUNCTION sila_refuse_change();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="policy", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
