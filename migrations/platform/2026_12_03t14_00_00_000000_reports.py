"""An archive export that held a person who was later erased is withdrawn (issue 17): its file is
deleted and the row says so, so the console never offers it again."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:00:00:000917"  # reports (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "platform: archive exports withdrawn after an erasure (reports)"

SQL = r"""
ALTER TABLE tenant_export DROP CONSTRAINT tenant_export_status_check;
ALTER TABLE tenant_export ADD CONSTRAINT tenant_export_status_check
  CHECK (status IN ('queued', 'running', 'done', 'failed', 'withdrawn'));
ALTER TABLE tenant_export ADD COLUMN withdrawn_at timestamptz;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
