"""Beneficiary files and consents (migrations/beneficiaries). Personal data: tenant scope only."""
from __future__ import annotations

from piccolo.columns import JSONB, UUID, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
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
