"""Satisfaction surveys (migrations/surveys). Services use SQL; these register the tables.
Links between rows are composite (tenant, id) keys in the database, plain UUIDs here."""
from __future__ import annotations

from piccolo.columns import JSONB, UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class Survey(Table, tablename="survey", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    title_ar = Text()
    title_en = Text(default="")
    intro_ar = Text(default="")
    intro_en = Text(default="")
    anonymous_allowed = Boolean(default=True)
    is_active = Boolean(default=False)
    current_version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class SurveyVersion(Table, tablename="survey_version", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    survey = UUID()
    number = Integer()
    questions = JSONB()
    created_at = Timestamptz()


class SurveySettings(Table, tablename="survey_settings", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    auto_send = Boolean(default=True)
    delay_days = Integer(default=2)
    reminder_days = Integer(default=3)
    min_staff_answers = Integer(default=5)
    low_rating = Integer(default=2)
    low_nps = Integer(default=4)
    auto_since = Timestamptz()
    updated_at = Timestamptz()


class SurveyCampaign(Table, tablename="survey_campaign", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    survey = UUID()
    name = Text()
    service_type = Text(default="")
    period_from = Date()
    period_to = Date()
    status = Varchar(length=10, default="running")
    total = Integer(default=0)
    invited = Integer(default=0)
    cursor = UUID(null=True, default=None)
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class SurveyInvitation(Table, tablename="survey_invitation", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    survey = UUID()
    beneficiary = UUID()
    request = UUID(null=True, default=None)
    service_delivery = UUID(null=True, default=None)
    campaign = UUID(null=True, default=None)
    service_type = Text(default="")
    intake_channel = Text(default="")
    staff = ForeignKey(StaffUser, null=True, default=None)
    channel = Varchar(length=20)
    language = Varchar(length=5, default="ar")
    mobile = Varchar(length=20, default="")
    email = Varchar(length=254, default="")
    token_hash = Varchar(length=64)
    outbox = UUID(null=True, default=None)
    reminder_outbox = UUID(null=True, default=None)
    sent_at = Timestamptz()
    reminded_at = Timestamptz(null=True, default=None)
    answered = Boolean(default=False)
    answered_at = Timestamptz(null=True, default=None)  # named answers only: anonymous ones keep no time
    expires_at = Timestamptz()
    created_at = Timestamptz()


class SurveyResponse(Table, tablename="survey_response", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    survey = UUID()
    version = Integer()
    invitation = UUID(null=True, default=None)
    beneficiary = UUID(null=True, default=None)
    anonymous = Boolean(default=False)
    service_type = Text(default="")
    intake_channel = Text(default="")
    staff = ForeignKey(StaffUser, null=True, default=None)
    campaign = UUID(null=True, default=None)
    submitted_on = Date()  # the Riyadh calendar day only: nothing to join an anonymous answer on


class SurveyAnswer(Table, tablename="survey_answer", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    response = UUID()
    question = Varchar(length=40)
    qtype = Varchar(length=10)
    score = Integer(null=True, default=None)
    text = Text(default="")


ALL = [Survey, SurveyVersion, SurveySettings, SurveyCampaign, SurveyInvitation, SurveyResponse, SurveyAnswer]
