"""requests: `review_window_basis`, whether the request's window counts calendar or working days
(from the policy version it was submitted under), and `stage_since`, when a request reached its current stage, kept by a trigger (so every
code path that moves a request keeps it, however the workflow code is arranged). Per-step targets
(verification in N days, research in N days) count from it."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T18:45:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "requests: window basis, and stage_since for per-step targets"

SQL = r"""
ALTER TABLE support_request ADD COLUMN review_window_basis varchar(10) NOT NULL DEFAULT 'calendar'
  CHECK (review_window_basis IN ('calendar', 'working'));
ALTER TABLE support_request ADD COLUMN stage_since timestamptz;
UPDATE support_request SET stage_since = updated_at;
ALTER TABLE support_request ALTER COLUMN stage_since SET NOT NULL,
  ALTER COLUMN stage_since SET DEFAULT now();

CREATE OR REPLACE FUNCTION support_request_stage_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.stage_since := coalesce(NEW.submitted_at, now());
  ELSIF NEW.stage IS DISTINCT FROM OLD.stage AND NEW.stage_since IS NOT DISTINCT FROM OLD.stage_since THEN
    NEW.stage_since := now();  -- a move that does not say when: now (an explicit value is kept)
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER support_request_stage_since BEFORE INSERT OR UPDATE ON support_request
  FOR EACH ROW EXECUTE FUNCTION support_request_stage_since();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
