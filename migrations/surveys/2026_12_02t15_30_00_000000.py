"""Anonymous survey answers can no longer be joined to the person who gave them.

A response stored `submitted_at` to the microsecond and the invitation `answered_at` with the
same `now()`, so `join ... on r.submitted_at = i.answered_at` named the person (and gave their
mobile) behind every "anonymous" answer. Now a response keeps only its Riyadh calendar day
(`submitted_on`), and an invitation answered anonymously keeps only that it was answered
(`answered`), with no time at all; a named answer still has its invitation's `answered_at`.
Existing rows are coarsened the same way.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "surveys: anonymous responses share no time with their invitation"

SQL = r"""
ALTER TABLE survey_response ADD COLUMN submitted_on date;
UPDATE survey_response SET submitted_on = (submitted_at AT TIME ZONE 'Asia/Riyadh')::date;
ALTER TABLE survey_response ALTER COLUMN submitted_on SET NOT NULL,
  ALTER COLUMN submitted_on SET DEFAULT ((now() AT TIME ZONE 'Asia/Riyadh')::date);
DROP INDEX survey_response_results;
ALTER TABLE survey_response DROP COLUMN submitted_at;
CREATE INDEX survey_response_results ON survey_response(tenant, survey, submitted_on);

ALTER TABLE survey_invitation ADD COLUMN answered boolean NOT NULL DEFAULT false;
UPDATE survey_invitation SET answered = true WHERE answered_at IS NOT NULL;
-- Answered, but no response names this invitation: it was answered anonymously.
UPDATE survey_invitation i SET answered_at = NULL
  WHERE answered AND NOT EXISTS (SELECT 1 FROM survey_response r WHERE r.tenant = i.tenant AND r.invitation = i.id);
ALTER TABLE survey_invitation ADD CONSTRAINT survey_invitation_answered_at CHECK (answered OR answered_at IS NULL);
DROP INDEX survey_invitation_open;
CREATE INDEX survey_invitation_open ON survey_invitation(tenant, sent_at) WHERE NOT answered;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="surveys", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
