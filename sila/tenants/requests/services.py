"""Support requests: intake (online and by staff), workflow transitions, queues.

Every write runs in one `tenant_scope` transaction that also writes the audit entry (before
and after) and the applicant's outbox row, so a transition, its trail and its message exist
together or not at all. Look-ups by id happen inside the tenant scope: another tenant's id
finds nothing, exactly like an id that does not exist (`NotFound`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import secrets
import uuid
from typing import Any

import asyncpg

from sila.platform import audit
from sila.platform.db import current_connection, tenant_scope
from sila.platform.i18n import N_
from sila.tenants.beneficiaries import services as beneficiaries
from sila.tenants.beneficiaries.forms import ApplicantInput
from sila.tenants.policy.rules import due_date
from sila.tenants.requests.messages import due_text, notify_in_scope
from sila.tenants.requests.terms import PolicyTerms, Term
from sila.tenants.requests.uploads import Upload
from sila.tenants.requests.workflow import (
    MSG_WRONG_ROLE,
    MSG_WRONG_STATE,
    OFFICER,
    RESEARCHER,
    TransitionError,
    Workflow,
)

CHECKLIST = {
    "identity": N_("The ID document matches the number and name given"),
    "contact": N_("The mobile number and address were confirmed"),
    "information": N_("Every required field of the request form is filled in"),
    "documents": N_("The supporting documents were checked against the form"),
}
MSG_CHECKLIST = N_("Tick every item of the checklist, or mark the request incomplete.")
MSG_MISSING_REQUIRED = N_("List what is missing, one item per line.")
MSG_REASON_REQUIRED = N_("Give the reason the applicant will be told.")
MSG_QUESTION_REQUIRED = N_("Write the question for the social researcher.")
MSG_RESEARCHER_REQUIRED = N_("Choose a social researcher.")
MSG_NOTES_REQUIRED = N_("Write the research notes.")
MSG_OTHER_RESEARCHER = N_("This request was referred to another researcher.")
MSG_SCAN_REQUIRED = N_("Attach the scan of the signed attestation.")
MSG_SIGNER_REQUIRED = N_("Enter the name of the person who signed.")
MSG_SERVICE_REQUIRED = N_("Describe the service delivered.")
MSG_DATE_INVALID = N_("Enter the date as YYYY-MM-DD.")
MSG_AMOUNT_INVALID = N_("Enter the amount in riyals, e.g. 1500 or 1500.50.")
MSG_ASSIGNEE = N_("Choose a member of staff.")
MSG_CHANNEL = N_("Choose one of the channels your policy enables.")


class NotFound(Exception):
    pass


class Problem(Exception):
    """Bad input only the service can judge (it needs the request's rows): field, msgid, variables."""

    def __init__(self, field: str, msgid: str, **variables: Any) -> None:
        super().__init__(msgid)
        self.field, self.msgid, self.variables = field, msgid, variables


@dataclasses.dataclass(frozen=True)
class Actor:
    id: uuid.UUID | None
    name: str
    roles: frozenset[str]
    address: str = ""

    @classmethod
    def of(cls, user: Any, address: str = "") -> "Actor":
        return cls(user.id, user.name or user.email, frozenset(user.roles), address)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def new_reference(now: dt.datetime | None = None) -> str:
    """Two digits of the year and eight random ones: easy to read out on the phone, not
    guessable in sequence (tracking still needs the one-time code)."""
    return f"{(now or _now()).year % 100:02d}-{secrets.randbelow(10**8):08d}"


def normalise_reference(raw: str) -> str:
    from sila.platform.dates import parse_digits

    digits = "".join(ch for ch in parse_digits(raw or "") if ch.isdigit())
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 10 else (raw or "").strip()[:20]


# --- intake -------------------------------------------------------------------------------------


async def _insert_document(tenant_id: Any, request_id: Any, kind: str, upload: Upload, by: Any) -> uuid.UUID:
    return await current_connection().fetchval(
        """insert into request_document (tenant, request, kind, filename, content_type, size, sha256, content,
             uploaded_by) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id""",
        as_uuid(tenant_id), request_id, kind, upload.filename, upload.content_type, len(upload.content),
        upload.sha256, upload.content, by)


async def _insert_attestation(tenant_id: Any, request_id: Any, *, method: str, signer: str, version: int,
                              form_text: str, address: str, user_agent: str = "", document: Any = None,
                              recorded_by: Any = None) -> None:
    await current_connection().execute(
        """insert into request_attestation (tenant, request, method, signer_name, address, user_agent,
             policy_version_number, form_text, text_sha256, document, recorded_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        as_uuid(tenant_id), request_id, method, signer, address[:64], user_agent[:500], version, form_text,
        hashlib.sha256(form_text.encode()).hexdigest(), document, recorded_by)


async def _create_in_scope(tenant: Any, terms: PolicyTerms, *, applicant: ApplicantInput, channel: Term, need: str,
                           satisfied: set[str], update_contact: bool, actor: Actor | None,
                           submit_token: str | None = None, interview_url: str = "",
                           interview_at: dt.datetime | None = None, consent_form: str, consent_text: str,
                           ) -> dict[str, Any]:
    conn = current_connection()
    actor_id = actor.id if actor else None
    actor_label = actor.name if actor else applicant.name
    beneficiary_id, _ = await beneficiaries.find_or_create_in_scope(
        tenant.id, applicant, update_contact=update_contact, actor_id=actor_id, actor_label=actor_label)
    await beneficiaries.record_consent_in_scope(
        tenant.id, beneficiary_id, form=consent_form, text=consent_text, policy_version_number=terms.number,
        channel=channel.key, recorded_by=actor_id, address=actor.address if actor else "")
    now = _now()
    workflow = terms.workflow
    stage = workflow.first_stage(satisfied)
    due = due_date(now, terms.review_window_days) if terms.review_window_days else None
    for _ in range(5):  # a random reference may (rarely) be taken: draw again
        try:
            async with conn.transaction():  # a savepoint, so a clash does not abort the scope
                row = await conn.fetchrow(
                    """insert into support_request (tenant, reference, beneficiary, channel, channel_label,
                         policy_version_number, steps, review_window_days, stage, satisfied, need, contact_name,
                         contact_mobile, contact_email, contact_channel, contact_language, submitted_at, due_at,
                         interview_url, interview_at, submit_token, created_by)
                       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                         $19, $20, $21, $22) returning *""",
                    as_uuid(tenant.id), new_reference(now), beneficiary_id, channel.key, channel.label_ar,
                    terms.number, list(workflow.steps), terms.review_window_days, stage, sorted(satisfied), need,
                    applicant.name, applicant.mobile, applicant.email, applicant.preferred_channel,
                    applicant.preferred_language, now, due, interview_url, interview_at, submit_token, actor_id)
            break
        except asyncpg.UniqueViolationError as exc:
            if "reference" not in str(exc.constraint_name or ""):
                raise
    else:  # pragma: no cover - ten million references a year per tenant
        raise RuntimeError("no free reference")
    req = dict(row)
    await audit.record(tenant.id, "request.submitted", actor_user=actor_id, actor_label=actor_label,
                       target_type="support_request", target_id=req["id"], address=actor.address if actor else "",
                       after={"reference": req["reference"], "stage": stage, "channel": channel.key,
                              "policy_version": terms.number, "due_at": due})
    if due:
        await notify_in_scope(tenant, req, "request.received", due=due_text(due, req["contact_language"]))
    else:
        await notify_in_scope(tenant, req, "request.received_no_window")
    return req


@dataclasses.dataclass
class OnlineSubmission:
    applicant: ApplicantInput
    need: str
    signer_name: str
    form_text: str  # exactly what the form showed above the signature
    consent_text: str
    files: list[Upload]
    token: str
    address: str
    user_agent: str


@dataclasses.dataclass(frozen=True)
class Submitted:
    reference: str
    due_at: dt.datetime | None
    duplicate: bool


async def _by_token(token: str) -> Submitted | None:
    row = await current_connection().fetchrow(
        "select reference, due_at from support_request where submit_token = $1", token)
    return Submitted(row["reference"], row["due_at"], True) if row else None


async def submit_online(tenant: Any, terms: PolicyTerms, sub: OnlineSubmission) -> Submitted:
    """Idempotent on `sub.token`: the same form sent twice is one request."""
    channel = terms.public_channel
    assert channel is not None, "the public form is closed"
    async with tenant_scope(tenant.id) as tx:
        if found := await _by_token(sub.token):
            return found
        try:
            async with tx.connection.transaction():
                req = await _create_in_scope(
                    tenant, terms, applicant=sub.applicant, channel=channel, need=sub.need,
                    satisfied={"attest"} if "attest" in terms.steps else set(), update_contact=False, actor=None,
                    submit_token=sub.token, consent_form="online_request_form", consent_text=sub.consent_text)
                await _insert_attestation(tenant.id, req["id"], method="esign", signer=sub.signer_name,
                                          version=terms.number, form_text=sub.form_text, address=sub.address,
                                          user_agent=sub.user_agent)
                for upload in sub.files:
                    await _insert_document(tenant.id, req["id"], "supporting", upload, None)
        except asyncpg.UniqueViolationError as exc:
            # The same form submitted twice at once: the other one won; answer as it did.
            if "submit_token" not in str(exc.constraint_name or "") or not (found := await _by_token(sub.token)):
                raise
            return found
    return Submitted(req["reference"], req["due_at"], False)


@dataclasses.dataclass
class StaffIntake:
    applicant: ApplicantInput
    channel: Term
    need: str
    interview_url: str = ""
    interview_at: dt.datetime | None = None
    files: list[Upload] = dataclasses.field(default_factory=list)
    letter_scan: Upload | None = None
    attestation_scan: Upload | None = None
    signer_name: str = ""
    consent_text: str = ""


async def record_by_staff(tenant: Any, terms: PolicyTerms, intake: StaffIntake, actor: Actor) -> uuid.UUID:
    if terms.channel(intake.channel.key) is None:
        raise Problem("channel", MSG_CHANNEL)
    attested = intake.attestation_scan is not None and "attest" in terms.steps
    async with tenant_scope(tenant.id):
        req = await _create_in_scope(
            tenant, terms, applicant=intake.applicant, channel=intake.channel, need=intake.need,
            satisfied={"attest"} if attested else set(), update_contact=True, actor=actor,
            interview_url=intake.interview_url, interview_at=intake.interview_at, consent_form="staff_intake",
            consent_text=intake.consent_text)
        for upload in intake.files:
            await _insert_document(tenant.id, req["id"], "supporting", upload, actor.id)
        if intake.letter_scan:
            await _insert_document(tenant.id, req["id"], "letter_scan", intake.letter_scan, actor.id)
        if attested:
            assert intake.attestation_scan
            doc = await _insert_document(tenant.id, req["id"], "attestation", intake.attestation_scan, actor.id)
            await _insert_attestation(tenant.id, req["id"], method="paper", signer=intake.signer_name,
                                      version=terms.number, form_text=terms.attest_text("ar"),
                                      address=actor.address, document=doc, recorded_by=actor.id)
        if OFFICER in actor.roles:
            await current_connection().execute("update support_request set assignee = $1 where id = $2",
                                               actor.id, req["id"])
    return req["id"]


# --- reading ------------------------------------------------------------------------------------


async def get_request(tenant_id: Any, request_id: Any) -> dict[str, Any]:
    """The request page's data; NotFound for unknown ids and other tenants' ids alike."""
    rid = as_uuid(request_id)
    if rid is None:
        raise NotFound()
    async with tenant_scope(tenant_id) as tx:
        c = tx.connection
        row = await c.fetchrow(
            """select r.*, a.name as assignee_name, a.email as assignee_email, s.name as researcher_name
               from support_request r left join staff_user a on a.id = r.assignee
               left join staff_user s on s.id = r.researcher where r.id = $1""", rid)
        if row is None:
            raise NotFound()
        ben = await beneficiaries.get(tenant_id, row["beneficiary"])
        docs = await c.fetch("""select id, kind, filename, content_type, size, created_at from request_document
                                where request = $1 order by created_at""", rid)
        verifications = await c.fetch("select * from request_verification where request = $1 order by verified_at",
                                      rid)
        attestation = await c.fetchrow("select * from request_attestation where request = $1", rid)
        referrals = await c.fetch(
            """select f.*, s.name as researcher_name, b.name as referred_by_name from request_referral f
               left join staff_user s on s.id = f.researcher left join staff_user b on b.id = f.referred_by
               where f.request = $1 order by f.referred_at""", rid)
        services = await c.fetch("select * from service_delivery where request = $1 order by delivered_on", rid)
        agenda = await c.fetch(
            """select i.*, s.number as session_number, s.held_at from committee_item i
               join committee_session s on s.id = i.session where i.request = $1 order by s.held_at""", rid)
        timeline = await c.fetch(
            """select e.*, u.name as actor_name from audit_entry e left join staff_user u on u.id = e.actor_user
               where e.target_type = 'support_request' and e.target_id = $1 order by e.created_at""", str(rid))
    req = dict(row)
    req["missing"] = _json(req["missing"])
    return {"req": req, "beneficiary": ben, "documents": [dict(d) for d in docs],
            "verifications": [{**dict(v), "checklist": _json(v["checklist"]), "missing": _json(v["missing"])}
                              for v in verifications],
            "attestation": dict(attestation) if attestation else None, "referrals": [dict(r) for r in referrals],
            "services": [dict(s) for s in services], "agenda": [dict(a) for a in agenda],
            "timeline": [{**dict(t), "before": _json(t["before"]), "after": _json(t["after"])} for t in timeline]}


async def get_document(tenant_id: Any, request_id: Any, document_id: Any) -> dict[str, Any]:
    rid, did = as_uuid(request_id), as_uuid(document_id)
    if rid is None or did is None:
        raise NotFound()
    async with tenant_scope(tenant_id) as tx:
        row = await tx.connection.fetchrow(
            "select filename, content_type, content from request_document where id = $1 and request = $2", did, rid)
    if row is None:
        raise NotFound()
    return dict(row)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclasses.dataclass
class QueueFilter:
    stages: list[str] = dataclasses.field(default_factory=list)
    channel: str = ""
    due: str = ""  # "", "overdue", "week", "none"
    assignee: str = ""  # "", "me", "none", or a staff id
    researcher: str = ""  # "me" for a researcher's own referrals


async def queue(tenant_id: Any, f: QueueFilter, me: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Open requests, the least time left first (no due date last, then oldest first)."""
    where, args = ["r.stage not in ('closed', 'rejected')"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.stages:
        where.append(f"r.stage = any({arg(f.stages)}::text[])")
    if f.channel:
        where.append(f"r.channel = {arg(f.channel)}")
    if f.due == "overdue":
        where.append("r.due_at < now()")
    elif f.due == "week":
        where.append("r.due_at < now() + interval '7 days'")
    elif f.due == "none":
        where.append("r.due_at is null")
    if f.assignee == "me":
        where.append(f"r.assignee = {arg(me)}")
    elif f.assignee == "none":
        where.append("r.assignee is null")
    elif a := as_uuid(f.assignee):
        where.append(f"r.assignee = {arg(a)}")
    if f.researcher == "me":
        where.append(f"r.researcher = {arg(me)}")
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            f"""select r.id, r.reference, r.stage, r.channel, r.channel_label, r.submitted_at, r.due_at,
                  r.decision, b.name as beneficiary_name, a.name as assignee_name, r.due_at - now() as time_left
                from support_request r join beneficiary b on b.id = r.beneficiary
                left join staff_user a on a.id = r.assignee
                where {' and '.join(where)}
                order by r.due_at asc nulls last, r.submitted_at asc limit {int(limit)}""", *args)
    return [dict(r) for r in rows]


async def overdue_count(tenant_id: Any) -> int:
    async with tenant_scope(tenant_id) as tx:
        return await tx.connection.fetchval(
            """select count(*) from support_request
               where due_at < now() and stage not in ('closed', 'rejected') and decision is null""")


async def staff_with_role(tenant_id: Any, role: str) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id) as tx:
        rows = await tx.connection.fetch(
            """select u.id, u.name, u.email from membership m join staff_user u on u.id = m."user"
               where m.role = $1 and u.is_active order by u.name""", role)
    return [dict(r) for r in rows]


# --- transitions --------------------------------------------------------------------------------


async def _lock(request_id: Any) -> dict[str, Any]:
    rid = as_uuid(request_id)
    row = await current_connection().fetchrow("select * from support_request where id = $1 for update", rid) \
        if rid else None
    if row is None:
        raise NotFound()
    return dict(row)


def _parse_date(raw: str, field: str) -> dt.date:
    from sila.platform.dates import parse_digits

    try:
        return dt.date.fromisoformat(parse_digits(raw.strip()))
    except ValueError:
        raise Problem(field, MSG_DATE_INVALID) from None


async def act(tenant: Any, request_id: Any, action: str, actor: Actor, data: dict[str, Any] | None = None) -> str:
    """Do `action` on the request: checks stage and role against the request's own workflow,
    writes the step's records, the audit entry and the applicant's outbox row. Returns the
    new stage. Raises NotFound, TransitionError (wrong stage / role) or Problem (bad input)."""
    async with tenant_scope(tenant.id):
        return await act_in_scope(tenant, request_id, action, actor, data or {})


async def act_in_scope(tenant: Any, request_id: Any, action: str, actor: Actor, data: dict[str, Any]) -> str:
    conn = current_connection()
    req = await _lock(request_id)
    workflow = Workflow.from_steps(req["steps"])
    stage = workflow.transition(req["stage"], action, actor.roles, req["satisfied"])
    updates: dict[str, Any] = {"stage": stage}
    detail: dict[str, Any] = {}
    notice: tuple[str, dict[str, Any]] | None = None
    rid, tid = req["id"], as_uuid(tenant.id)
    text = lambda name: str(data.get(name) or "").strip()  # noqa: E731

    if action == "verify":
        checklist = {k: bool(data.get(f"check_{k}")) for k in CHECKLIST}
        if not all(checklist.values()):
            raise Problem("checklist", MSG_CHECKLIST)
        await conn.execute(
            """insert into request_verification (tenant, request, outcome, checklist, note, verified_by,
                 verified_by_name) values ($1, $2, 'verified', $3, $4, $5, $6)""",
            tid, rid, json.dumps(checklist), text("note"), actor.id, actor.name)
        updates["missing"] = "[]"
        detail = {"checklist": checklist, "note": text("note")}
    elif action == "mark_incomplete":
        missing = [line.strip() for line in text("missing").splitlines() if line.strip()]
        if not missing:
            raise Problem("missing", MSG_MISSING_REQUIRED)
        checklist = {k: bool(data.get(f"check_{k}")) for k in CHECKLIST}
        await conn.execute(
            """insert into request_verification (tenant, request, outcome, checklist, missing, note, verified_by,
                 verified_by_name) values ($1, $2, 'incomplete', $3, $4, $5, $6, $7)""",
            tid, rid, json.dumps(checklist), json.dumps(missing, ensure_ascii=False), text("note"), actor.id,
            actor.name)
        updates["missing"] = json.dumps(missing, ensure_ascii=False)
        detail = {"missing": missing}
        notice = ("request.incomplete", {"missing": "، ".join(missing) if req["contact_language"] == "ar"
                                         else "; ".join(missing)})
    elif action == "refer":
        researcher = as_uuid(data.get("researcher"))
        if researcher is None or not await conn.fetchval(
                "select 1 from membership where \"user\" = $1 and role = $2", researcher, RESEARCHER):
            raise Problem("researcher", MSG_RESEARCHER_REQUIRED)
        if not text("question"):
            raise Problem("question", MSG_QUESTION_REQUIRED)
        await conn.execute(
            """insert into request_referral (tenant, request, researcher, question, referred_by)
               values ($1, $2, $3, $4, $5)""", tid, rid, researcher, text("question"), actor.id)
        updates["researcher"] = researcher
        detail = {"researcher": str(researcher), "question": text("question")}
        notice = ("request.referred", {})
    elif action == "skip_referral":
        detail = {"note": text("note")}
    elif action == "report":
        if req["researcher"] != actor.id:
            raise TransitionError(MSG_OTHER_RESEARCHER, "role")
        if not text("notes"):
            raise Problem("notes", MSG_NOTES_REQUIRED)
        visit = _parse_date(text("visit_date"), "visit_date") if text("visit_date") else None
        updated = await conn.execute(
            """update request_referral set notes = $2, visit_date = $3, visit_report = $4, answered_by = $5,
                 answered_at = now() where id = (select id from request_referral where request = $1
                 and answered_at is null order by referred_at desc limit 1)""",
            rid, text("notes"), visit, text("visit_report"), actor.id)
        if updated.endswith(" 0"):
            raise TransitionError(MSG_WRONG_STATE, "state")
        if isinstance(data.get("visit_file"), Upload):
            await _insert_document(tid, rid, "field_visit", data["visit_file"], actor.id)
        detail = {"notes": text("notes"), "visit_date": visit, "visit_report": text("visit_report")}
    elif action == "attest":
        scan = data.get("scan")
        if not isinstance(scan, Upload):
            raise Problem("scan", MSG_SCAN_REQUIRED)
        if not text("signer_name"):
            raise Problem("signer_name", MSG_SIGNER_REQUIRED)
        doc = await _insert_document(tid, rid, "attestation", scan, actor.id)
        await _insert_attestation(tid, rid, method="paper", signer=text("signer_name"),
                                  version=req["policy_version_number"], form_text=text("form_text"),
                                  address=actor.address, document=doc, recorded_by=actor.id)
        detail = {"signer_name": text("signer_name"), "document": str(doc)}
    elif action in ("accept", "reject"):
        reason = text("reason")
        if action == "reject" and not reason:
            raise Problem("reason", MSG_REASON_REQUIRED)
        updates.update(decision="accepted" if action == "accept" else "rejected", decision_reason=reason,
                       decided_at=_now())
        if action == "reject":
            updates["closed_at"] = _now()
        detail = {"decision": updates["decision"], "reason": reason}
        notice = ("request.accepted", {}) if action == "accept" else ("request.rejected", {"reason": reason})
    elif action == "register":
        await beneficiaries.mark_registered_in_scope(req["beneficiary"])
        if req["decision"] is None:  # no committee: registering is the acceptance
            updates.update(decision="accepted", decided_at=_now())
        notice = ("request.registered", {})
    elif action == "record_service":
        if not text("service_type"):
            raise Problem("service_type", MSG_SERVICE_REQUIRED)
        on = _parse_date(text("delivered_on"), "delivered_on") if text("delivered_on") else _now().date()
        amount = None
        if text("amount"):
            from sila.platform.dates import parse_digits

            try:
                amount = decimal.Decimal(parse_digits(text("amount")).replace(",", "").replace("٫", "."))
            except decimal.InvalidOperation:
                raise Problem("amount", MSG_AMOUNT_INVALID) from None
            if amount < 0 or amount >= 10**10 or amount.as_tuple().exponent < -2:
                raise Problem("amount", MSG_AMOUNT_INVALID)
        await conn.execute(
            """insert into service_delivery (tenant, request, beneficiary, service_type, delivered_on, amount,
                 description, delivered_by, delivered_by_name) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            tid, rid, req["beneficiary"], text("service_type"), on, amount, text("description"), actor.id,
            actor.name)
        if req["decision"] is None:  # neither committee nor registration: serving is the acceptance
            updates.update(decision="accepted", decided_at=_now())
        detail = {"service_type": text("service_type"), "delivered_on": on, "amount": amount}
        notice = ("request.service_delivered", {"service": text("service_type")})
    elif action == "close":
        updates["closed_at"] = _now()

    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(updates, start=2))
    await conn.execute(f"update support_request set {sets}, updated_at = now() where id = $1", rid, *updates.values())
    before = {"stage": req["stage"], "decision": req["decision"]}
    after = {"stage": stage, "decision": updates.get("decision", req["decision"]), **detail}
    await audit.record(tid, f"request.{action}", actor_user=actor.id, actor_label=actor.name,
                       target_type="support_request", target_id=rid, before=before, after=after,
                       address=actor.address)
    if notice:
        await notify_in_scope(tenant, req, notice[0], **notice[1])
    return stage


async def assign(tenant: Any, request_id: Any, assignee: Any, actor: Actor) -> None:
    if not actor.roles & {OFFICER, "admin"}:
        raise TransitionError(MSG_WRONG_ROLE, "role")
    async with tenant_scope(tenant.id) as tx:
        req = await _lock(request_id)
        target = as_uuid(assignee) if assignee else None
        if target and not await tx.connection.fetchval('select 1 from membership where "user" = $1', target):
            raise Problem("assignee", MSG_ASSIGNEE)
        await tx.connection.execute("update support_request set assignee = $2, updated_at = now() where id = $1",
                                    req["id"], target)
        await audit.record(tenant.id, "request.assigned", actor_user=actor.id, actor_label=actor.name,
                           target_type="support_request", target_id=req["id"], address=actor.address,
                           before={"assignee": req["assignee"]}, after={"assignee": target})


async def add_documents(tenant: Any, request_id: Any, files: list[Upload], actor: Actor) -> None:
    if not actor.roles & {OFFICER, RESEARCHER}:
        raise TransitionError(MSG_WRONG_ROLE, "role")
    async with tenant_scope(tenant.id):
        req = await _lock(request_id)
        if req["stage"] in ("closed", "rejected"):
            raise TransitionError(MSG_WRONG_STATE, "state")
        ids = [await _insert_document(tenant.id, req["id"], "supporting", f, actor.id) for f in files]
        await audit.record(tenant.id, "request.documents_added", actor_user=actor.id, actor_label=actor.name,
                           target_type="support_request", target_id=req["id"], address=actor.address,
                           after={"documents": [f.filename for f in files], "ids": [str(i) for i in ids]})
