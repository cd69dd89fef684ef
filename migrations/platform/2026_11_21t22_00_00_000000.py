"""Tenant directory, staff accounts, operators, audit; the RLS helper used by every area."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "platform: tenants, accounts, audit, RLS helper"

SQL = r"""
-- One way to protect a tenant-owned table: enable AND force RLS, isolate by the
-- transaction-local `sila.tenant_id`; `platform_access` opens the table to
-- platform_scope() too, and is granted only to tables that must be crossed.
CREATE OR REPLACE FUNCTION sila_protect_tenant_table(tbl regclass, platform_access boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
      USING (tenant = nullif(current_setting('sila.tenant_id', true), '')::uuid)
      WITH CHECK (tenant = nullif(current_setting('sila.tenant_id', true), '')::uuid)$p$, tbl);
  IF platform_access THEN
    EXECUTE format($p$CREATE POLICY platform_access ON %s
        USING (current_setting('sila.platform', true) = 'on')
        WITH CHECK (current_setting('sila.platform', true) = 'on')$p$, tbl);
  END IF;
END
$fn$;

CREATE TABLE tenant (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug varchar(63) NOT NULL UNIQUE,
  kind varchar(20) NOT NULL CHECK (kind IN ('association', 'waqf')),
  name_ar text NOT NULL,
  name_en text NOT NULL DEFAULT '',
  status varchar(20) NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'active', 'suspended', 'archived')),
  status_reason text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_domain (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  domain varchar(253) NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_domain_tenant ON tenant_domain(tenant);

CREATE TABLE staff_user (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email varchar(254) NOT NULL UNIQUE,
  name text NOT NULL DEFAULT '',
  password_hash text,
  is_active boolean NOT NULL DEFAULT true,
  preferred_language varchar(5) NOT NULL DEFAULT 'ar',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);

CREATE TABLE membership (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  "user" uuid NOT NULL REFERENCES staff_user(id) ON DELETE CASCADE,
  role varchar(30) NOT NULL
    CHECK (role IN ('admin', 'relations_officer', 'social_researcher', 'committee_member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, "user", role)
);
CREATE INDEX membership_tenant ON membership(tenant);
CREATE INDEX membership_user ON membership("user");
SELECT sila_protect_tenant_table('membership', false);

CREATE TABLE auth_token (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  purpose varchar(20) NOT NULL CHECK (purpose IN ('invite', 'reset')),
  email varchar(254) NOT NULL,
  "user" uuid REFERENCES staff_user(id) ON DELETE CASCADE,
  role varchar(30),
  token_hash varchar(64) NOT NULL,
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  UNIQUE (tenant, token_hash)
);
CREATE INDEX auth_token_tenant ON auth_token(tenant);
SELECT sila_protect_tenant_table('auth_token', false);

CREATE TABLE audit_entry (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  actor_user uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  actor_label text NOT NULL DEFAULT '',
  action varchar(80) NOT NULL,
  target_type varchar(60) NOT NULL DEFAULT '',
  target_id text NOT NULL DEFAULT '',
  before jsonb,
  after jsonb,
  address varchar(64) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_entry_tenant_created ON audit_entry(tenant, created_at);
SELECT sila_protect_tenant_table('audit_entry', false);

CREATE TABLE operator (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email varchar(254) NOT NULL UNIQUE,
  name text NOT NULL DEFAULT '',
  password_hash text NOT NULL,
  totp_secret text,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
