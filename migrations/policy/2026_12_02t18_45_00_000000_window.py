"""policy: the tenant's own closures (days its office is closed, besides the weekend and the
official holidays), which working-day windows and step targets skip (sila/platform/workdays.py)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T18:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "policy: tenant closures for working-day due dates"

SQL = r"""
CREATE TABLE tenant_closure (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  starts_on date NOT NULL,
  ends_on date NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_on >= starts_on AND ends_on - starts_on <= 366),
  UNIQUE (tenant, id)
);
CREATE INDEX tenant_closure_tenant ON tenant_closure(tenant, starts_on);
SELECT sila_protect_tenant_table('tenant_closure', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="policy", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
