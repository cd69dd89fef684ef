"""A person's rights under the Personal Data Protection Law (issue 17): the requests they make
(access, correction, restriction, erasure) with the law's 30-day clock, the processing
restriction and the consent withdrawal on their file, and the mark an erasure leaves."""
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T09:40:00:000017"
VERSION = "1.38.0"
DESCRIPTION = "beneficiaries: data-subject rights (rights)"

SQL = r"""
ALTER TABLE beneficiary
  ADD COLUMN restricted_at timestamptz,               -- processing restricted: no requests worked, no messages
  ADD COLUMN restricted_reason text NOT NULL DEFAULT '' CHECK (length(restricted_reason) <= 1000),
  ADD COLUMN consent_withdrawn_at timestamptz,        -- no surveys and no non-essential messages
  ADD COLUMN consent_withdrawn_channel varchar(20) NOT NULL DEFAULT '',
  ADD COLUMN erased_at timestamptz;                   -- personal data erased, the records kept anonymised

-- What the person asked for, when, and by when the law says the charity must answer (30 days).
CREATE TABLE beneficiary_rights_request (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant uuid NOT NULL REFERENCES tenant(id) ON DELETE CASCADE,
  beneficiary uuid NOT NULL,
  kind varchar(20) NOT NULL CHECK (kind IN ('access', 'correction', 'restriction', 'erasure')),
  channel varchar(20) NOT NULL CHECK (channel IN ('in_person', 'phone', 'letter', 'email', 'other')),
  received_on date NOT NULL,
  due_on date NOT NULL CHECK (due_on >= received_on),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  status varchar(10) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'refused')),
  outcome text NOT NULL DEFAULT '' CHECK (length(outcome) <= 2000),
  recorded_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  closed_by uuid REFERENCES staff_user(id) ON DELETE SET NULL,
  closed_at timestamptz,
  UNIQUE (tenant, id),
  FOREIGN KEY (tenant, beneficiary) REFERENCES beneficiary(tenant, id) ON DELETE CASCADE
);
CREATE INDEX beneficiary_rights_request_tenant ON beneficiary_rights_request(tenant, beneficiary);
CREATE INDEX beneficiary_rights_request_open ON beneficiary_rights_request(tenant, due_on) WHERE status = 'open';
SELECT sila_protect_tenant_table('beneficiary_rights_request', false);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="beneficiaries", description=DESCRIPTION)

    async def run():
        from sila.platform.migrate import execute

        await execute(SQL)

    manager.add_raw(run)
    return manager
