"""The tenant row carries its latest published policy version (number and date), written by a
trigger on policy_version so every way of publishing keeps it; the operator console reads it
from the platform table instead of opening each tenant's scope."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T09:55:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "policy: published version summary on the tenant row"

SQL = r"""
CREATE OR REPLACE FUNCTION policy_version_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE tenant SET policy_number = NEW.number, policy_published_at = NEW.published_at
   WHERE id = NEW.tenant AND (policy_number IS NULL OR policy_number < NEW.number);
  RETURN NEW;
END $$;
CREATE TRIGGER policy_version_published AFTER INSERT ON policy_version
  FOR EACH ROW EXECUTE FUNCTION policy_version_published();
UPDATE tenant t SET policy_number = v.number, policy_published_at = v.published_at
  FROM (SELECT DISTINCT ON (tenant) tenant, number, published_at FROM policy_version
         ORDER BY tenant, number DESC) v
 WHERE v.tenant = t.id;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="policy", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
