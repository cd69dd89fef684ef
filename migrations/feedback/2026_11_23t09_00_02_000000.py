"""Suggestions and complaints from the public form (and follow-ups opened by low survey scores)."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T09:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "feedback: suggestions, complaints and survey follow-ups"

# Personal data (the applicant's words and contact): no platform_access.
SQL = r"""
CREATE TABLE feedback (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  reference varchar(20) NOT NULL,
  kind varchar(20) NOT NULL CHECK (kind IN ('suggestion', 'complaint', 'followup')),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  name text NOT NULL DEFAULT '',
  mobile varchar(20) NOT NULL DEFAULT '',
  email varchar(254) NOT NULL DEFAULT '',
  contact_channel varchar(20) NOT NULL DEFAULT 'sms' CHECK (contact_channel IN ('sms', 'whatsapp', 'email')),
  language varchar(5) NOT NULL DEFAULT 'ar' CHECK (language IN ('ar', 'en')),
  survey_response uuid,                     -- the answers that opened a follow-up
  status varchar(20) NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'assigned', 'answered', 'closed')),
  assignee uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  answer text NOT NULL DEFAULT '',
  answered_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  answered_at timestamptz,
  close_note text NOT NULL DEFAULT '',
  closed_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  closed_at timestamptz,
  submit_token varchar(64),                 -- an idempotent public submission
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, reference),
  UNIQUE (tenant, submit_token),
  UNIQUE (tenant, id)
);
CREATE INDEX feedback_queue ON feedback(tenant, status, created_at);
SELECT sila_protect_tenant_table('feedback', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feedback", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
