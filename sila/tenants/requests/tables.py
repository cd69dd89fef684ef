"""Support requests and their workflow records (migrations/requests). Tenant scope only.

Links between these rows are composite (tenant, id) foreign keys in the database; here they
are plain UUID columns, since Piccolo's ForeignKey cannot express a composite key.
"""
from __future__ import annotations

from piccolo.columns import JSONB, UUID, Array, Boolean, Bytea, Date, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.table import Table

from sila.platform.db import DB
from sila.platform.tables import StaffUser, Tenant


class SupportRequest(Table, tablename="support_request", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    reference = Varchar(length=20)
    beneficiary = UUID()
    channel = Text()
    channel_label = Text()
    policy_version_number = Integer()
    steps = Array(Text())
    review_window_days = Integer(null=True, default=None)
    review_window_basis = Varchar(length=10, default="calendar")  # sila.platform.workdays
    stage = Varchar(length=20)
    satisfied = Array(Text(), default=list)
    need = Text()
    contact_name = Text()
    contact_mobile = Varchar(length=20)
    contact_email = Varchar(length=254, default="")
    contact_channel = Varchar(length=20, default="sms")
    contact_language = Varchar(length=5, default="ar")
    missing = JSONB(default=[])
    # Answers to the charity's own questions (policy.custom_fields), keyed by question key.
    custom_answers = JSONB(default={})
    submitted_at = Timestamptz()
    due_at = Timestamptz(null=True, default=None)  # in force: base_due_at shifted by pauses (requests/clock.py)
    base_due_at = Timestamptz(null=True, default=None)
    paused_days = Integer(default=0)
    appealed_at = Timestamptz(null=True, default=None)
    stage_since = Timestamptz()  # kept by a trigger (migrations/requests, 2026-12-02T18:45:01)
    assignee = ForeignKey(StaffUser, null=True, default=None)
    researcher = ForeignKey(StaffUser, null=True, default=None)
    decision = Varchar(length=10, null=True, default=None)
    decision_reason = Text(default="")
    decided_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    interview_url = Text(default="")
    interview_at = Timestamptz(null=True, default=None)
    submit_token = Varchar(length=64, null=True, default=None)
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # A past request brought in from a spreadsheet (beneficiaries/imports.py, kind past_requests):
    # the import it came from, and the keyed (ID, day, kind) hash its duplicates are refused by.
    imported_from = UUID(null=True, default=None)
    import_key = Varchar(length=64, null=True, default=None)


class RequestDocument(Table, tablename="request_document", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    request = UUID()
    kind = Varchar(length=20)
    filename = Text()
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    content = Bytea()
    uploaded_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()


class RequestVerification(Table, tablename="request_verification", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    request = UUID()
    outcome = Varchar(length=12)
    checklist = JSONB()
    missing = JSONB(default=[])
    note = Text(default="")
    verified_by = ForeignKey(StaffUser, null=True, default=None)
    verified_by_name = Text(default="")
    verified_at = Timestamptz()


class RequestAttestation(Table, tablename="request_attestation", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    request = UUID()
    method = Varchar(length=10)
    signer_name = Text()
    signed_at = Timestamptz()
    address = Varchar(length=64, default="")
    user_agent = Text(default="")
    policy_version_number = Integer()
    form_text = Text()
    text_sha256 = Varchar(length=64)
    document = UUID(null=True, default=None)
    recorded_by = ForeignKey(StaffUser, null=True, default=None)


class RequestReferral(Table, tablename="request_referral", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    request = UUID()
    researcher = ForeignKey(StaffUser, null=True, default=None)
    question = Text()
    referred_by = ForeignKey(StaffUser, null=True, default=None)
    referred_at = Timestamptz()
    notes = Text(default="")
    visit_date = Date(null=True, default=None)
    visit_report = Text(default="")
    answered_by = ForeignKey(StaffUser, null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)


class CommitteeSession(Table, tablename="committee_session", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    number = Integer()
    held_at = Timestamptz()
    location = Text(default="")
    status = Varchar(length=10, default="open")
    created_by = ForeignKey(StaffUser, null=True, default=None)
    created_at = Timestamptz()
    closed_by = ForeignKey(StaffUser, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    rule = JSONB(default={})  # the policy's committee rule when the session was opened (committee/rule.py)
    policy_version_number = Integer(null=True, default=None)


class CommitteeItem(Table, tablename="committee_item", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    session = UUID()
    request = UUID()
    position = Integer()
    kind = Varchar(length=10, default="request")  # "request", or "appeal" (an appeal of a declined request)
    decision = Varchar(length=10, null=True, default=None)  # accepted | rejected | deferred
    reason = Text(default="")
    decided_by = ForeignKey(StaffUser, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    tally = JSONB(null=True, default=None)  # the rule's outcome the decision was confirmed on


class CommitteeVote(Table, tablename="committee_vote", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    item = UUID()
    member = ForeignKey(StaffUser, null=True, default=None)
    member_name = Text()
    vote = Varchar(length=10)  # accept | reject | abstain | conflict (declared: not counted)
    reasons = Text(default="")
    cast_at = Timestamptz()


class CommitteeAttendance(Table, tablename="committee_attendance", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    session = UUID()
    member = ForeignKey(StaffUser, null=False)
    member_name = Text(default="")
    present = Boolean()
    recorded_by = ForeignKey(StaffUser, null=True, default=None)
    recorded_at = Timestamptz()


class CommitteeSignature(Table, tablename="committee_signature", db=DB):
    """A member's confirmation of a closed session's minutes: a recorded e-signature."""

    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    session = UUID()
    member = ForeignKey(StaffUser, null=True, default=None)
    member_name = Text()
    signed_at = Timestamptz()
    minutes_sha256 = Varchar(length=64)
    address = Varchar(length=64, default="")


class RequestPause(Table, tablename="request_pause", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    request = UUID()
    started_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    missing = JSONB(default=[])
    note = Text(default="")
    reply = Text(default="")
    ended_by = Varchar(length=12, null=True, default=None)
    started_by = ForeignKey(StaffUser, null=True, default=None)


class RequestAppeal(Table, tablename="request_appeal", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    request = UUID()
    reason = Text()
    filed_at = Timestamptz()
    address = Varchar(length=64, default="")
    original_decision = Varchar(length=10)
    original_reason = Text(default="")
    original_decided_at = Timestamptz(null=True, default=None)
    decision = Varchar(length=10, null=True, default=None)
    decision_reason = Text(default="")
    decided_at = Timestamptz(null=True, default=None)


class ServiceDelivery(Table, tablename="service_delivery", db=DB):
    id = UUID(primary_key=True)
    tenant = ForeignKey(Tenant, index=True, null=False)
    request = UUID()
    beneficiary = UUID()
    service_type = Text()
    delivered_on = Date()
    amount = Numeric(digits=(12, 2), null=True, default=None)
    description = Text(default="")
    delivered_by = ForeignKey(StaffUser, null=True, default=None)
    delivered_by_name = Text(default="")
    recorded_at = Timestamptz()


ALL = [SupportRequest, RequestDocument, RequestVerification, RequestAttestation, RequestReferral,
       CommitteeSession, CommitteeItem, CommitteeVote, CommitteeAttendance, CommitteeSignature, ServiceDelivery,
       RequestPause, RequestAppeal]
