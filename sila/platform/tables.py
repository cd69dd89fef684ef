"""Platform tables (the tenant directory, accounts) and tenant-owned account tables.

Tenant-owned tables carry a non-null indexed `tenant` foreign key, every unique
constraint includes it, and their migration forces row-level security on them.
"""
from __future__ import annotations

import enum

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.roles import Role


class TenantKind(str, enum.Enum):  # noqa: UP042 -- StrEnum changes str() of a member (choices, f-strings)
    association = "association"
    waqf = "waqf"


class TenantStatus(str, enum.Enum):  # noqa: UP042 -- as TenantKind
    pending = "pending"
    active = "active"
    suspended = "suspended"
    archived = "archived"


class Tenant(Table, tablename="tenant", db=DB):
    id = UUID(primary_key=True)
    slug = Varchar(length=63, unique=True)
    kind = Varchar(length=20, choices=TenantKind)
    name_ar = Text()
    name_en = Text(default="")
    status = Varchar(length=20, choices=TenantStatus, default=TenantStatus.pending)
    status_reason = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    message_quota = Integer(default=2000)  # messages per calendar month (Riyadh time)
    approved_at = Timestamptz(null=True, default=None)
    archived_at = Timestamptz(null=True, default=None)
    delete_after = Timestamptz(null=True, default=None)  # archived data may be deleted from then on
    info_requested_at = Timestamptz(null=True, default=None)  # the operator's question is status_reason
    info_reply = Text(default="")
    info_replied_at = Timestamptz(null=True, default=None)
    policy_number = Integer(null=True, default=None)  # the latest published version (a trigger keeps it)
    policy_published_at = Timestamptz(null=True, default=None)


class TenantDomain(Table, tablename="tenant_domain", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    domain = Varchar(length=253, unique=True)
    created_at = Timestamptz()


class StaffUser(Table, tablename="staff_user", db=DB):
    id = UUID(primary_key=True)
    email = Varchar(length=254, unique=True)
    name = Text(default="")
    password_hash = Text(null=True, default=None)
    is_active = Boolean(default=True)
    preferred_language = Varchar(length=5, default="ar")
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class Membership(Table, tablename="membership", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    user = ForeignKey(StaffUser, index=True, null=False)
    role = Varchar(length=30, choices=Role)
    created_at = Timestamptz()
    last_signed_in_at = Timestamptz(null=True, default=None)  # in this tenant


class AuthToken(Table, tablename="auth_token", db=DB):
    """Single-use links: staff invitations, password resets and sign-up confirmations. Only a
    hash of the link is stored."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    purpose = Varchar(length=20)  # "invite" | "reset" | "signup"
    email = Varchar(length=254)
    user = ForeignKey(StaffUser, null=True, default=None)
    roles = Array(base_column=Varchar(length=30), default=list)  # an invitation's roles, at least one
    token_hash = Varchar(length=64)
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    # A sign-up's name and password hash, waiting for the address to be confirmed.
    signup = JSONB(null=True, default=None)


class MemberDeactivation(Table, tablename="member_deactivation", db=DB):
    """A member deactivated in this tenant: their memberships are removed and their roles kept here."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    user = ForeignKey(StaffUser, index=True, null=False)
    roles = Array(base_column=Varchar(length=30))
    deactivated_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()


class AuditEntry(Table, tablename="audit_entry", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    actor_user = ForeignKey(StaffUser, null=True, default=None)
    actor_label = Text(default="")
    action = Varchar(length=80)
    target_type = Varchar(length=60, default="")
    target_id = Text(default="")
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    address = Varchar(length=64, default="")
    created_at = Timestamptz()


class Operator(Table, tablename="operator", db=DB):
    id = UUID(primary_key=True)
    email = Varchar(length=254, unique=True)
    name = Text(default="")
    password_hash = Text()
    totp_secret = Text(null=True, default=None)
    is_active = Boolean(default=True)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class OperatorAudit(Table, tablename="operator_audit", db=DB):
    """Every operator action; keeps only the subject tenant's id and slug, so it outlives deletion."""

    id = UUID(primary_key=True)
    operator = ForeignKey(Operator, null=True, default=None)
    operator_label = Text(default="")
    action = Varchar(length=80)
    subject_tenant = UUID(null=True, default=None)
    subject_label = Text(default="")
    reason = Text(default="")
    detail = JSONB(null=True, default=None)
    address = Varchar(length=64, default="")
    created_at = Timestamptz()


class SupportGrant(Table, tablename="support_grant", db=DB):
    """A tenant admin lets platform support see the portal, read-only, until `expires_at`."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    created_by = ForeignKey(StaffUser, null=True, default=None)
    note = Text(default="")
    scope = Varchar(length=20, default="configuration")  # or "cases" (sila.platform.operator.support)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(StaffUser, null=True, default=None)


class TenantExport(Table, tablename="tenant_export", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    requested_by = ForeignKey(Operator, null=True, default=None)
    status = Varchar(length=20, default="queued")
    tables_total = Integer(default=0)
    tables_done = Integer(default=0)
    rows_total = BigInt(default=0)
    files_total = Integer(default=0)
    size_bytes = BigInt(default=0)
    sha256 = Varchar(length=64, default="")
    error = Text(default="")
    download_token_hash = Varchar(length=64, null=True, default=None)
    link_expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)  # file deleted: a person in it was erased


__all__ = [
    "AuditEntry",
    "AuthToken",
    "Membership",
    "MemberDeactivation",
    "Operator",
    "OperatorAudit",
    "SupportGrant",
    "TenantExport",
    "StaffUser",
    "Tenant",
    "TenantDomain",
    "TenantKind",
    "TenantStatus",
]
