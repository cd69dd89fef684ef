"""Staff offboarding: invitations carry several roles; a member can be deactivated in one tenant."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-25T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "platform: multi-role invitations, per-tenant member deactivation"

SQL = r"""
-- One invitation may give several roles: `role` becomes `roles`, existing invitations kept.
ALTER TABLE auth_token ADD COLUMN roles varchar(30)[] NOT NULL DEFAULT '{}';
UPDATE auth_token SET roles = ARRAY[role] WHERE role IS NOT NULL;
ALTER TABLE auth_token DROP COLUMN role;
ALTER TABLE auth_token
  ADD CONSTRAINT auth_token_roles_known
    CHECK (roles <@ ARRAY['admin', 'relations_officer', 'social_researcher', 'committee_member']::varchar(30)[]),
  ADD CONSTRAINT auth_token_invite_has_roles CHECK (purpose <> 'invite' OR cardinality(roles) > 0);

-- A member deactivated in this tenant: their membership rows are gone (so every query that
-- reads `membership` — sign-in, guards, assignment lists, reminders — leaves them out with no
-- change), and the roles they held are kept here, so an admin can reactivate them as they were.
-- The platform-wide staff_user is untouched: they still work for their other tenants.
CREATE TABLE member_deactivation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  "user" uuid NOT NULL REFERENCES staff_user(id) ON DELETE CASCADE,
  roles varchar(30)[] NOT NULL
    CHECK (cardinality(roles) > 0
           AND roles <@ ARRAY['admin', 'relations_officer', 'social_researcher', 'committee_member']::varchar(30)[]),
  deactivated_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, "user")
);
CREATE INDEX member_deactivation_tenant ON member_deactivation(tenant);
CREATE INDEX member_deactivation_user ON member_deactivation("user");
SELECT sila_protect_tenant_table('member_deactivation', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="platform", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
