"""Support grants carry a scope: configuration only (the default) or cases too."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "platform: support grant scope"

SQL = r"""
-- `configuration`: policy, notifications' settings, staff list, settings; no beneficiary,
-- request, committee, feedback or survey-answer page. `cases`: every page, read-only, ID
-- numbers masked. Grants given before this were for the whole portal: they keep that.
ALTER TABLE support_grant ADD COLUMN scope varchar(20) NOT NULL DEFAULT 'cases'
  CHECK (scope IN ('configuration', 'cases'));
ALTER TABLE support_grant ALTER COLUMN scope SET DEFAULT 'configuration';
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
