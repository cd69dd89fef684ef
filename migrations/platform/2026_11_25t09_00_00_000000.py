"""Sign-up confirms the admin's email before any account exists: a `signup` link that carries
what the wizard was given (the name and the password's hash) until the address is proven."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-25T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "platform: email confirmation of sign-up (auth_token purpose 'signup', its pending account)"

SQL = r"""
ALTER TABLE auth_token DROP CONSTRAINT IF EXISTS auth_token_purpose_check;
ALTER TABLE auth_token ADD CONSTRAINT auth_token_purpose_check
  CHECK (purpose IN ('invite', 'reset', 'signup'));
-- Only for purpose 'signup': {"name": ..., "password_hash": ...}, cleared when the link is used.
ALTER TABLE auth_token ADD COLUMN signup jsonb;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
