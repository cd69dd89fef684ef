"""The request area's data access, in the open tenant scope: Piccolo's query builder where it says the
query plainly, raw SQL where it is the better tool (locks, joins, `returning`), reads returned as
typed records. Services and the workflow actions' record writers call these; none opens a scope.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import Any

from sila.platform.db import current_connection, parse_uuid
from sila.platform.errors import NotFound
from sila.platform.roles import Role
from sila.tenants.requests.tables import RequestReferral, ServiceDelivery
from sila.tenants.requests.uploads import Upload


async def lock_request(request_id: Any) -> dict[str, Any]:
    """The request's row, locked for this transaction; NotFound for unknown and other tenants' ids.
    A dict: it is what the outbox's message context and the audit entries are built from."""
    rid = parse_uuid(request_id)
    row = await current_connection().fetchrow("select * from support_request where id = $1 for update", rid) \
        if rid else None
    if row is None:
        raise NotFound()
    return dict(row)


async def update_request(request_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """Set `changes` (column -> value; the column names are the code's own) and `updated_at`."""
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(changes, start=2))
    await current_connection().execute(
        f"update support_request set {sets}{', ' if sets else ''}updated_at = now() where id = $1",
        request_id, *changes.values())


async def insert_document(tenant_id: Any, request_id: Any, kind: str, upload: Upload, by: Any,
                          document_id: uuid.UUID | None = None) -> uuid.UUID:
    """`document_id`: chosen beforehand when the request's answers name the document."""
    return await current_connection().fetchval(
        """insert into request_document (id, tenant, request, kind, filename, content_type, size, sha256, content,
             uploaded_by) values (coalesce($10, gen_random_uuid()), $1, $2, $3, $4, $5, $6, $7, $8, $9) returning id""",
        parse_uuid(tenant_id), request_id, kind, upload.filename, upload.content_type, len(upload.content),
        upload.sha256, upload.content, by, document_id)


async def insert_attestation(tenant_id: Any, request_id: Any, *, method: str, signer: str, version: int,
                             form_text: str, address: str, user_agent: str = "", document: Any = None,
                             recorded_by: Any = None) -> None:
    await current_connection().execute(
        """insert into request_attestation (tenant, request, method, signer_name, address, user_agent,
             policy_version_number, form_text, text_sha256, document, recorded_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        parse_uuid(tenant_id), request_id, method, signer, address[:64], user_agent[:500], version, form_text,
        hashlib.sha256(form_text.encode()).hexdigest(), document, recorded_by)


async def insert_verification(tenant_id: Any, request_id: Any, *, outcome: str, checklist: dict[str, bool],
                              missing: list[str], note: str, by: Any, by_name: str) -> None:
    await current_connection().execute(
        """insert into request_verification (tenant, request, outcome, checklist, missing, note, verified_by,
             verified_by_name) values ($1, $2, $3, $4, $5, $6, $7, $8)""",
        parse_uuid(tenant_id), request_id, outcome, json.dumps(checklist), json.dumps(missing, ensure_ascii=False),
        note, by, by_name)


async def is_member_with_role(user_id: Any, role: str) -> bool:
    uid = parse_uuid(user_id)
    return uid is not None and bool(await current_connection().fetchval(
        'select 1 from membership where "user" = $1 and role = $2', uid, role))


async def is_member(user_id: Any) -> bool:
    uid = parse_uuid(user_id)
    return uid is not None and bool(await current_connection().fetchval(
        'select 1 from membership where "user" = $1', uid))


async def open_assigned_to(user_id: Any) -> list[uuid.UUID]:
    """The open requests a member holds, oldest first (what they hand over when they leave)."""
    uid = parse_uuid(user_id)
    rows = await current_connection().fetch(
        """select id from support_request where assignee = $1 and stage not in ('closed', 'rejected')
           order by submitted_at""", uid) if uid else []
    return [r["id"] for r in rows]


async def is_researcher(user_id: Any) -> bool:
    return await is_member_with_role(user_id, Role.social_researcher)


async def insert_referral(tenant_id: Any, request_id: uuid.UUID, *, researcher: uuid.UUID, question: str,
                          by: Any) -> None:
    await RequestReferral.insert(RequestReferral(
        tenant=parse_uuid(tenant_id), request=request_id, researcher=researcher, question=question, referred_by=by))


async def answer_referral(request_id: uuid.UUID, *, notes: str, visit_date: dt.date | None, visit_report: str,
                          by: Any) -> bool:
    """The research notes on the request's latest open referral; False when none is open."""
    status = await current_connection().execute(
        """update request_referral set notes = $2, visit_date = $3, visit_report = $4, answered_by = $5,
             answered_at = now() where id = (select id from request_referral where request = $1
             and answered_at is null order by referred_at desc limit 1)""",
        request_id, notes, visit_date, visit_report, by)
    return not status.endswith(" 0")


async def insert_service(tenant_id: Any, request_id: uuid.UUID, beneficiary: uuid.UUID, *, service_type: str,
                         delivered_on: dt.date, amount: decimal.Decimal | None, description: str, by: Any,
                         by_name: str) -> None:
    await ServiceDelivery.insert(ServiceDelivery(
        tenant=parse_uuid(tenant_id), request=request_id, beneficiary=beneficiary, service_type=service_type,
        delivered_on=delivered_on, amount=amount, description=description, delivered_by=by,
        delivered_by_name=by_name))


async def has_service(request_id: uuid.UUID) -> bool:
    return await ServiceDelivery.exists().where(ServiceDelivery.request == request_id)


async def set_assignee(request_id: uuid.UUID, assignee: uuid.UUID | None) -> None:
    await update_request(request_id, {"assignee": assignee})


@dataclasses.dataclass(frozen=True)
class StaffMember:
    id: uuid.UUID
    name: str
    email: str


async def staff_with_role(role: str) -> list[StaffMember]:
    rows = await current_connection().fetch(
        """select u.id, u.name, u.email from membership m join staff_user u on u.id = m."user"
           where m.role = $1 and u.is_active order by u.name""", role)
    return [StaffMember(r["id"], r["name"] or "", r["email"] or "") for r in rows]


@dataclasses.dataclass(frozen=True)
class QueueRow:
    """One line of the staff's queue."""

    id: uuid.UUID
    reference: str
    stage: str
    channel: str
    channel_label: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    decision: str | None
    beneficiary_name: str
    assignee_name: str | None
    time_left: dt.timedelta | None
    # what the due date's explanation reads (clock.explain)
    review_window_days: int | None = None
    review_window_basis: str = "calendar"
    paused_days: int = 0
    appealed_at: dt.datetime | None = None
    stage_since: dt.datetime | None = None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


QUEUE_COLUMNS = """r.id, r.reference, r.stage, r.channel, r.channel_label, r.submitted_at, r.due_at,
    r.decision, b.name as beneficiary_name, a.name as assignee_name, r.due_at - now() as time_left,
    r.review_window_days, r.review_window_basis, r.paused_days, r.appealed_at, r.stage_since"""
QUEUE_FROM = """support_request r join beneficiary b on b.id = r.beneficiary
    left join staff_user a on a.id = r.assignee"""
QUEUE_ORDER = "order by r.due_at asc nulls last, r.submitted_at asc"


async def queue_rows(where: str, args: list[Any], limit: int) -> list[QueueRow]:
    """Requests matching `where` (built by the queue's filters, with `args`), the least time left
    first (no due date last, then oldest first)."""
    rows = await current_connection().fetch(
        f"select {QUEUE_COLUMNS} from {QUEUE_FROM} where {where} {QUEUE_ORDER} limit {int(limit)}", *args)
    return [QueueRow(**dict(r)) for r in rows]


async def queue_total(where: str, args: list[Any]) -> int:
    return await current_connection().fetchval(
        f"select count(*) from support_request r join beneficiary b on b.id = r.beneficiary where {where}", *args)


@dataclasses.dataclass(frozen=True)
class DocumentRow:
    """A document in the request page's list (its content is read only when it is opened)."""

    id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    created_at: dt.datetime


async def request_documents(request_id: uuid.UUID) -> list[DocumentRow]:
    rows = await current_connection().fetch(
        """select id, kind, filename, content_type, size, created_at from request_document
           where request = $1 order by created_at""", request_id)
    return [DocumentRow(**dict(r)) for r in rows]


@dataclasses.dataclass(frozen=True)
class StoredDocument:
    filename: str
    content_type: str
    content: bytes


async def stored_document(request_id: uuid.UUID, document_id: uuid.UUID) -> StoredDocument | None:
    """The document `document_id` of request `request_id`, with its content; None when there is none."""
    row = await current_connection().fetchrow(
        "select filename, content_type, content from request_document where id = $1 and request = $2",
        document_id, request_id)
    return StoredDocument(row["filename"], row["content_type"], bytes(row["content"])) if row else None


@dataclasses.dataclass(frozen=True)
class ServiceRow:
    """A service delivered on a request."""

    delivered_on: dt.date
    service_type: str
    description: str
    amount: decimal.Decimal | None
    delivered_by_name: str


async def request_services(request_id: uuid.UUID) -> list[ServiceRow]:
    rows = await ServiceDelivery.select(
        ServiceDelivery.delivered_on, ServiceDelivery.service_type, ServiceDelivery.description,
        ServiceDelivery.amount, ServiceDelivery.delivered_by_name,
    ).where(ServiceDelivery.request == request_id).order_by(ServiceDelivery.delivered_on)
    return [ServiceRow(**r) for r in rows]


# --- appeals (تظلم) ---------------------------------------------------------------------------

# The applicant's message when the committee decides an appeal (notifications catalogue kinds).
APPEAL_OUTCOME = {"accepted": "request.appeal_accepted", "rejected": "request.appeal_rejected"}


@dataclasses.dataclass(frozen=True)
class AppealRecord:
    """An appeal and the decision it appeals: what the committee's agenda and the pages show."""

    request: uuid.UUID
    reason: str
    filed_at: dt.datetime
    original_decision: str
    original_reason: str
    original_decided_at: dt.datetime | None
    decision: str | None
    decision_reason: str
    decided_at: dt.datetime | None

    @property
    def open(self) -> bool:
        return self.decision is None


_APPEAL_COLUMNS = """request, reason, filed_at, original_decision, original_reason, original_decided_at, decision,
    decision_reason, decided_at"""


async def appeals_of(request_ids: list[Any]) -> dict[uuid.UUID, AppealRecord]:
    """The appeal of each of these requests that has one (one query for a whole agenda)."""
    ids = [i for i in (parse_uuid(r) for r in request_ids) if i]
    if not ids:
        return {}
    rows = await current_connection().fetch(
        f"select {_APPEAL_COLUMNS} from request_appeal where request = any($1::uuid[])", ids)
    return {r["request"]: AppealRecord(**dict(r)) for r in rows}


async def appeal_of(request_id: Any) -> AppealRecord | None:
    return (await appeals_of([request_id])).get(parse_uuid(request_id))  # type: ignore[arg-type]


async def insert_appeal(tenant_id: Any, req: dict[str, Any], reason: str, address: str) -> None:
    await current_connection().execute(
        """insert into request_appeal (tenant, request, reason, address, original_decision, original_reason,
             original_decided_at) values ($1, $2, $3, $4, $5, $6, $7)""",
        parse_uuid(tenant_id), req["id"], reason, address[:64], req["decision"], req["decision_reason"],
        req["decided_at"])


async def decide_appeal(req: dict[str, Any], decision: str, reason: str) -> bool:
    """Record the new decision on the request's open appeal; False when it has none open."""
    if not req.get("appealed_at"):
        return False
    return bool(await current_connection().fetchval(
        """update request_appeal set decision = $2, decision_reason = $3, decided_at = now()
           where request = $1 and decision is null returning 1""", req["id"], decision, reason))
