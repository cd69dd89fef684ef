"""Data built through the real services (tenants, staff, policies, served requests, beneficiaries)
and read back (outbox and audit rows); valid IDs and test files."""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sila.platform.dates import to_riyadh
from sila.platform.db import tenant_scope
from support.clients import PASSWORD


@dataclass
class Staff:
    id: uuid.UUID
    email: str
    password: str
    tenant: Any


# The smallest file our upload check accepts as a PDF (it reads the `%PDF-` magic bytes).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(size: tuple[int, int] = (120, 60), color: str = "#0b6e4f") -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).ellipse((5, 5, size[0] - 5, size[1] - 5), fill=color)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def valid_id(prefix: str = "1") -> str:
    """A fresh national ID (prefix "1") or iqama ("2") number with a valid check digit."""
    from sila.platform.identity import valid_test_id

    return valid_test_id(prefix + "".join(secrets.choice("0123456789") for _ in range(9 - len(prefix))))


async def outbox_rows(tenant_id: Any, kind: str | None = None) -> list[dict[str, Any]]:
    from sila.platform.db import tenant_scope

    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch("select * from outbox order by created_at")
    return [dict(r) for r in rows if kind is None or r["kind"] == kind]


async def audit_rows(tenant_id: Any, action_prefix: str = "") -> list[dict[str, Any]]:
    import json as _json

    from sila.platform.db import tenant_scope

    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            "select * from audit_entry where action like $1 order by created_at", action_prefix + "%")
    return [{**dict(r), "before": _json.loads(r["before"]) if r["before"] else None,
             "after": _json.loads(r["after"]) if r["after"] else None} for r in rows]


async def recorded_request(tenant: Any, officer: Any, *, mobile: str = "0551112233", channel: str = "sms",
                           language: str = "ar", email: str = "", name: str = "هدى عبدالله",
                           need: str = "إيجار") -> dict[str, Any]:
    """A request recorded by a relations officer through the staff intake service (they hold it),
    waiting for verification; its row."""
    from sila.platform.identity import normalise_mobile
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.requests import services as rs
    from sila.tenants.requests.terms import terms_in_force

    terms = await terms_in_force(tenant.id)
    actor = rs.Actor(officer.id, "نورة الموظفة", frozenset({"relations_officer"}))
    applicant = ApplicantInput(id_number=valid_id(), name=name, mobile=normalise_mobile(mobile)[0], email=email,
                               preferred_channel=channel, preferred_language=language, city="الرياض", category="family",
                               household_size=4)
    rid = await rs.record_by_staff(tenant, terms, rs.StaffIntake(applicant=applicant, channel=terms.staff_channels()[0],
                                                                 need=need, consent_text="موافقة"), actor)
    async with tenant_scope(tenant.id) as tx:
        return dict(await tx.connection.fetchrow("select * from support_request where id = $1", rid))


async def served_request(tenant: Any, officer: Any, *, mobile: str = "0551234567", channel: str = "sms",
                         language: str = "ar", email: str = "", name: str = "مريم سعد العتيبي",
                         service_type: str = "سلة غذائية", delivered_on: Any = None) -> dict[str, Any]:
    """A request recorded by a relations officer, verified, and a service delivered on it — all
    through issue 4's services. The tenant's policy must have the steps receive, verify, deliver."""
    import datetime as _dt

    from sila.tenants.requests import services as rs

    actor = rs.Actor(officer.id, "نورة الموظفة", frozenset({"relations_officer"}))
    rid = (await recorded_request(tenant, officer, mobile=mobile, channel=channel, language=language, email=email,
                                  name=name, need="سلة غذائية شهرية"))["id"]
    await rs.act(tenant, rid, "verify", actor, {f"check_{k}": "on" for k in rs.CHECKLIST})
    await rs.act(tenant, rid, "record_service", actor, {
        "service_type": service_type, "delivered_on": (delivered_on or _dt.date.today()).isoformat()})
    async with tenant_scope(tenant.id) as tx:
        req = dict(await tx.connection.fetchrow("select * from support_request where id = $1", rid))
        req["delivery"] = dict(await tx.connection.fetchrow(
            "select * from service_delivery where request = $1 order by recorded_at desc limit 1", rid))
    return req


SERVICE_STEPS = ["receive", "verify", "deliver"]


BENEFICIARY_NAME = "خالد بن سعيد المستفيد"


BENEFICIARY_MOBILE = "+966551234567"


async def add_beneficiary(tenant) -> uuid.UUID:
    from sila.platform.identity import valid_test_id
    from sila.tenants.beneficiaries.forms import ApplicantInput
    from sila.tenants.beneficiaries.services import find_or_create_in_scope

    applicant = ApplicantInput(id_number=valid_test_id("10" + str(uuid.uuid4().int % 10**6).zfill(6)),
                               name=BENEFICIARY_NAME, mobile=BENEFICIARY_MOBILE, email="", preferred_channel="sms",
                               preferred_language="ar", city="بريدة", category="family", household_size=5)
    async with tenant_scope(tenant.id):
        beneficiary_id, _ = await find_or_create_in_scope(tenant.id, applicant, update_contact=False)
    return beneficiary_id


async def create_tenant(status: str = "active", kind: str = "association", slug: str | None = None,
                        name_ar: str = "جمعية الاختبار") -> Any:
    """A tenant, through the real directory service."""
    from sila.platform import directory

    slug = slug or f"t{secrets.token_hex(4)}"
    return await directory.create_tenant(slug=slug, kind=kind, name_ar=name_ar, name_en=f"Test {slug}", status=status)


async def create_staff(tenant: Any, *roles: str, name: str = "موظف الاختبار") -> Staff:
    """A staff member of `tenant` with `roles` (admin by default), through the real accounts service."""
    from sila.platform.accounts import services

    email_address = f"{secrets.token_hex(4)}@staff.test"
    user_id = None
    for role in roles or ("admin",):
        user_id = await services.add_member(tenant, email=email_address, name=name, role=role, password=PASSWORD)
    assert user_id is not None
    return Staff(user_id, email_address, PASSWORD, tenant)


async def publish_seed_policy(tenant: Any, seed: str = "mafatih", *, steps: list[str] | None = None,
                              channels: list[str] | None = None, window: int | None | str = "seed",
                              **changes: Any) -> Any:
    """Publish a seed organisation's policy for `tenant` through the policy services, optionally
    with other steps / channels / window, and other draft fields (`review_window_basis="working"`,
    `verify_target_days=3` …)."""
    from sila.tenants.policy import services
    from sila.tenants.policy.rules import ChannelConfig, StepConfig
    from sila.tenants.policy.seeds import seed_organisations

    org = next(o for o in seed_organisations() if o.slug == seed)
    draft = org.draft
    if steps is not None:
        draft.steps = [StepConfig(code) for code in steps]
    if channels is not None:
        draft.channels = [ChannelConfig(code) for code in channels]
    if window != "seed":
        draft.review_window_days = window  # type: ignore[assignment]
    for name, value in changes.items():
        assert hasattr(draft, name), name
        setattr(draft, name, value)
    for section in services.SECTIONS:
        await services.save_section(tenant.id, section, draft)
    await services.save_approval(tenant.id, org.approval)
    return await services.publish(tenant.id, actor_name="test")


def session_time(offset: dt.timedelta = dt.timedelta(minutes=-1)) -> str:
    """A committee session's date and time as its form takes them (Riyadh, minutes): a minute ago
    by default, so its attendance, votes and decisions can be recorded at once."""
    return to_riyadh(dt.datetime.now(dt.UTC) + offset).strftime("%Y-%m-%dT%H:%M")
