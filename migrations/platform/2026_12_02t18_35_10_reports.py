"""A board-member role: reads the indicators dashboard, sees no personal data (issue 17)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T18:35:10:000017"
VERSION = "1.38.0"
DESCRIPTION = "platform: board_member role"

SQL = r"""
ALTER TABLE membership DROP CONSTRAINT membership_role_check;
ALTER TABLE membership ADD CONSTRAINT membership_role_check
  CHECK (role IN ('admin', 'relations_officer', 'social_researcher', 'committee_member', 'board_member'));
ALTER TABLE auth_token DROP CONSTRAINT auth_token_roles_known;
ALTER TABLE auth_token ADD CONSTRAINT auth_token_roles_known
  CHECK (roles <@ ARRAY['admin', 'relations_officer', 'social_researcher', 'committee_member',
                        'board_member']::varchar(30)[]);
ALTER TABLE member_deactivation DROP CONSTRAINT member_deactivation_roles_check;
ALTER TABLE member_deactivation ADD CONSTRAINT member_deactivation_roles_check
  CHECK (cardinality(roles) > 0
         AND roles <@ ARRAY['admin', 'relations_officer', 'social_researcher', 'committee_member',
                            'board_member']::varchar(30)[]);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
