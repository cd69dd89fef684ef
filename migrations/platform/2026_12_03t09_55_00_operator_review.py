"""The operator's review of a sign-up, and sign-ins that are true per tenant (issue 15).

- `tenant.info_requested_at`: the operator asked a pending tenant for more information (the
  question is `status_reason`); `info_reply` / `info_replied_at`: the admin's answer.
- `tenant.policy_number` / `policy_published_at`: the latest published policy version, kept by a
  trigger on policy_version (policy app), so the console lists it without opening 1,000 scopes.
- `membership.last_signed_in_at`: when the member last signed in to *this* tenant. The account's
  `staff_user.last_login_at` is platform-wide (one person may work for two charities) and was only
  written by the password form, so the console's "last staff sign-in" was neither per tenant nor
  complete."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T09:55:00:000015"
VERSION = "1.38.0"
DESCRIPTION = "platform: operator review of sign-ups, published policy summary, per-tenant sign-ins"

SQL = r"""
ALTER TABLE tenant ADD COLUMN info_requested_at timestamptz,
  ADD COLUMN info_reply text NOT NULL DEFAULT '',
  ADD COLUMN info_replied_at timestamptz,
  ADD COLUMN policy_number integer,
  ADD COLUMN policy_published_at timestamptz;
ALTER TABLE membership ADD COLUMN last_signed_in_at timestamptz;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
