"""Suggestions, complaints and survey follow-ups (migrations/feedback). Tenant scope only."""
from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class Feedback(Table, tablename="feedback", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    reference = Varchar(length=20)
    kind = Varchar(length=20)
    body = Text()
    name = Text(default="")
    mobile = Varchar(length=20, default="")
    email = Varchar(length=254, default="")
    contact_channel = Varchar(length=20, default="sms")
    language = Varchar(length=5, default="ar")
    survey_response = UUID(null=True, default=None)
    status = Varchar(length=20, default="received")
    assignee = ForeignKey(StaffUser, null=True, default=None)
    answer = Text(default="")
    answered_by = ForeignKey(StaffUser, null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    close_note = Text(default="")
    closed_by = ForeignKey(StaffUser, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    submit_token = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
