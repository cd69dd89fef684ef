"""Beneficiary files and consents (migrations/beneficiaries). Personal data: tenant scope only."""
from __future__ import annotations

from piccolo.columns import JSONB, UUID, Bytea, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class Beneficiary(Table, tablename="beneficiary", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    id_number_enc = Bytea()
    id_hash = Varchar(length=64)
    id_last4 = Varchar(length=4)
    id_kind = Varchar(length=10)
    name = Text()
    name_key = Text(default="")  # sila.platform.search.name_key(name)
    mobile = Varchar(length=20)
    email = Varchar(length=254, default="")
    preferred_channel = Varchar(length=20, default="sms")
    preferred_language = Varchar(length=5, default="ar")
    city = Text(default="")
    category = Varchar(length=40, default="")
    household_size = Integer(null=True, default=None)
    details = JSONB(default={})
    registered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # The person's rights (migration 2026-12-03T09:40:00, sila.tenants.beneficiaries.rights).
    restricted_at = Timestamptz(null=True, default=None)
    restricted_reason = Text(default="")
    consent_withdrawn_at = Timestamptz(null=True, default=None)
    consent_withdrawn_channel = Varchar(length=20, default="")
    erased_at = Timestamptz(null=True, default=None)


class BeneficiaryConsent(Table, tablename="beneficiary_consent", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    beneficiary = UUID()
    purpose = Varchar(length=40)
    form = Varchar(length=40)
    policy_version_number = Integer(null=True, default=None)
    text = Text()
    channel = Text(default="")
    given_at = Timestamptz()
    recorded_by = ForeignKey(StaffUser, null=True, default=None)
    address = Varchar(length=64, default="")


class BeneficiaryRightsRequest(Table, tablename="beneficiary_rights_request", db=DB):
    """A request the person made under the Personal Data Protection Law, and the 30-day clock."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    beneficiary = UUID()
    kind = Varchar(length=20)
    channel = Varchar(length=20)
    received_on = Date()
    due_on = Date()
    note = Text(default="")
    status = Varchar(length=10, default="open")
    outcome = Text(default="")
    recorded_by = ForeignKey(StaffUser, null=True, default=None)
    recorded_at = Timestamptz()
    closed_by = ForeignKey(StaffUser, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class BeneficiaryImport(Table, tablename="beneficiary_import", db=DB):
    """An uploaded file of existing beneficiaries, its mapping, and its run (sila.tenants.beneficiaries.imports)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    file_name = Text()
    file_format = Varchar(length=4)
    encoding = Varchar(length=12, default="")
    content = Bytea()
    size_bytes = Integer()
    sha256 = Varchar(length=64)
    headers = JSONB(default=[])
    mapping = JSONB(default={})
    language = Varchar(length=5, default="ar")
    status = Varchar(length=10, default="mapping")
    rows_estimate = Integer(default=0)
    rows_done = Integer(default=0)
    imported = Integer(default=0)
    existing = Integer(default=0)
    rejected = Integer(default=0)
    error = Text(default="")
    uploaded_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    kind = Varchar(length=13, default="beneficiaries")  # or "past_requests" (imports.KINDS)
    files_created = Integer(default=0)  # past requests: files opened for applicants Sila did not know


class BeneficiaryImportRejection(Table, tablename="beneficiary_import_rejection", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    import_ = UUID(db_column_name="import")
    row_number = Integer()
    cells = JSONB()
    problems = Text()
