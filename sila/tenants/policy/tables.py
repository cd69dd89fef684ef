"""Tables of the policy area (and of onboarding, which fills the tenant profile).

All tenant-owned, under forced row-level security (migrations/policy). `document` and
`policy_version` rows are immutable: a database trigger refuses UPDATE and DELETE.
"""
from __future__ import annotations

from piccolo.columns import JSONB, UUID, Array, Bytea, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class Document(Table, tablename="document", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    purpose = Varchar(length=20)  # "logo" | "tool" | "minutes"
    filename = Text()
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    content = Bytea()
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()


class TenantProfile(Table, tablename="tenant_profile", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    regulator = Varchar(length=20)
    regulator_other = Text(default="")  # the authority's name when regulator is "other"
    licence_number = Varchar(length=40, default="")  # as printed, in its own digits
    region = Varchar(length=30, default="")
    city = Text(default="")
    website = Text(default="")
    phone = Varchar(length=20, default="")
    email = Varchar(length=254, default="")
    social = JSONB(default={})
    logo = UUID(null=True, default=None)
    setup_done = Array(Text(), default=list)
    updated_at = Timestamptz()


class PolicyDraft(Table, tablename="policy_draft", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    content = JSONB()
    approval = JSONB(null=True, default=None)
    minutes_document = UUID(null=True, default=None)
    updated_by = ForeignKey(StaffUser, null=True, default=None)
    updated_at = Timestamptz()


class TenantClosure(Table, tablename="tenant_closure", db=DB):
    """A span of days the tenant's office is closed (both ends included), with a reason; working-day
    windows and step targets skip it (sila/platform/workdays.py)."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    starts_on = Date()
    ends_on = Date()
    reason = Text()
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()


class PolicyVersion(Table, tablename="policy_version", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    number = Integer()
    content = JSONB()
    approval = JSONB(null=True, default=None)  # None: published without a board approval (acknowledged)
    approved_on = Date(null=True, default=None)
    minutes_document = UUID(null=True, default=None)
    published_by = UUID(null=True, default=None)
    published_by_name = Text(default="")
    published_at = Timestamptz()
