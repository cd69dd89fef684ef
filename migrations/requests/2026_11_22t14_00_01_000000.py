"""Support requests and their workflow: documents, verification, attestation, referral,
research-committee sessions with votes, services delivered."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T14:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "requests: support requests, workflow records, committee sessions"

# Composite foreign keys (tenant, x) -> parent(tenant, id) everywhere: a row can only point
# at its own tenant's rows, whatever the application does. No platform_access anywhere.
SQL = r"""
CREATE TABLE support_request (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  reference varchar(20) NOT NULL,
  beneficiary uuid NOT NULL,
  channel text NOT NULL,                      -- catalogue code, or "own:<name>" for the tenant's own
  channel_label text NOT NULL,
  -- The policy version in force at submission, and what the workflow needs from it, copied
  -- so the promise made then (steps, window) never changes afterwards.
  policy_version_number integer NOT NULL,
  steps text[] NOT NULL,
  review_window_days integer CHECK (review_window_days BETWEEN 1 AND 365),
  stage varchar(20) NOT NULL CHECK (stage IN ('verify', 'incomplete', 'refer', 'research', 'attest',
                                               'committee', 'register', 'deliver', 'closed', 'rejected')),
  satisfied text[] NOT NULL DEFAULT '{}',     -- steps already done at intake (e.g. attest online)
  need text NOT NULL,
  -- How to reach the applicant about THIS request. An online form must not change an
  -- existing file's contact details (anyone can type someone's ID number), so what the
  -- applicant gave is kept here and used for this request's messages and tracking codes.
  contact_name text NOT NULL,
  contact_mobile varchar(20) NOT NULL,
  contact_email varchar(254) NOT NULL DEFAULT '',
  contact_channel varchar(20) NOT NULL DEFAULT 'sms' CHECK (contact_channel IN ('sms', 'whatsapp', 'email')),
  contact_language varchar(5) NOT NULL DEFAULT 'ar' CHECK (contact_language IN ('ar', 'en')),
  missing jsonb NOT NULL DEFAULT '[]',
  submitted_at timestamptz NOT NULL DEFAULT now(),
  due_at timestamptz,                         -- decision due: submitted + review window
  assignee uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  researcher uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  decision varchar(10) CHECK (decision IN ('accepted', 'rejected')),
  decision_reason text NOT NULL DEFAULT '',
  decided_at timestamptz,
  closed_at timestamptz,
  interview_url text NOT NULL DEFAULT '',
  interview_at timestamptz,
  submit_token varchar(64),                   -- idempotent online submission
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, reference),
  UNIQUE (tenant, submit_token),
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, beneficiary) REFERENCES beneficiary(tenant, id),
  FOREIGN KEY (tenant, policy_version_number) REFERENCES policy_version(tenant, number)
);
CREATE INDEX support_request_queue ON support_request(tenant, stage, due_at);
CREATE INDEX support_request_beneficiary ON support_request(tenant, beneficiary);
SELECT sila_protect_tenant_table('support_request', false);

CREATE TABLE request_document (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  request uuid NOT NULL,
  kind varchar(20) NOT NULL CHECK (kind IN ('supporting', 'letter_scan', 'attestation', 'field_visit')),
  filename text NOT NULL,
  content_type varchar(100) NOT NULL,
  size integer NOT NULL CHECK (size > 0),
  sha256 char(64) NOT NULL,
  content bytea NOT NULL,
  uploaded_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE
);
CREATE INDEX request_document_tenant ON request_document(tenant, request);
SELECT sila_protect_tenant_table('request_document', false);

-- One row per verification pass: the checklist, who, when, and what was missing.
CREATE TABLE request_verification (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  request uuid NOT NULL,
  outcome varchar(12) NOT NULL CHECK (outcome IN ('verified', 'incomplete')),
  checklist jsonb NOT NULL,
  missing jsonb NOT NULL DEFAULT '[]',
  note text NOT NULL DEFAULT '',
  verified_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  verified_by_name text NOT NULL DEFAULT '',
  verified_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE
);
CREATE INDEX request_verification_tenant ON request_verification(tenant, request);
SELECT sila_protect_tenant_table('request_verification', false);

-- The applicant's declaration: an e-signature (typed name, time, address, exact form text
-- and policy version) or, for staff-recorded requests, the signed paper's scan.
CREATE TABLE request_attestation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  request uuid NOT NULL,
  method varchar(10) NOT NULL CHECK (method IN ('esign', 'paper')),
  signer_name text NOT NULL,
  signed_at timestamptz NOT NULL DEFAULT now(),
  address varchar(64) NOT NULL DEFAULT '',
  user_agent text NOT NULL DEFAULT '',
  policy_version_number integer NOT NULL,
  form_text text NOT NULL,
  text_sha256 char(64) NOT NULL,
  document uuid,
  recorded_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  UNIQUE (tenant, request),
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, document) REFERENCES request_document(tenant, id)
);
SELECT sila_protect_tenant_table('request_attestation', false);

CREATE TABLE request_referral (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  request uuid NOT NULL,
  researcher uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  question text NOT NULL,
  referred_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  referred_at timestamptz NOT NULL DEFAULT now(),
  notes text NOT NULL DEFAULT '',
  visit_date date,
  visit_report text NOT NULL DEFAULT '',
  answered_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  answered_at timestamptz,
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE
);
CREATE INDEX request_referral_tenant ON request_referral(tenant, request);
SELECT sila_protect_tenant_table('request_referral', false);

CREATE TABLE committee_session (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  number integer NOT NULL CHECK (number >= 1),
  held_at timestamptz NOT NULL,
  location text NOT NULL DEFAULT '',
  status varchar(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  created_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  closed_at timestamptz,
  UNIQUE (tenant, number),
  UNIQUE (tenant, id)
);
SELECT sila_protect_tenant_table('committee_session', false);

CREATE TABLE committee_item (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  session uuid NOT NULL,
  request uuid NOT NULL,
  position integer NOT NULL,
  decision varchar(10) CHECK (decision IN ('accepted', 'rejected')),
  reason text NOT NULL DEFAULT '',
  decided_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  decided_at timestamptz,
  UNIQUE (tenant, session, request),
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, session) REFERENCES committee_session(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE
);
-- A request waits on at most one agenda at a time.
CREATE UNIQUE INDEX committee_item_pending ON committee_item(tenant, request) WHERE decision IS NULL;
SELECT sila_protect_tenant_table('committee_item', false);

CREATE TABLE committee_vote (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  item uuid NOT NULL,
  member uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  member_name text NOT NULL,
  vote varchar(10) NOT NULL CHECK (vote IN ('accept', 'reject', 'abstain')),
  reasons text NOT NULL DEFAULT '',
  cast_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant, item, member),
  FOREIGN KEY (tenant, item) REFERENCES committee_item(tenant, id) ON DELETE CASCADE
);
SELECT sila_protect_tenant_table('committee_vote', false);

CREATE TABLE service_delivery (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  request uuid NOT NULL,
  beneficiary uuid NOT NULL,
  service_type text NOT NULL,
  delivered_on date NOT NULL,
  amount numeric(12, 2) CHECK (amount >= 0),
  description text NOT NULL DEFAULT '',
  delivered_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  delivered_by_name text NOT NULL DEFAULT '',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant, request) REFERENCES support_request(tenant, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant, beneficiary) REFERENCES beneficiary(tenant, id) ON DELETE CASCADE
);
CREATE INDEX service_delivery_tenant ON service_delivery(tenant, beneficiary);
SELECT sila_protect_tenant_table('service_delivery', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="requests", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
