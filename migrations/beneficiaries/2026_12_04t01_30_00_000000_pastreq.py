"""Bulk import of past support requests (issue 18, pastreq): an import says what it brings in
(`kind`: beneficiaries, or a charity's past requests), and a past-requests import counts the
beneficiary files it had to open for applicants Sila did not know yet (`files_created`)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T01:30:00:000000"  # pastreq (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "beneficiaries: imports of two kinds (pastreq)"

SQL = r"""
ALTER TABLE beneficiary_import
  ADD COLUMN kind varchar(13) NOT NULL DEFAULT 'beneficiaries' CHECK (kind IN ('beneficiaries', 'past_requests')),
  ADD COLUMN files_created integer NOT NULL DEFAULT 0;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="beneficiaries", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
