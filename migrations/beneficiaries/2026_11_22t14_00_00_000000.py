"""Beneficiary files (ID number encrypted, keyed hash for look-up) and PDPL consent records."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "beneficiaries: files and consents"

# Personal data: no platform_access on any of these tables, ever.
SQL = r"""
CREATE TABLE beneficiary (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  id_number_enc bytea NOT NULL,               -- AES-GCM, bound to tenant and field
  id_hash char(64) NOT NULL,                  -- HMAC(tenant | number): exact look-up only
  id_last4 char(4) NOT NULL,                  -- what staff see unless they open the number
  id_kind varchar(10) NOT NULL CHECK (id_kind IN ('citizen', 'resident')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  mobile varchar(20) NOT NULL,                -- E.164
  email varchar(254) NOT NULL DEFAULT '',
  preferred_channel varchar(20) NOT NULL DEFAULT 'sms' CHECK (preferred_channel IN ('sms', 'whatsapp', 'email')),
  preferred_language varchar(5) NOT NULL DEFAULT 'ar' CHECK (preferred_language IN ('ar', 'en')),
  city text NOT NULL DEFAULT '',
  category varchar(40) NOT NULL DEFAULT '',
  household_size integer CHECK (household_size BETWEEN 1 AND 50),
  details jsonb NOT NULL DEFAULT '{}',
  registered_at timestamptz,                  -- registered with the tenant (registration step)
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, id_hash),                   -- same ID in the same tenant: one file
  UNIQUE (tenant, id)                         -- target of composite keys: same-tenant links only
);
CREATE INDEX beneficiary_tenant_name ON beneficiary(tenant, name);
SELECT sila_protect_tenant_table('beneficiary', false);

-- What the person agreed to under the Personal Data Protection Law, when, and through which
-- form (with the exact text shown). Rows are only ever added.
CREATE TABLE beneficiary_consent (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  beneficiary uuid NOT NULL,
  purpose varchar(40) NOT NULL,
  form varchar(40) NOT NULL,
  policy_version_number integer,
  text text NOT NULL,
  channel text NOT NULL DEFAULT '',
  given_at timestamptz NOT NULL DEFAULT now(),
  recorded_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  address varchar(64) NOT NULL DEFAULT '',
  FOREIGN KEY (tenant, beneficiary) REFERENCES beneficiary(tenant, id) ON DELETE CASCADE
);
CREATE INDEX beneficiary_consent_tenant ON beneficiary_consent(tenant, beneficiary);
SELECT sila_protect_tenant_table('beneficiary_consent', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="beneficiaries", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
