"""The request workflow's domain rules, at the service level (`app_db`: a migrated database, this
process bound to the RLS-bound app role, no web server): the services are called directly, so
each test takes milliseconds. test_requests_http.py checks the same rules' HTTP wiring (status
codes, messages beside the fields)."""
from __future__ import annotations

from typing import Any

import pytest

from sila.platform import errors
from sila.platform.identity import normalise_mobile
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.requests import services as rs
from sila.tenants.requests.terms import terms_in_force
from sila.tenants.requests.workflow import TransitionError
from support.data import audit_rows, outbox_rows, valid_id
from support.db import scalar
from support.intake import CHANNELS

VERIFIED = {f"check_{k}": "on" for k in rs.CHECKLIST}


def actor(staff: Any, role: str) -> rs.Actor:
    return rs.Actor(staff.id, staff.email, frozenset({role}))


async def recorded(tenant: Any, officer: Any, channel: str = "interview") -> Any:
    terms = await terms_in_force(tenant.id)
    applicant = ApplicantInput(id_number=valid_id(), name="سارة عبدالله القحطاني",
                               mobile=normalise_mobile("0551234567")[0], email="", preferred_channel="sms",
                               preferred_language="ar", city="الرياض", category="family", household_size=4)
    intake = rs.StaffIntake(applicant=applicant, channel=terms.channel(channel), need="دعم إيجار السكن",
                            consent_text="موافقة")
    return await rs.record_by_staff(tenant, terms, intake, actor(officer, "relations_officer"))


@pytest.fixture
async def charity(app_db, make_tenant, make_staff, publish_policy):
    tenant = await make_tenant(name_ar="وقف مفاتيح الخير")
    await publish_policy(tenant, "mafatih", channels=CHANNELS)
    staff = {role: await make_staff(tenant, role) for role in
             ("relations_officer", "social_researcher", "committee_member", "admin")}
    return tenant, staff


async def test_wrong_stage_and_wrong_role_are_refused_and_change_nothing(charity):
    tenant, staff = charity
    rid = await recorded(tenant, staff["relations_officer"])
    audits_before = len(await audit_rows(tenant.id, "request."))
    officer, member = actor(staff["relations_officer"], "relations_officer"), actor(staff["committee_member"],
                                                                                  "committee_member")
    with pytest.raises(TransitionError) as refused:
        await rs.act(tenant, rid, "register", officer)  # at verification: not yet
    assert refused.value.kind == "state"
    with pytest.raises(TransitionError) as refused:
        await rs.act(tenant, rid, "accept", officer)  # only the committee decides
    assert refused.value.kind == "role"
    with pytest.raises(TransitionError):
        await rs.act(tenant, rid, "verify", member, VERIFIED)
    with pytest.raises(TransitionError):  # admin is not a wildcard
        await rs.act(tenant, rid, "verify", actor(staff["admin"], "admin"), VERIFIED)
    assert await scalar(tenant.id, "select stage from support_request where id = $1", rid) == "verify"
    assert len(await audit_rows(tenant.id, "request.")) == audits_before
    assert await outbox_rows(tenant.id, "request.accepted") == []


async def test_a_second_researcher_cannot_answer_a_referral_made_to_the_first(charity, make_staff):
    tenant, staff = charity
    officer = actor(staff["relations_officer"], "relations_officer")
    rid = await recorded(tenant, staff["relations_officer"])
    await rs.act(tenant, rid, "verify", officer, VERIFIED)
    await rs.act(tenant, rid, "refer", officer, {"researcher": str(staff["social_researcher"].id), "question": "؟"})
    other = await make_staff(tenant, "social_researcher")
    with pytest.raises(TransitionError) as refused:
        await rs.act(tenant, rid, "report", actor(other, "social_researcher"), {"notes": "x"})
    assert refused.value.kind == "role"
    assert await scalar(tenant.id, "select stage from support_request where id = $1", rid) == "research"


async def test_another_tenants_request_is_not_found(charity, make_tenant, make_staff, publish_policy):
    tenant, staff = charity
    rid = await recorded(tenant, staff["relations_officer"])
    other = await make_tenant()
    await publish_policy(other, "mafatih", channels=CHANNELS)
    stranger = await make_staff(other, "relations_officer")
    with pytest.raises(errors.NotFound):
        await rs.act(other, rid, "verify", actor(stranger, "relations_officer"), VERIFIED)
    assert await scalar(tenant.id, "select stage from support_request where id = $1", rid) == "verify"
