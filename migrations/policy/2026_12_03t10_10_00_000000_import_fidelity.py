"""policy (import): represent every real policy. The supervising authority may be the ministry
(MHRSD, still printed by charities registered before the National Center) or another authority
named in free text; the registration number is kept as printed (its own digits, hyphens)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T10:10:00:000616"  # import (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "policy: more regulators, registration number as printed, versions without board approval"

SQL = r"""
ALTER TABLE tenant_profile DROP CONSTRAINT IF EXISTS tenant_profile_regulator_check;
ALTER TABLE tenant_profile ADD CONSTRAINT tenant_profile_regulator_check
  CHECK (regulator IN ('ncnp', 'awqaf', 'mhrsd', 'other'));
ALTER TABLE tenant_profile ADD COLUMN regulator_other text NOT NULL DEFAULT ''
  CHECK (length(regulator_other) <= 200);
ALTER TABLE tenant_profile ALTER COLUMN licence_number TYPE varchar(40);
-- A policy whose document records no board approval may be published once the admin says so
-- explicitly (policy.published in the audit says who); its page and PDF then say plainly that
-- no approval is recorded. An approval recorded later is published as a new version: a
-- published version never changes (sila_refuse_change).
ALTER TABLE policy_version ALTER COLUMN approval DROP NOT NULL;
ALTER TABLE policy_version ALTER COLUMN approved_on DROP NOT NULL;
ALTER TABLE policy_version ADD CONSTRAINT policy_version_approval_and_day
  CHECK ((approval IS NULL) = (approved_on IS NULL));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="policy", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
