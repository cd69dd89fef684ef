"""requests: the paused clock and appeals (issue 14).

- `request_pause`: one row per stretch a request waited for the applicant (the `incomplete`
  sub-state): when it began and ended, what staff said was missing, and what the applicant sent
  back when they completed it from the tracking page. The review window stops for these stretches.
- `support_request.base_due_at`: the due date before any pause (the promise at submission, or at
  an appeal); `due_at` stays the due date in force, written only by requests/clock.py, so every
  reader (queue filters, reminders, pages) sees the shifted date. `paused_days`: the days counted
  as paused (in the window's basis) when `due_at` was last written.
- `request_appeal` (تظلم): at most one per request (UNIQUE), with the decision appealed and the
  committee's new decision; `support_request.appealed_at` is the flag the agenda reads.
"""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:00:00:000514"  # window (the file name says whose)
VERSION = "1.38.0"
DESCRIPTION = "requests: clock pauses while incomplete, appeals"

SQL = r"""
ALTER TABLE support_request ADD COLUMN base_due_at timestamptz,
  ADD COLUMN paused_days integer NOT NULL DEFAULT 0 CHECK (paused_days BETWEEN 0 AND 100000),
  ADD COLUMN appealed_at timestamptz;
UPDATE support_request SET base_due_at = due_at;

CREATE TABLE request_pause (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  request uuid NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  missing jsonb NOT NULL DEFAULT '[]'::jsonb,
  note text NOT NULL DEFAULT '',
  reply text NOT NULL DEFAULT '' CHECK (length(reply) <= 4000),
  ended_by varchar(12) CHECK (ended_by IN ('applicant', 'staff')),
  started_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  CHECK (ended_at IS NULL OR ended_at >= started_at),
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE
);
CREATE INDEX request_pause_tenant ON request_pause(tenant, request, started_at);
-- One open pause per request at most: the clock is either running or stopped.
CREATE UNIQUE INDEX request_pause_open ON request_pause(tenant, request) WHERE ended_at IS NULL;
SELECT sila_protect_tenant_table('request_pause', false);

CREATE TABLE request_appeal (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  request uuid NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 4000),
  filed_at timestamptz NOT NULL DEFAULT now(),
  address varchar(64) NOT NULL DEFAULT '',
  original_decision varchar(10) NOT NULL,
  original_reason text NOT NULL DEFAULT '',
  original_decided_at timestamptz,
  decision varchar(10) CHECK (decision IN ('accepted', 'rejected')),
  decision_reason text NOT NULL DEFAULT '',
  decided_at timestamptz,
  UNIQUE (tenant, id),
  UNIQUE (tenant, request),  -- once
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE
);
SELECT sila_protect_tenant_table('request_appeal', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
