"""Past support requests imported from a charity's spreadsheet (issue 18, pastreq).

- `imported_from`: the import (beneficiary_import, kind past_requests) a request came from; NULL
  for every request made in Sila. It is what marks a request as historical: no review window
  (`due_at` stays NULL), so it is never overdue nor decided late, and no message is sent for it.
- `import_key`: the keyed hash of (ID number, day submitted, kind of support) the duplicate check
  uses: the same past request imported twice, from one file or two, is refused by this index."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T01:30:01:000000"  # pastreq (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "requests: imported past requests (pastreq)"

SQL = r"""
ALTER TABLE support_request ADD COLUMN imported_from uuid, ADD COLUMN import_key varchar(64),
  ADD CONSTRAINT support_request_imported_from FOREIGN KEY (tenant, imported_from)
    REFERENCES beneficiary_import(tenant, id),
  ADD CONSTRAINT support_request_import_key CHECK ((imported_from IS NULL) = (import_key IS NULL));
CREATE UNIQUE INDEX support_request_import_key_unique ON support_request(tenant, import_key)
  WHERE import_key IS NOT NULL;
CREATE INDEX support_request_imported_from ON support_request(tenant, imported_from)
  WHERE imported_from IS NOT NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
