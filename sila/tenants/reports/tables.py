"""The reports area's one table: evidence packs (migrations/reports). Tenant scope only."""
from __future__ import annotations

from piccolo.columns import UUID, BigInt, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class EvidencePack(Table, tablename="evidence_pack", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    calendar = Varchar(length=10)
    from_year = Integer()
    from_month = Integer()
    to_year = Integer()
    to_month = Integer()
    status = Varchar(length=10, default="queued")
    progress = Integer(default=0)
    step = Varchar(length=20, default="")
    error = Text(default="")
    pdf = Bytea(null=True, default=None)
    zip = Bytea(null=True, default=None)
    size_bytes = BigInt(default=0)
    sha256 = Varchar(length=64, default="")
    requested_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
