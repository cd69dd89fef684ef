"""requests (fields): the answers to the charity's own questions on its support-request form
(issue 16). `support_request.custom_answers` holds them as submitted, keyed by the question's key in
the policy version the request pins (`policy_version_number`), so a later version that changes the
questions never rewrites them. A file answer is a request document of kind `custom_field` (the
answer names it); RLS on both tables is unchanged (they are already protected)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:00:00:000616"  # fields (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "requests: answers to the charity's own form questions"

SQL = r"""
ALTER TABLE support_request ADD COLUMN custom_answers jsonb NOT NULL DEFAULT '{}'
  CHECK (jsonb_typeof(custom_answers) = 'object');
ALTER TABLE request_document DROP CONSTRAINT IF EXISTS request_document_kind_check;
ALTER TABLE request_document ADD CONSTRAINT request_document_kind_check
  CHECK (kind IN ('supporting', 'letter_scan', 'attestation', 'field_visit', 'custom_field'));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
