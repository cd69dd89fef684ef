"""Satisfaction surveys: versioned questions, settings, invitations with hashed single-use tokens,
campaigns, responses and their answers."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "surveys: surveys, versions, settings, campaigns, invitations, responses, answers"

SQL = r"""
CREATE TABLE survey (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  title_ar text NOT NULL CHECK (length(title_ar) BETWEEN 1 AND 200),
  title_en text NOT NULL DEFAULT '',
  intro_ar text NOT NULL DEFAULT '',
  intro_en text NOT NULL DEFAULT '',
  anonymous_allowed boolean NOT NULL DEFAULT true,
  is_active boolean NOT NULL DEFAULT false,     -- the one sent after each service
  current_version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, id)
);
CREATE INDEX survey_tenant ON survey(tenant);
CREATE UNIQUE INDEX survey_one_active ON survey(tenant) WHERE is_active;
SELECT sila_protect_tenant_table('survey', false);

-- Questions are frozen per version once answered: editing an answered survey makes a new one.
CREATE TABLE survey_version (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  survey uuid NOT NULL,
  number integer NOT NULL CHECK (number >= 1),
  questions jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, survey, number),
  FOREIGN KEY (tenant, survey) REFERENCES survey(tenant, id) ON DELETE CASCADE
);
SELECT sila_protect_tenant_table('survey_version', false);

CREATE TABLE survey_settings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  auto_send boolean NOT NULL DEFAULT true,
  delay_days integer NOT NULL DEFAULT 2 CHECK (delay_days BETWEEN 0 AND 60),
  reminder_days integer NOT NULL DEFAULT 3 CHECK (reminder_days BETWEEN 1 AND 30),
  min_staff_answers integer NOT NULL DEFAULT 5 CHECK (min_staff_answers BETWEEN 3 AND 100),
  low_rating integer NOT NULL DEFAULT 2 CHECK (low_rating BETWEEN 1 AND 4),
  low_nps integer NOT NULL DEFAULT 4 CHECK (low_nps BETWEEN 0 AND 9),
  auto_since timestamptz NOT NULL DEFAULT now(),  -- services before this are not surveyed automatically
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant)
);
SELECT sila_protect_tenant_table('survey_settings', false);

-- A campaign holds no personal data, so the beat may find running ones across tenants.
CREATE TABLE survey_campaign (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  survey uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  service_type text NOT NULL DEFAULT '',        -- '' = every service
  period_from date NOT NULL,
  period_to date NOT NULL CHECK (period_to >= period_from),
  status varchar(10) NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'paused', 'done')),
  total integer NOT NULL DEFAULT 0,
  invited integer NOT NULL DEFAULT 0,
  cursor uuid,                                  -- the last beneficiary invited (ids ascending)
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, survey) REFERENCES survey(tenant, id) ON DELETE CASCADE
);
CREATE INDEX survey_campaign_running ON survey_campaign(tenant, status);
SELECT sila_protect_tenant_table('survey_campaign', true);

-- The link's token is never stored: only its SHA-256. It is derived again (keyed HMAC of the
-- tenant and invitation id) when the one reminder is sent.
CREATE TABLE survey_invitation (
  id uuid PRIMARY KEY,
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  survey uuid NOT NULL,
  beneficiary uuid NOT NULL,
  request uuid,
  service_delivery uuid,
  campaign uuid,
  service_type text NOT NULL DEFAULT '',
  intake_channel text NOT NULL DEFAULT '',
  staff uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  channel varchar(20) NOT NULL,
  language varchar(5) NOT NULL DEFAULT 'ar',
  mobile varchar(20) NOT NULL DEFAULT '',
  email varchar(254) NOT NULL DEFAULT '',
  token_hash char(64) NOT NULL,
  outbox uuid,
  reminder_outbox uuid,
  sent_at timestamptz NOT NULL DEFAULT now(),
  reminded_at timestamptz,
  answered_at timestamptz,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, token_hash),
  UNIQUE (tenant, service_delivery),
  UNIQUE (tenant, campaign, beneficiary),
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, survey) REFERENCES survey(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, beneficiary) REFERENCES beneficiary(tenant, id) ON DELETE CASCADE
);
CREATE INDEX survey_invitation_open ON survey_invitation(tenant, sent_at) WHERE answered_at IS NULL;
CREATE INDEX survey_invitation_beneficiary ON survey_invitation(tenant, beneficiary, created_at);
SELECT sila_protect_tenant_table('survey_invitation', false);

-- An anonymous response keeps no link to the person or the invitation.
CREATE TABLE survey_response (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  survey uuid NOT NULL,
  version integer NOT NULL,
  invitation uuid,
  beneficiary uuid,
  anonymous boolean NOT NULL DEFAULT false,
  service_type text NOT NULL DEFAULT '',
  intake_channel text NOT NULL DEFAULT '',
  staff uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  campaign uuid,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, id),
  UNIQUE (tenant, invitation),
  FOREIGN KEY (tenant, survey, version) REFERENCES survey_version(tenant, survey, number) ON DELETE CASCADE,
  FOREIGN KEY (tenant, beneficiary) REFERENCES beneficiary(tenant, id) ON DELETE SET NULL (beneficiary)
);
CREATE INDEX survey_response_results ON survey_response(tenant, survey, submitted_at);
SELECT sila_protect_tenant_table('survey_response', false);

CREATE TABLE survey_answer (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  response uuid NOT NULL,
  question varchar(40) NOT NULL,
  qtype varchar(10) NOT NULL CHECK (qtype IN ('rating', 'nps', 'choice', 'text')),
  score integer,                                -- rating 1-5, nps 0-10, choice: option index
  text text NOT NULL DEFAULT '',
  UNIQUE (tenant, response, question),
  FOREIGN KEY (tenant, response) REFERENCES survey_response(tenant, id) ON DELETE CASCADE
);
SELECT sila_protect_tenant_table('survey_answer', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="surveys", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
