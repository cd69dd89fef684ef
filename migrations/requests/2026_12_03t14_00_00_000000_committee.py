"""requests: the committee decides by its rule. A session keeps the rule of the policy version in
force when it was opened; attendance per member; an agenda item has a kind (a request today, an
appeal later), may be deferred, and keeps the tally its decision was confirmed on; a member may
declare a conflict of interest (a vote row of kind 'conflict', not counted); each member signs the
minutes of a closed session (who, when, and the SHA-256 of the minutes signed).

Once a session is closed its minutes are immutable: a trigger refuses new or changed items, votes
and attendance of a closed session, whatever code path tries."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:00:00:000000-committee"
VERSION = "1.38.0"
DESCRIPTION = "requests: committee rule, attendance, conflicts, deferral, signed minutes"

SQL = r"""
ALTER TABLE committee_session ADD COLUMN rule jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN policy_version_number integer;

ALTER TABLE committee_item ADD COLUMN kind varchar(10) NOT NULL DEFAULT 'request'
    CHECK (kind IN ('request', 'appeal')),
  ADD COLUMN tally jsonb;
ALTER TABLE committee_item DROP CONSTRAINT committee_item_decision_check;
ALTER TABLE committee_item ADD CONSTRAINT committee_item_decision_check
  CHECK (decision IN ('accepted', 'rejected', 'deferred'));

ALTER TABLE committee_vote DROP CONSTRAINT committee_vote_vote_check;
ALTER TABLE committee_vote ADD CONSTRAINT committee_vote_vote_check
  CHECK (vote IN ('accept', 'reject', 'abstain', 'conflict'));

CREATE TABLE committee_attendance (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  session uuid NOT NULL,
  member uuid NOT NULL REFERENCES staff_user(id) ON DELETE CASCADE,
  member_name text NOT NULL DEFAULT '',
  present boolean NOT NULL,
  recorded_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, session, member),
  FOREIGN KEY (tenant, session) REFERENCES committee_session(tenant, id) ON DELETE CASCADE
);
CREATE INDEX committee_attendance_tenant ON committee_attendance(tenant);
SELECT sila_protect_tenant_table('committee_attendance', false);

CREATE TABLE committee_signature (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  session uuid NOT NULL,
  member uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  member_name text NOT NULL,
  signed_at timestamptz NOT NULL DEFAULT now(),
  minutes_sha256 varchar(64) NOT NULL,
  address varchar(64) NOT NULL DEFAULT '',
  UNIQUE (tenant, session, member),
  FOREIGN KEY (tenant, session) REFERENCES committee_session(tenant, id) ON DELETE CASCADE
);
CREATE INDEX committee_signature_tenant ON committee_signature(tenant);
SELECT sila_protect_tenant_table('committee_signature', false);

CREATE OR REPLACE FUNCTION committee_minutes_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sid uuid;
BEGIN
  IF TG_TABLE_NAME = 'committee_vote' THEN
    SELECT session INTO sid FROM committee_item WHERE id = NEW.item;
  ELSE
    sid := NEW.session;
  END IF;
  IF EXISTS (SELECT 1 FROM committee_session WHERE id = sid AND status = 'closed') THEN
    RAISE EXCEPTION 'the minutes of a closed committee session cannot change' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER committee_item_frozen BEFORE INSERT OR UPDATE ON committee_item
  FOR EACH ROW EXECUTE FUNCTION committee_minutes_frozen();
CREATE TRIGGER committee_vote_frozen BEFORE INSERT OR UPDATE ON committee_vote
  FOR EACH ROW EXECUTE FUNCTION committee_minutes_frozen();
CREATE TRIGGER committee_attendance_frozen BEFORE INSERT OR UPDATE ON committee_attendance
  FOR EACH ROW EXECUTE FUNCTION committee_minutes_frozen();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
