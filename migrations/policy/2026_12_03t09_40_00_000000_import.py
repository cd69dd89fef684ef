"""policy (import): the charity's own policy document, uploaded or pasted to propose a draft,
is kept as a document of purpose 'import' (a published version may offer it for download)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T09:40:00:000616"  # import (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "policy: documents imported as the source of a draft"

SQL = r"""
ALTER TABLE document DROP CONSTRAINT IF EXISTS document_purpose_check;
ALTER TABLE document ADD CONSTRAINT document_purpose_check
  CHECK (purpose IN ('logo', 'tool', 'minutes', 'import'));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="policy", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
