"""People and requests built through the real services, shared by the reports, evidence-pack,
governance and data-rights tests: a recorded request, a served one, the clock moved, a person
with a document, a survey answer and a complaint."""
from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from sila.platform.db import tenant_scope
from sila.platform.identity import normalise_mobile
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.feedback import services as feedback
from sila.tenants.requests import services as rs
from sila.tenants.requests.terms import terms_in_force
from sila.tenants.requests.uploads import Upload
from sila.tenants.surveys import services as surveys
from support.data import PDF_BYTES, valid_id

VERIFIED = {f"check_{k}": "on" for k in rs.CHECKLIST}


def officer_of(staff: Any) -> rs.Actor:
    return rs.Actor(staff.id, "نورة الموظفة", frozenset({"relations_officer"}))


async def recorded(tenant: Any, officer: Any, channel: str, category: str, *, id_number: str | None = None,
                   name: str = "سارة عبدالله القحطاني") -> Any:
    terms = await terms_in_force(tenant.id)
    applicant = ApplicantInput(id_number=id_number or valid_id(), name=name,
                               mobile=normalise_mobile("0551234567")[0], email="", preferred_channel="sms",
                               preferred_language="ar", city="الرياض", category=category, household_size=4)
    intake = rs.StaffIntake(applicant=applicant, channel=terms.channel(channel), need="دعم إيجار السكن",
                            consent_text="موافقة")
    return await rs.record_by_staff(tenant, terms, intake, officer_of(officer))


async def served(tenant: Any, officer: Any, rid: Any) -> None:
    await rs.act(tenant, rid, "verify", officer_of(officer), VERIFIED)
    await rs.act(tenant, rid, "record_service", officer_of(officer), {"service_type": "سلة غذائية"})


async def move(tenant: Any, rid: Any, **times: Any) -> None:
    """The clock moved: set when it was submitted, due and decided."""
    async with tenant_scope(tenant.id) as tx:
        for column, value in times.items():
            await tx.connection.execute(f"update support_request set {column} = $2 where id = $1", rid, value)


LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def arabic_word(n: int = 6) -> str:
    return "".join(secrets.choice(LETTERS) for _ in range(n))


@dataclasses.dataclass
class Person:
    id_number: str
    name: str
    mobile: str  # E.164
    email: str
    comment: str
    complaint: str
    document: bytes
    filename: str
    beneficiary: Any = None
    request: Any = None


def new_person() -> Person:
    mark = secrets.token_hex(8)
    local = "055" + "".join(secrets.choice("0123456789") for _ in range(7))
    return Person(id_number=valid_id(), name=f"سارة {arabic_word()} {arabic_word()}",
                  mobile=normalise_mobile(local)[0], email=f"sara.{mark}@example.org",
                  comment=f"تأخر الرد كثيرا {arabic_word(8)}", complaint=f"لم يتصل بي موظف {arabic_word(8)}",
                  document=PDF_BYTES + f"%{mark}\n".encode(), filename=f"هوية-{arabic_word()}.pdf")


async def build_person(tenant: Any, officer: Any, p: Person, *, served: bool = True) -> Person:
    async with tenant_scope(tenant.id) as tx:  # surveys go out as soon as a service is recorded
        await tx.connection.execute("insert into survey_settings (tenant, delay_days) values ($1, 0) "
                                    "on conflict (tenant) do update set delay_days = 0", tenant.id)
    terms = await terms_in_force(tenant.id)
    actor = rs.Actor(officer.id, "نورة الموظفة", frozenset({"relations_officer"}))
    applicant = ApplicantInput(id_number=p.id_number, name=p.name, mobile=p.mobile, email=p.email,
                               preferred_channel="sms", preferred_language="ar", city="حائل", category="widow",
                               household_size=3)
    p.request = await rs.record_by_staff(tenant, terms, rs.StaffIntake(
        applicant=applicant, channel=terms.staff_channels()[0], need=f"إيجار السكن لـ {p.name}",
        files=[Upload(p.filename, "application/pdf", p.document)], consent_text="موافقة"), actor)
    await rs.act(tenant, p.request, "verify", actor, {**VERIFIED, "note": f"اتصلت على {p.mobile}"})
    async with tenant_scope(tenant.id) as tx:
        p.beneficiary = await tx.connection.fetchval("select beneficiary from support_request where id = $1",
                                                     p.request)
    if not served:
        return p
    await rs.act(tenant, p.request, "record_service", actor, {
        "service_type": "سلة غذائية", "amount": "250", "description": f"سلّمت إلى {p.name}"})
    await surveys.scan(tenant)
    async with tenant_scope(tenant.id) as tx:
        inv = await tx.connection.fetchval("select id from survey_invitation where beneficiary = $1", p.beneficiary)
    assert inv, "the survey invitation was written"
    await surveys.submit_answers(tenant, surveys.token_for(tenant.id, inv), {
        "satisfaction": {"type": "rating", "score": 1}, "ease": {"type": "rating", "score": 1},
        "respect": {"type": "rating", "score": 2}, "timeliness": {"type": "rating", "score": 1},
        "recommend": {"type": "nps", "score": 2}, "improve": {"type": "text", "text": p.comment}}, False)
    await feedback.submit(tenant, feedback.FeedbackInput(
        kind="complaint", body=p.complaint, name=p.name, mobile=p.mobile, email="", contact_channel="sms",
        language="ar", token=secrets.token_urlsafe(32)))
    return p
